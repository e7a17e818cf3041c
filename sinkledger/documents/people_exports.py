"""Exports of personal data (Excel and PDF): layout only.

The rows reach here already rendered for the receiving actor (full, masked or hidden per
:mod:`ledger.people.masking`) and already logged; this module cannot see more than it is given.
Every export carries who exported it, when and why, and a notice that it holds personal
information (含个人信息) when it shows any value in full. Chinese text uses reportlab's CID font
``STSong-Light`` as the statements and certificates do; numbers use Helvetica, so that a PDF's
text (and a test) can read them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"

COLUMN_LABELS: dict[str, str] = {
    "party_id": "主体编号 Party",
    "pseudonym": "化名 Pseudonym",
    "amount_yuan": "金额（元）Amount (CNY)",
    "due_id": "应付编号 Due item",
    "contract_no": "合同 Contract",
    "name": "姓名 Name",
    "resident_id": "身份证号 Resident ID",
    "phone": "电话 Phone",
    "bank_name": "开户行 Bank",
    "bank_account": "账号 Account",
    "status": "状态 Status",
}
NOTICE_FULL = ("本文件含个人信息，仅限所述用途使用，不得转发；用毕请销毁。"
               " Contains personal information: use only for the stated purpose, do not forward, destroy after use.")
NOTICE_MASKED = "个人信息已按查阅人权限脱敏。 Personal data masked according to the reader's permissions."


def yuan(fen: int | None) -> str:
    """``1174560`` → ``11,745.60``."""
    if fen is None:
        return ""
    sign, fen = ("-" if fen < 0 else ""), abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def notice(rows: Sequence[Mapping[str, Any]]) -> str:
    full = any("full" in r.get("visibility", {}).values() for r in rows)
    return NOTICE_FULL if full else NOTICE_MASKED


def write_xlsx(path: Path, *, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
               meta: Mapping[str, str]) -> Path:
    """One sheet: title, who/when/why, the notice, then the table (text cells, so Excel never
    turns an account number into 6.217E+18)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "payees"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    for key, value in meta.items():
        ws.append([key, value])
    ws.append([notice(rows)])
    ws.append([])
    ws.append([COLUMN_LABELS.get(c, c) for c in columns])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([_cell(r.get(c)) for c in columns])
        for cell in ws[ws.max_row]:
            cell.number_format = "@"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = 24 if c != "name" else 14
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return Path(path)


def render_pdf(*, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
               meta: Mapping[str, str]) -> bytes:
    """A landscape A4 table with the same header as the workbook."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(title)
    margin, y = 36, height - 40

    def text(x: float, value: str, size: float = 8.5) -> None:
        c.setFont(LATIN_FONT if value.isascii() else CJK_FONT, size)
        c.drawString(x, y, value)

    def header() -> float:
        nonlocal y
        text(margin, title, 13)
        y -= 18
        for key, value in meta.items():
            text(margin, f"{key}: {value}")
            y -= 12
        text(margin, notice(rows), 8)
        y -= 18
        step = (width - 2 * margin) / len(columns)
        for i, col in enumerate(columns):
            text(margin + i * step, COLUMN_LABELS.get(col, col), 8)
        y -= 14
        return step

    step = header()
    for r in rows:
        if y < 40:
            c.showPage()
            y = height - 40
            step = header()
        for i, col in enumerate(columns):
            text(margin + i * step, _cell(r.get(col)))
        y -= 13
    c.showPage()
    c.save()
    return buf.getvalue()
