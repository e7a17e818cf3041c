"""A holder's own account: balance, holdings by vintage, sales and income, pledges; retirement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.services import queries as ui_queries
from sinkledger.ui import format as fmt
from sinkledger.ui import figures, public_registry, session
from sinkledger.ui.common import (
    attempt,
    confirmed,
    entry_link,
    get_service,
    new_form_button,
    require_roles,
    show_refusal,
    sink_name,
    submit_once,
)
from sinkledger.ui.text import t
from sinkledger_base.errors import InvalidInput

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

HOLDER_ROLES = ("cooperative", "household", "collection_centre", "enterprise")
RETIRING_ROLES = ("cooperative", "collection_centre", "enterprise")


def account_page() -> None:
    actor = require_roles(*HOLDER_ROLES)
    service = get_service()
    lang = session.lang()
    st.title(t("page_account"))
    statement = attempt(ui_queries.party_statement, service, actor.party_id, rows=ROWS_SHOWN)
    if statement is None:
        return
    figures.headline([(t("available_balance"), fmt.tonnes(statement["balance"]["held_t"], lang)),
                      (t("pledged_balance"), fmt.tonnes(statement["balance"]["pledged_t"], lang)),
                      (t("income"), fmt.money(statement["income_fen"], lang))])  # not st.metric (figures.py)
    counts = {"holdings": statement["holdings_count"], "sales_out": statement["sold_count"],
              "sales_in": statement["bought_count"], "my_pledges": statement["pledges_count"],
              "retirements": statement["retirements_count"]}
    # one list at a time: at county scale an enterprise's five lists were five tables of 200 rows
    sections = [k for k in SECTIONS if k in ("holdings", "sales_out") or counts[k]]
    labels = {k: f"{t(k)} ({counts[k]:,})" for k in sections}  # made now, in the page's language
    section = st.radio(t("account_section"), sections, format_func=labels.__getitem__,
                       horizontal=True, key=f"account_section_{lang}")  # its labels: one widget a language
    _section(section or sections[0], statement, lang)
    if actor.role.value in RETIRING_ROLES:
        _retire_form(actor, service, statement)


SECTIONS = ("holdings", "sales_out", "sales_in", "my_pledges", "retirements")


def _section(section: str, statement: dict[str, Any], lang: str) -> None:
    if section == "holdings":
        _table([{t("col_batch"): h["batch_id"], t("col_sink_type"): sink_name(h["sink_type"]),
                 t("col_vintage"): str(h["vintage_year"]), t("col_state"): t(f"state_{h['state']}"),
                 t("col_quantity_t"): h["quantity"]} for h in statement["holdings"]], statement["holdings_count"],
               caption="account_oldest_shown")
    elif section == "sales_out":
        _table([_sale_row(s, lang, s["buyer_name"]) for s in statement["sold"]], statement["sold_count"])
    elif section == "sales_in":
        _table([_sale_row(s, lang, s["seller_name"]) for s in statement["bought"]], statement["bought_count"])
    elif section == "my_pledges":
        _table([{t("col_pledge"): p["id"], t("col_quantity_t"): p["quantity"],
                 t("term_end"): fmt.date_text(p["term_end"], lang),
                 t("col_status"): t(f"pledge_status_{p['status']}")} for p in statement["pledges"]],
               statement["pledges_count"])
    elif section == "retirements":
        figures.list_table([
            {t("pr_col_retirement"): r["id"], t("col_date"): fmt.date_text(r["recorded_at"], lang),
             t("col_quantity_t"): r["quantity"], t("beneficiary"): r["beneficiary"], t("purpose"): r["purpose"],
             t("pr_col_link"): f"certificate?retirement={r['id']}"} for r in statement["retirements"]],
            links={t("pr_col_link"): t("pr_certificate_link")})
        _more(len(statement["retirements"]), statement["retirements_count"])
        _certificates(statement["retirements"], lang)


def _certificates(retirements: list[dict[str, Any]], lang: str) -> None:
    """Every retirement's certificate (PDF in both languages) and its public link."""
    chosen = st.selectbox(t("pr_kind_retirement"), [r["id"] for r in retirements], key="account_certificate")
    if chosen:
        public_registry.certificate_downloads(chosen, lang, key="account_cert")


ROWS_SHOWN = ui_queries.STATEMENT_ROWS  # an enterprise of the county dataset bought 4,511 times: the newest


def _table(rows: list[dict[str, Any]], total: int, *, caption: str = "account_newest_shown") -> None:
    """A list of the statement (its first ``ui_queries.STATEMENT_ROWS`` rows), and how many there are."""
    figures.list_table(rows)  # to read, not to sort: no grid (sinkledger/ui/figures.py)
    _more(len(rows), total, caption)


def _more(shown: int, total: int, caption: str = "account_newest_shown") -> None:
    if total > shown:
        st.caption(t(caption, n=shown, total=f"{total:,}"))


def _sale_row(s: dict[str, Any], lang: str, other: str) -> dict[str, Any]:
    return {t("col_date"): fmt.date_text(s["recorded_at"], lang), t("col_counterparty"): other,
            t("col_quantity_t"): s["quantity"], t("unit_price"): fmt.price(s["price_fen_per_t"], lang),
            t("sale_amount"): fmt.money(s["amount_fen"], lang), t("contract_no"): s["contract_no"]}


RETIRE_FIELDS = ("retire_quantity", "retire_beneficiary", "retire_purpose")


def _retire_form(actor: Actor, service: Service, statement: dict[str, Any]) -> None:
    """Retire credits: the form, a confirmation (a retirement cannot be undone), then what was
    retired with its entry and certificate, the form locked until a new retirement is started."""
    lang = session.lang()
    st.subheader(t("retire_credits"))
    retired = session.locked("retire")
    if retired:
        st.success(t("retired_message", quantity=fmt.tonnes(retired["quantity"], lang)))
        st.markdown(t("retired_detail", id=retired["retirement_id"], beneficiary=retired["beneficiary"],
                      link=entry_link(retired["seq"]),
                      certificate=f"[{t('pr_certificate_link')}](certificate?retirement={retired['retirement_id']})"))
        public_registry.certificate_downloads(retired["retirement_id"], lang, key="retired_cert")
        new_form_button("retire", "new_retirement", *RETIRE_FIELDS)
        return
    with st.form("retire_form"):
        c1, c2 = st.columns(2)
        quantity = c1.number_input(t("quantity_t"), min_value=1, step=1, value=1, key="retire_quantity")
        beneficiary = c2.text_input(t("beneficiary"), key="retire_beneficiary")
        purpose = st.text_input(t("purpose"), key="retire_purpose")
        asked = st.form_submit_button(t("retire_credits"), type="primary")
    # what the service would refuse is said before the confirmation, not after it
    missing = ("beneficiary_required" if not beneficiary.strip() else
               "purpose_required" if not purpose.strip() else None)
    if asked and missing:
        show_refusal(InvalidInput(missing))
        asked = False
    question = t("retire_confirm", quantity=fmt.tonnes(int(quantity), lang), account=statement["account_id"],
                 beneficiary=beneficiary.strip() or "—")
    if confirmed("retire", asked, question):
        submit_once("retire", service.retire, actor=actor, account_id=statement["account_id"],
                    quantity=int(quantity), beneficiary=beneficiary.strip(), purpose=purpose.strip())
