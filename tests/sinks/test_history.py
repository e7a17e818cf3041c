"""Parcel history: versions hashed like the ledger, split and merge keeping the area, retirement,
deletion only without issued credits, and the append-only guard."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import text

from ledger.store import IssuedPeriodRow
from sinkledger_base.errors import Conflict, InvalidInput, SinkLedgerError
from tests.sinks.conftest import lonlat_square, square_m, to_lonlat
from tests.sinks.test_registration import register


def halves(col: float = 0) -> list[dict]:
    left, right = shapely.box(*square_m(col, 0).bounds[:2], square_m(col, 0).bounds[0] + 100, square_m(col, 0).bounds[3]), \
        shapely.box(square_m(col, 0).bounds[0] + 100, *square_m(col, 0).bounds[1:])
    return [shapely.geometry.mapping(to_lonlat(g)) for g in (left, right)]


def test_changes_append_hashed_versions(registry):  # type: ignore[no-untyped-def]
    """Given a parcel, when its attributes and then its boundary change, then there are three
    versions chained by hash, each named by a journal entry, and the ledger and history verify."""
    register(registry, "BF-1", lonlat_square(0, 0), attributes={"culm_density_per_ha": 3000})
    coop = registry.actor("coop")
    v2 = registry.update_parcel(coop, "u1", parcel_code="BF-1", changes={"attributes": {"culm_density_per_ha": 3200},
                                                                          "tenure_cert_no": "浙(2021)安吉县不动产权第0000001号"})
    assert v2["changed"] == ["attributes", "tenure_cert_kind", "tenure_cert_no"] and v2["version"] == 2
    v3 = registry.update_parcel(coop, "u2", parcel_code="BF-1", geometry=lonlat_square(0, 0, size_m=180))
    assert v3["changed"] == ["geometry"] and v3["area_ha"] == "3.2400"
    history = registry.parcel_history("BF-1")
    assert [h["change"] for h in history] == ["registered", "attributes_changed", "boundary_changed"]
    assert [h["prev_version_hash"] for h in history[1:]] == [h["version_hash"] for h in history[:-1]]
    assert history[1]["tenure_cert_kind"] == "real_estate_certificate"
    assert registry.verify().ok and registry.verify_parcels()["ok"]
    with pytest.raises(InvalidInput) as exc:
        registry.update_parcel(coop, "u3", parcel_code="BF-1", changes={"attributes": {"culm_density_per_ha": 3200}})
    assert exc.value.code == "parcel_unchanged"


def test_a_new_boundary_is_checked_against_the_others(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0))
    register(registry, "BF-2", lonlat_square(1, 0))
    grown = shapely.geometry.mapping(to_lonlat(shapely.affinity.scale(square_m(0, 0), 1.5, 1.0, origin=(469_500, 0))))
    with pytest.raises(Conflict) as exc:
        registry.update_parcel(registry.actor("coop"), "u1", parcel_code="BF-1", geometry=grown)
    assert exc.value.code == "parcel_overlaps_existing" and exc.value.params["conflicts"] == "BF-2"


def test_split_keeps_the_area_and_the_issued_periods(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0), household_shares_bp={"HH-1": 10_000})
    with registry.db.write() as s:  # credits were issued for 2022-2024 (as issuance records it)
        s.add(IssuedPeriodRow(parcel_code="BF-1", period_start="2022-11-15", period_end="2024-11-15", issuance_seq=1))
    out = registry.split_parcel(registry.actor("coop"), "s1", parcel_code="BF-1",
                                parts=[{"parcel_code": "BF-1A", "geometry": halves()[0]},
                                       {"parcel_code": "BF-1B", "geometry": halves()[1]}])
    assert [p["area_ha"] for p in out["parts"]] == ["2.0000", "2.0000"] and out["area_ha"] == "4.0000"
    assert registry.parcel("BF-1")["status"] == "split"
    child = registry.parcel("BF-1A")
    assert child["parents"] == ["BF-1"] and child["household_shares_bp"] == {"HH-1": 10_000}
    with registry.db.read() as s:
        inherited = s.exec(text("SELECT parcel_code FROM issued_period ORDER BY parcel_code")).all()
    assert [r[0] for r in inherited] == ["BF-1", "BF-1A", "BF-1B"]
    assert registry.verify_parcels()["ok"]


def test_a_split_that_loses_or_leaves_area_is_refused(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0))
    coop = registry.actor("coop")
    with pytest.raises(SinkLedgerError) as exc:
        registry.split_parcel(coop, "s1", parcel_code="BF-1", parts=[{"parcel_code": "A", "geometry": halves()[0]},
                                                                     {"parcel_code": "B", "geometry": halves()[0]}])
    assert exc.value.code == "parcels_overlap_in_file"
    small = shapely.geometry.mapping(to_lonlat(shapely.box(469_600, 3_390_000, 469_690, 3_390_200)))
    with pytest.raises(SinkLedgerError) as exc:
        registry.split_parcel(coop, "s2", parcel_code="BF-1", parts=[{"parcel_code": "A", "geometry": halves()[0]},
                                                                     {"parcel_code": "B", "geometry": small}])
    assert exc.value.code == "split_area_not_kept"
    with pytest.raises(SinkLedgerError) as exc:
        registry.split_parcel(coop, "s3", parcel_code="BF-1", parts=[{"parcel_code": "A", "geometry": halves()[0]},
                                                                     {"parcel_code": "B", "geometry": halves(1)[1]}])
    assert exc.value.code == "split_parts_outside_parcel"


def test_merge_keeps_the_area(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0), declared_area_mu=60)
    register(registry, "BF-2", lonlat_square(1, 0), declared_area_mu=60)
    out = registry.merge_parcels(registry.actor("coop"), "m1", parcel_codes=["BF-1", "BF-2"], new_parcel_code="BF-12")
    assert out["area_ha"] == "8.0000" and out["parents_area_m2"] == "80000.00"
    merged = registry.parcel("BF-12")
    assert merged["geometry"]["type"] == "Polygon" and merged["declared_area_mu"] == 120
    assert {registry.parcel(c)["status"] for c in ("BF-1", "BF-2")} == {"merged"}
    register(registry, "TG-1", lonlat_square(3, 0), sink_type="tea_garden")
    with pytest.raises(InvalidInput) as exc:
        registry.merge_parcels(registry.actor("coop"), "m2", parcel_codes=["BF-12", "TG-1"], new_parcel_code="X")
    assert exc.value.code == "merge_parcels_differ"


def test_a_parcel_with_issued_credits_is_retired_never_deleted(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0))
    register(registry, "BF-2", lonlat_square(2, 0))
    with registry.db.write() as s:
        s.add(IssuedPeriodRow(parcel_code="BF-1", period_start="2022-11-15", period_end="2024-11-15", issuance_seq=1))
    coop = registry.actor("coop")
    for call in (lambda: registry.delete_parcel(coop, "d1", parcel_code="BF-1", reason="mistake"),
                 lambda: registry.update_parcel(coop, "u1", parcel_code="BF-1", geometry=lonlat_square(0, 0, 150))):
        with pytest.raises(Conflict) as exc:
            call()
        assert exc.value.code == "parcel_has_issued_credits"
    out = registry.retire_parcel(coop, "r1", parcel_code="BF-1", retired_from="2025-01-01", reason="converted to tea")
    assert out["status"] == "retired" and registry.parcel("BF-1")["retired_from"] == "2025-01-01"
    assert registry.delete_parcel(coop, "d2", parcel_code="BF-2", reason="registered twice")["status"] == "deleted"
    assert [p["parcel_code"] for p in registry.parcels(status="active")] == []
    register(registry, "TG-1", lonlat_square(0, 0), sink_type="tea_garden")  # the land is free for the future
    with pytest.raises(Conflict) as exc:
        registry.retire_parcel(coop, "r2", parcel_code="BF-1", retired_from="2026-01-01", reason="again")
    assert exc.value.code == "parcel_not_active"
    # the issued period written above stands in for an issuance: verify names it, and nothing else
    report = registry.verify()
    assert [(p.get("table"), p.get("code")) for p in report.problems] == [("issued_period", "row_not_in_journal")]
    assert registry.verify_parcels()["ok"]


def test_history_is_append_only_and_tampering_is_found(registry):  # type: ignore[no-untyped-def]
    register(registry, "BF-1", lonlat_square(0, 0))
    with registry.db.engine.connect() as conn:
        for stmt in ("UPDATE parcel_version SET change = 'x'", "DELETE FROM parcel_version"):
            with pytest.raises(Exception, match="parcel_history_is_append_only"):
                conn.execute(text(stmt))
            conn.rollback()
    with registry.db.engine.begin() as conn:  # the projection is rewritten behind the code's back
        conn.execute(text("UPDATE parcel SET version_hash = 'f' WHERE parcel_code = 'BF-1'"))
    assert registry.verify_parcels()["problems"] == [{"parcel_code": "BF-1", "version": 1, "problem": "projection_stale"}]


def test_version_records_are_the_ledgers_canonical_json(registry):  # type: ignore[no-untyped-def]
    import json

    from sinkledger_base.canonical import canonical_json
    from sinks.store import ParcelVersionRow

    register(registry, "BF-1", lonlat_square(0, 0), attributes={"culm_density_per_ha": 3000, "note": "山川乡"},
             household_shares_bp={"HH-1": 10_000}, declared_area_mu=60)
    with registry.db.read() as s:
        stored = s.exec(__import__("sqlmodel").select(ParcelVersionRow.record)).one()
    assert stored == canonical_json(json.loads(stored))
