"""The overview after a failing verify, in a real Chromium against ``streamlit run app.py``
(issue 16 review): once a recorded check failed, the overview says so, with the entry, the
problem and when, and names the last passing check only as the one not to rely on; before, it
kept showing the last passing verified checkpoint as if nothing had happened.

The journal is tampered with behind the app's back (an entry's body changed, its stored hash
left), a verifier runs the full check from the overview, then the page is opened again. The
tampering is undone and the check run again at the end, so the shared server is as it was.
Screenshots land in ``<repo>/test-output/screenshots/``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text as sql

from sinkledger.db.schema import install_extras
from sinkledger.ui.text import text
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import done, go, no_traceback, page, shot, sign_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser
TAMPERED_SEQ = 3
FIRST_START_TIMEOUT_MS = 600_000


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def _run_full_check(page) -> None:  # type: ignore[no-untyped-def]
    main = page.get_by_test_id("stMain")
    box = main.get_by_text(zh("verify_run_full"), exact=True)
    if not main.locator('[data-testid="stCheckbox"] input').first.is_checked():
        box.click()
    main.get_by_role("button", name=zh("verify_run")).click()


def test_the_overview_shows_a_failed_check_not_the_last_pass(page, streamlit_server, screenshot_dir):  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(streamlit_server.url)  # the server's first start seeds the demo: slow on a busy machine
    page.get_by_test_id("stMain").get_by_text(zh("app_title")).first.wait_for(timeout=FIRST_START_TIMEOUT_MS)
    service = server_service(streamlit_server)
    sign_in(page, streamlit_server.url, "verifier")
    go(page, zh("page_overview"), zh("app_title"))
    done(page, zh("integrity_header"))
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("哈希链已校验至第", exact=False).count() == 1  # the first start's recorded check

    with service.db.engine.begin() as conn:
        original = conn.execute(sql("SELECT body FROM journal_entry WHERE seq = :s"), {"s": TAMPERED_SEQ}).scalar_one()
        if service.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_append_only ON journal_entry")
        conn.execute(sql("UPDATE journal_entry SET body = :b WHERE seq = :s"), {"b": original + " ", "s": TAMPERED_SEQ})
    try:
        _run_full_check(page)
        done(page, zh("integrity_broken", seq=TAMPERED_SEQ))

        page.goto(streamlit_server.url)  # opened again, as any visitor would
        go(page, zh("page_overview"), zh("app_title"))
        done(page, "最近一次校验未通过")
        no_traceback(page)
        failed = main.locator('[data-testid="stAlert"]').filter(has_text="最近一次校验未通过")
        assert failed.count() == 1 and f"第 {TAMPERED_SEQ} 条流水起" in failed.inner_text()
        assert main.get_by_text("哈希链已校验至第", exact=False).count() == 0  # the old pass is not shown as the state
        assert main.get_by_text("此前最后一次通过的校验", exact=False).count() == 1
        assert service.last_verify_run()["ok"] is False
        shot(page, screenshot_dir / "overview_failed_check_zh.png")
    finally:
        with service.db.engine.begin() as conn:
            conn.execute(sql("UPDATE journal_entry SET body = :b WHERE seq = :s"), {"b": original, "s": TAMPERED_SEQ})
            install_extras(conn)

    _run_full_check(page)
    done(page, zh("verify_done", n=service.last_verified()["journal_size"]))
    page.goto(streamlit_server.url)
    go(page, zh("page_overview"), zh("app_title"))
    done(page, "哈希链已校验至第")
    assert main.get_by_text("最近一次校验未通过", exact=False).count() == 0
    assert service.last_verify_run()["ok"] is True
    service.db.dispose()
