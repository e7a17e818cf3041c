"""Which pages each role sees, and the sidebar (language, who is signed in; the base map on map pages).

Only the pages a role may use are registered with ``st.navigation``; every page checks the role
again, and the service checks it a third time. A page's address always works (issue 19): when a
bookmark, a reload or a shared link asks for a page the visitor cannot use yet, a hidden stand-in
takes that address: the sign-in for the public (once signed in, the same address opens the page
itself), a notice for a signed-in role the page is not for. Never Streamlit's "Page not found".
"""

from __future__ import annotations

import importlib

import streamlit as st

from sinkledger.ui import session, websession, widgets
from sinkledger.ui.sitemap import PAGES, PLAIN_PAGES, PUBLIC_PAGES, ROLE_PAGES
from sinkledger.ui.text import labeller, t

LANGS = {"zh": "中文", "en": "English"}
LANG_PARAM = "lang"  # the address's query parameter that keeps the language across reloads
BASEMAPS = ("none", "osm", "tianditu")


def page(url_path: str, *, default: bool = False) -> st.Page:
    """One of :data:`PAGES` as ``st.navigation`` and ``st.page_link`` take it."""
    module, function, title, icon = PAGES[url_path]
    fn = getattr(importlib.import_module(f"sinkledger.ui.{module}"), function)
    return st.Page(fn, title=t(title), icon=icon, url_path=url_path, default=default)


def pages_for(role: str, requested: str | None = None) -> dict[str, list[st.Page]]:
    """Sections of pages for ``role``: the role's own work first (its first page is the
    landing page after sign-in), then the public pages everyone sees; plus, hidden, a stand-in
    at the address of ``requested`` (a page the URL asked for) when the role cannot use it."""
    own = ROLE_PAGES.get(role, ())
    signed_in = role != "public"
    first = default_page(role)
    # The default page is served at "/" and its own address is then unknown to Streamlit ("Page
    # not found", a dialog, on a bookmark or a reload of /parcels). Asked for by that address, the
    # first page is an ordinary page there, and "/" is a hidden stand-in that runs the same page.
    by_address = requested == first
    work = [page(p, default=p == first and not by_address) for p in own if p != "signin"]
    public = [page(p, default=p == first and not by_address) for p in PUBLIC_PAGES]
    if not signed_in:
        public.append(page("signin"))
    if by_address:
        public.append(_home(first))
    if requested in PAGES and requested not in (*own, *PUBLIC_PAGES, "signin"):
        public.append(_stand_in(requested, signed_in))
    sections = {t("nav_public"): public}
    return {t("nav_work"): work, **sections} if work else sections


def default_page(role: str) -> str:
    """The url path of the page ``/`` shows ``role`` (the landing page, or the role's own first page)."""
    own = [p for p in ROLE_PAGES.get(role, ()) if p != "signin"]
    return own[0] if role != "public" and own else "overview"


def localise_widgets_for(page: st.Page, role: str) -> None:
    """Streamlit's own widget texts (uploader, pickers) in the chosen language, on every page but
    :data:`PLAIN_PAGES`."""
    if (page.url_path or default_page(role)) not in PLAIN_PAGES:
        widgets.localise_widgets()


def requested_page() -> str | None:
    """The url path of the page this run was asked for (an address typed, bookmarked or
    reloaded), if it names one of :data:`PAGES`.

    Streamlit keeps the request in its pages manager (``intended_page_name`` for an address,
    ``intended_page_script_hash`` for a page chosen in the app); there is no public call for it
    before ``st.navigation`` resolves the page, hence the internal one (tests/ui/test_work_pages.py
    and tests/browser/test_ux_forms_browser.py fail if a Streamlit upgrade changes it).
    """
    try:
        # deferred on purpose: Streamlit's internals, only when a page is being resolved
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.util import calc_hash

        manager = get_script_run_ctx().pages_manager
        name, page_hash = manager.intended_page_name, manager.intended_page_script_hash
    except Exception:  # noqa: BLE001 - no run context or another Streamlit: the menu still works
        return None
    if name and name.strip("/") in PAGES:
        return name.strip("/")
    return next((p for p in PAGES if page_hash and calc_hash(p) == page_hash), None)


def _stand_in(url_path: str, signed_in: bool) -> st.Page:
    """A hidden page at ``url_path`` for a visitor who cannot use that page (yet)."""
    if signed_in:
        _module, _function, title, _icon = PAGES[url_path]
        return st.Page(_not_for_you, title=t(title), url_path=url_path, visibility="hidden")
    signin = importlib.import_module("sinkledger.ui.signin").signin_page
    return st.Page(signin, title=t("page_signin"), url_path=url_path, visibility="hidden")


def _home(url_path: str) -> st.Page:
    """The page ``/`` shows (``url_path``'s), hidden, while ``url_path`` is asked for by its address."""
    module, function, title, icon = PAGES[url_path]
    fn = getattr(importlib.import_module(f"sinkledger.ui.{module}"), function)
    return st.Page(fn, title=t(title), icon=icon, url_path=HOME_PATH, default=True, visibility="hidden")


HOME_PATH = "home"  # reserved by the hidden stand-in of "/" (no page of sitemap.PAGES may take it)


def _not_for_you() -> None:
    st.warning(t("page_not_for_role"))


def sidebar() -> None:
    websession.restore()  # a reload or new tab resumes the browser's session; an ended one signs out
    st.sidebar.radio(t("language"), list(LANGS), format_func=LANGS.get, key=session.LANG, horizontal=True)
    keep_language()
    user = session.user()
    if user:
        st.sidebar.markdown(t("signed_in_as", name=user["display_name"] or user["username"],
                              role=t(f"role_{user['role']}")))
        if st.sidebar.button(t("sign_out"), key="sign_out"):
            websession.sign_out()
            st.rerun()
    cookie = websession.cookie_script()  # keeps the browser's session cookie in step (set / removed)
    if cookie:
        st.sidebar.html(cookie, unsafe_allow_javascript=True)


def basemap_selector() -> str:
    """The base-map choice, in the sidebar of the pages that draw a map (only there: a select box
    costs every page's first paint, BENCHMARKS.md issue 17); the choice is kept across pages.

    The widget's key carries the language so that its option labels follow a language switch;
    the choice itself lives under session.BASEMAP and survives the switch and the pages
    without a map."""
    chosen = st.session_state.get(session.BASEMAP, "none")
    st.sidebar.selectbox(t("basemap"), BASEMAPS, index=BASEMAPS.index(chosen), format_func=labeller("basemap_"),
                         key=f"basemap_{session.lang()}", on_change=_keep_basemap)
    return str(st.session_state.get(session.BASEMAP, "none"))


def restore_language() -> None:
    """The language the address asks for (``?lang=en``), when this tab has none yet: a reload, a
    bookmark or a shared link opens in the language it was left in."""
    if session.LANG not in st.session_state:
        asked = st.query_params.get(LANG_PARAM)
        st.session_state[session.LANG] = asked if asked in LANGS else session.DEFAULT_LANG


def keep_language() -> None:
    """Keep the chosen language in the address, so that a reload keeps it (as the sign-in is kept)."""
    if st.query_params.get(LANG_PARAM) != session.lang():
        st.query_params[LANG_PARAM] = session.lang()


def _keep_basemap() -> None:
    st.session_state[session.BASEMAP] = st.session_state[f"basemap_{session.lang()}"]
