"""The reconciliation report of a registry import (:mod:`ledger.registry_import.report`) as an
Excel workbook: sheets 汇总 Summary, 文件 Files, 项目 Projects, 异常 Anomalies, 提示 Notices and
问题 Problems, headers in Chinese and English, every anomaly, notice and problem with its message
in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from sinkledger import catalogue
from sinkledger.documents.workbooks import table_sheet

TOTALS = (("rows", "读入行数 Rows read"), ("rows_booked", "记账行数 Rows booked"),
          ("rows_projects", "项目行数 Project rows kept"), ("rows_without_credits", "无签发行数 Rows issuing nothing"),
          ("rows_refused", "拒绝行数 Rows refused"), ("rows_unaccounted", "未说明行数 Rows unaccounted"),
          ("credits_in_t", "读入吨数 Credits in (t)"), ("credits_in_kg", "读入千克数 Credits in (kg)"),
          ("created_t", "入账吨数 Created (t)"), ("created_buffer_t", "其中缓冲池 of which buffer (t)"),
          ("held_t", "持有吨数 Held (t)"), ("buffer_held_t", "缓冲池持有 Buffer held (t)"),
          ("retired_t", "注销吨数 Retired (t)"), ("cancelled_t", "作废吨数 Cancelled (t)"),
          ("ended_t", "已终止吨数 Ended, retired or cancelled (t)"),
          ("discrepancy_t", "差异吨数 Discrepancy held aside (t)"),
          ("below_a_tonne_kg", "不足一吨未记账 Below a tonne, not booked (kg)"),
          ("account_held_t", "账户持有 Account holds (t)"), ("account_buffer_held_t", "缓冲账户持有 Buffer account holds (t)"))
FILE_COLUMNS = (("source", "文件 File"), ("layout", "格式 Layout"), ("kind", "类别 Kind"), ("rows", "行数 Rows"),
                ("rows_booked", "记账 Booked"), ("rows_projects", "项目 Projects"),
                ("rows_without_credits", "无签发 Issuing nothing"), ("rows_refused", "拒绝 Refused"),
                ("rows_unaccounted", "未说明 Unaccounted"))
PROJECT_COLUMNS = (("project_id", "项目 Project"), ("project_code", "代码 Code"), ("name", "名称 Name"),
                   ("sink_category", "碳汇类别 Sink category"), ("project_type", "类型 Type"),
                   ("methodology", "方法学 Methodology"), ("country", "国家 Country"), ("rows", "行数 Rows"),
                   ("issued_kg", "签发 Issued (kg)"), ("created_t", "入账 Created (t)"), ("buffer_t", "缓冲池 Buffer (t)"),
                   ("retired_t", "注销 Retired (t)"), ("cancelled_t", "作废 Cancelled (t)"),
                   ("ended_t", "已终止 Ended (t)"), ("held_t", "持有 Held (t)"), ("discrepancy_t", "差异 Discrepancy (t)"),
                   ("published_issued_kg", "公布签发 Published issued (kg)"),
                   ("published_retired_kg", "公布注销 Published retired (kg)"),
                   ("retired_in_files_kg", "文件注销 Retired in files (kg)"),
                   ("reconciliation", "核对 Reconciliation"))
ITEM_COLUMNS = (("source", "文件 File"), ("row_number", "行 Row"), ("code", "代码 Code"),
                ("message_zh", "说明"), ("message_en", "Message"))


def write_reconciliation_xlsx(report: dict[str, Any], path: Path) -> Path:
    """Write the reconciliation report to an Excel workbook at ``path``."""
    report = catalogue.localise(report)
    workbook = Workbook()
    summary = [{"item": label, "value": report["totals"].get(key)} for key, label in TOTALS]
    summary.insert(0, {"item": "登记处 Registry", "value": f"{report['registry']} ({report['name']})"})
    if "seq" in report:
        summary.insert(1, {"item": "流水 Entry", "value": report["seq"]})
    summary += [{"item": f"项目核对 Projects {state}", "value": n} for state, n in report["project_states"].items()]
    table_sheet(workbook, "汇总 Summary", (("item", "项目 Item"), ("value", "值 Value")), summary, first=True)
    table_sheet(workbook, "文件 Files", FILE_COLUMNS, report["files"])
    table_sheet(workbook, "项目 Projects", PROJECT_COLUMNS, report["projects"])
    for title, key in (("异常 Anomalies", "anomalies"), ("提示 Notices", "notices"), ("问题 Problems", "problems")):
        table_sheet(workbook, title, ITEM_COLUMNS, report[key])
    workbook.save(path)
    return path
