"""The certificate as a PDF (碳汇补偿证明), Chinese with English, with verification code and QR code.

Rendered with reportlab's CID font ``STSong-Light`` (Adobe's Song typeface, built into every PDF
reader's Asian font pack, so no font file ships with the code). The canonical certificate record
is embedded as the attachment ``sinkledger-certificate.json``: a verifier can recompute the code
from it, so an edited attachment fails, and the page's printed facts can be compared with what
``sinkledger certificate verify CODE`` shows from the ledger.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

ATTACHMENT_NAME = "sinkledger-certificate.json"
CJK_FONT = "STSong-Light"
MONO_FONT = "Courier"
SINK_ZH = {"bamboo_forest": "竹林", "wetland": "湿地", "tea_garden": "茶园"}
STATUS_ZH = {"fulfilled": "履行完毕", "partly_fulfilled": "部分履行", "ordered": "未履行"}


def yuan(fen: int | None) -> str:
    """``12236600`` → ``122,366.00``.

    >>> yuan(12_236_600)
    '122,366.00'
    """
    if fen is None:
        return "—"
    return f"{fen // 100:,}.{fen % 100:02d}"


def qr_payload(code: str, verify_url: str | None = None) -> str:
    """What the QR code holds: the public verify URL with ``?cert=CODE``, else ``sinkledger:cert/CODE``."""
    if verify_url:
        return f"{verify_url}{'&' if '?' in verify_url else '?'}cert={code}"
    return f"sinkledger:cert/{code}"


def _qr_image(payload: str) -> Any:
    import qrcode
    from reportlab.lib.utils import ImageReader

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2)
    qr.add_data(payload)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


class _Page:
    """A cursor over one A4 canvas: lines of text top to bottom, a new page when full."""

    def __init__(self, canvas: Any, width: float, height: float, margin: float) -> None:
        self.c, self.width, self.height, self.margin = canvas, width, height, margin
        self.y = height - margin

    def need(self, space: float) -> None:
        if self.y - space < self.margin + 40:
            self.c.showPage()
            self.y = self.height - self.margin

    def text(self, text: str, *, size: float = 10, font: str = CJK_FONT, x: float | None = None,
             gap: float = 4) -> None:
        self.need(size + gap)
        self.c.setFont(font, size)
        self.c.drawString(self.margin if x is None else x, self.y - size, text)
        self.y -= size + gap

    def heading(self, zh: str, en: str) -> None:
        self.y -= 6
        self.text(f"{zh}  {en}", size=12, gap=6)
        self.c.setLineWidth(0.5)
        self.c.line(self.margin, self.y + 2, self.width - self.margin, self.y + 2)
        self.y -= 4

    def pairs(self, rows: list[tuple[str, str]], label_width: float = 150) -> None:
        for label, value in rows:
            self.need(14)
            self.c.setFont(CJK_FONT, 10)
            self.c.drawString(self.margin, self.y - 10, label)
            self.c.drawString(self.margin + label_width, self.y - 10, value)
            self.y -= 15


def _case_rows(record: Mapping[str, Any], labels: Mapping[str, str]) -> list[tuple[str, str]]:
    case = record["case"]
    defendants = "、".join(labels.get(p, p) for p in case["defendants"])
    ecosystem = f"{SINK_ZH.get(case['sink_type'], case['sink_type'])}（{case['sink_type']}），县级区划 {case['county_code']}"
    if case.get("parcel_code"):
        ecosystem += f"，地块 {case['parcel_code']}"
    return [("案号 Case no.", case["case_no"]), ("法院 Court", case["court_name"]),
            ("判决日期 Judgment date", case["judgment_date"]), ("被告 Defendant(s)", defendants),
            ("受损生态系统 Ecosystem", ecosystem), ("受损面积 Damaged area", f"{case['damaged_area_ha']} 公顷 ha"),
            ("受益对象 Beneficiary", case["ecosystem_name"])]


def _order_rows(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    order = record["order"]
    if order["kind"] == "money":
        what = f"认购碳汇金额 {yuan(order['amount_fen'])} 元（吨数 = 金额 ÷ 认购时单价，向下取整）"
    else:
        what = f"认购并注销碳汇 {order['quantity_t']} 吨 CO2e"
    need = [n for n, flag in (("同一碳汇类型 same sink type", order["same_sink_type"]),
                              ("同一县 same county", order["same_county"])) if flag]
    return [("判令编号 Order", f"{order['order_id']}（{order['item']}）"), ("判令内容 Ordered", what),
            ("履行期限 Due date", order["due_date"]), ("来源要求 Requirement", "、".join(need) or "无 none")]


def _fulfilments(page: _Page, record: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    columns = (("日期 Date", 0), ("卖方 Seller", 70), ("数量(吨) t", 230), ("单价(元/吨)", 290),
               ("金额(元) Amount", 365), ("注销编号 Retirement", 440))
    page.need(30)
    page.c.setFont(CJK_FONT, 9)
    for title, dx in columns:
        page.c.drawString(page.margin + dx, page.y - 9, title)
    page.y -= 15
    for f in record["fulfilments"]:
        values = (f["purchase_date"], labels.get(f["seller_account"], f["seller_account"])[:14], str(f["quantity_t"]),
                  yuan(f["price_fen_per_t"]), yuan(f["amount_fen"]), f["retirement_id"])
        page.need(14)
        page.c.setFont(CJK_FONT, 9)
        for (_, dx), value in zip(columns, values):
            page.c.drawString(page.margin + dx, page.y - 9, value)
        page.y -= 13
        for block in f["blocks"]:
            page.text(f"序列号段 {block['serials']}  ({block['quantity_t']} t)", size=8, font=CJK_FONT,
                      x=page.margin + 70, gap=3)
        page.text(f"流水第 {f['seq']} 条  合同 {f['contract_no']}  记录于 {f['recorded_at'][:19]}", size=7,
                  x=page.margin + 70, gap=5)


def _totals_rows(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    totals = record["totals"]
    rows = [("已认购并注销 Retired", f"{totals['quantity_t']} 吨 tCO2e"),
            ("已支付 Paid", f"{yuan(totals['amount_fen'])} 元 CNY")]
    if totals.get("remainder_fen") is not None:
        rows.append(("余额（不足一吨）Remainder", f"{yuan(totals['remainder_fen'])} 元 CNY"))
    if totals.get("remaining_t"):
        rows.append(("尚余 Remaining", f"{totals['remaining_t']} 吨"))
    rows.append(("履行状态 Status", f"{STATUS_ZH.get(totals['status'], totals['status'])} {totals['status']}"))
    return rows


def _verification(page: _Page, record: Mapping[str, Any], code: str, verify_url: str | None,
                  checkpoint: Mapping[str, Any] | None) -> None:
    """Code and QR code side by side, then the entries and checkpoint the proof rests on."""
    qr_size = 100
    top = page.y
    page.c.drawImage(_qr_image(qr_payload(code, verify_url)), page.width - page.margin - qr_size, top - qr_size,
                     qr_size, qr_size)
    page.text("核验码 Verification code", size=10)
    page.text(code, size=18, font="Helvetica-Bold", gap=8)
    page.text("扫描二维码，或运行：", size=9)
    page.text(f"sinkledger certificate verify {code}", size=9, font=MONO_FONT)
    page.text("Scan the QR code, or run the command above,", size=8, font="Helvetica", gap=2)
    page.text("to check this certificate against the ledger.", size=8, font="Helvetica")
    page.y = min(page.y, top - qr_size - 8)
    page.text("本证明依据下列流水记录（序号、类型、哈希）：Entries (seq, kind, SHA-256):", size=8)
    for e in record["entries"]:
        page.text(f"#{e['seq']} {e['kind']} {e['entry_hash']}", size=6.5, font=MONO_FONT, gap=2)
    if checkpoint:
        page.text(f"Merkle checkpoint: tree size {checkpoint['tree_size']}", size=6.5, font=MONO_FONT, gap=2)
        page.text(f"root {checkpoint['root']}", size=6.5, font=MONO_FONT, gap=2)


def render_certificate_pdf(record: Mapping[str, Any], code: str, *, labels: Mapping[str, str] | None = None,
                           verify_url: str | None = None, checkpoint: Mapping[str, Any] | None = None,
                           issued_at: str = "") -> bytes:
    """The certificate as PDF bytes, with the record embedded as ``sinkledger-certificate.json``.

    ``labels`` maps party and account ids to display names (organisations by name, natural
    persons by pseudonym).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    labels = labels or {}
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setTitle(f"碳汇补偿证明 {record['case']['case_no']}")
    canvas.setSubject(f"sinkledger certificate {code}")
    page = _Page(canvas, *A4, margin=50)
    canvas.drawImage(_qr_image(qr_payload(code, verify_url)), A4[0] - 50 - 64, A4[1] - 50 - 64, 64, 64)
    page.text("碳汇补偿证明", size=24, x=A4[0] / 2 - 72, gap=6)
    page.text("Carbon-Sink Compensation Certificate (judicial ecological restoration)", size=10,
              font="Helvetica", x=A4[0] / 2 - 170, gap=14)
    page.text(f"核验码 {code}    出具时间 {issued_at[:19]}", size=9)
    for (zh, en), rows in ((("一、案件", "Case"), _case_rows(record, labels)), (("二、判令", "Order"), _order_rows(record))):
        page.heading(zh, en)
        page.pairs(rows)
    page.heading("三、认购与注销", "Purchases and retirements")
    _fulfilments(page, record, labels)
    page.heading("四、合计", "Totals")
    page.pairs(_totals_rows(record))
    page.text("上列碳汇已以司法替代性修复名义永久注销，不得再次转让或使用。", size=9)
    page.text("The credits above are retired for judicial substitute restoration and can never move again.",
              size=8, font="Helvetica")
    page.need(230)  # keep the verification block, QR code included, on one page
    page.heading("五、核验", "Verification")
    _verification(page, record, code, verify_url, checkpoint)
    canvas.save()
    return _attach_record(buffer.getvalue(), record, code)


def _attach_record(pdf: bytes, record: Mapping[str, Any], code: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    document = {"code": code, "record": record}
    writer.add_attachment(ATTACHMENT_NAME, json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read_certificate_pdf(data: bytes) -> dict[str, Any]:
    """The ``{"code", "record"}`` document embedded in a certificate PDF.

    Raises
    ------
    ValueError
        Not a PDF, or no (readable) certificate attachment.
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        attachments = PdfReader(io.BytesIO(data)).attachments
        document = json.loads(attachments[ATTACHMENT_NAME][0].decode("utf-8"))
    except (PyPdfError, KeyError, IndexError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{exc.__class__.__name__}: {exc}"[:120]) from None
    if not isinstance(document, dict) or not isinstance(document.get("record"), dict):
        raise ValueError("the attachment holds no certificate record")
    return document
