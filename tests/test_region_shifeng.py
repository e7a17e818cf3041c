"""A second region, Shifeng District of Zhuzhou (Hunan), from its profile alone (issue 14, point 9):
parcels inside its bounds are imported with areas in its Gauss-Krüger zone (EPSG:4547, central
meridian 114 E), estimated with the bamboo forest methodology and issued; the ledger verifies.
A Huzhou file is refused there, and a Shifeng file in Huzhou. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from sqlmodel import select

from ledger.domain import PartyKind
from methodologies.registry import get_methodology
from sinkledger import catalogue
from sinkledger.config import load_settings
from sinkledger.services.registry import SYSTEM_ACTOR, Service
from sinkledger_base.errors import InvalidInput
from sinks.store import ParcelRow
from tests.sinks.conftest import bamboo_rows, frame, square_m, to_lonlat, write

BAMBOO = "sinkledger.bamboo-moso-management"
ORIGIN_4547 = (413_500.0, 3_090_000.0)  # about 113.13 E, 27.93 N: inside the profile's bounds


def shifeng_square(col: int, size_m: float = 300.0) -> shapely.Polygon:
    """A square laid out in EPSG:4547 metres, in lon/lat (EPSG:4490)."""
    x0, y0 = ORIGIN_4547[0] + col * (size_m + 100), ORIGIN_4547[1]
    return to_lonlat(shapely.box(x0, y0, x0 + size_m, y0 + size_m), epsg=4547)


def shifeng_rows(n: int, **extra) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{"parcel_code": f"SF-BF-{i + 1:03d}", "sink_type": "bamboo_forest", "holder": "COL-SF",
             "county_code": "430204", **extra} for i in range(n)]


def area_in(geom: shapely.Geometry, epsg: int) -> float:
    """The planar area of a lon/lat polygon in ``EPSG:epsg``, computed with pyproj directly."""
    to = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1]))).area


def open_service(backend_url: str, home, region: str) -> Service:  # type: ignore[no-untyped-def]
    svc = Service.open(load_settings({"DATABASE_URL": backend_url, "SINKLEDGER_HOME": str(home),
                                      "SINKLEDGER_REGION": region}))
    svc.initialise()
    return svc


@pytest.fixture
def shifeng(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    """Given a registry on the Shifeng profile with a collective, a verifier and their users."""
    svc = open_service(backend_url, tmp_path, "zhuzhou-shifeng")
    for pid, kind, name in (("COL-SF", PartyKind.collective, "示例村股份经济合作社（测试，虚构）"),
                            ("VER-SF", PartyKind.verifier, "示例核证机构（测试，虚构）")):
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name, county_code="430204")
    svc.create_user(username="coop", password="password-1", role="cooperative", party_id="COL-SF", display_name="coop")
    svc.create_user(username="verifier", password="password-1", role="verifier", party_id="VER-SF",
                    display_name="verifier")
    yield svc
    svc.db.dispose()


def test_shifeng_imports_estimates_and_issues(shifeng, tmp_path):  # type: ignore[no-untyped-def]
    svc = shifeng
    coop, verifier = svc.actor("coop"), svc.actor("verifier")
    squares = [shifeng_square(i) for i in range(2)]
    path = write(frame(shifeng_rows(2), squares), tmp_path / "shifeng.gpkg")

    # When the collective imports its file, then every area is measured in EPSG:4547.
    out = svc.import_parcels(coop, "imp:1", path=path)
    assert out["area_epsg"] == 4547
    with svc.db.read() as s:
        stored = {r.parcel_code: r for r in s.exec(select(ParcelRow))}
    for code, square in zip(("SF-BF-001", "SF-BF-002"), squares):
        row, parcel = stored[code], svc.parcel(code)
        assert row.area_epsg == parcel["area_epsg"] == 4547 and parcel["county_code"] == "430204"
        assert row.area_m2 == pytest.approx(area_in(square, 4547), rel=1e-9)
        assert abs(row.area_m2 / area_in(square, 4549) - 1) > 0.005  # Huzhou's zone would be >0.5 % off
        assert row.area_m2 == pytest.approx(90_000, rel=1e-6)  # laid out as 300 m squares in 4547

    # When the parcels are estimated and the verifier issues, then credits carry the district's code.
    inputs = get_methodology(BAMBOO).example_inputs()
    est = svc.record_estimate(coop, "est:1", parcel_codes=["SF-BF-001", "SF-BF-002"], methodology_id=BAMBOO,
                              inputs=inputs)
    assert est["area_ha"] == "18.0000" and est["net_kg_co2e"] > 1000
    issued = svc.issue(verifier, "iss:1", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
                       project_code="SFBF01", buffer_share_bp=1000)
    assert issued["issued_t"] == est["net_kg_co2e"] // 1000 > 0
    assert all(b["serials"].startswith("CN430204-BF-SFBF01-") for b in issued["batches"])
    assert svc.account_balance("COL-SF-H")["held_t"] == issued["issued_t"] - issued["buffer_t"]
    report = svc.verify()
    assert report.ok, report.problems


def test_a_huzhou_file_is_refused_in_shifeng(shifeng, tmp_path):  # type: ignore[no-untyped-def]
    rows = bamboo_rows(1, holder="COL-SF")
    path = write(frame(rows, [to_lonlat(square_m(0, 0))]), tmp_path / "anji.geojson")
    with pytest.raises(InvalidInput) as refusal:
        shifeng.import_parcels(shifeng.actor("coop"), "imp:hz", path=path)
    problems = {p["code"] for p in refusal.value.params["problems"]}
    assert problems == {"geometry_outside_region", "county_code_unknown"}
    assert shifeng.parcels() == []


def test_a_tea_garden_is_refused_in_shifeng(shifeng, tmp_path):  # type: ignore[no-untyped-def]
    rows = shifeng_rows(1, sink_type="tea_garden")
    path = write(frame(rows, [shifeng_square(0)]), tmp_path / "tea.geojson")
    report = shifeng.preview_parcels(shifeng.actor("coop"), path=path)
    assert [(p["code"], p["details"]["allowed"]) for p in report["problems"]] == \
        [("sink_type_not_in_region", "bamboo_forest, wetland")]


def test_a_shifeng_file_is_refused_in_huzhou(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    svc = open_service(backend_url, tmp_path, "huzhou")
    try:
        svc.register_party(SYSTEM_ACTOR, "p:COL-SF", party_id="COL-SF", kind="collective", name="示例（测试）",
                           county_code="330523")
        path = write(frame(shifeng_rows(1), [shifeng_square(0)]), tmp_path / "shifeng.geojson")
        report = svc.preview_parcels(SYSTEM_ACTOR, path=path)
        assert {p["code"] for p in report["problems"]} == {"geometry_outside_region", "county_code_unknown"}
        outside = next(p for p in report["problems"] if p["code"] == "geometry_outside_region")
        assert outside["details"]["region"] == "湖州市"
    finally:
        svc.db.dispose()


def test_the_registry_is_named_after_the_region(shifeng):  # type: ignore[no-untyped-def]
    assert gpd.read_file(shifeng.settings.counties_path)["code"].tolist() == ["430204"]
    assert shifeng.settings.region.authority("registry").name_zh == "株洲市石峰区碳汇登记簿"


def test_the_huzhou_demo_is_not_seeded_in_shifeng(shifeng):  # type: ignore[no-untyped-def]
    from sinkledger.demo.seed import seed_demo

    assert not dataclasses.replace(shifeng.settings, seed_demo="1").seeds_demo_when_empty
    with pytest.raises(InvalidInput) as refusal:
        seed_demo(shifeng)
    assert refusal.value.code == "demo_region_mismatch" and "SINKLEDGER_REGION=huzhou" in catalogue.messages(refusal.value)[1]
    assert shifeng.parcels() == []
