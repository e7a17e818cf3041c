"""The clerk's import of a day's sales from Excel or CSV: a template, a per-row preview, all or nothing.

Everything is the service's (``preview_sales``, ``import_sales``; the template from ``sales_files``): this page
shows each row as it would be recorded, or why not, in the UI's language, and records the file
with one request id derived from its rows (``submit_once``): a second click, a reload or the same
file uploaded again records nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger import catalogue
from sinkledger.services.sales_files import TEMPLATE_COLUMNS, template_xlsx
from sinkledger.ui import format as fmt
from sinkledger.ui import session, widgets
from sinkledger.ui.common import attempt, cached_version, entry_link, new_form_button, submit_once
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

FORM = "sales_import"
FILE_KEY = "sales_file"
FILE_TYPES = ["xlsx", "csv"]
LINKS_SHOWN = 50  # links to the recorded entries, at most (the table lists every sale)
NOTE_KEYS = ("sales_tpl_seller", "sales_tpl_buyer", "sales_tpl_quantity", "sales_tpl_price", "sales_tpl_contract",
             "sales_tpl_sale_date", "sales_tpl_contract_date")


def import_tab(actor: Actor, service: Service, lang: str) -> None:
    st.caption(t("sales_import_help"))
    st.download_button(t("sales_template_download"), _template(lang), key="sales_template",
                       file_name=f"sales-template-{lang}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    recorded = session.locked(FORM)
    if recorded:  # this file is recorded: show what, locked, until the clerk starts another
        _recorded(recorded, lang)
        new_form_button(FORM, "sales_import_another", FILE_KEY)
        return
    upload = widgets.file_uploader(t("sales_file"), type=FILE_TYPES, key=FILE_KEY)
    if upload is None:
        return
    report = _preview(actor, service, upload)
    if report is None:
        return
    session.use_request_id(FORM, report["request_id"])  # the same rows: the same request, even uploaded again
    _show_preview(report, lang)
    if report["ok"] and st.button(t("sales_import_record", n=report["count"]), type="primary", key="record_sales"):
        submit_once(FORM, service.import_sales, actor=actor, data=upload.getvalue(), file_name=upload.name)


def _template(lang: str) -> bytes:
    notes = [(column, t(key)) for column, key in zip(TEMPLATE_COLUMNS["zh" if lang == "zh" else "en"], NOTE_KEYS)]
    return template_xlsx(lang, notes, t("sales_tpl_sheet"), t("sales_tpl_notes"))


def _preview(actor: Actor, service: Service, upload: Any) -> dict[str, Any] | None:
    """The file's preview, kept for this file and ledger version (a rerun of the page, e.g. a
    language switch, does not run every row again; any new entry does)."""
    version = cached_version()
    kept = st.session_state.get(session.SALES_PREVIEW)
    if kept and kept[0] == upload.file_id and kept[1] == version:
        return kept[2]
    with st.spinner(t("sales_checking")):
        report = attempt(service.preview_sales, actor, data=upload.getvalue(), file_name=upload.name)
    if report is not None:
        st.session_state[session.SALES_PREVIEW] = (upload.file_id, version, report)
    return report


def _show_preview(report: dict[str, Any], lang: str) -> None:
    problems = catalogue.localise(report["problems"])
    message = "message_zh" if lang == "zh" else "message_en"
    if report["ok"]:
        st.success(t("sales_preview_ok", n=report["count"], quantity=fmt.tonnes(report["quantity"], lang),
                     amount=fmt.money(report["amount_fen"], lang)))
    else:
        rows = {p["row"] for p in problems} - {None}
        st.error(t("sales_preview_problems", n=len(problems), rows=len(rows)))
    recorded = sum(1 for r in report["rows"] if r["recorded_seq"] is not None)
    if recorded:
        st.info(t("sales_preview_recorded_before", n=recorded))
    source = report["source"]
    if source["price_unit"]:
        st.caption(t(f"sales_price_unit_{source['price_unit']}",
                     column=source["columns"].get(f"price_{source['price_unit']}", "")))
    if source["ignored_columns"]:
        st.caption(t("sales_columns_ignored", columns=", ".join(source["ignored_columns"])))
    if problems:
        st.dataframe(pd.DataFrame([{t("col_row"): p["row"] if p["row"] is not None else "—",
                                    t("col_field"): p["field"] or "", t("col_problem"): p[message]}
                                   for p in problems]), hide_index=True, width="stretch")
    if report["rows"]:
        st.dataframe(pd.DataFrame([_row(r, lang, message) for r in report["rows"]]), hide_index=True,
                     width="stretch")


def _row(r: dict[str, Any], lang: str, message: str) -> dict[str, Any]:
    return {t("col_row"): r["row"], t("col_check"): _check(r, lang, message),
            t("seller"): _party(r["seller_name"], r["seller_account"] or r["seller"]),
            t("buyer"): _party(r["buyer_name"], r["buyer_account"] or r["buyer"]),
            t("col_quantity_t"): str(r["quantity"]) if r["quantity"] is not None else "—",  # one type a column
            t("unit_price"): fmt.price(r["price_fen_per_t"], lang) if r["price_fen_per_t"] is not None else "—",
            t("sale_amount"): fmt.money(r["amount_fen"], lang) if r["amount_fen"] is not None else "—",
            t("contract_no"): r["contract_no"] or "—", t("sale_date"): _day(r["sale_date"], lang),
            t("contract_date"): _day(r["contract_date"], lang)}


def _party(name: str | None, ref: str) -> str:
    return f"{name} ({ref})" if name else ref or "—"


def _day(value: str | None, lang: str) -> str:
    return fmt.date_text(value, lang) if value else "—"


def _check(r: dict[str, Any], lang: str, message: str) -> str:
    """The row's verdict: its problems, else recorded already or ready; then its warnings."""
    if r["problems"]:
        parts = [p[message] for p in catalogue.localise(r["problems"])]
    elif r["recorded_seq"] is not None:
        parts = [t("sales_row_recorded", seq=r["recorded_seq"])]
    else:
        parts = [t("sales_row_ready")]
    separator = "；" if lang == "zh" else "; "
    return separator.join(parts + [_warning(key, params, lang) for key, params in r["warnings"]])


def _warning(key: str, params: dict[str, Any], lang: str) -> str:
    shown = dict(params)
    if "median_fen" in shown:
        shown["median"] = fmt.price(shown.pop("median_fen"), lang)
    if "recorded_at" in shown:
        shown["date"] = fmt.date_text(shown.pop("recorded_at"), lang)
    return "⚠ " + t(key, **shown)


def _recorded(result: dict[str, Any], lang: str) -> None:
    """What the import recorded: how many sales, their entries (links), the totals."""
    sales = result["sales"]
    if result["replayed"]:
        st.info(t("sales_import_replayed", n=result["count"]))
    else:
        st.success(t("sales_imported", n=result["count"], quantity=fmt.tonnes(result["quantity"], lang),
                     amount=fmt.money(result["amount_fen"], lang)))
    shown = sales[:LINKS_SHOWN]
    st.markdown("  ".join(entry_link(s["seq"]) for s in shown) + (" …" if len(sales) > len(shown) else ""))
    st.dataframe(pd.DataFrame([{t("col_entry"): s["seq"], t("seller"): s["seller_account"],
                                t("buyer"): s["buyer_account"], t("col_quantity_t"): s["quantity"],
                                t("unit_price"): fmt.price(s["price_fen_per_t"], lang),
                                t("sale_amount"): fmt.money(s["amount_fen"], lang),
                                t("contract_no"): s["contract_no"]} for s in sales]),
                 hide_index=True, width="stretch")
