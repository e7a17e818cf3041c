"""The HTML shell of every page: Streamlit's ``index.html``, told where the server is.

A visitor who opens a page by its address (``/statistics``, a bookmark, a link from the public
registry, a reload) gets Streamlit's ``index.html``. Its front end does not know whether
``statistics`` is a page of the app or the path the app is served under, so it first asks
``/statistics/_stcore/health``, gets a 404, waits for its retry and only then asks
``/_stcore/health``: about 130 ms lost before the page starts to load, on every page but the
landing page (issue 17, "any other page ≤ 1 s"; BENCHMARKS.md).

Streamlit's front end reads its server's address from ``window.__streamlit.BACKEND_BASE_URL``
when an embedding page sets it. This module answers ``/`` and each page's address
(:func:`routes`, added to ``app.py``'s ``st.App``) with the same ``index.html`` plus one script
that sets it to the folder of the page's address (a page is one path segment under the app's
root, so this holds under a reverse proxy's prefix too). Nothing else changes: the same HTML, the
same relative addresses, ``no-cache`` as Streamlit serves it; any other address keeps Streamlit's
own answer. If a Streamlit upgrade moves its ``index.html`` or its ``</head>``, the page is
served unchanged and only the 130 ms come back (``tests/browser/test_shell_browser.py`` fails first).
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

INDEX = Path(streamlit.__file__).parent / "static" / "index.html"
# the folder of the page's address: "/statistics?lang=en" → "/", "/app/statistics" → "/app/"
BASE_SCRIPT = ("<script>window.__streamlit = Object.assign({}, window.__streamlit, "
               "{BACKEND_BASE_URL: new URL('.', window.location.href).href});</script>")


@functools.lru_cache(maxsize=1)
def index_html() -> str:
    """Streamlit's ``index.html`` with :data:`BASE_SCRIPT` at the end of its head (a classic
    script: it runs while the page is parsed, before Streamlit's deferred module)."""
    text = INDEX.read_text(encoding="utf-8")
    if text.count("</head>") != 1:
        return text
    return text.replace("</head>", BASE_SCRIPT + "</head>")


def page_shell(_request: Request) -> HTMLResponse:
    return HTMLResponse(index_html(), headers={"Cache-Control": "no-cache"})


def routes(pages: tuple[str, ...]) -> list[Route]:
    """``/`` and ``/<page>`` for each url path of ``pages``: the shell."""
    return [Route(path, page_shell, methods=["GET"]) for path in ("/", *(f"/{p}" for p in pages))]
