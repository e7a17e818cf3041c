"""Documents for the trading centre: a sale receipt (PDF) and the sales history as Excel.

The receipt is laid out on the document toolkit (:mod:`sinkledger.documents.toolkit`). Its
labels come in as a mapping already in the reader's language (the UI's catalogue); ``lang``
sets the page furniture (page numbers, the serial table's header).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sinkledger.documents.catalogue import text
from sinkledger.documents.toolkit import Document


def sale_receipt_pdf(sale: Mapping[str, Any], *, title: str, fields: Sequence[tuple[str, str]],
                     blocks_title: str, footer: str, lang: str = "zh",
                     mono: Sequence[str] = ()) -> bytes:
    """A receipt: ``title``, a two-column table of (label, value) ``fields`` (values whose label
    is in ``mono`` set monospaced), the serial blocks that moved and a ``footer`` line."""
    doc = Document(lang, title=title, subject="sinkledger sale receipt")
    doc.title(title)
    doc.fields(fields, mono=mono)
    blocks = sale.get("blocks") or []
    if blocks:
        doc.heading(blocks_title)
        doc.table([text("receipt_blocks_serials", lang), text("receipt_blocks_quantity", lang)],
                  [[b.get("serials", ""), b.get("quantity", "")] for b in blocks], shares=[5, 1],
                  numeric=(1,), mono=(0,))
    doc.spacer(6)
    doc.paragraph(footer, "note")
    return doc.render()


def table_xlsx(rows: Sequence[Mapping[str, Any]], *, sheet_title: str) -> bytes:
    """An Excel workbook with one sheet: a bold header row from the first row's keys, then values."""
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
