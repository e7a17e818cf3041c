"""Sales from a spreadsheet (issue 19, point 6): every row checked by a sale's own rules, a per-row
preview, recorded all or nothing, a retry recorded once; Chinese and English columns; the price's
unit explicit, a slip between yuan and fen caught. On both backends (``funded``: COL-1 holds the
credits of two demo bamboo parcels)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from sinkledger import catalogue
from sinkledger.services.sales_files import TEMPLATE_COLUMNS, read_sales_file
from tests.ledger.conftest import assert_refused, held

ZH = list(TEMPLATE_COLUMNS["zh"])  # 卖方账户 买方账户 数量（吨） 单价（元/吨） 合同编号 成交日期 合同日期


def xlsx(header: list[str], *rows: list) -> bytes:  # type: ignore[type-arg]
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def journal_length(svc) -> int:  # type: ignore[no-untyped-def]
    return svc.journal(limit=1)[-1]["seq"]


def test_chinese_columns_record_every_row_as_its_own_sale(funded):  # type: ignore[no-untyped-def]
    """Given a sheet with Chinese column names (the buyer by party name, by party id, dates as text
    and as Excel dates), when the clerk imports it, then each row is a sale entry with its dates and
    the credits moved."""
    svc = funded
    before = held(svc, "COL-1-H")
    data = xlsx(["卖方账户", "买方", "数量（吨）", "单价（元/吨）", "合同编号", "成交日期", "合同日期"],
                ["COL-1-H", "示例企业甲", 3, 73.41, "HZGX-2026-0101", "2026-03-16", "2026/3/10"],
                ["COL-1", "ENT-2", "2", "80", "HZGX-2026-0102", None, None])
    preview = svc.preview_sales(svc.actor("clerk"), data=data, file_name="当日交易.xlsx")
    assert preview["ok"] and preview["source"]["price_unit"] == "yuan"
    assert [(r["seller_account"], r["buyer_account"], r["quantity"], r["price_fen_per_t"]) for r in preview["rows"]] \
        == [("COL-1-H", "ENT-1-H", 3, 7341), ("COL-1-H", "ENT-2-H", 2, 8000)]
    assert held(svc, "COL-1-H") == before  # a preview records nothing
    out = svc.import_sales(svc.actor("clerk"), data=data, file_name="当日交易.xlsx")
    assert out["count"] == 2 and out["quantity"] == 5 and out["amount_fen"] == 3 * 7341 + 2 * 8000
    assert not out["replayed"]
    first = out["sales"][0]
    assert first["sale_date"] == "2026-03-16" and first["contract_date"] == "2026-03-10"
    assert held(svc, "COL-1-H") == before - 5 and held(svc, "ENT-1-H") == 3 and held(svc, "ENT-2-H") == 2
    assert [e["kind"] for e in svc.journal(limit=2)] == ["sale", "sale"]
    assert svc.verify().ok


def test_a_bad_row_refuses_the_whole_file_and_records_nothing(funded):  # type: ignore[no-untyped-def]
    """Given a sheet whose first row is sound, its second overdraws the seller and its third names an
    unknown buyer, when it is imported, then it is refused listing both rows' problems in both
    languages, and nothing is recorded, not even the sound row."""
    svc = funded
    before, entries = held(svc, "COL-1-H"), journal_length(svc)
    data = xlsx(ZH, ["COL-1-H", "ENT-1-H", 1, "73.41", "HZGX-2026-0201", None, None],
                ["COL-1-H", "ENT-2-H", before + 1, "73.41", "HZGX-2026-0202", None, None],
                ["COL-1-H", "没有这家企业", 1, "73.41", "HZGX-2026-0203", None, None])
    preview = svc.preview_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    assert not preview["ok"]
    assert [(p["row"], p["code"]) for p in preview["problems"]] == [(3, "insufficient_balance"), (4, "account_not_found")]
    assert [bool(r["problems"]) for r in preview["rows"]] == [False, True, True]
    err = assert_refused("sales_import_has_problems",
                         lambda: svc.import_sales(svc.actor("clerk"), data=data, file_name="day.xlsx"))
    problems = catalogue.refusal_dict(err)["details"]["problems"]
    assert {p["row"] for p in problems} == {3, 4} and all(p["message_zh"] and p["message_en"] for p in problems)
    assert "没有这家企业" in problems[1]["message_zh"]
    assert held(svc, "COL-1-H") == before and journal_length(svc) == entries
    assert svc.verify().ok


def test_a_retry_records_nothing_twice(funded):  # type: ignore[no-untyped-def]
    """Given an imported sheet, when the same sheet is imported again, re-saved as CSV in GB18030 (as
    Excel on a Chinese system writes it) or previewed, then the first sales are returned, marked
    replayed, and nothing more is recorded."""
    svc = funded
    rows = [["COL-1-H", "ENT-1-H", 2, "73.41", "HZGX-2026-0301", "2026-03-16", ""],
            ["COL-1-H", "ENT-2-H", 1, "75.00", "HZGX-2026-0302", "", ""]]
    data = xlsx(ZH, *rows)
    first = svc.import_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    entries, balance = journal_length(svc), held(svc, "COL-1-H")
    again = svc.import_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    assert again["replayed"] and [s["seq"] for s in again["sales"]] == [s["seq"] for s in first["sales"]]
    text = io.StringIO()
    csv.writer(text).writerows([ZH, *rows])
    resaved = svc.import_sales(svc.actor("clerk"), data=text.getvalue().encode("gb18030"), file_name="day.csv")
    assert resaved["replayed"] and resaved["request_id"] == first["request_id"]
    preview = svc.preview_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    assert [r["recorded_seq"] for r in preview["rows"]] == [s["seq"] for s in first["sales"]]
    assert journal_length(svc) == entries and held(svc, "COL-1-H") == balance
    # the same request id with other rows is another request: refused, nothing recorded
    other = xlsx(ZH, ["COL-1-H", "ENT-1-H", 1, "99.00", "HZGX-2026-0399", "", ""])
    assert_refused("sales_import_has_problems", lambda: svc.import_sales(
        svc.actor("clerk"), first["request_id"], data=other, file_name="other.xlsx"))
    assert journal_length(svc) == entries


@pytest.mark.parametrize(("price_column", "price", "code"), [
    ("单价", "73.41", "sales_price_unit_missing"),  # no unit: the file is refused, never guessed
    ("单价（分/吨）", "73.41", "price_fen_not_whole"),  # yuan typed in the fen column
    ("单价（分/吨）", "73", "price_looks_like_wrong_unit"),  # 0.73 yuan/t: a hundredth of the median
    ("单价（元/吨）", "7341", "price_looks_like_wrong_unit"),  # fen typed in the yuan column
    ("单价（元/吨）", "73.411", "price_yuan_unreadable"),
])
def test_the_price_unit_is_explicit_and_a_slip_is_caught(funded, price_column, price, code):  # type: ignore[no-untyped-def]
    """Given recent sales at 73.41 yuan/t, when a sheet gives a price without its unit, in the wrong
    unit or unreadable, then that is the refusal and nothing is recorded."""
    svc = funded
    svc.sell(svc.actor("clerk"), "median", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=1,
             price_fen_per_t=7341, contract_no="HZGX-2026-0001")
    entries = journal_length(svc)
    data = xlsx(["卖方账户", "买方账户", "数量（吨）", price_column, "合同编号"],
                ["COL-1-H", "ENT-1-H", 1, price, "HZGX-2026-0401"])
    preview = svc.preview_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    assert [p["code"] for p in preview["problems"]] == [code] and not preview["ok"]
    assert_refused("sales_import_has_problems",
                   lambda: svc.import_sales(svc.actor("clerk"), data=data, file_name="day.xlsx"))
    assert journal_length(svc) == entries


def test_the_fen_column_is_read_in_fen(funded):  # type: ignore[no-untyped-def]
    """Given a sheet whose price column says 分/吨, then 7341 is 73.41 yuan per tonne."""
    svc = funded
    data = xlsx(["seller_account", "buyer_account", "quantity_t", "price_fen_per_t", "contract_no"],
                ["COL-1-H", "ENT-1-H", 1, 7341, "HZGX-2026-0501"])
    out = svc.import_sales(svc.actor("clerk"), data=data, file_name="day.xlsx")
    assert out["sales"][0]["price_fen_per_t"] == 7341 and out["amount_fen"] == 7341


def test_missing_columns_empty_files_and_other_formats_are_refused(funded):  # type: ignore[no-untyped-def]
    svc, clerk = funded, funded.actor("clerk")
    preview = svc.preview_sales(clerk, data=xlsx(["卖方", "数量（吨）"], ["COL-1-H", 1]), file_name="a.xlsx")
    assert [p["code"] for p in preview["problems"]] == ["sales_columns_missing"]
    assert "买方账户" in catalogue.localise(preview["problems"])[0]["message_zh"]
    assert_refused("sales_file_empty", lambda: svc.preview_sales(clerk, data=xlsx(ZH), file_name="a.xlsx"))
    assert_refused("file_format_unsupported", lambda: svc.preview_sales(clerk, data=b"x", file_name="a.xls"))
    assert_refused("file_unreadable", lambda: svc.preview_sales(clerk, data=b"not a workbook", file_name="a.xlsx"))


def test_who_may_sell_is_the_sale_s_rule(funded):  # type: ignore[no-untyped-def]
    """A role that never sells is refused outright; an enterprise may sell only its own credits, so
    its import of a collective's sale is refused at that row."""
    data = xlsx(ZH, ["COL-1-H", "ENT-1-H", 1, "73.41", "HZGX-2026-0601", None, None])
    assert_refused("not_permitted", lambda: funded.import_sales(funded.actor("insurer"), data=data, file_name="a.xlsx"))
    err = assert_refused("sales_import_has_problems",
                         lambda: funded.import_sales(funded.actor("ent"), data=data, file_name="a.xlsx"))
    assert [(p["row"], p["code"]) for p in err.params["problems"]] == [(2, "not_permitted")]


