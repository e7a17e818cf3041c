"""Household (农户): "My income" — its statement for a chosen period, read only, with the PDF
(Chinese) and Excel downloads. The service shows a household only its own data."""

from __future__ import annotations

import streamlit as st

from sinkledger.ui.common import require_roles
from sinkledger.ui.income_common import statement_section
from sinkledger.ui.text import t


def household_income_page() -> None:
    actor = require_roles("household")
    st.title(t("page_inc_my_income"))
    st.caption(t("inc_household_intro"))
    statement = statement_section(actor, actor.party_id, "hh_statement")
    if statement is not None and not statement["items"]:
        st.info(t("inc_nothing_due"))
