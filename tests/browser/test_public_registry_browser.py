# ruff: noqa: F811 - the tests take the imported `page` fixture as their argument
"""The public registry page in a real Chromium against ``streamlit run app.py``, without signing in:
find a retired credit by a serial inside its block, follow its link to the retirement
certificate's check, open an entry by hash from a deep link and check its downloaded proof
offline with ``sinkledger proof-check``, search retirements by beneficiary in English, and see a
malformed serial refused in Chinese.

Screenshots land in ``<repo>/test-output/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urljoin

import pytest

from ledger.domain import format_serial
from sinkledger.catalogue import messages, ui_text
from sinkledger_base.errors import InvalidInput
from tests.browser.conftest import server_service
from tests.browser.test_overview_browser import APP_DONE_JS, sized_map_canvas, switch_language, wait_until_done
from tests.browser.test_web_flows_browser import page, shot  # noqa: F401 - page: the fixture (downloads accepted)

pytestmark = pytest.mark.browser

# The lists are HTML tables (sinkledger/ui/figures.py, list_table): a cell's text, a link's text
CELLS_JS = """text => [...document.querySelectorAll('.sl-list td')].some(e => e.textContent.includes(text))"""


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return ui_text(key, "zh", **params)


def first_retirement(page, server):  # type: ignore[no-untyped-def]
    """The oldest voluntary retirement of the app's own database (the demo's, seeded by the first
    page load, which this waits for), with its blocks. (The demo's court fulfilment is older; its
    entry is a fulfilment, not a retirement.)"""
    page.goto(server.url + "/")
    wait_until_done(page, ui_text("app_title", "zh"))
    service = server_service(server)
    try:
        oldest = [r for r in service.public.retirements(limit=200)["items"] if r["kind"] != "judicial"][-1]
        return service.public.retirement(oldest["retirement_id"])
    finally:
        service.db.dispose()


def no_traceback(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_serial_leads_to_its_retirement_certificate(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    """Given the public page, when a serial in the middle of a retired block is searched, then it
    names the block's retirement, and its certificate link opens a check that passes."""
    retirement = first_retirement(page, streamlit_server)
    block = retirement["blocks"][0]
    prefix, first = block["serials"].split("..")[0].rsplit("-", 1)
    serial = format_serial(prefix, int(first) + block["quantity"] // 2)
    page.get_by_test_id("stSidebarNav").get_by_text(zh("page_registry"), exact=True).click()
    wait_until_done(page, zh("pr_intro")[:12])
    main = page.get_by_test_id("stMain")
    main.get_by_label(zh("pr_serial_input")).fill(serial)
    main.get_by_role("button", name=zh("pr_search")).click()
    wait_until_done(page, f"序列号 {serial} 属于批次", retirement["retirement_id"])
    assert "已注销" in main.inner_text() and retirement["beneficiary"] in main.inner_text()
    no_traceback(page)
    shot(page, screenshot_dir / "public_registry_serial_zh.png")
    href = main.get_by_role("link", name=zh("pr_certificate_link")).first.get_attribute("href")
    assert href is not None and href.endswith(f"retirement={retirement['retirement_id']}")
    page.goto(urljoin(page.url, href))  # Streamlit opens a markdown link in a new tab: follow it here
    wait_until_done(page, zh("pr_retirement_valid", id=retirement["retirement_id"]))
    no_traceback(page)
    shot(page, screenshot_dir / "public_registry_certificate_zh.png")


def test_an_entry_by_hash_downloads_a_proof_that_checks_offline(page, streamlit_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    retirement = first_retirement(page, streamlit_server)
    page.goto(f"{streamlit_server.url}/registry?entry={retirement['entry_hash']}")  # a deep link
    # the entry's kind named in the reader's language ("（注销）", not "（retirement）")
    wait_until_done(page, zh("pr_entry_found", seq=retirement["seq"], kind=zh("kind_retirement"), at="").split("，")[0],
                    "包含证明核验通过")
    with page.expect_download() as download:
        page.get_by_test_id("stMain").get_by_role("button", name=zh("pr_proof_download")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert json.loads(path.read_text(encoding="utf-8"))["entry"]["entry_hash"] == retirement["entry_hash"]
    checked = subprocess.run([sys.executable, "-m", "sinkledger", "proof-check", str(path), "--json"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["ok"] is True
    no_traceback(page)


def test_retirements_by_beneficiary_in_english(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    retirement = first_retirement(page, streamlit_server)
    page.goto(f"{streamlit_server.url}/registry?beneficiary={retirement['beneficiary'][:4]}")
    wait_until_done(page, zh("pr_intro")[:12])
    page.wait_for_function(CELLS_JS, arg=retirement["retirement_id"])
    switch_language(page, "English")
    wait_until_done(page, ui_text("pr_intro", "en")[:30])
    page.wait_for_function(CELLS_JS, arg=retirement["retirement_id"])
    main = page.get_by_test_id("stMain")
    assert ui_text("pr_kind_retirements", "en") in main.inner_text()
    no_traceback(page)
    shot(page, screenshot_dir / "public_registry_retirements_en.png")
    # the retirement's cell links to its certificate's check
    main.locator(".sl-list a", has_text=retirement["retirement_id"]).first.click()
    page.wait_for_url(f"**/certificate?retirement={retirement['retirement_id']}*")
    wait_until_done(page, retirement["beneficiary"])
    no_traceback(page)


def test_a_malformed_serial_is_refused_in_the_readers_language(page, streamlit_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{streamlit_server.url}/registry?serial=CN-NOT-A-SERIAL")
    zh_message, _ = messages(InvalidInput("serial_invalid", serial="CN-NOT-A-SERIAL"))
    wait_until_done(page, zh_message)
    page.wait_for_function(APP_DONE_JS)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 1
    no_traceback(page)


def test_a_project_shows_its_issuances_and_parcels_on_a_map(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    retirement = first_retirement(page, streamlit_server)
    code = retirement["blocks"][0]["project_code"]
    page.goto(f"{streamlit_server.url}/registry?project={code}")
    wait_until_done(page, zh("pr_issuances"), zh("pr_documents"))
    canvas = sized_map_canvas(page, 300, 200)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200, box
    assert page.get_by_test_id("stMain").get_by_role("link").count() >= 1  # the parcels, each a link
    no_traceback(page)
    shot(page, screenshot_dir / "public_registry_project_zh.png")
