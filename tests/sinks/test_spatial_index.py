"""The spatial index behind the overlap check: an R*Tree on SQLite, PostGIS on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from sinks.store import spatial_index_kind
from tests.ledger.conftest import demo_parcel_inputs


def test_each_backend_indexes_parcels_spatially(registry):  # type: ignore[no-untyped-def]
    svc = registry
    for code in ("AJ-BF-0001", "AJ-BF-0002"):
        geometry, _ = demo_parcel_inputs(code)
        svc.register_parcel(svc.actor("coop"), f"r-{code}", parcel_code=code, sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=geometry)
    with svc.db.read() as s:
        kind = spatial_index_kind(s)
        if svc.db.is_sqlite:
            assert kind == "rtree"
            assert s.execute(text("SELECT count(*) FROM parcel_rtree")).scalar() == 2
        else:  # CI installs PostGIS; the geometry column mirrors the stored WKB, in EPSG:4490
            assert kind == "postgis"
            srid, valid = s.execute(text("SELECT ST_SRID(geom), bool_and(ST_IsValid(geom)) FROM parcel "
                                         "GROUP BY 1")).one()
            assert (srid, valid) == (4490, True)
            hits = s.execute(text("SELECT parcel_code FROM parcel WHERE geom && "
                                  "ST_MakeEnvelope(119.0, 30.0, 121.0, 31.5, 4490) ORDER BY 1")).scalars().all()
            assert hits == ["AJ-BF-0001", "AJ-BF-0002"]
