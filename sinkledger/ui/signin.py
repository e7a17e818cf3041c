"""Sign-in: user name and password checked by the service (argon2 hashes), guarded against
guessing per user name and per client address (:mod:`sinkledger.services.signin_guard`); a
successful sign-in opens a web session that survives a reload
(:func:`sinkledger.ui.websession.sign_in`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sinkledger.ui import websession
from sinkledger.ui.common import attempt, get_service, role_name
from sinkledger.ui.text import t

DEMO_USERS = ("coop", "household", "tea_coop", "tea_household", "centre", "cashier", "clerk", "verifier",
              "enterprise", "court", "procurator", "bank", "insurer", "authority", "admin")


def signin_page() -> None:
    st.title(t("page_signin"))
    # the form and the demo accounts side by side: the whole list shows on a laptop's screen
    form, accounts = st.columns([5, 6], gap="large")
    with form:
        with st.form("signin"):
            username = st.text_input(t("username"), key="signin_username")
            password = st.text_input(t("password"), type="password", key="signin_password")
            submitted = st.form_submit_button(t("sign_in"), type="primary")
        st.caption(t("signin_stays"))
        if submitted:  # a refusal shows under the form
            service = get_service()
            actor = attempt(service.authenticate, username.strip(), password, client=websession.client_address())
            if actor is not None:
                names = {u["username"]: u["display_name"] for u in service.users()}
                websession.sign_in(actor, names.get(actor.username, actor.username))
                st.rerun()
    with accounts:
        _demo_users()


def _demo_users() -> None:
    """The demo accounts (synthetic data; the password is printed in the README too)."""
    service = get_service()
    users = {u["username"]: u for u in service.users()}
    rows = [{t("username"): name, t("col_role"): role_name(users[name]["role"])}
            for name in DEMO_USERS if name in users]
    if rows:
        with st.expander(t("demo_users"), expanded=True):
            st.caption(t("demo_password", password="demo1234"))
            # a static table: every account shows at once (a scrolling frame cut the list off)
            st.table(pd.DataFrame(rows).set_index(t("username")))
