"""Issue 19, in a real Chromium: the verifier's map shows every parcel of the estimate, none cut off
(it was zoomed on the middle one and cut off the other two).

An estimate over the three wetlands the demo's waiting estimate covers (the case seen: the map
showed the middle one and cut off the other two) is recorded on the app's database; the verifier
opens it; the map's pixels in the wetlands' colour must form at least three patches and none may
touch the map's edge. Screenshot: test-output/screenshots/verifier_map_fits_zh.png.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from sinkledger.config import REPO_ROOT
from sinks import SINK_TYPES, SinkType
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

WETLANDS = ["DQ-WL-0003", "DQ-WL-0004", "DQ-WL-0012"]  # the demo's project DQWL01: 4 km north to south
COUNTY_FILL = np.array([240, 240, 235])  # sinkledger.ui.maps.COUNTY_FILL, under the parcels
ALPHA = 170 / 255  # sinkledger.ui.maps.sink_colour's alpha
EDGE_PX = 4


def _record_estimate(server) -> str:  # type: ignore[no-untyped-def]
    service = server_service(server)
    try:
        example = REPO_ROOT / "methodologies" / "examples" / "wetland_lake_marsh.json"
        inputs = json.loads(example.read_text(encoding="utf-8"), parse_float=str)
        return service.record_estimate(service.actor("centre"), "browser:verifier-map", parcel_codes=WETLANDS,
                                       methodology_id="sinkledger.wetland-lake-marsh", inputs=inputs)["estimate_id"]
    finally:
        service.db.dispose()


def _patches(mask: np.ndarray) -> int:
    """Connected patches (4-neighbours) of a boolean mask."""
    seen = np.zeros_like(mask)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1] and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
    return count


def test_the_verifier_map_shows_every_parcel_of_the_estimate(page, streamlit_server, screenshot_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, streamlit_server.url, "verifier")  # the first page load seeds the demo
    estimate = _record_estimate(streamlit_server)
    page.reload()
    done(page, zh("page_verify"))
    choose(page, zh("choose_estimate"), estimate)
    done(page, zh("estimate_heading", estimate=estimate))
    chart = page.get_by_test_id("stMain").locator('[data-testid="stDeckGlJsonChart"]').first
    chart.locator("canvas").first.wait_for(state="visible")
    page.wait_for_timeout(2500)  # deck.gl draws after the run ends
    no_traceback(page)
    pixels = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("RGB")).astype(int)
    colour = np.array(SINK_TYPES[SinkType.wetland].colour_rgb)
    fill = ALPHA * colour + (1 - ALPHA) * COUNTY_FILL  # a parcel's fill over the county
    mask = np.abs(pixels - fill).max(axis=2) <= 24
    assert mask.sum() > 30, "no parcel drawn on the map"
    edges = np.concatenate([mask[:EDGE_PX].ravel(), mask[-EDGE_PX:].ravel(), mask[:, :EDGE_PX].ravel(),
                            mask[:, -EDGE_PX:].ravel()])
    assert not edges.any(), "a parcel is cut off at the map's edge"
    assert _patches(mask) >= len(WETLANDS)
    shot(page, screenshot_dir / "verifier_map_fits_zh.png")
