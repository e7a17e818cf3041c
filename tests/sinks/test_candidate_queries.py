"""The registry's candidate queries, rewritten for speed (issue 17), answer as before.

``active_candidates`` now lets the R*Tree drive the join on SQLite (before, SQLite's planner
walked the status index over every active parcel); ``holder_problems`` reads only the parties a
draft names. On both backends, for overlapping, touching and far parcels, the candidates are
exactly the active parcels whose bounding box meets the probe's (a full scan says which), and
registration refuses an overlap and accepts a touching or a far neighbour.
"""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import text

from ledger.parcels import active_candidates, holder_problems
from sinks.importer import ParcelDraft
from tests.sinks.conftest import lonlat_square, square_m, to_lonlat

# A 3 x 3 block of touching 200 m squares (cells 0..2), one square far away (cell 40), and one
# square that is retired (cell 5): candidates are active parcels only.
BLOCK = [(c, r) for c in range(3) for r in range(3)]


def _register(svc, code: str, col: float, row: float) -> dict:  # type: ignore[no-untyped-def]
    return svc.register_parcel(svc.actor("admin"), f"r-{code}", parcel_code=code, sink_type="bamboo_forest",
                               holder_party_id="COL-1", geometry=lonlat_square(col, row))


@pytest.fixture
def block(registry):  # type: ignore[no-untyped-def]
    for col, row in BLOCK:
        _register(registry, f"T-BF-{col}{row}", col, row)
    _register(registry, "T-BF-FAR", 40, 40)
    _register(registry, "T-BF-OLD", 5, 0)
    registry.retire_parcel(registry.actor("admin"), "ret-old", parcel_code="T-BF-OLD", retired_from="2024-01-01",
                           reason="test")
    return registry


def _full_scan(svc, bounds: tuple[float, float, float, float]) -> set[str]:  # type: ignore[no-untyped-def]
    """What a query must return: every active parcel whose bounding box meets ``bounds``."""
    x0, y0, x1, y1 = bounds
    with svc.db.read() as s:
        rows = s.execute(text("SELECT parcel_code, geometry_wkb, status FROM parcel")).all()
    out = set()
    for code, wkb, status in rows:
        a0, b0, a1, b1 = shapely.from_wkb(wkb).bounds
        if status == "active" and a1 >= x0 and a0 <= x1 and b1 >= y0 and b0 <= y1:
            out.add(code)
    return out


