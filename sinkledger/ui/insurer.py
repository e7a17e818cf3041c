"""Insurer: record a loss event and its claim; the loss cancels credits from the buffer pool."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sinkledger import ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import get_service, require_roles, submit
from sinkledger.ui.text import t


def losses_page() -> None:
    actor = require_roles("insurer")
    service = get_service()
    lang = session.lang()
    st.title(t("page_losses"))
    st.write(t("losses_intro"))
    st.metric(t("buffer_balance"), fmt.tonnes(ui_queries.buffer_balance_t(service), lang))
    with st.form("loss_form"):
        c1, c2 = st.columns(2)
        event = c1.text_input(t("loss_event_ref"), key="loss_event", placeholder="LOSS-2025-001")
        quantity = c2.number_input(t("loss_quantity"), min_value=1, step=1, value=1, key="loss_quantity")
        reason = st.text_input(t("loss_reason"), key="loss_reason", placeholder=t("loss_reason_example"))
        ok = st.form_submit_button(t("record_loss"), type="primary")
    if ok:
        out = submit("loss", service.reverse, actor=actor, quantity=int(quantity), reason=reason.strip(),
                     loss_event_ref=event.strip())
        if out is not None:
            st.success(t("loss_recorded", reversal=out["reversal_id"], quantity=fmt.tonnes(out["quantity"], lang)))
    st.subheader(t("loss_history"))
    rows = ui_queries.reversals(service)
    if not rows:
        st.caption(t("nothing_yet"))
        return
    st.dataframe(pd.DataFrame([{t("col_reversal"): r["id"], t("col_date"): fmt.date_text(r["recorded_at"], lang),
                                t("loss_event_ref"): r["loss_event_ref"], t("col_quantity_t"): r["quantity"],
                                t("loss_reason"): r["reason"]} for r in rows]), hide_index=True, width="stretch")
