"""Shared parts of the income pages (收益): party names, a period picker, a statement's tables and
its downloads, and the table helpers. Everything shown comes from ``service.income`` (see
``docs/income.md`` §4); these helpers only lay it out in the chosen language.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger.ui import format as fmt
from sinkledger.ui import figures, session
from sinkledger.ui.common import attempt, get_service, party_names, sink_name
from sinkledger.ui.text import t, t_or

if TYPE_CHECKING:  # for annotations only
    from collections.abc import Mapping

    from ledger.permissions import Actor


def party_label(party_id: str | None, names: Mapping[str, str] | None = None, lang: str | None = None) -> str:
    """``name（id）`` (``name (id)`` in English), or the id alone for a party without a name."""
    if not party_id:
        return "—"
    names = names if names is not None else party_names()
    name = names.get(party_id, party_id)
    if name == party_id:
        return name
    return f"{name}（{party_id}）" if (lang or session.lang()) == "zh" else f"{name} ({party_id})"


def party_labeller():  # type: ignore[no-untyped-def]
    """A widget ``format_func`` for party ids, with the names and language of *now* (Streamlit may
    call it outside the script run, where the session is not at hand; see ``text.labeller``)."""
    names, lang = party_names(), session.lang()
    return lambda party_id: party_label(party_id, names, lang)


def percent(bp: int | None) -> str:
    """Basis points as a percentage (exact, display only): 2500 → ``25%``, 3334 → ``33.34%``."""
    if bp is None:
        return "—"
    whole, rest = divmod(int(bp), 100)
    return f"{whole}%" if not rest else f"{whole}.{rest:02d}%"


def terms_text(terms: dict[str, Any]) -> str:
    """A contract's payment terms in the chosen language."""
    if terms.get("kind") == "fixed_per_mu_year":
        return t("inc_terms_fixed", rate=fmt.yuan(terms.get("fen_per_mu_per_year")))
    text = t("inc_terms_share", share=percent(terms.get("share_bp")))
    costs = []
    if terms.get("cost_share_bp"):
        costs.append(t("inc_costs_share", share=percent(terms["cost_share_bp"])))
    if terms.get("cost_fen_per_t"):
        costs.append(t("inc_costs_per_t", rate=fmt.yuan(terms["cost_fen_per_t"])))
    if costs:
        text += t("inc_costs_stated", costs=" + ".join(costs))
    return text


def kg_text(kg: int | None) -> str:
    return fmt.kg_as_tonnes(kg, session.lang()) if kg is not None else "—"


def table(rows: list[dict[str, Any]], *, height: int | None = None) -> None:
    if rows:
        kwargs = {"height": height} if height else {}
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", **kwargs)
    else:
        st.caption(t("nothing_yet"))


def period_picker(key: str) -> tuple[str, str] | None:
    """A statement period (default: 1 January of last year to today), as ISO dates."""
    today = date.today()
    c1, c2 = st.columns(2)
    start = c1.date_input(t("inc_period_start"), value=date(today.year - 1, 1, 1), key=f"{key}_start")
    end = c2.date_input(t("inc_period_end"), value=today, key=f"{key}_end")
    if start > end:
        st.error(t("inc_period_reversed"))
        return None
    return start.isoformat(), end.isoformat()


# -- statements ------------------------------------------------------------------------------------

def show_statement(statement: dict[str, Any]) -> None:
    """Totals, parcels, contracts, items due and paid, (for a collective) sales and recipients, payments."""
    lang, totals = session.lang(), statement["totals"]
    st.caption(t("inc_statement_of", party=party_label(statement["party_id"]),
                 start=fmt.date_text(statement["period_start"], lang), end=fmt.date_text(statement["period_end"], lang)))
    figures.headline([(t("inc_due"), fmt.money(totals["due_fen"], lang)),  # not st.metric (figures.py)
                      (t("inc_paid"), fmt.money(totals["paid_fen"], lang)),
                      (t("inc_outstanding"), fmt.money(totals["outstanding_fen"], lang))])
    figures.headline([(t("inc_received_in_period"), fmt.money(totals["received_in_period_fen"], lang)),
                      (t("inc_tonnes_contributed"), t("inc_tonnes_value", tonnes=totals["attributed_t"])),
                      (t("inc_sales_count"), fmt.integer(totals["sales"], lang))])
    st.subheader(t("inc_parcels"))
    table([_parcel_row(p, statement["kind"]) for p in statement["parcels"]])
    st.subheader(t("inc_contracts"))
    table([{t("contract_no"): c["contract_no"], t("inc_term"): c["term"].replace("..", " – "),
            t("inc_terms"): terms_text(c["terms"])} for c in statement["contracts"]])
    if statement["kind"] == "collective":
        st.subheader(t("inc_sales"))
        table([_sale_row(s) for s in statement.get("sales", [])])
    st.subheader(t("inc_items"))
    own = statement["kind"] == "household"  # a household's statement names only itself
    table([item_row(i, with_party=not own) for i in statement["items"]])
    if statement["kind"] == "collective":
        st.subheader(t("inc_by_party"))
        table([{t("col_party"): party_label(g["party_id"]), t("col_role"): t_or(f"inc_role_{g['role']}", g["role"]),
                t("inc_col_tonnes"): kg_text(g["attributed_kg"]), t("inc_col_due_yuan"): fmt.yuan(g["due_fen"]),
                t("inc_col_paid_yuan"): fmt.yuan(g["paid_fen"]),
                t("inc_col_outstanding_yuan"): fmt.yuan(g["outstanding_fen"])} for g in statement.get("by_party", [])])
    st.subheader(t("inc_payments"))
    table([payment_row(p, with_party=not own) for p in statement["payments"]])


