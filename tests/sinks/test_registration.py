"""Registering parcels through the service, on SQLite and PostgreSQL: drawn geometries, files,
double counting inside a file and against the registry, tenure and shares, all or nothing."""

from __future__ import annotations

import pytest
import shapely

from sinkledger_base.errors import Conflict, InvalidInput, NotPermitted, SinkLedgerError
from tests.sinks.conftest import (
    bamboo_rows,
    codes,
    frame,
    geojson_file,
    lonlat_square,
    square_m,
    to_lonlat,
    write,
)


def register(svc, code, geometry, request=None, **kw):  # type: ignore[no-untyped-def]
    return svc.register_parcel(svc.actor(kw.pop("actor", "coop")), request or f"reg:{code}", parcel_code=code,
                               sink_type=kw.pop("sink_type", "bamboo_forest"), holder_party_id=kw.pop("holder", "COL-1"),
                               geometry=geometry, **kw)


def test_a_drawn_parcel_is_registered_with_area_version_and_shares(registry):  # type: ignore[no-untyped-def]
    out = register(registry, "BF-1", lonlat_square(0, 0), tenure_cert_no="安林证字(2008)第000001号",
                   declared_area_mu=60, household_shares_bp={"HH-1": 6000, "HH-2": 4000},
                   attributes={"culm_density_per_ha": 3000, "management_regime": "集约经营", "township_zh": "山川乡"})
    assert (out["area_ha"], out["area_mu"], out["area_epsg"], out["version"]) == ("4.0000", "60.00", 4549, 1)
    parcel = registry.parcel("BF-1")
    assert parcel["household_shares_bp"] == {"HH-1": 6000, "HH-2": 4000}
    assert parcel["tenure_cert_kind"] == "forest_right_certificate"
    assert parcel["attributes"] == {"culm_density_per_ha": 3000, "management_regime": "intensive", "township_zh": "山川乡"}
    assert registry.journal(kind="parcel_registered")[-1]["result"]["version_hash"] == parcel["version_hash"]
    assert registry.verify().ok and registry.verify_parcels()["ok"]


@pytest.mark.parametrize("kw, code", [
    ({"household_shares_bp": {"HH-1": 6000, "HH-2": 3000}}, "household_shares_do_not_sum_to_100_percent"),
    ({"household_shares_bp": {"HH-1": 5000, "ENT-1": 5000}}, "household_party_invalid"),
    ({"holder": "HH-1"}, "holder_kind_invalid"),
    ({"holder": "COL-9"}, "party_not_found"),
    ({"holder": "COL-2"}, "not_permitted"),
    ({"sink_type": "rice_paddy"}, "sink_type_unknown"),
    ({"attributes": {"culm_density_per_ha": -5}}, "attribute_out_of_range"),
    ({"attributes": {"wetland_class": "lake"}}, "attribute_not_for_sink_type"),
    ({"attributes": {"户主姓名": "张三"}}, "column_holds_personal_data"),
])
def test_tenure_shares_and_attributes_are_checked(registry, kw, code):  # type: ignore[no-untyped-def]
    head = registry.verify().head_hash
    with pytest.raises(SinkLedgerError) as exc:
        register(registry, "BF-1", lonlat_square(0, 0), **kw)
    assert exc.value.code == code
    assert registry.verify().head_hash == head


def test_declared_area_more_than_5_percent_off_is_flagged(registry):  # type: ignore[no-untyped-def]
    out = register(registry, "BF-1", lonlat_square(0, 0), declared_area_mu=64.0)  # 60 mu measured: +6.7 %
    assert out["flags"] == ["declared_area_differs"]
    flag = registry.parcel("BF-1")["flags"][0]
    assert flag["params"]["difference_pct"] == "+6.7"
    assert register(registry, "BF-2", lonlat_square(2, 0), declared_area_mu=62.9)["flags"] == []


def test_overlap_with_any_active_parcel_is_refused_naming_it(registry):  # type: ignore[no-untyped-def]
    """Given a bamboo parcel of COL-1, when the admin registers a tea parcel for COL-2 that covers a
    quarter of it, then it is refused naming the parcel, the overlap area and its shape."""
    register(registry, "BF-1", lonlat_square(0, 0))
    shifted = shapely.geometry.mapping(to_lonlat(shapely.affinity.translate(square_m(0, 0), 100, 100)))
    with pytest.raises(Conflict) as exc:
        register(registry, "TG-1", shifted, actor="admin", sink_type="tea_garden", holder="COL-2")
    assert exc.value.code == "parcel_overlaps_existing" and exc.value.params["conflicts"] == "BF-1"
    assert exc.value.params["overlap_m2"] == pytest.approx(10_000, rel=1e-3)
    assert shapely.geometry.shape(exc.value.params["overlaps"][0]["overlap"]).geom_type == "Polygon"


