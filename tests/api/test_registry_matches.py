"""Double counting across registries over HTTP (issue 20, point 4): an issuance whose parcel lies
inside an imported registry's project is refused as a problem naming the match, and goes through
once the verifier's key acknowledges that match (``acknowledged_matches``), on both backends; a
real uvicorn on 127.0.0.1 over the ledger tests' registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from sinkledger.api.app import create_app
from sinkledger.services import apikeys
from tests.api.conftest import Threaded
from tests.ledger.conftest import registry  # noqa: F401 - fixture
from tests.ledger.test_registry_double_counting import centroid, estimate, import_projects, project

def test_an_issuance_over_http_waits_for_the_verifiers_acknowledgement(registry: Any, tmp_path: Path) -> None:  # noqa: F811
    lon, lat = centroid("AJ-BF-0001")
    import_projects(registry, tmp_path, [project("CAR9101", "Anji Moso Bamboo IFM", lon + 0.0005, lat, acres=100)])
    est = estimate(registry, "AJ-BF-0001", "api")
    key = apikeys.create_key(registry, registry.actor("admin"), username="verifier")["key"]
    body = {"estimate_id": est["estimate_id"], "verified_kg_co2e": est["net_kg_co2e"], "project_code": "AJBF01",
            "buffer_share_bp": 1000}
    served = Threaded(create_app(registry))
    try:
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            head = registry.verify().head_hash
            refused = http.post("/v1/issuances", json=body, headers={"Accept-Language": "en"})
            unknown = http.post("/v1/issuances", json={**body, "acknowledged_matches": ["carbonplan:NOPE"]})
            unchanged = registry.verify().head_hash
            issued = http.post("/v1/issuances", json={**body, "acknowledged_matches": ["carbonplan:CAR9101"]})
    finally:
        served.stop()
    problem = refused.json()
    assert (refused.status_code, problem["code"]) == (409, "registry_double_counting_suspected")
    assert [m["match_id"] for m in problem["params"]["matches"]] == ["carbonplan:CAR9101"]
    assert "carbonplan:CAR9101" in problem["detail"] and "carbonplan:CAR9101" in problem["message_zh"]
    assert (unknown.status_code, unknown.json()["code"]) == (409, "registry_match_unknown")
    assert head == unchanged
    assert issued.status_code == 201, issued.text
    assert registry.verify().ok