def _parcel_row(p: dict[str, Any], kind: str) -> dict[str, Any]:
    row = {t("col_parcel"): p["parcel_code"], t("col_sink_type"): sink_name(p["sink_type"]),
           t("inc_collective"): p["holder_name"] or p["holder_party_id"], t("inc_area_mu"): p["area_mu"]}
    if kind == "household":
        row[t("inc_share")] = percent(p.get("share_bp"))
    else:
        row[t("inc_households")] = ", ".join(f"{h} {percent(bp)}" for h, bp in sorted(p.get("household_shares_bp", {}).items()))
    row[t("inc_contracts")] = ", ".join(c["contract_no"] for c in p["contracts"]) or "—"
    return row


def _sale_row(s: dict[str, Any]) -> dict[str, Any]:
    lang = session.lang()
    return {t("col_date"): fmt.date_text(s["sale_date"], lang), t("inc_sale"): s["sale_seq"],
            t("contract_no"): s["contract_no"], t("inc_col_tonnes"): s["quantity_t"],
            t("unit_price"): fmt.price(s["price_fen_per_t"], lang), t("inc_col_gross_yuan"): fmt.yuan(s["gross_fen"]),
            t("inc_col_costs_yuan"): fmt.yuan(s["costs_fen"]), t("inc_col_net_yuan"): fmt.yuan(s["net_fen"]),
            t("inc_col_villages_yuan"): fmt.yuan(s["villages_fen"]), t("inc_col_centre_yuan"): fmt.yuan(s["centre_fen"])}


def item_row(i: dict[str, Any], *, with_party: bool = True) -> dict[str, Any]:
    """A due item: when, from what (sale or contract year), for whom, how much, paid, status."""
    lang = session.lang()
    source = (t("inc_source_sale", sale=i["sale_seq"]) if i.get("sale_seq")
              else t("inc_source_compensation", programme=i.get("programme_name") or i.get("programme_code") or "",
                     payment=i["source_id"]) if i.get("source_kind") == "compensation"  # issue 22 (helper h8)
              else t("inc_source_index_insurance", settlement=i["source_id"])
              if i.get("source_kind") == "index_insurance"  # issue 22: a price index insurance payout
              else t("inc_source_year", period=str(i.get("period") or i.get("basis_date") or "").replace("..", " – ")))
    row = {t("inc_col_due_date"): fmt.date_text(i["due_date"], lang), t("inc_source"): source}
    if with_party:
        row[t("col_party")] = party_label(i["party_id"])
    return row | {t("col_parcel"): i["parcel_code"], t("inc_share"): percent(i["share_bp"]),
                  t("inc_col_tonnes"): kg_text(i["attributed_kg"]), t("inc_col_due_yuan"): fmt.yuan(i["amount_fen"]),
                  t("inc_col_paid_yuan"): fmt.yuan(i["paid_fen"]),
                  t("inc_col_outstanding_yuan"): fmt.yuan(i["outstanding_fen"]),
                  t("col_status"): t_or(f"inc_status_{i['status']}", i["status"]),
                  t("inc_col_parcel_t"): whole_or_dash(i["parcel_tonnes"]), t("inc_col_due_id"): i["id"],
                  t("contract_no"): i["contract_no"]}


def whole_or_dash(n: int | None) -> str:
    """A count for a table column that may be empty (one type per column, so text)."""
    return "—" if n is None else f"{int(n):,}"


def payment_row(p: dict[str, Any], *, with_party: bool = True) -> dict[str, Any]:
    row = {t("inc_paid_date"): fmt.date_text(p["paid_date"], session.lang()), t("inc_col_due_id"): p["due_id"]}
    if with_party:
        row[t("col_party")] = party_label(p["party_id"])
    return row | {t("inc_col_amount_yuan"): fmt.yuan(p["amount_fen"]), t("inc_reference"): p["reference"]}


def statement_section(actor: Actor, party_id: str, key: str) -> dict[str, Any] | None:
    """Period picker, the statement of ``party_id`` and its PDF and Excel downloads."""
    service = get_service()
    period = period_picker(key)
    if period is None:
        return None
    start, end = period
    with st.spinner(t("inc_loading")):
        statement = attempt(service.income.statement, actor, party_id=party_id, period_start=start, period_end=end)
    if statement is None:
        return None
    show_statement(statement)
    statement_downloads(actor, party_id, start, end, key)
    return statement


def statement_downloads(actor: Actor, party_id: str, start: str, end: str, key: str) -> None:
    """The statement as a PDF and as an Excel workbook, in the reader's language."""
    service = get_service()
    name = f"statement-{party_id}-{start}-{end}"
    c1, c2 = st.columns(2)
    pdf = attempt(service.income.statement_pdf, actor, party_id=party_id, period_start=start, period_end=end,
                  lang=session.lang())
    if pdf is not None:
        c1.download_button(t("inc_download_pdf"), pdf, file_name=f"{name}.pdf", mime="application/pdf",
                           key=f"{key}_pdf")
    xlsx = attempt(_statement_xlsx, actor, party_id, start, end)
    if xlsx is not None:
        c2.download_button(t("inc_download_xlsx"), xlsx, file_name=f"{name}.xlsx", key=f"{key}_xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _statement_xlsx(actor: Actor, party_id: str, start: str, end: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statement.xlsx"
        get_service().income.statement_xlsx(actor, path, party_id=party_id, period_start=start, period_end=end)
        return path.read_bytes()


def parse_yuan(text: str) -> int | None:
    """A typed yuan amount in fen, or an error message and None."""
    try:
        return fmt.yuan_to_fen(text)
    except ValueError:
        st.error(t("price_unreadable", value=text))
        return None