def test_digitising_noise_within_the_tolerance_is_allowed(registry):  # type: ignore[no-untyped-def]
    """Neighbours sharing an edge, or overlapping by a 0.2 m strip (40 m² < 0.1 % of 4 ha), are fine."""
    register(registry, "BF-1", lonlat_square(0, 0))
    register(registry, "BF-2", lonlat_square(1, 0))
    strip = shapely.geometry.mapping(to_lonlat(shapely.affinity.translate(square_m(0, 1), 0, -0.2)))
    register(registry, "BF-3", strip)
    beyond = shapely.geometry.mapping(to_lonlat(shapely.affinity.translate(square_m(1, 1), 0, -0.3)))
    with pytest.raises(Conflict):
        register(registry, "BF-4", beyond)


def test_a_large_parcel_may_not_swallow_a_small_one(registry):  # type: ignore[no-untyped-def]
    """The tolerance is 0.1 % of the smaller parcel: a 400 ha parcel over a 400 m² one is refused."""
    register(registry, "BF-S", lonlat_square(5, 5, size_m=20))
    big = shapely.geometry.mapping(to_lonlat(square_m(0, 0, size_m=2000)))
    with pytest.raises(Conflict):
        register(registry, "BF-BIG", big, actor="admin")


def test_invalid_geometry_is_refused_with_location_and_can_be_repaired(registry):  # type: ignore[no-untyped-def]
    a, b = to_lonlat(square_m(0, 0)).exterior.coords[0:2], to_lonlat(square_m(0, 0)).exterior.coords[2:4]
    bowtie = {"type": "Polygon", "coordinates": [[a[0], b[0], a[1], b[1], a[0]]]}
    with pytest.raises(InvalidInput) as exc:
        register(registry, "BF-1", bowtie)
    assert exc.value.code == "geometry_invalid" and exc.value.params["reason"] == "Self-intersection"
    preview = registry.repair_geometry(bowtie)
    assert not preview["valid"] and preview["repaired"]["type"] == "MultiPolygon"
    out = register(registry, "BF-1", bowtie, request="reg:fixed", repair=True)
    assert out["flags"] == ["geometry_repaired"] and float(out["area_ha"]) == pytest.approx(2.0, rel=1e-3)


@pytest.mark.parametrize("geometry, code", [
    ({"type": "Point", "coordinates": [119.7, 30.6]}, "geometry_not_polygonal"),
    ({"type": "Polygon", "coordinates": [[[119.7, 30.6], [119.71, 30.6], [119.71, 30.61]]]}, "geometry_unreadable"),
    (lonlat_square(0, 0, size_m=8), "area_too_small"),
    (shapely.geometry.mapping(to_lonlat(shapely.MultiPolygon([square_m(0, 0), square_m(300, 0, size_m=5)]))),
     "part_too_small"),
    (shapely.geometry.mapping(to_lonlat(shapely.MultiPolygon([square_m(0, 0), shapely.box(470_000, 3_390_000,
                                                                                          470_100, 3_390_001)]))),
     "part_is_sliver"),
    ({"type": "Polygon", "coordinates": [[[116.3, 39.9], [116.31, 39.9], [116.31, 39.91], [116.3, 39.9]]]},
     "geometry_outside_region"),
])
def test_shapes_that_cannot_be_parcels(registry, geometry, code):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        register(registry, "BF-1", geometry)
    assert exc.value.code == code


def test_a_file_imports_all_rows_in_one_entry_and_again_changes_nothing(registry, tmp_path):  # type: ignore[no-untyped-def]
    path = write(frame(bamboo_rows(3), [to_lonlat(square_m(i, 0)) for i in range(3)]), tmp_path / "p.gpkg")
    entries = registry.verify().entries
    out = registry.import_parcels(registry.actor("coop"), "imp-1", path=path)
    assert out["parcels_registered"] == 3 and out["area_ha"] == "12.0000"
    assert registry.verify().entries == entries + 1
    assert registry.journal(kind="parcels_imported")[-1]["result"]["parcels_registered"] == 3
    again = registry.import_parcels(registry.actor("coop"), "imp-1", path=path)
    assert again["replayed"] and registry.verify().entries == entries + 1
    assert [p["parcel_code"] for p in registry.parcels()] == ["T-BF-001", "T-BF-002", "T-BF-003"]


def test_a_file_with_any_problem_registers_nothing_and_reports_everything(registry, tmp_path):  # type: ignore[no-untyped-def]
    """Given a registered parcel and a file whose rows overlap it, each other, reuse a code and name
    an unknown holder, then nothing registers and every problem is in the report."""
    register(registry, "T-BF-001", lonlat_square(0, 0))
    rows = bamboo_rows(4)
    rows[3]["holder"] = "COL-9"
    geoms = [to_lonlat(square_m(0.5, 0)), to_lonlat(square_m(3, 0)), to_lonlat(square_m(3.5, 0)),
             to_lonlat(square_m(6, 0))]
    path = write(frame(rows, geoms), tmp_path / "bad.gpkg")
    before = registry.verify().head_hash
    with pytest.raises(InvalidInput) as exc:
        registry.import_parcels(registry.actor("coop"), "imp-bad", path=path)
    assert exc.value.code == "parcel_import_has_problems"
    found = {(p["row"], p["code"]) for p in exc.value.params["problems"]}
    assert found == {(1, "parcel_code_taken"), (1, "parcel_overlaps_existing"), (2, "parcels_overlap_in_file"),
                     (3, "parcels_overlap_in_file"), (4, "party_not_found")}
    assert registry.verify().head_hash == before and len(registry.parcels()) == 1
    preview = registry.preview_parcels(registry.actor("coop"), path=path)
    assert not preview["ok"] and {(p["row"], p["code"]) for p in preview["problems"]} == found


