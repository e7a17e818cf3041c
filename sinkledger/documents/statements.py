"""Statements (收益对账单) as PDF, in Chinese or English, and as Excel workbooks.

The data comes from :func:`ledger.income.statements.statement`; this module only lays it out,
on the document toolkit (:mod:`sinkledger.documents.toolkit`). Money is shown in yuan with two
decimals, exactly the stored fen; households appear by their pseudonym and party id.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sinkledger.documents.catalogue import sink_type_name, text, text_or
from sinkledger.documents.formats import percent_of_bp, timestamp_text, tonnes_of_kg, yuan_digits
from sinkledger.documents.toolkit import Document

KIND_ZH = {"household": "农户 Household", "collective": "村集体 / 合作社 Collective"}


def terms_text(terms: Mapping[str, Any], lang: str = "zh", *, short: bool = False) -> str:
    """A contract's payment terms in words.

    >>> terms_text({"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200})
    '净收益 80% 归村；约定成本：毛收入的 5% + 2.00 元/吨'
    >>> terms_text({"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 3000}, "en")
    'fixed CNY 30.00 per mu per year'
    """
    if terms["kind"] == "fixed_per_mu_year":
        return text("st_terms_fixed", lang, rate=yuan_digits(terms["fen_per_mu_per_year"]))
    if short:
        return percent_of_bp(terms["share_bp"])
    costs = []
    if terms.get("cost_share_bp"):
        costs.append(text("st_terms_cost_share", lang, pct=percent_of_bp(terms["cost_share_bp"])))
    if terms.get("cost_fen_per_t"):
        costs.append(text("st_terms_cost_per_t", lang, rate=yuan_digits(terms["cost_fen_per_t"])))
    share = text("st_terms_share", lang, pct=percent_of_bp(terms["share_bp"]))
    if not costs:
        return share
    return share + text("st_terms_sep", lang) + text("st_terms_costs", lang, costs=" + ".join(costs))


# --- PDF ---------------------------------------------------------------------------------------

def _party_label(labels: Mapping[str, str], party_id: str, lang: str = "zh") -> str:
    name = labels.get(party_id)
    if not name or name == party_id:
        return party_id
    return f"{name}（{party_id}）" if lang == "zh" else f"{name} ({party_id})"


def render_statement_pdf(data: Mapping[str, Any], *, labels: Mapping[str, str] | None = None,
                         lang: str = "zh") -> bytes:
    """The statement of a household or a collective as an A4 PDF in ``lang`` ('zh' or 'en')."""
    labels = dict(labels or {})
    doc = Document(lang, title=f"{text('st_title', lang)} {data['party_id']} "
                               f"{data['period_start']}..{data['period_end']}",
                   subject="sinkledger income statement")
    doc.title(text("st_title", lang))
    kind = text(f"st_kind_{data['kind']}", lang)
    doc.fields([(kind, _party_label({data["party_id"]: data["party_name"]}, data["party_id"], lang)),
                (text("st_period", lang), text("period_range", lang, start=data["period_start"],
                                                end=data["period_end"])),
                (text("st_generated", lang), timestamp_text(data.get("generated_at")))], label_share=0.25)
    _summary(doc, data)
    if data["kind"] == "household":
        _household_body(doc, data)
    else:
        _collective_body(doc, data, labels)
    _contracts(doc, data)
    _payments(doc, data, labels)
    doc.spacer(4)
    doc.paragraph(text("st_notes", lang), "note")
    return doc.render()


def _summary(doc: Document, data: Mapping[str, Any]) -> None:
    t, lang = data["totals"], doc.lang
    doc.heading(text("st_summary", lang))
    unit = " 元" if lang == "zh" else " CNY"
    doc.fields([(text("st_due", lang), yuan_digits(t["due_fen"]) + unit),
                (text("st_paid", lang), yuan_digits(t["paid_fen"]) + unit),
                (text("st_outstanding", lang), yuan_digits(t["outstanding_fen"]) + unit),
                (text("st_received", lang), yuan_digits(t["received_in_period_fen"]) + unit),
                (text("st_attributed", lang), text("st_attributed_value", lang, t=tonnes_of_kg(t["attributed_kg"]),
                                                   n=t["sales"]))], label_share=0.35)


def _contract_words(parcel: Mapping[str, Any], lang: str = "zh") -> str:
    return text("list_sep", lang).join(f"{c['contract_no']} ({terms_text(c['terms'], lang, short=True)})"
                                       for c in parcel["contracts"]) or text("none", lang)


def _contracts(doc: Document, data: Mapping[str, Any]) -> None:
    lang = doc.lang
    doc.heading(text("st_contracts", lang))
    rows = []
    for c in data["contracts"]:
        start, end = c["term"].split("..")
        terms = terms_text(c["terms"], lang)
        if c["terms"].get("costs_note"):
            terms += f"\n{text('st_costs_note', lang)}: {c['terms']['costs_note']}"
        rows.append([c["contract_no"], text("period_range", lang, start=start, end=end), terms])
    doc.table([text("col_contract", lang), text("st_term", lang), text("st_terms", lang)], rows,
              shares=[0.22, 0.26, 0.52])


def _status(status: str, lang: str) -> str:
    return text_or(f"status_{status}", lang, status)


def _household_body(doc: Document, data: Mapping[str, Any]) -> None:
    lang = doc.lang
    doc.heading(text("st_parcels_shares", lang))
    doc.table([text("col_parcel", lang), text("st_collective", lang), text("col_sink_type", lang),
               text("st_area_mu", lang), text("col_share", lang), text("st_contracts", lang)],
              [[p["parcel_code"], p["holder_name"] or p["holder_party_id"], sink_type_name(p["sink_type"], lang),
                p["area_mu"], percent_of_bp(p["share_bp"]), _contract_words(p, lang)] for p in data["parcels"]],
              shares=[1.3, 1.8, 0.8, 0.8, 0.7, 2.2], numeric=(3, 4))
    sales = [i for i in data["items"] if i["source_kind"] == "distribution"]
    doc.heading(text("st_sales_income", lang))
    doc.table([text("col_date", lang), text("col_sale", lang), text("col_parcel", lang),
               text("st_parcel_tonnes", lang), text("col_share", lang), text("col_attributed_t", lang),
               text("col_due_yuan", lang), text("col_paid_yuan", lang), text("col_status", lang)],
              [[i["basis_date"], f"#{i['sale_seq']}", i["parcel_code"], f"{i['parcel_tonnes']:,}",
                percent_of_bp(i["share_bp"] or 10_000), tonnes_of_kg(i["attributed_kg"]), yuan_digits(i["amount_fen"]),
                yuan_digits(i["paid_fen"]), _status(i["status"], lang)] for i in sales],
              shares=[1.1, 0.6, 1.3, 0.9, 0.7, 1, 1, 1, 0.9], numeric=(3, 4, 5, 6, 7))
    _fixed(doc, data)
    _compensation(doc, data)
    _index_insurance(doc, data)


def _compensation(doc: Document, data: Mapping[str, Any]) -> None:
    """Ecological protection compensation reaching the household (issue 22), by payment."""
    lang = doc.lang
    items = [i for i in data["items"] if i["source_kind"] == "compensation"]
    if not items:
        return
    doc.heading(text("st_compensation", lang))
    doc.table([text("col_date", lang), text("st_programme", lang), text("col_parcel", lang), text("col_share", lang),
               text("col_due_yuan", lang), text("col_paid_yuan", lang), text("col_status", lang)],
              [[i["basis_date"], f"{i.get('programme_name') or ''} ({i['source_id']})", i["parcel_code"],
                percent_of_bp(i["share_bp"] or 10_000), yuan_digits(i["amount_fen"]), yuan_digits(i["paid_fen"]),
                _status(i["status"], lang)] for i in items],
              shares=[1, 2.6, 1.2, 0.7, 1, 1, 0.8], numeric=(3, 4, 5))


def _index_insurance(doc: Document, data: Mapping[str, Any]) -> None:
    """Price index insurance payouts passed on by the collective (issue 22), when there are any."""
    lang = doc.lang
    payouts = [i for i in data["items"] if i["source_kind"] == "index_insurance"]
    if not payouts:
        return
    doc.heading(text("st_index_insurance", lang))
    doc.table([text("st_due_date", lang), text("st_settlement", lang), text("col_contract", lang),
               text("col_parcel", lang), text("col_share", lang), text("col_due_yuan", lang),
               text("col_paid_yuan", lang), text("col_status", lang)],
              [[i["due_date"], i["source_id"], i["contract_no"], i["parcel_code"], percent_of_bp(i["share_bp"] or 10_000),
                yuan_digits(i["amount_fen"]), yuan_digits(i["paid_fen"]), _status(i["status"], lang)] for i in payouts],
              shares=[1, 1.2, 1.4, 1.2, 0.7, 1, 1, 0.8], numeric=(5, 6))


def _fixed(doc: Document, data: Mapping[str, Any]) -> None:
    lang = doc.lang
    fixed = [i for i in data["items"] if i["source_kind"] == "fixed_payment"]
    if not fixed:
        return
    doc.heading(text("st_fixed", lang))
    doc.table([text("st_contract_year", lang), text("st_due_date", lang), text("col_contract", lang),
               text("col_parcel", lang), text("col_due_yuan", lang), text("col_paid_yuan", lang),
               text("col_status", lang)],
              [[i["period"] or "", i["due_date"], i["contract_no"], i["parcel_code"], yuan_digits(i["amount_fen"]),
                yuan_digits(i["paid_fen"]), _status(i["status"], lang)] for i in fixed],
              shares=[1.8, 1, 1.4, 1.2, 1, 1, 0.8], numeric=(4, 5))


def _collective_body(doc: Document, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    lang = doc.lang
    sep = text("list_sep", lang)
    doc.heading(text("st_parcels", lang))
    doc.table([text("col_parcel", lang), text("col_sink_type", lang), text("st_area_mu", lang),
               text("st_household_shares", lang), text("st_contracts", lang)],
              [[p["parcel_code"], sink_type_name(p["sink_type"], lang), p["area_mu"],
                sep.join(f"{h} {percent_of_bp(bp)}" for h, bp in p["household_shares_bp"].items())
                or text("st_no_household_shares", lang), _contract_words(p, lang)] for p in data["parcels"]],
              shares=[1.3, 0.8, 0.8, 3, 2], numeric=(2,))
    doc.heading(text("st_sales_distribution", lang))
    doc.table([text("col_date", lang), text("col_sale", lang), text("col_contract", lang),
               text("st_quantity_t", lang), text("st_gross", lang), text("st_costs", lang), text("st_net", lang),
               text("st_villages", lang), text("st_centre", lang)],
              [[s["sale_date"], f"#{s['sale_seq']}", s["contract_no"], f"{s['quantity_t']:,}", yuan_digits(s["gross_fen"]),
                yuan_digits(s["costs_fen"]), yuan_digits(s["net_fen"]), yuan_digits(s["villages_fen"]),
                yuan_digits(s["centre_fen"])] for s in data["sales"]],
              shares=[1.1, 0.6, 1.4, 0.8, 1.1, 1, 1.1, 1.1, 1.1], numeric=(3, 4, 5, 6, 7, 8))
    doc.heading(text("st_by_recipient", lang))
    doc.table([text("st_recipient", lang), text("st_role", lang), text("col_attributed_t", lang),
               text("col_due_yuan", lang), text("col_paid_yuan", lang), text("st_outstanding_yuan", lang)],
              [[_party_label(labels, g["party_id"], lang), text_or(f"role_{g['role']}", lang, g["role"]),
                tonnes_of_kg(g["attributed_kg"]), yuan_digits(g["due_fen"]), yuan_digits(g["paid_fen"]),
                yuan_digits(g["outstanding_fen"])] for g in data["by_party"]],
              shares=[2.4, 1, 1, 1, 1, 1], numeric=(2, 3, 4, 5))
    _fixed(doc, data)


def _payments(doc: Document, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    lang = doc.lang
    doc.heading(text("st_payments", lang))
    doc.table([text("col_date", lang), text("st_reference", lang), text("st_recipient", lang),
               text("st_due_item", lang), text("col_amount_yuan", lang)],
              [[p["paid_date"], p["reference"], _party_label(labels, p["party_id"], lang), p["due_id"],
                yuan_digits(p["amount_fen"])] for p in data["payments"]],
              shares=[1, 1.8, 2, 1.8, 1], numeric=(4,))


# --- Excel -------------------------------------------------------------------------------------

def write_statement_xlsx(data: Mapping[str, Any], path: Path, *, labels: Mapping[str, str] | None = None,
                         lang: str = "zh") -> Path:
    """Write the statement to a workbook: 概要 Summary, 地块 Parcels, 明细 Items, 交易 Sales, 支付 Payments."""
    labels = dict(labels or {})
    workbook = Workbook()
    sheets = _sheets(data, labels, lang)
    for index, (title, header, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 18
    workbook.save(path)
    return Path(path)


def _sheets(data: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> list[tuple[str, list[str], list[list[Any]]]]:
    t = data["totals"]
    summary = [["对象 Party", f"{data['party_name']}（{data['party_id']}）"], ["类别 Kind", KIND_ZH[data["kind"]]],
               ["期间 Period", f"{data['period_start']}..{data['period_end']}"], ["应得 Due (fen)", t["due_fen"]],
               ["已付 Paid (fen)", t["paid_fen"]], ["未付 Outstanding (fen)", t["outstanding_fen"]],
               ["期内收到 Received (fen)", t["received_in_period_fen"]], ["归属 kg CO2e", t["attributed_kg"]],
               ["金额单位 Money unit", "分 fen (1 元 = 100 分)"]]
    parcels = [[p["parcel_code"], p["holder_party_id"], p["sink_type"], p["area_mu"], p.get("share_bp"),
                _contract_words(p, lang)] for p in data["parcels"]]
    items = [[i["id"], i["source_kind"], i["basis_date"], i["due_date"], i["contract_no"], i["parcel_code"],
              _party_label(labels, i["party_id"]), i["role"], i["sale_seq"], i["parcel_tonnes"], i["share_bp"],
              i["attributed_kg"], i["amount_fen"], i["paid_fen"], i["outstanding_fen"], i["status"]]
             for i in data["items"]]
    payments = [[p["paid_date"], p["reference"], p["party_id"], p["due_id"], p["amount_fen"]] for p in data["payments"]]
    out = [("概要 Summary", ["项目 Item", "值 Value"], summary),
           ("地块 Parcels", ["地块 parcel", "村集体 collective", "类型 sink type", "面积(亩) mu", "份额 share_bp",
                           "合同 contracts"], parcels),
           ("明细 Items", ["应付款项 due_id", "来源 source", "日期 basis_date", "到期 due_date", "合同 contract",
                         "地块 parcel", "收款方 party", "身份 role", "交易 sale_seq", "地块贡献 parcel_t", "份额 share_bp",
                         "归属 attributed_kg", "应得 amount_fen", "已付 paid_fen", "未付 outstanding_fen", "状态 status"],
            items)]
    if data["kind"] == "collective":
        out.append(("交易 Sales", ["日期 sale_date", "交易 sale_seq", "合同 contract", "吨 quantity_t", "毛收入 gross_fen",
                                 "成本 costs_fen", "净收入 net_fen", "归村 villages_fen", "收储中心 centre_fen"],
                    [[s["sale_date"], s["sale_seq"], s["contract_no"], s["quantity_t"], s["gross_fen"], s["costs_fen"],
                      s["net_fen"], s["villages_fen"], s["centre_fen"]] for s in data["sales"]]))
    out.append(("支付 Payments", ["日期 paid_date", "凭证号 reference", "收款方 party", "应付款项 due_id", "金额 amount_fen"],
                payments))
    return out
