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
from sinkledger.ui.text import labeller, t

LANGS = {"zh": "中文", "en": "English"}
LANG_PARAM = "lang"  # the address's query parameter that keeps the language across reloads
BASEMAPS = ("none", "osm", "tianditu")

# url_path → (module, function, title key, icon)
PAGES = {
    "overview": ("public", "explorer_page", "page_overview", ":material/insights:"),
    "map": ("public", "map_page", "page_map", ":material/map:"),
    "statistics": ("public", "statistics_page", "page_statistics", ":material/bar_chart:"),
    "certificate": ("public", "certificate_page", "page_certificate", ":material/verified:"),
    "registry": ("public_registry", "registry_page", "page_registry", ":material/search:"),
    "signin": ("signin", "signin_page", "page_signin", ":material/login:"),
    "parcels": ("parcels", "parcels_page", "page_parcels", ":material/map:"),
    "register": ("register", "register_page", "page_register", ":material/draw:"),
    "account": ("account", "account_page", "page_account", ":material/account_balance_wallet:"),
    "verify": ("verifier", "verifier_page", "page_verify", ":material/task_alt:"),
    "sale": ("clerk", "sale_page", "page_sale", ":material/receipt_long:"),
    "sales": ("clerk", "history_page", "page_sales", ":material/history:"),
    "cases": ("court", "cases_page", "page_cases", ":material/gavel:"),
    "calculator": ("court", "calculator_page", "page_calculator", ":material/calculate:"),
    "pledges": ("bank", "pledges_page", "page_pledges", ":material/account_balance:"),
    "losses": ("insurer", "losses_page", "page_losses", ":material/ac_unit:"),
    "users": ("admin_users", "users_page", "page_users", ":material/group:"),
    "income": ("income_household", "household_income_page", "page_inc_my_income", ":material/payments:"),
    "income_coop": ("income_coop", "coop_income_page", "page_inc_coop", ":material/payments:"),
    "income_contracts": ("income_centre", "centre_contracts_page", "page_inc_contracts", ":material/handshake:"),
    "income_centre": ("income_centre", "centre_income_page", "page_inc_centre", ":material/payments:"),
    "income_paylist": ("income_paylist", "payment_list_page", "page_inc_paylist", ":material/request_quote:"),
    "liens": ("bank", "liens_page", "page_inc_liens", ":material/lock:"),
    "my_details": ("people", "my_details_page", "page_my_details", ":material/badge:"),
    "households": ("people", "households_page", "page_households", ":material/diversity_3:"),
    "personal_data": ("people_admin", "personal_data_page", "page_personal_data", ":material/shield_person:"),
    "batch": ("batch", "batch_page", "page_batch", ":material/stacked_line_chart:"),
    # issue 22 (helper h7): the price index, index insurance, pricing factors
    "prices": ("prices", "public_index_page", "page_price_index", ":material/show_chart:"),
    "index_insurance": ("prices", "index_insurance_page", "page_index_insurance", ":material/price_check:"),
    "my_policies": ("prices", "coop_policies_page", "page_my_policies", ":material/price_check:"),
    "pricing_factors": ("prices", "pricing_factors_page", "page_pricing_factors", ":material/eco:"),
    # issue 22 (helper h8): compensation programmes and quota obligations
    "authority": ("instruments", "authority_page", "page_authority", ":material/account_balance:"),
    "obligations": ("instruments", "enterprise_obligations_page", "page_obligations", ":material/fact_check:"),
}

ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "public": ("signin",),
    "cooperative": ("parcels", "register", "account", "income_coop", "batch", "households", "my_policies"),
    "household": ("income", "account", "my_details"),  # a household holds no credits: its income first
    "collection_centre": ("parcels", "register", "account", "income_contracts", "income_centre", "income_paylist",
                          "batch", "households", "pricing_factors"),
    "trading_clerk": ("sale", "sales"),
    "enterprise": ("account", "obligations"),
    "verifier": ("verify",),
    "court": ("cases", "calculator"),
    "procurator": ("cases", "calculator"),
    "bank": ("pledges", "liens"),
    "insurer": ("losses", "index_insurance"),
    "admin": ("users", "personal_data", "parcels", "pricing_factors"),
    "authority": ("authority",),  # issue 22 (helper h8)
}
PUBLIC_PAGES = ("overview", "map", "statistics", "registry", "certificate", "prices")


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
    work = [page(p, default=signed_in and i == 0) for i, p in enumerate(own) if p != "signin"]
    public = [page(p, default=not signed_in and p == "overview") for p in PUBLIC_PAGES]
    if not signed_in:
        public.append(page("signin"))
    if requested in PAGES and requested not in (*own, *PUBLIC_PAGES, "signin"):
        public.append(_stand_in(requested, signed_in))
    sections = {t("nav_public"): public}
    return {t("nav_work"): work, **sections} if work else sections


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
    widgets.localise_widgets()  # Streamlit's own widget texts (uploader, pickers) in the chosen language
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
