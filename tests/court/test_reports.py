"""Reports per court and year, and their Excel export."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from tests.court.conftest import money_order
from tests.court.test_orders_and_roles import buy, case, quantity_order  # noqa: F401 - the fixture


def test_report_per_court_and_year_with_excel(case, tmp_path):  # type: ignore[no-untyped-def]
    """Given a fulfilled, a partly fulfilled (overdue) and a withdrawn order, then the rate is 1 of 2."""
    judge = case.service.actor("judge")
    done = quantity_order(case, 2, request="q:a")
    buy(case, done["order_id"], request="b:a")
    late = quantity_order(case, 10, request="q:b")
    buy(case, late["order_id"], 1, request="b:b")
    gone = money_order(case, request="o:c")
    case.withdraw_order(judge, "w:c", order_id=gone["order_id"], reason="撤回")
    report = case.report(case.service.actor("procurator"), as_of=date(2024, 7, 1), year=2024)
    (row,) = report["summary"]
    assert (row["court_name"], row["year"], row["orders"], row["withdrawn"], row["fulfilled"], row["overdue"]) == \
        ("示例县人民法院", 2024, 3, 1, 1, 1)
    assert (row["ordered_t"], row["retired_t"], row["fulfilment_rate_bp"], row["fulfilment_rate_pct"]) == \
        (12, 3, 5000, "50.00%")
    assert [o["order_id"] for o in report["overdue"]] == [late["order_id"]]
    assert case.report(judge, year=2023)["summary"] == []
    path = case.export_report(judge, tmp_path / "court.xlsx", as_of=date(2024, 7, 1))
    book = load_workbook(path)
    assert book.sheetnames == ["汇总 Summary", "判令 Orders", "逾期 Overdue", "说明 About"]
    assert book["汇总 Summary"]["B2"].value == "示例县人民法院" and book["判令 Orders"].max_row == 4