def test_cells_are_read_with_every_problem_of_a_row():  # type: ignore[no-untyped-def]
    """The reader alone: a row with an unreadable quantity, a blank contract and a bad date reports
    all three, each at its column."""
    sales = read_sales_file(xlsx(ZH, ["COL-1-H", "ENT-1-H", 1.5, "73.41", "", "2026-02-30", None]), "a.xlsx")
    assert [(p["row"], p["field"], p["code"]) for p in sales.problems] == [
        (2, "合同编号", "field_required"), (2, "数量（吨）", "quantity_not_whole_tonnes"), (2, "成交日期", "date_unreadable")]


def test_the_command_line_imports_a_sheet_once(funded, tmp_path):  # type: ignore[no-untyped-def]
    """``sinkledger sales import``: a dry run shows every row; the import records them; running it
    again records nothing; a bad sheet exits 2 with every problem; ``history`` names the entries'
    kinds for a person (``--json`` keeps the raw kind)."""
    import json

    from tests.test_cli import run

    url = funded.settings.database_url
    good, bad = tmp_path / "day.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(xlsx(ZH, ["COL-1-H", "ENT-1-H", 2, "73.41", "HZGX-2026-0701", None, None]))
    bad.write_bytes(xlsx(ZH, ["COL-1-H", "ENT-1-H", 2, "73.41", "HZGX-2026-0702", None, None],
                         ["COL-1-H", "ENT-1-H", 0, "73.41", "HZGX-2026-0703", None, None]))
    dry = json.loads(run(["sales", "import", str(good), "--dry-run", "--actor", "clerk", "--json"], url, check=True).stdout)
    assert dry["ok"] and dry["rows"][0]["price_fen_per_t"] == 7341
    first = json.loads(run(["sales", "import", str(good), "--actor", "clerk", "--json"], url, check=True).stdout)
    again = json.loads(run(["sales", "import", str(good), "--actor", "clerk", "--json"], url, check=True).stdout)
    assert not first["replayed"] and again["replayed"] and again["sales"][0]["seq"] == first["sales"][0]["seq"]
    refused = run(["sales", "import", str(bad), "--actor", "clerk", "--json"], url)
    assert refused.returncode == 2
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "sales_import_has_problems"
    assert [(p["row"], p["code"]) for p in error["details"]["problems"]] == [(3, "quantity_not_whole_tonnes")]
    assert json.loads(run(["history", "--limit", "1", "--json"], url, check=True).stdout)["entries"][0]["kind"] == "sale"
    assert "交易 / sale" in run(["history", "--limit", "1"], url, check=True).stdout
