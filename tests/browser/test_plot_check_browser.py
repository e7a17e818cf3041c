"""Issue 21 in a real Chromium: the verifier uploads a plot inventory (每木检尺, Chinese
headers, CSV) and sees its sampling statistics (mean, SE, 90 % CI, precision, extra plots by
stratum) and the unit conversions read from the columns; nothing is recorded. A sheet with a
bad cell shows the refusal naming the row. Screenshot: test-output/screenshots/plot_check_zh.png.
"""

from __future__ import annotations

import pytest

from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)
from tests.methodologies.test_plot_files import HEADER, _csv, _rows

pytestmark = pytest.mark.browser


def _estimate(page, path, *expected: str) -> None:  # type: ignore[no-untyped-def]
    """Upload the plot file, wait for it, press 测算 and wait for the expected texts."""
    main = page.get_by_test_id("stMain")
    main.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    done(page, path.name)
    page.wait_for_timeout(500)
    main.get_by_role("button", name=zh("plot_check_run"), exact=True).click()
    done(page, *expected)
    no_traceback(page)


def test_the_verifier_checks_a_plot_inventory_on_the_spot(page, streamlit_server, screenshot_dir,
                                                          tmp_path) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "verifier")
    done(page, zh("page_verify"))
    main = page.get_by_test_id("stMain")
    main.get_by_text(zh("plot_check")).first.click()
    names = list(HEADER)
    names[6] = "胸径（mm）"
    rows = _rows()
    for row in rows:
        row[6] = round(row[6] * 10)
    good = tmp_path / "每木检尺.csv"
    good.write_bytes(_csv(rows, names))
    _estimate(page, good, "90 % 置信区间")
    text = main.inner_text()
    assert "变化量（paired）" in text and "还需样地（按层）" in text
    assert "mm → cm" in text
    shot(page, screenshot_dir / "plot_check_zh.png")
    rows[3][6] = "abc"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(rows, names))
    _estimate(page, bad, "第 5 行")
