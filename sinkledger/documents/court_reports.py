"""The court report (:func:`ledger.court.reports.court_report`) as an Excel workbook: sheets
汇总 Summary, 判令 Orders, 逾期 Overdue and 说明 About, headers in Chinese and English."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook

from sinkledger.documents.workbooks import table_sheet

SUMMARY_COLUMNS = (("court_party_id", "法院 Court id"), ("court_name", "法院 Court"), ("year", "年度 Year"),
                   ("orders", "判令数 Orders"), ("withdrawn", "撤回 Withdrawn"), ("fulfilled", "履行完毕 Fulfilled"),
                   ("overdue", "逾期 Overdue"), ("ordered_t", "判令吨数 Ordered t"),
                   ("ordered_fen", "判令金额(分) Ordered fen"), ("retired_t", "已注销吨数 Retired t"),
                   ("spent_fen", "已支付(分) Paid fen"), ("fulfilment_rate_pct", "履行率 Fulfilment rate"))
ORDER_COLUMNS = (("order_id", "判令 Order"), ("case_no", "案号 Case no."), ("court_name", "法院 Court"),
                 ("year", "年度 Year"), ("kind", "类型 Kind"), ("quantity_t", "判令吨数 t"),
                 ("amount_fen", "判令金额(分) fen"), ("due_date", "履行期限 Due"), ("status", "状态 Status"),
                 ("status_zh", "状态"), ("retired_t", "已注销 t"), ("spent_fen", "已支付(分) fen"),
                 ("remaining", "尚余 Remaining"))


def write_report_xlsx(report: dict[str, Any], path: Path | IO[bytes]) -> Path | IO[bytes]:
    """Write the report to an Excel workbook (a file, or a binary stream such as ``BytesIO``):
    sheets 汇总 Summary, 判令 Orders, 逾期 Overdue."""
    workbook = Workbook()
    sheets = (("汇总 Summary", SUMMARY_COLUMNS, report["summary"]), ("判令 Orders", ORDER_COLUMNS, report["orders"]),
              ("逾期 Overdue", ORDER_COLUMNS, report["overdue"]))
    for index, (title, columns, rows) in enumerate(sheets):
        table_sheet(workbook, title, columns, rows, first=index == 0)
    sheet = workbook.create_sheet("说明 About")
    sheet.append(["截至 As of", report["as_of"]])
    sheet.append(["金额单位 Money unit", "分 fen (1 元 = 100 分)"])
    workbook.save(path)
    return path