def test_holders_may_be_named_by_their_registered_name(registry, tmp_path):  # type: ignore[no-untyped-def]
    rows = bamboo_rows(1, holder="山川乡大里村股份经济合作社（测试）")
    out = registry.import_parcels(registry.actor("coop"), "by-name",
                                  path=write(frame(rows, [to_lonlat(square_m(0, 0))]), tmp_path / "n.gpkg"))
    assert out["parcels_registered"] == 1 and registry.parcel("T-BF-001")["holder_party_id"] == "COL-1"


def test_a_household_cannot_register(registry, tmp_path):  # type: ignore[no-untyped-def]
    registry.create_user(username="hh", password="password-1", role="household", party_id="HH-1", display_name="hh")
    with pytest.raises(NotPermitted):
        register(registry, "BF-1", lonlat_square(0, 0), actor="hh")
    path = geojson_file(tmp_path / "h.geojson", [(bamboo_rows(1)[0], lonlat_square(0, 0))])
    with pytest.raises(NotPermitted):
        registry.import_parcels(registry.actor("hh"), "hh-1", path=path)


def test_registry_overlap_uses_the_gcj02_converted_position(registry, tmp_path):  # type: ignore[no-untyped-def]
    """A parcel traced on Gaode lands 0.5 km off unless converted; converted, it meets the parcel
    already registered on that land."""
    from sinks.gcj02 import geometry_wgs84_to_gcj02

    register(registry, "BF-1", lonlat_square(0, 0))
    traced = shapely.geometry.mapping(geometry_wgs84_to_gcj02(to_lonlat(square_m(0, 0))))
    path = geojson_file(tmp_path / "gcj.geojson", [({**bamboo_rows(1)[0], "parcel_code": "GD-1"}, traced)])
    assert codes(registry.preview_parcels(registry.actor("coop"), path=path, options={"from_gcj02": True})) == \
        ["parcel_overlaps_existing"]
    assert registry.preview_parcels(registry.actor("coop"), path=path)["ok"]


def test_an_import_reports_its_progress_row_by_row(registry, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Given a file of 1,200 rows, when it is previewed and imported with a progress hook, then the
    hook hears rows checked (every 500 and the last), the geometry and overlap stages, and rows
    registered up to all of them, always counting up to the file's rows."""
    import sinks.importer

    monkeypatch.setattr(sinks.importer, "PROGRESS_EVERY", 500)
    n = 1_200
    path = write(frame(bamboo_rows(n), [to_lonlat(square_m(i % 40, i // 40, size_m=50)) for i in range(n)]),
                 tmp_path / "many.gpkg")
    heard: list[tuple[int, int, str]] = []
    registry.preview_parcels(registry.actor("coop"), path=path, progress=lambda *a: heard.append(a))
    assert heard == [(500, n, "rows"), (1000, n, "rows"), (n, n, "rows"), (n, n, "geometries"), (n, n, "overlaps"),
                     (0, n, "registry")]
    heard.clear()
    out = registry.import_parcels(registry.actor("coop"), "imp-progress", path=path,
                                  progress=lambda *a: heard.append(a))
    assert out["parcels_registered"] == n
    written = [h for h in heard if h[2] not in ("rows", "geometries", "overlaps")]
    assert [h[0] for h in written] == [500, 1000, n] and all(h[1] == n for h in written)
    assert written[-1][2] == out["last_parcel_code"]


def test_a_preview_can_carry_each_row_geometry_for_a_map(registry, tmp_path):  # type: ignore[no-untyped-def]
    path = write(frame(bamboo_rows(2), [to_lonlat(square_m(i, 0)) for i in range(2)]), tmp_path / "two.gpkg")
    plain = registry.preview_parcels(registry.actor("coop"), path=path)
    mapped = registry.preview_parcels(registry.actor("coop"), path=path, with_geometry=True)
    assert all("geometry" not in p for p in plain["parcels"])
    assert [p["geometry"]["type"] for p in mapped["parcels"]] == ["Polygon", "Polygon"]
    assert {k: v for k, v in mapped.items() if k != "parcels"} == {k: v for k, v in plain.items() if k != "parcels"}
    with pytest.raises(InvalidInput) as refusal:
        registry.preview_parcels(registry.actor("coop"), path=path, with_geometry="false")
    assert refusal.value.code == "value_invalid"
