"""Issue 20, point 4, in a real Chromium: before issuing, the verifier sees which imported
projects of other registries the issuance matches, and issues only after acknowledging each.

Two projects of CarbonPlan's real crediting file (../shared/data/registry) are imported into the
app's database as if already credited elsewhere: the first moved onto the estimate's wetland
parcel (a match by geometry), the second renamed as the Huzhou bundled project the parcel
belongs to, written with spaces and half-width brackets (a match by name). The verifier opens
the estimate: both matches are listed (registry, project id, name, how they matched); issuing
without ticking them is refused with the listed matches and issues nothing; ticking both
issues, and the entry keeps them. Screenshot: test-output/screenshots/verifier_double_counting_zh.png
(copied to docs/screenshots/).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from ledger import journal
from ledger.domain import Role
from ledger.permissions import Actor
from sinkledger.config import REPO_ROOT
from sinkledger.demo.income import WETLAND_PROJECT_CODE
from sinkledger.services import queries as ui_queries
from tests.browser.conftest import server_service
from tests.browser.test_web_flows_browser import (  # noqa: F401
    APP_DONE_JS,
    choose,
    done,
    no_traceback,
    page,
    shot,
    sign_in,
    zh,
)

pytestmark = pytest.mark.browser

PARCEL = "DQ-WL-0003"  # in the demo's bundled wetland project DQWL01
CROSSWALK = Path("registry", "carbonplan_forest_offsets", "projects-crediting.json")
ADMIN = Actor(username="admin", role=Role.admin, party_id="REGISTRY")


def _set_up(server, shared_data: Path, tmp_path: Path) -> tuple[str, list[dict], str]:  # type: ignore[no-untyped-def]
    """The estimate to verify, the two imported projects, and the bundled project's name."""
    service = server_service(server)
    try:
        example = REPO_ROOT / "methodologies" / "examples" / "wetland_lake_marsh.json"
        inputs = json.loads(example.read_text(encoding="utf-8"), parse_float=str)
        estimate = service.record_estimate(service.actor("centre"), "browser:double-counting", parcel_codes=[PARCEL],
                                           methodology_id="sinkledger.wetland-lake-marsh", inputs=inputs)["estimate_id"]
        bundled = next(p for p in service.income.projects(service.actor("centre"))
                       if p["project_code"] == WETLAND_PROJECT_CODE)
        point = shapely.geometry.shape(service.parcel(PARCEL)["geometry"]).representative_point()
        real = json.loads((shared_data / CROSSWALK).read_text(encoding="utf-8"))
        here = {**real[0], "shape_centroid": [point.x, point.y]}  # its acres around the parcel
        named = {**real[1], "name": bundled["name"].replace("（", " (").replace("）", ")").replace("湿地", " 湿地 ")}
        path = tmp_path / "credited-elsewhere.json"
        path.write_text(json.dumps([here, named], ensure_ascii=False), encoding="utf-8")
        service.import_registry(ADMIN, "browser:double-counting:import", registry="carbonplan", paths=[path])
        return estimate, [here, named], bundled["name"]
    finally:
        service.db.dispose()


def _issued(server, estimate: str) -> dict | None:  # type: ignore[no-untyped-def]
    """The issuance entry's payload for ``estimate``, None while it waits."""
    service = server_service(server)
    try:
        if any(e["estimate_id"] == estimate for e in ui_queries.estimates_waiting(service)):
            return None
        with service.db.read() as s:
            entries = [journal.Entry.from_row(r) for r in journal.iter_rows(s)]
        return next(e.payload for e in reversed(entries) if e.payload.get("estimate_id") == estimate
                    and "double_counting_acknowledged" in e.payload)
    finally:
        service.db.dispose()


def test_the_verifier_acknowledges_each_match_before_issuing(page, streamlit_server, screenshot_dir,  # type: ignore[no-untyped-def]
                                                             shared_data: Path, tmp_path: Path) -> None:
    sign_in(page, streamlit_server.url, "verifier")  # the first page load seeds the demo
    estimate, (here, named), bundled_name = _set_up(streamlit_server, shared_data, tmp_path)
    page.reload()
    done(page, zh("page_verify"))
    choose(page, zh("choose_estimate"), estimate)
    done(page, zh("estimate_heading", estimate=estimate), zh("dc_header"), zh("dc_warning", n=2))
    main = page.get_by_test_id("stMain")
    table = main.locator('[data-testid="stDataFrame"]').last
    table.wait_for(state="visible")
    no_traceback(page)
    ids = [f"carbonplan:{here['id']}", f"carbonplan:{named['id']}"]
    boxes = [main.get_by_text(zh("dc_acknowledge", match=f"carbonplan:{p['id']}", name=p["name"]), exact=True)
             for p in (here, named)]
    for box in boxes:
        box.wait_for(state="visible")
    shot(page, screenshot_dir / "verifier_double_counting_zh.png")

    # without the acknowledgement: refused, naming the matches, nothing issued
    main.get_by_role("button", name=zh("approve_and_issue")).click()
    error = main.locator('[data-testid="stAlertContentError"]').filter(has_text="可能重复计算")
    error.first.wait_for(state="visible")
    page.wait_for_function(APP_DONE_JS)
    assert all(i in error.first.inner_text() for i in ids)
    assert _issued(streamlit_server, estimate) is None

    # one of two is not enough
    boxes[0].click()
    page.wait_for_function(APP_DONE_JS)
    main.get_by_role("button", name=zh("approve_and_issue")).click()
    page.wait_for_function(APP_DONE_JS)
    error.first.wait_for(state="visible")
    assert ids[1] in error.first.inner_text() and _issued(streamlit_server, estimate) is None

    # both acknowledged: issued, and the entry keeps how each matched
    boxes[1].click()
    page.wait_for_function(APP_DONE_JS)
    main.get_by_role("button", name=zh("approve_and_issue")).click()
    done(page, zh("dc_acknowledged", ids=", ".join(sorted(ids))))
    no_traceback(page)
    payload = _issued(streamlit_server, estimate)
    assert payload is not None
    kept = {m["match_id"]: (m["by"], m["name"]) for m in payload["double_counting_acknowledged"]}
    assert kept == {ids[0]: ("geometry", here["name"]), ids[1]: ("name", named["name"])}
    assert named["name"] != bundled_name  # matched by its normalised name, not the same text
    shot(page, screenshot_dir / "verifier_double_counting_issued_zh.png")