PROBES = {
    # inside the centre square only (a new parcel that overlaps one)
    "overlapping": (square_m(1.25, 1.25, 100.0), {"T-BF-11"}),
    # the square left of the block: it touches the block's left column along an edge
    "touching": (square_m(-1, 1), {"T-BF-00", "T-BF-01", "T-BF-02"}),
    # nowhere near any parcel
    "far": (square_m(20, 20), set()),
    # over the retired square only: no active candidate
    "retired": (square_m(5.25, 0.25, 100.0), set()),
    # the whole block and the far square
    "wide": (shapely.box(*square_m(-1, -1).bounds[:2], *square_m(41, 41).bounds[2:]),
             {f"T-BF-{c}{r}" for c, r in BLOCK} | {"T-BF-FAR"}),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_candidates_are_the_active_parcels_whose_box_meets_the_probe(block, probe):  # type: ignore[no-untyped-def]
    geom_m, expected_core = PROBES[probe]
    bounds = to_lonlat(geom_m).bounds
    with block.db.read() as s:
        found = active_candidates(s, bounds)
    codes = [c.parcel_code for c in found]
    assert len(codes) == len(set(codes))  # one row per parcel
    assert set(codes) == _full_scan(block, bounds)
    assert expected_core <= set(codes)  # what the probe was drawn to meet (edges in lon/lat may add a neighbour)
    assert "T-BF-OLD" not in codes
    for c in found:  # the geometry and area read back are the registered ones
        with block.db.read() as s:
            wkb, area = s.execute(text("SELECT geometry_wkb, area_m2 FROM parcel WHERE parcel_code = :c"),
                                  {"c": c.parcel_code}).one()
        assert shapely.equals_exact(c.geometry, shapely.from_wkb(wkb), 0.0) and c.area_m2 == area
    if block.db.is_sqlite:  # the query as it was written before issue 17 gives the same rows
        x0, y0, x1, y1 = bounds
        with block.db.read() as s:
            before = s.execute(text(
                "SELECT parcel_code FROM parcel WHERE status = 'active' AND id IN (SELECT id FROM parcel_rtree "
                "WHERE max_lon >= :x0 AND min_lon <= :x1 AND max_lat >= :y0 AND min_lat <= :y1) ORDER BY id"),
                {"x0": x0, "x1": x1, "y0": y0, "y1": y1}).scalars().all()
        assert codes == before


def test_ignored_codes_are_left_out(block):  # type: ignore[no-untyped-def]
    bounds = to_lonlat(square_m(-1, 1)).bounds
    with block.db.read() as s:
        found = {c.parcel_code for c in active_candidates(s, bounds, {"T-BF-01"})}
    assert "T-BF-01" not in found and {"T-BF-00", "T-BF-02"} <= found


def test_sqlite_lets_the_rtree_drive_the_candidate_query(block):  # type: ignore[no-untyped-def]
    from ledger.parcels import RTREE_CANDIDATES

    if not block.db.is_sqlite:  # PostgreSQL: the GiST index answers (test_spatial_index.py)
        with block.db.read() as s:
            plan = "\n".join(r[0] for r in s.execute(text(
                "EXPLAIN SELECT parcel_code FROM parcel WHERE status = 'active' "
                "AND geom && ST_MakeEnvelope(119.0, 30.0, 121.0, 31.5, 4490)")).all())
        assert "parcel" in plan
        return
    with block.db.read() as s:
        plan = s.execute(text("EXPLAIN QUERY PLAN " + RTREE_CANDIDATES),
                         {"x0": 0, "x1": 1, "y0": 0, "y1": 1, "active": "active"}).all()
    steps = [r[3] for r in plan]
    assert steps[0].startswith("SCAN r VIRTUAL TABLE"), steps
    assert any("INTEGER PRIMARY KEY" in s for s in steps), steps


@pytest.mark.parametrize("where, refused", [((1.5, 1.5), True), ((3, 1), False), ((30, 30), False)],
                         ids=["overlapping", "touching", "far"])
def test_registration_against_the_block(block, where, refused):  # type: ignore[no-untyped-def]
    from sinkledger_base.errors import SinkLedgerError

    if refused:
        with pytest.raises(SinkLedgerError) as caught:
            _register(block, "T-BF-NEW", *where)
        assert caught.value.code == "parcel_overlaps_existing"
        assert "T-BF-11" in str(caught.value.params)
    else:
        _register(block, "T-BF-NEW", *where)
        assert block.parcel("T-BF-NEW")["status"] == "active"


def test_holders_by_id_and_by_name(block):  # type: ignore[no-untyped-def]
    drafts = [ParcelDraft(row=1), ParcelDraft(row=2), ParcelDraft(row=3), ParcelDraft(row=4), ParcelDraft(row=5)]
    drafts[0].holder = "COL-2"  # by id
    drafts[1].holder = "山川乡大里村股份经济合作社（测试）"  # by exact name: COL-1
    drafts[2].holder = "HH-1"  # a household holds no parcel
    drafts[3].holder = "NOBODY"
    drafts[4].holder = None  # no holder: another check's problem, not this one's
    with block.db.read() as s:
        holders, problems = holder_problems(s, block.actor("admin"), drafts)
    assert holders == {1: "COL-2", 2: "COL-1"}
    assert sorted((p.row, p.code) for p in problems) == [(3, "holder_kind_invalid"), (4, "party_not_found")]


def test_a_name_two_holders_share_is_refused(block):  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import SYSTEM_ACTOR

    block.register_party(SYSTEM_ACTOR, "p:twin", party_id="COL-3", kind="collective",
                         name="溪龙乡白茶专业合作社（测试）", county_code="330523")
    draft = ParcelDraft(row=1)
    draft.holder = "溪龙乡白茶专业合作社（测试）"
    with block.db.read() as s:
        holders, problems = holder_problems(s, block.actor("admin"), [draft])
    assert holders == {} and [p.code for p in problems] == ["party_not_found"]
