"""Documents for the trading centre: a sale receipt (PDF) and the sales history as Excel.

The PDF uses reportlab's built-in CID font ``STSong-Light`` (as :mod:`sinkledger.reports`), so
Chinese renders without a font file. Labels come in as a mapping already in the reader's
language; this module formats nothing by locale itself beyond what it is given.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

PDF_FONT = "STSong-Light"


def sale_receipt_pdf(sale: Mapping[str, Any], *, title: str, fields: Sequence[tuple[str, str]],
                     blocks_title: str, footer: str) -> bytes:
    """A one-page receipt: ``title``, a two-column table of (label, value) ``fields``, the serial
    blocks that moved and a ``footer`` line (already in the reader's language)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    heading = ParagraphStyle("h", fontName=PDF_FONT, fontSize=16, leading=22, spaceAfter=8)
    body = ParagraphStyle("b", fontName=PDF_FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    small = ParagraphStyle("s", parent=body, fontSize=8, leading=11, textColor=colors.grey)

    def cell(text: Any, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(str(text).replace("&", "&amp;").replace("<", "&lt;"), style)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=title)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke)])
    rows = [[cell(k), cell(v)] for k, v in fields]
    story: list[Any] = [Paragraph(title, heading), Table(rows, colWidths=[45 * mm, 129 * mm], style=grid)]
    blocks = sale.get("blocks") or []
    if blocks:
        story += [Spacer(1, 6 * mm), Paragraph(blocks_title, body), Spacer(1, 2 * mm),
                  Table([[cell(b.get("serials", "")), cell(b.get("quantity", ""))] for b in blocks],
                        colWidths=[150 * mm, 24 * mm], style=grid)]
    story += [Spacer(1, 8 * mm), cell(footer, small)]
    doc.build(story)
    return buffer.getvalue()


def table_xlsx(rows: Sequence[Mapping[str, Any]], *, sheet_title: str) -> bytes:
    """An Excel workbook with one sheet: a bold header row from the first row's keys, then values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    headers = list(rows[0]) if rows else []
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([row[h] for h in headers])
    for i, h in enumerate(headers, start=1):
        width = max([len(str(h))] + [len(str(r[h])) for r in rows[:200]]) + 2
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(width * 1.3, 60)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
