"""Every page's address answers the app's HTML shell (``sinkledger/ui/shell.py``): Streamlit's
``index.html`` telling the front end where the server is, so a page opened by its address asks
the server's health once, at the right place, instead of first asking ``<page>/_stcore/health``
(a 404 and a retry: about 130 ms a page, issue 17).

Over real HTTP against ``streamlit run app.py`` (the browser tests' server), then in Chromium.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from sinkledger.catalogue import ui_text
from sinkledger.ui import navigation, shell
from tests.browser.test_overview_browser import APP_DONE_JS, page  # noqa: F401 - page: the fixture

STREAMLIT_INDEX = (shell.INDEX).read_text(encoding="utf-8")


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_the_shell_is_streamlits_index_with_one_script_before_the_app_starts() -> None:
    html = shell.index_html()
    assert html.count(shell.BASE_SCRIPT) == 1
    assert html.replace(shell.BASE_SCRIPT, "", 1) == STREAMLIT_INDEX  # nothing else changed
    head_end = html.index("</head>")
    assert html.index(shell.BASE_SCRIPT) < head_end < html.index('<div id="root">')
    # a classic inline script runs while the head is parsed; Streamlit's own is a deferred module
    assert '<script type="module"' in html and "<script>window.__streamlit" in html


def test_every_page_address_answers_the_shell_and_other_addresses_are_streamlits(streamlit_server) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    for path in ("/", "/statistics", "/registry?lang=en", *(f"/{p}" for p in navigation.PAGES)):
        status, headers, body = get(url + path)
        assert status == 200, path
        assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-cache", path
        assert body.decode("utf-8") == shell.index_html(), path
    # Streamlit's own answers are untouched: its files, its health, its index for an unknown path
    status, headers, body = get(url + "/favicon.png")
    assert status == 200 and headers["content-type"] == "image/png" and body[:4] == b"\x89PNG"
    assert get(url + "/_stcore/health")[2].strip() == b"ok"
    status, _, body = get(url + "/no-such-page")
    assert status == 200 and body.decode("utf-8") == STREAMLIT_INDEX
    assert get(url + "/statistics/_stcore/health")[0] == 404  # what the front end asked first before


@pytest.mark.browser
@pytest.mark.parametrize("path", ["statistics", "registry", "certificate", "prices"])
def test_a_page_opened_by_its_address_asks_the_server_once_at_the_right_place(page, streamlit_server,  # noqa: F811 - the page fixture
                                                                              path) -> None:  # type: ignore[no-untyped-def]
    url = streamlit_server.url
    answers: list[tuple[str, int]] = []
    page.on("response", lambda r: answers.append((r.url, r.status)))
    page.goto(f"{url}/{path}")
    title = ui_text(navigation.PAGES[path][2], "zh")
    page.get_by_test_id("stMain").get_by_role("heading", name=title).first.wait_for()
    page.wait_for_function(APP_DONE_JS)
    health = [u for u, _ in answers if u.split("?")[0].endswith("/_stcore/health")]
    assert health == [f"{url}/_stcore/health"], health
    assert not [u for u, s in answers if s == 404], answers
    assert page.evaluate("() => window.__streamlit.BACKEND_BASE_URL") == f"{url}/"
