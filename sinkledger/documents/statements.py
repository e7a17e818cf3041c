"""Statements (收益对账单) as PDF (Chinese, with English labels) and as Excel workbooks.

The data comes from :func:`ledger.income.statements.statement`; this module only lays it out.
The PDF uses reportlab's CID font ``STSong-Light`` (in every PDF reader's Asian font pack, so no
font file ships), like the court certificate (:mod:`ledger.court.pdf`). Money is shown in yuan
with two decimals, exactly the stored fen; households appear by their pseudonym and party id.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

CJK_FONT = "STSong-Light"
SINK_ZH = {"bamboo_forest": "竹林", "wetland": "湿地", "tea_garden": "茶园"}
STATUS_ZH = {"paid": "已付清", "partly_paid": "部分支付", "due": "待支付"}
ROLE_ZH = {"household": "农户", "collective": "村集体", "centre_share": "收储中心", "costs": "成本",
           "centre_fixed_terms": "收储中心（固定收益）", "seller_retained": "卖方"}
KIND_ZH = {"household": "农户 Household", "collective": "村集体 / 合作社 Collective"}
Column = tuple[str, float, Callable[[Mapping[str, Any]], str]]


def yuan(fen: int | None) -> str:
    """``1174560`` → ``11,745.60``; negative amounts keep their sign.

    >>> yuan(1_174_560), yuan(-5), yuan(None)
    ('11,745.60', '-0.05', '—')
    """
    if fen is None:
        return "—"
    sign, fen = ("-" if fen < 0 else ""), abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def tonnes_of_kg(kg: int | None) -> str:
    """``1234567`` kg → ``1,234.567`` t."""
    if kg is None:
        return "—"
    return f"{kg // 1000:,}.{kg % 1000:03d}"


def terms_text(terms: Mapping[str, Any], *, short: bool = False) -> str:
    """A contract's payment terms in words (Chinese).

    >>> terms_text({"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200})
    '净收益 80% 归村；约定成本：毛收入的 5% + 2.00 元/吨'
    """
    if terms["kind"] == "fixed_per_mu_year":
        return f"固定收益 {yuan(terms['fen_per_mu_per_year'])} 元/亩/年"
    share = f"净收益 {terms['share_bp'] / 100:g}% 归村"
    costs = []
    if terms.get("cost_share_bp"):
        costs.append(f"毛收入的 {terms['cost_share_bp'] / 100:g}%")
    if terms.get("cost_fen_per_t"):
        costs.append(f"{yuan(terms['cost_fen_per_t'])} 元/吨")
    if short:
        return f"{terms['share_bp'] / 100:g}%"
    if not costs:
        return share
    return f"{share}；约定成本：{' + '.join(costs)}"


# --- PDF ---------------------------------------------------------------------------------------

class _Page:
    """A cursor over A4 pages: text and tables top to bottom, a new page when full."""

    def __init__(self, canvas: Any, width: float, height: float, margin: float = 40) -> None:
        self.c, self.width, self.height, self.margin = canvas, width, height, margin
        self.y = height - margin

    def need(self, space: float) -> bool:
        if self.y - space < self.margin + 20:
            self.c.showPage()
            self.y = self.height - self.margin
            return True
        return False

    def text(self, text: str, *, size: float = 9.5, gap: float = 4, x: float | None = None) -> None:
        self.need(size + gap)
        self.c.setFont(CJK_FONT, size)
        self.c.drawString(self.margin if x is None else x, self.y - size, text)
        self.y -= size + gap

    def heading(self, text: str) -> None:
        self.y -= 6
        self.need(40)
        self.text(text, size=12, gap=5)
        self.c.setLineWidth(0.5)
        self.c.line(self.margin, self.y + 2, self.width - self.margin, self.y + 2)
        self.y -= 4

    def table(self, columns: list[Column], rows: list[Mapping[str, Any]], *, empty: str = "无 none") -> None:
        self._header(columns)
        if not rows:
            self.text(empty, size=9)
        for row in rows:
            if self.need(13):
                self._header(columns)
            self.c.setFont(CJK_FONT, 8.5)
            x = self.margin
            for _, width, value in columns:
                self.c.drawString(x, self.y - 9, _fit(value(row), width))
                x += width
            self.y -= 12

    def _header(self, columns: list[Column]) -> None:
        self.need(26)
        self.c.setFont(CJK_FONT, 8.5)
        self.c.setFillGray(0.35)
        x = self.margin
        for title, width, _ in columns:
            self.c.drawString(x, self.y - 9, title)
            x += width
        self.c.setFillGray(0)
        self.y -= 13
        self.c.setLineWidth(0.3)
        self.c.line(self.margin, self.y + 2, self.width - self.margin, self.y + 2)


def _fit(text: str, width: float) -> str:
    """Cut text that would overrun its column (CJK glyphs ~1 em, others ~0.55 em at 8.5 pt)."""
    room, out = width - 4, ""
    for ch in text:
        room -= 8.5 if ord(ch) > 0x2E80 else 4.7
        if room < 0:
            return out[:-1] + "…"
        out += ch
    return out


def _party_label(labels: Mapping[str, str], party_id: str) -> str:
    name = labels.get(party_id)
    return f"{name}（{party_id}）" if name and name != party_id else party_id


def render_statement_pdf(data: Mapping[str, Any], *, labels: Mapping[str, str] | None = None) -> bytes:
    """The statement of a household or a collective as an A4 PDF (Chinese, English labels)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas as pdf_canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    labels = dict(labels or {})
    buffer = io.BytesIO()
    canvas = pdf_canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"碳汇收益对账单 {data['party_id']} {data['period_start']}..{data['period_end']}")
    canvas.setAuthor("sinkledger")
    page = _Page(canvas, *A4)
    _title(page, data, labels)
    _summary(page, data)
    if data["kind"] == "household":
        _household_body(page, data, labels)
    else:
        _collective_body(page, data, labels)
    _contracts(page, data)
    _payments(page, data, labels)
    _notes(page, data)
    canvas.save()
    return buffer.getvalue()


def _title(page: _Page, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    page.text("碳汇收益对账单", size=18, gap=4, x=page.width / 2 - 72)
    page.text("Carbon-sink income statement", size=10, gap=12, x=page.width / 2 - 70)
    page.text(f"{KIND_ZH[data['kind']]}：{data['party_name']}（{data['party_id']}）", size=10.5)
    page.text(f"期间 Period：{data['period_start']} 至 {data['period_end']}    "
              f"生成时间 Generated：{data.get('generated_at', '')[:19].replace('T', ' ')} UTC", size=9)


def _summary(page: _Page, data: Mapping[str, Any]) -> None:
    t = data["totals"]
    page.heading("概要  Summary")
    rows = [("本期应得 Due in period", f"{yuan(t['due_fen'])} 元"),
            ("已支付 Paid (by period end)", f"{yuan(t['paid_fen'])} 元"),
            ("未支付 Outstanding", f"{yuan(t['outstanding_fen'])} 元"),
            ("期内收到 Received in period", f"{yuan(t['received_in_period_fen'])} 元"),
            ("归属碳汇量 Tonnes attributed", f"{tonnes_of_kg(t['attributed_kg'])} 吨 tCO2e（{t['sales']} 笔交易 sales）")]
    for label, value in rows:
        page.need(14)
        page.c.setFont(CJK_FONT, 10)
        page.c.drawString(page.margin, page.y - 10, label)
        page.c.drawString(page.margin + 190, page.y - 10, value)
        page.y -= 15


def _contract_words(parcel: Mapping[str, Any]) -> str:
    return "；".join(f"{c['contract_no']}（{terms_text(c['terms'], short=True)}）" for c in parcel["contracts"]) or "无"


def _contracts(page: _Page, data: Mapping[str, Any]) -> None:
    page.heading("收储合同  Collection contracts")
    if not data["contracts"]:
        page.text("无 none", size=9)
    for c in data["contracts"]:
        start, end = c["term"].split("..")
        page.text(f"{c['contract_no']}    期限 Term {start} 至 {end}    {terms_text(c['terms'])}", size=9, gap=3)
        if c["terms"].get("costs_note"):
            page.text(f"成本说明 Costs: {c['terms']['costs_note']}", size=8.5, gap=4, x=page.margin + 16)


def _household_body(page: _Page, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    page.heading("地块与份额  Parcels and shares")
    page.table([("地块 Parcel", 76, lambda p: p["parcel_code"]),
                ("村集体 Collective", 140, lambda p: p["holder_name"] or p["holder_party_id"]),
                ("类型", 30, lambda p: SINK_ZH.get(p["sink_type"], p["sink_type"])),
                ("面积(亩)", 50, lambda p: p["area_mu"]), ("份额 Share", 54, lambda p: f"{p['share_bp'] / 100:g}%"),
                ("收储合同 Contract", 165, _contract_words)], data["parcels"])
    sales = [i for i in data["items"] if i["source_kind"] == "distribution"]
    page.heading("交易收益  Income from sales")
    page.table([("日期 Date", 58, lambda i: i["basis_date"]), ("交易 Sale", 40, lambda i: f"#{i['sale_seq']}"),
                ("地块 Parcel", 72, lambda i: i["parcel_code"]),
                ("地块贡献(吨)", 58, lambda i: f"{i['parcel_tonnes']:,}"),
                ("份额", 36, lambda i: f"{(i['share_bp'] or 10_000) / 100:g}%"),
                ("归属(吨) t", 56, lambda i: tonnes_of_kg(i["attributed_kg"])),
                ("应得(元) Due", 62, lambda i: yuan(i["amount_fen"])), ("已付(元) Paid", 62, lambda i: yuan(i["paid_fen"])),
                ("状态", 40, lambda i: STATUS_ZH[i["status"]])], sales)
    _fixed(page, data)


def _fixed(page: _Page, data: Mapping[str, Any]) -> None:
    fixed = [i for i in data["items"] if i["source_kind"] == "fixed_payment"]
    if not fixed:
        return
    page.heading("固定收益  Fixed payments")
    page.table([("合同年度 Contract year", 130, lambda i: i["period"] or ""), ("到期 Due", 62, lambda i: i["due_date"]),
                ("合同 Contract", 90, lambda i: i["contract_no"]), ("地块 Parcel", 72, lambda i: i["parcel_code"]),
                ("应得(元)", 62, lambda i: yuan(i["amount_fen"])), ("已付(元)", 62, lambda i: yuan(i["paid_fen"])),
                ("状态", 40, lambda i: STATUS_ZH[i["status"]])], fixed)


def _collective_body(page: _Page, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    page.heading("地块  Parcels")
    page.table([("地块 Parcel", 76, lambda p: p["parcel_code"]),
                ("类型", 30, lambda p: SINK_ZH.get(p["sink_type"], p["sink_type"])),
                ("面积(亩)", 46, lambda p: p["area_mu"]),
                ("农户份额 Household shares", 218, lambda p: "，".join(
                    f"{h} {bp / 100:g}%" for h, bp in p["household_shares_bp"].items()) or "集体统一经营（无农户份额）"),
                ("收储合同 Contract", 145, _contract_words)], data["parcels"])
    page.heading("交易与分配  Sales and distribution (元)")
    page.table([("日期 Date", 58, lambda s: s["sale_date"]), ("交易", 34, lambda s: f"#{s['sale_seq']}"),
                ("合同 Contract", 84, lambda s: s["contract_no"]), ("吨 t", 44, lambda s: f"{s['quantity_t']:,}"),
                ("毛收入 Gross", 66, lambda s: yuan(s["gross_fen"])), ("成本 Costs", 56, lambda s: yuan(s["costs_fen"])),
                ("净收入 Net", 66, lambda s: yuan(s["net_fen"])), ("归村 Villages", 66, lambda s: yuan(s["villages_fen"])),
                ("收储中心", 58, lambda s: yuan(s["centre_fen"]))], data["sales"])
    page.heading("应付明细（按农户）  Due by recipient")
    page.table([("收款方 Recipient", 170, lambda g: _party_label(labels, g["party_id"])),
                ("身份", 40, lambda g: ROLE_ZH.get(g["role"], g["role"])),
                ("归属(吨) t", 64, lambda g: tonnes_of_kg(g["attributed_kg"])),
                ("应得(元) Due", 76, lambda g: yuan(g["due_fen"])), ("已付(元) Paid", 76, lambda g: yuan(g["paid_fen"])),
                ("未付(元)", 76, lambda g: yuan(g["outstanding_fen"]))], data["by_party"])
    _fixed(page, data)


def _payments(page: _Page, data: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    page.heading("支付记录  Payments in period")
    page.table([("日期 Date", 62, lambda p: p["paid_date"]), ("凭证号 Reference", 130, lambda p: p["reference"]),
                ("收款方 Payee", 150, lambda p: _party_label(labels, p["party_id"])),
                ("应付款项 Due item", 108, lambda p: p["due_id"]), ("金额(元)", 65, lambda p: yuan(p["amount_fen"]))],
               data["payments"])


def _notes(page: _Page, data: Mapping[str, Any]) -> None:
    page.y -= 8
    for line in ("说明：收益按收储合同约定分配：毛收入扣除约定成本为净收入，按比例归村；村集体部分按各地块对所售碳汇的",
                 "贡献吨数分到地块，再按农户份额分到农户。各级以“最大余数法”取整到分，合计与成交金额分毫不差。",
                 "Notes: amounts in yuan (exact fen). Each line can be checked against the ledger by its due-item id",
                 "and journal entry (sinkledger income distribution ID / sinkledger verify)."):
        page.text(line, size=8, gap=3)


# --- Excel -------------------------------------------------------------------------------------

def write_statement_xlsx(data: Mapping[str, Any], path: Path, *, labels: Mapping[str, str] | None = None) -> Path:
    """Write the statement to a workbook: 概要 Summary, 地块 Parcels, 明细 Items, 交易 Sales, 支付 Payments."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = dict(labels or {})
    workbook = Workbook()
    sheets = _sheets(data, labels)
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


def _sheets(data: Mapping[str, Any], labels: Mapping[str, str]) -> list[tuple[str, list[str], list[list[Any]]]]:
    t = data["totals"]
    summary = [["对象 Party", f"{data['party_name']}（{data['party_id']}）"], ["类别 Kind", KIND_ZH[data["kind"]]],
               ["期间 Period", f"{data['period_start']}..{data['period_end']}"], ["应得 Due (fen)", t["due_fen"]],
               ["已付 Paid (fen)", t["paid_fen"]], ["未付 Outstanding (fen)", t["outstanding_fen"]],
               ["期内收到 Received (fen)", t["received_in_period_fen"]], ["归属 kg CO2e", t["attributed_kg"]],
               ["金额单位 Money unit", "分 fen (1 元 = 100 分)"]]
    parcels = [[p["parcel_code"], p["holder_party_id"], p["sink_type"], p["area_mu"], p.get("share_bp"),
                _contract_words(p)] for p in data["parcels"]]
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
