"""Issue 19, point 9, in a real Chromium: the sign-in page shows every demo account at once on a
laptop-sized screen (1400 × 1000, no scrolling), and the README's ``household`` lands on a
statement of its own (one contract year paid, the next due), not an all-zero one.

Screenshots: test-output/screenshots/signin_demo_accounts_zh.png, household_landing_zh.png.
"""

from __future__ import annotations

import re

import pytest

from sinkledger.ui.signin import DEMO_USERS
from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    VIEWPORT,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser


def test_every_demo_account_is_visible_on_the_sign_in_page(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    page.goto(streamlit_server.url + "/signin")
    done(page, zh("demo_users"))
    page.wait_for_timeout(500)
    table = page.get_by_test_id("stMain").locator('[data-testid="stTable"]').first
    for username in DEMO_USERS:
        cell = table.get_by_text(username, exact=True)
        box = cell.bounding_box()
        assert box is not None and cell.is_visible(), username
        assert 0 <= box["y"] and box["y"] + box["height"] <= VIEWPORT["height"], (username, box)  # no scrolling
    no_traceback(page)
    page.screenshot(path=str(screenshot_dir / "signin_demo_accounts_zh.png"))  # the screen as it is


def _metric_yuan(main, label: str) -> float:  # type: ignore[no-untyped-def]
    metric = main.locator('dl.sl-headline > div').filter(has_text=label).first
    return float(re.search(r"([\d,]+\.\d\d) 元", metric.inner_text()).group(1).replace(",", ""))


def test_the_household_lands_on_a_statement_of_its_own(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "household")
    main = page.get_by_test_id("stMain")
    done(page, zh("page_inc_my_income"), zh("inc_paid"))
    no_traceback(page)
    assert _metric_yuan(main, zh("inc_paid")) > 0 and _metric_yuan(main, zh("inc_outstanding")) > 0
    assert main.get_by_text(zh("inc_nothing_due")).count() == 0
    shot(page, screenshot_dir / "household_landing_zh.png")
