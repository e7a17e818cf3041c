"""Workbook pieces the reports share (openpyxl)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


def table_sheet(workbook: Workbook, title: str, columns: Sequence[tuple[str, str]],
                rows: Sequence[Mapping[str, Any]], *, first: bool = False) -> None:
    """A sheet titled ``title`` (the workbook's first when ``first``): a bold header of the
    columns' labels, then each row's values by the columns' keys."""
    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append([label for _, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(key) for key, _ in columns])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 18
