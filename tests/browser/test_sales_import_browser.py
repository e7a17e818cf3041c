"""Issue 19, point 6, in a real Chromium: the clerk imports a day's sales from Excel. The template
downloads; a sheet with a bad row shows every row's verdict and cannot be recorded; a sound sheet
is previewed row by row, recorded at one click (a double click records it once) with links to
its entries; the same sheet uploaded again is recognised and records nothing twice.

Same server and waiting rules as test_web_flows_browser.py; screenshots in test-output/screenshots/.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from sinkledger.services.sales_files import TEMPLATE_COLUMNS
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser

CONTRACTS = ("HZGX-XLSX-0101", "HZGX-XLSX-0102")


def _sheet(path, *rows) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    book.active.append(list(TEMPLATE_COLUMNS["zh"]))
    for row in rows:
        book.active.append(list(row))
    book.save(path)


def _imported(server) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    from sinkledger.services import queries as ui_queries

    service = server_service(server)
    try:
        return ui_queries.sales(service, contract="HZGX-XLSX")
    finally:
        service.db.dispose()


def _upload(page, path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_test_id("stMain").locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))


def test_the_clerk_imports_a_sheet_of_sales_all_or_nothing(page, streamlit_server, screenshot_dir,
                                                           tmp_path) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "clerk")
    main = page.get_by_test_id("stMain")
    page.get_by_role("tab", name=zh("tab_import_sales")).click()
    done(page, zh("sales_template_download"))
    with page.expect_download() as info:
        main.get_by_role("button", name=zh("sales_template_download")).click()
    header = next(load_workbook(io.BytesIO(info.value.path().read_bytes())).active.iter_rows(values_only=True))
    assert list(header) == list(TEMPLATE_COLUMNS["zh"])

    bad = tmp_path / "bad.xlsx"
    _sheet(bad, ("COL-0002-H", "示例绿色纺织有限公司（虚构）", 1, "80.50", CONTRACTS[0], "2026-11-20", "2026-11-18"),
           ("COL-0002-H", "没有这家企业", 1, "80.50", CONTRACTS[1], None, None))
    _upload(page, bad)
    done(page, zh("sales_preview_problems", n=1, rows=1))
    no_traceback(page)
    assert main.get_by_role("button", name=zh("sales_import_record", n=2)).count() == 0
    shot(page, screenshot_dir / "sales_import_refused_zh.png")
    assert _imported(streamlit_server) == []

    good = tmp_path / "good.xlsx"
    _sheet(good, ("COL-0002-H", "示例绿色纺织有限公司（虚构）", 1, "80.50", CONTRACTS[0], "2026-11-20", "2026-11-18"),
           ("COL-0002", "ENT-0002-H", 2, 81, CONTRACTS[1], None, None))
    _upload(page, good)
    done(page, zh("sales_preview_ok", n=2, quantity="3 吨", amount="242.50 元"))
    assert main.get_by_text(zh("sales_row_ready")).count() >= 1
    shot(page, screenshot_dir / "sales_import_preview_zh.png")
    main.get_by_role("button", name=zh("sales_import_record", n=2)).dblclick()
    done(page, zh("sales_imported", n=2, quantity="3 吨", amount="242.50 元"))
    page.wait_for_timeout(1500)  # a second press, had it counted, would have run by now
    page.wait_for_function(APP_DONE_JS)
    no_traceback(page)
    sales = _imported(streamlit_server)
    assert sorted(s["contract_no"] for s in sales) == sorted(CONTRACTS)  # each once
    for sale in sales:  # each recorded sale links to its entry
        link = main.get_by_role("link", name=zh("entry_link", seq=sale["seq"]))
        assert link.get_attribute("href").endswith(f"registry?entry={sale['seq']}")
    shot(page, screenshot_dir / "sales_import_recorded_zh.png")

    main.get_by_role("button", name=zh("sales_import_another")).click()
    page.wait_for_function(APP_DONE_JS)
    _upload(page, good)  # the same sheet again: recognised, recorded nothing twice
    done(page, zh("sales_preview_recorded_before", n=2))
    main.get_by_role("button", name=zh("sales_import_record", n=2)).click()
    done(page, zh("sales_import_replayed", n=2))
    assert len(_imported(streamlit_server)) == 2
    no_traceback(page)
