"""Exports of personal data (Excel and PDF), in Chinese or English: layout only.

The rows reach here already rendered for the receiving actor (full, masked or hidden per
:mod:`ledger.people.masking`) and already logged; this module cannot see more than it is given.
Every export carries who exported it, when and why, and a notice that it holds personal
information (含个人信息) when it shows any value in full. The PDF is laid out on the document
toolkit (:mod:`sinkledger.documents.toolkit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from sinkledger.documents.catalogue import text, text_or
from sinkledger.documents.toolkit import Document

# Widths relative to a plain column: ID and account numbers fit on one line.
COLUMN_SHARES = {"resident_id": 1.9, "bank_account": 2.0, "bank_name": 1.4, "party_id": 1.1,
                 "due_id": 1.1, "contract_no": 1.2, "amount_yuan": 0.9, "status": 0.8}


def column_label(column: str, lang: str) -> str:
    return text_or(f"ex_col_{column}", lang, column)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def notice(rows: Sequence[Mapping[str, Any]], lang: str = "zh") -> str:
    full = any("full" in r.get("visibility", {}).values() for r in rows)
    return text("ex_notice_full" if full else "ex_notice_masked", lang)


def write_xlsx(path: Path, *, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
               meta: Mapping[str, str], lang: str = "zh") -> Path:
    """One sheet: title, who/when/why, the notice, then the table (text cells, so Excel never
    turns an account number into 6.217E+18)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "payees"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    for key, value in meta.items():
        ws.append([key, value])
    ws.append([notice(rows, lang)])
    ws.append([])
    ws.append([column_label(c, lang) for c in columns])
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
               meta: Mapping[str, str], lang: str = "zh") -> bytes:
    """A landscape A4 table with the same header as the workbook; the header row repeats."""
    doc = Document(lang, title=title, subject="sinkledger personal data export", landscape=True)
    doc.title(title)
    doc.fields(list(meta.items()), label_share=0.2)
    doc.spacer(2)
    doc.paragraph(notice(rows, lang), "note")
    doc.spacer(2)
    doc.table([column_label(c, lang) for c in columns], [[_cell(r.get(c)) for c in columns] for r in rows],
              shares=[COLUMN_SHARES.get(c, 1.0) for c in columns],
              numeric=[i for i, c in enumerate(columns) if c == "amount_yuan"])
    return doc.render()
