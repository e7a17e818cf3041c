"""Verification and issuance (核证 / 签发): batches per vintage, serial continuity, buffer, refusals."""

from __future__ import annotations

import pytest
import shapely

from tests.ledger.conftest import BAMBOO, assert_refused, demo_parcel_inputs, held, issue_parcel


def test_issuance_splits_by_vintage_and_numbers_serials_without_gaps(registry):  # type: ignore[no-untyped-def]
    """Given two parcels of one project, when both are issued, then each vintage's serials continue
    from the last number issued under the same prefix, with no gap and no overlap."""
    svc = registry
    a = issue_parcel(svc, "AJ-BF-0001", "a")
    b = issue_parcel(svc, "AJ-BF-0002", "b")
    assert sum(x["quantity"] for x in a["batches"]) == a["issued_t"]
    by_prefix: dict[str, list[tuple[int, int]]] = {}
    for batch in a["batches"] + b["batches"]:
        by_prefix.setdefault(batch["serial_prefix"], []).append((batch["first"], batch["last"]))
        assert batch["serial_prefix"].endswith(str(batch["vintage_year"]))
    for ranges in by_prefix.values():
        ranges.sort()
        assert ranges[0][0] == 1
        assert all(nxt[0] == prev[1] + 1 for prev, nxt in zip(ranges, ranges[1:]))
    assert held(svc, "COL-1-H") + held(svc, "SYS-BUFFER") == a["issued_t"] + b["issued_t"]
    assert held(svc, "SYS-BUFFER") == a["buffer_t"] + b["buffer_t"]


def test_partial_verification_floors_to_whole_tonnes(registry):  # type: ignore[no-untyped-def]
    svc = registry
    geometry, inputs = demo_parcel_inputs("AJ-BF-0003")
    svc.register_parcel(svc.actor("coop"), "r", parcel_code="AJ-BF-0003", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = svc.record_estimate(svc.actor("coop"), "e", parcel_codes=["AJ-BF-0003"], methodology_id=BAMBOO, inputs=inputs)
    out = svc.issue(svc.actor("verifier"), "i", estimate_id=est["estimate_id"], verified_kg_co2e=5_999,
                    project_code="AJBF01", buffer_share_bp=0)
    assert out["issued_t"] == 5 and out["buffer_t"] == 0


@pytest.mark.parametrize("change, code", [
    ({"verified_kg_co2e": 0}, "quantity_must_be_positive"),
    ({"verified_kg_co2e": 10**15}, "verified_quantity_exceeds_estimate"),
    ({"buffer_share_bp": 10_001}, "buffer_share_invalid"),
    ({"buffer_share_bp": -1}, "buffer_share_invalid"),
    ({"project_code": "aj-1"}, "value_invalid"),
    ({"estimate_id": "EST-99999999"}, "estimate_not_found"),
    ({"to_account": "SYS-BUFFER"}, "value_invalid"),
    ({"to_account": "NOPE-H"}, "account_not_found"),
])
def test_issuance_refusals(registry, change, code):  # type: ignore[no-untyped-def]
    svc = registry
    geometry, inputs = demo_parcel_inputs("AJ-BF-0001")
    svc.register_parcel(svc.actor("coop"), "r", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = svc.record_estimate(svc.actor("coop"), "e", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO, inputs=inputs)
    args = {"estimate_id": est["estimate_id"], "verified_kg_co2e": 2000, "project_code": "AJBF01",
            "buffer_share_bp": 1000, **change}
    head = svc.verify().head_hash
    assert_refused(code, lambda: svc.issue(svc.actor("verifier"), "i", **args))
    assert svc.verify().head_hash == head


def test_a_declining_parcel_cannot_be_issued(registry):  # type: ignore[no-untyped-def]
    """Given an estimate with a negative net (a reversal), then no credits can be issued from it."""
    svc = registry
    geometry, inputs = demo_parcel_inputs("AJ-BF-0023")  # a declining demo parcel
    svc.register_parcel(svc.actor("coop"), "r", parcel_code="AJ-BF-0023", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = svc.record_estimate(svc.actor("coop"), "e", parcel_codes=["AJ-BF-0023"], methodology_id=BAMBOO, inputs=inputs)
    assert est["net_kg_co2e"] < 0 and "net_removal_is_negative" in est["warnings"]
    assert_refused("verified_quantity_exceeds_estimate", lambda: svc.issue(
        svc.actor("verifier"), "i", estimate_id=est["estimate_id"], verified_kg_co2e=1000,
        project_code="AJBF01", buffer_share_bp=0))


WETLAND = "sinkledger.wetland-lake-marsh"


def test_a_one_off_credit_is_issued_once_per_parcel(registry):  # type: ignore[no-untyped-def]
    """Given a wetland parcel whose first estimate claims the one-off herbaceous credit (VM0033)
    and was issued, when a later period's estimate claims it again, then its issuance is refused
    naming the parcel (in the estimate's order, after a parcel that never claimed it); the parcel
    that never claimed it is issued with its one-off credit."""
    import geopandas as gpd

    from methodologies.registry import get_methodology
    from tests.ledger.conftest import GIS, assert_refused

    svc = registry
    layer = gpd.read_file(GIS / "demo_parcels.gpkg", layer="parcels")
    coop, verifier = svc.actor("coop"), svc.actor("verifier")
    for code in ("DQ-WL-0001", "DQ-WL-0002"):
        geometry = shapely.geometry.mapping(layer[layer.parcel_code == code].iloc[0].geometry)
        svc.register_parcel(coop, f"reg:{code}", parcel_code=code, sink_type="wetland", holder_party_id="COL-1",
                            geometry=geometry, county_code="330521")
    example = get_methodology(WETLAND).example_inputs()

    def estimate_and_issue(request: str, codes: list[str], start: str, end: str, claimed_before: bool):  # type: ignore[no-untyped-def]
        inputs = {**example, "period_start": start, "period_end": end,
                  "herbaceous_vegetation_credit_claimed_before": claimed_before}
        est = svc.record_estimate(coop, f"est:{request}", parcel_codes=codes, methodology_id=WETLAND, inputs=inputs)
        return lambda: svc.issue(verifier, f"iss:{request}", estimate_id=est["estimate_id"],
                                 verified_kg_co2e=est["net_kg_co2e"], project_code="DQWL01", buffer_share_bp=1000)

    estimate_and_issue("first", ["DQ-WL-0002"], "2021-06-01", "2023-06-01", False)()
    again = estimate_and_issue("again", ["DQ-WL-0001", "DQ-WL-0002"], "2023-06-01", "2025-06-01", False)
    exc = assert_refused("one_off_credit_already_claimed", again)
    assert exc.params["parcel"] == "DQ-WL-0002"
    assert svc.verify().ok
    other = estimate_and_issue("other", ["DQ-WL-0001"], "2023-06-01", "2025-06-01", False)()
    assert other["issued_t"] > 0 and svc.verify().ok
