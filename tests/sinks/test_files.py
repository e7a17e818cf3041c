"""Files as forestry offices deliver them: formats, encodings, CRSs, GCJ-02, Z values.

Each test writes its file in a temporary folder from squares laid out in EPSG:4549 near Anji
and plans it (no registry needed), or imports it through the service.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import shapely

from sinkledger.config import HUZHOU
from sinks.crs import transform
from sinks.gcj02 import geometry_wgs84_to_gcj02
from sinks.importer import ImportOptions, plan_file
from tests.sinks.conftest import (
    bamboo_rows,
    codes,
    frame,
    geojson_file,
    lonlat_square,
    square_m,
    to_lonlat,
    write,
    zip_shapefile,
)

# Column names of at most 10 bytes in UTF-8 too (3 Chinese characters): DBF field names are cut
# at 10 bytes, and a cut UTF-8 name no longer decodes (see the next-but-one test).
CHINESE_ROWS = [{"小班号": f"{i:04d}", "地类": "毛竹林", "权利人": "COL-1", "面积": 60.0, "权属": "集体",
                 "权证号": f"安林证字(2008)第{i:06d}号", "立竹度": 3000, "户主": "张三"} for i in range(1, 4)]


def plan(path, **options):  # type: ignore[no-untyped-def]
    return plan_file(path, ImportOptions(**options), HUZHOU)


def chinese_shapefile(tmp_path, encoding: str, keep_cpg: bool):  # type: ignore[no-untyped-def]
    gdf = frame(CHINESE_ROWS, [to_lonlat(square_m(i, 0)) for i in range(3)])
    shp = write(gdf, tmp_path / "xiaoban.shp", encoding=encoding)
    return zip_shapefile(shp, drop=() if keep_cpg else (".cpg",))


@pytest.mark.parametrize("encoding, keep_cpg, source", [("GBK", False, "gb18030"), ("GBK", True, "cpg"),
                                                        ("UTF-8", False, "utf8"), ("UTF-8", True, "cpg")])
def test_chinese_shapefile_reads_right_with_or_without_cpg(tmp_path, encoding, keep_cpg, source):  # type: ignore[no-untyped-def]
    """Given a zipped Shapefile with Chinese column names and values, when planned, then the default
    mapping finds 小班号, 面积 (mu), 权属 and 林权证号, and the household-name column is dropped."""
    p = plan(chinese_shapefile(tmp_path, encoding, keep_cpg), mapping={"地类": "sink_type"})
    assert p.source["encoding_source"] == source and not p.problems
    draft = p.drafts[0]
    assert (draft.parcel_code, draft.sink_type, draft.holder) == ("0001", "bamboo_forest", "COL-1")
    assert draft.tenure_ownership == "collective" and draft.tenure_cert_kind == "forest_right_certificate"
    assert draft.declared_area_mu == "60" and draft.attributes == {"culm_density_per_ha": 3000}
    assert "户主" in next(n for n in p.notices if n.code == "columns_dropped").params["columns"]


def test_personal_data_columns_cannot_be_kept(tmp_path):  # type: ignore[no-untyped-def]
    p = plan(chinese_shapefile(tmp_path, "GBK", True), keep_columns=("户主",), mapping={"地类": "sink_type"})
    assert [x.code for x in p.problems] == ["column_holds_personal_data"]


def test_a_utf8_field_name_cut_mid_character_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    """Given a UTF-8 Shapefile whose 4-character column name GDAL cut to 10 bytes, then no single
    encoding decodes the file and it is refused as undecodable rather than guessed."""
    shp = write(frame([{"碳汇类型": "毛竹林"}], [to_lonlat(square_m(0, 0))]), tmp_path / "cut.shp", encoding="UTF-8")
    found = plan(zip_shapefile(shp, drop=(".cpg",))).problems
    assert "text_undecodable" in [p.code for p in found]


def test_text_that_does_not_decode_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    """Given GBK bytes under a .cpg that says UTF-8, then every such cell is refused."""
    gdf = frame(CHINESE_ROWS, [to_lonlat(square_m(i, 0)) for i in range(3)])
    shp = write(gdf, tmp_path / "x.shp", encoding="GBK")
    (tmp_path / "x.cpg").write_text("UTF-8")
    found = plan(zip_shapefile(shp)).problems
    assert {p.code for p in found} == {"text_undecodable"} and {p.row for p in found} >= {None, 1, 2, 3}


@pytest.mark.parametrize("text, reason", [("锟斤拷锟斤拷", "replacement_characters"), ("°²¼ªÏØ", "latin1_lookalike"),
                                          ("å®\u0089å\u0090\u0089å\u008e¿", "latin1_lookalike")])
def test_mojibake_is_refused_not_stored(tmp_path, text, reason):  # type: ignore[no-untyped-def]
    rows = bamboo_rows(1, village=text)
    path = geojson_file(tmp_path / "m.geojson", [(rows[0], lonlat_square(0, 0))])
    found = plan(path, keep_columns=("village",)).problems
    assert [(p.code, p.row, p.field, p.params["reason"]) for p in found] == [("text_garbled", 1, "village", reason)]


@pytest.mark.parametrize("epsg", [4549, 4528, 4509, 4490, 4326])
def test_cgcs2000_zones_and_geographic_crs_give_the_same_area(tmp_path, epsg):  # type: ignore[no-untyped-def]
    """Given the same 200 m parcel written in a 3° zone (with and without the zone prefix), a 6°
    zone, CGCS2000 and WGS84 lon/lat, then each measures 4 ha (±0.01 %) in EPSG:4549."""
    geom = transform(np.array([square_m(0, 0)], dtype=object), "EPSG:4549", f"EPSG:{epsg}")[0]
    p = plan(write(frame(bamboo_rows(1), [geom], f"EPSG:{epsg}"), tmp_path / "p.gpkg"))
    assert not p.problems
    assert p.drafts[0].area_m2 == pytest.approx(40_000, rel=1e-4)


def test_one_square_kilometre_in_a_gauss_kruger_zone_is_100_ha(tmp_path):  # type: ignore[no-untyped-def]
    gdf = frame(bamboo_rows(1), [square_m(0, 0, size_m=1000)], "EPSG:4549")
    draft = plan(write(gdf, tmp_path / "km.gpkg")).drafts[0]
    assert draft.area_m2 / 10_000 == pytest.approx(100, rel=1e-4)
    assert draft.area_m2 / (10_000 / 15) == pytest.approx(1500, rel=1e-4)


def test_a_file_without_crs_is_refused_unless_the_user_names_one(tmp_path):  # type: ignore[no-untyped-def]
    shp = write(frame(bamboo_rows(1), [square_m(0, 0)], None), tmp_path / "noprj.shp")
    assert codes(plan(shp).report()) == ["crs_missing"]
    p = plan(shp, crs="EPSG:4549")
    assert not p.problems and p.drafts[0].area_m2 == pytest.approx(40_000)


def test_legacy_datums_are_flagged_not_silently_converted(tmp_path):  # type: ignore[no-untyped-def]
    """Given a Xian 1980 3° GK file (EPSG:2385), then it is refused unless allowed, and allowed it is
    converted with a notice."""
    path = write(frame(bamboo_rows(1), [square_m(0, 0)], "EPSG:2385"), tmp_path / "xian80.gpkg")
    assert codes(plan(path).report()) == ["crs_legacy_datum"]
    allowed = plan(path, allow_legacy_datum=True)
    assert not allowed.problems and "crs_legacy_datum_converted" in [n.code for n in allowed.notices]


def test_swapped_latitude_and_longitude_are_detected(tmp_path):  # type: ignore[no-untyped-def]
    swapped = shapely.transform(to_lonlat(square_m(0, 0)), lambda xy: xy[:, ::-1].copy())
    path = geojson_file(tmp_path / "s.geojson", [(bamboo_rows(1)[0], shapely.geometry.mapping(swapped))])
    assert codes(plan(path).report()) == ["coordinates_swapped"]
    assert not plan(path, swap_axes=True).problems


@pytest.mark.parametrize("geom, crs, code, suggested", [
    (square_m(0, 0), None, "coordinates_not_degrees", "CGCS2000 3-degree Gauss-Kruger CM (e.g. EPSG:4549)"),
    (shapely.affinity.translate(square_m(0, 0), 40_000_000), None, "coordinates_not_degrees", "EPSG:4528"),
    (shapely.affinity.translate(square_m(0, 0), 40_000_000), "EPSG:4549", "crs_zone_mismatch", "EPSG:4528"),
])
def test_projected_metres_under_the_wrong_crs_are_diagnosed(tmp_path, geom, crs, code, suggested):  # type: ignore[no-untyped-def]
    """GK metres in a GeoJSON without a crs member (read as WGS84), and zone-prefixed eastings
    labelled as the prefix-free zone, are named as such, with the CRS to use."""
    path = geojson_file(tmp_path / "m.geojson", [(bamboo_rows(1)[0], shapely.geometry.mapping(geom))], crs)
    [problem] = plan(path).problems
    assert (problem.code, problem.params["suggested_crs"]) == (code, suggested)


def test_data_outside_the_region_is_refused(tmp_path):  # type: ignore[no-untyped-def]
    beijing = shapely.box(116.30, 39.90, 116.31, 39.91)
    path = geojson_file(tmp_path / "b.geojson", [(bamboo_rows(1)[0], shapely.geometry.mapping(beijing))])
    [problem] = plan(path).problems
    assert problem.code == "geometry_outside_region" and problem.params["region"] == "湖州市"


def test_gcj02_is_converted_only_when_asked(tmp_path):  # type: ignore[no-untyped-def]
    """Given a parcel traced on Gaode (GCJ-02), when imported with the conversion, then it lands on
    its true position within 1 cm; without, it stays about 0.5 km off."""
    truth = to_lonlat(square_m(0, 0))
    traced = geometry_wgs84_to_gcj02(truth)
    path = geojson_file(tmp_path / "g.geojson", [(bamboo_rows(1)[0], shapely.geometry.mapping(traced))])
    converted, raw = plan(path, from_gcj02=True).drafts[0].geometry, plan(path).drafts[0].geometry
    metres = transform(np.array([truth, converted, raw], dtype=object), "EPSG:4490", "EPSG:4549")
    assert shapely.hausdorff_distance(metres[0], metres[1]) < 0.01
    assert 400 < shapely.hausdorff_distance(metres[0], metres[2]) < 700


def test_kml_and_kmz_import_with_z_dropped(tmp_path):  # type: ignore[no-untyped-def]
    geoms = [shapely.force_3d(to_lonlat(square_m(i, 0)), 35.0) for i in range(2)]
    kml = write(frame([{"name": f"K-{i}"} for i in range(2)], geoms, "EPSG:4326"), tmp_path / "doc.kml")
    kmz = tmp_path / "parcels.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.write(kml, "doc.kml")
    for path in (kml, kmz):
        p = plan(path, mapping={"name": "parcel_code"}, defaults={"sink_type": "tea_garden", "holder": "COL-2"})
        assert not p.problems, p.report()["problems"]
        assert [d.parcel_code for d in p.drafts] == ["K-0", "K-1"]
        assert "z_values_dropped" in [n.code for n in p.notices]


def test_a_several_layer_geopackage_needs_a_layer_name(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "two.gpkg"
    write(frame(bamboo_rows(1), [to_lonlat(square_m(0, 0))]), path, layer="a")
    write(frame(bamboo_rows(1), [to_lonlat(square_m(2, 0))]), path, layer="b")
    assert codes(plan(path).report()) == ["file_has_several_layers"]
    assert not plan(path, layer="b").problems


def test_every_problem_of_every_row_is_reported(tmp_path):  # type: ignore[no-untyped-def]
    """Given a file whose rows are wrong in different ways, then the report lists them all, by row and field."""
    rows = [{"parcel_code": "ok-1", "sink_type": "bamboo_forest", "holder": "COL-1"},
            {"parcel_code": "bad code!", "sink_type": "rice", "holder": "COL-1", "立竹度": "many"},
            {"parcel_code": "ok-2", "sink_type": "wetland", "holder": "", "湿地类型": "desert"}]
    geoms = [lonlat_square(0, 0), lonlat_square(2, 0), lonlat_square(4, 0)]
    report = plan(geojson_file(tmp_path / "r.geojson", list(zip(rows, geoms)))).report()
    found = [(p["row"], p["field"], p["code"]) for p in report["problems"]]
    assert found == [(2, "parcel_code", "value_invalid"), (2, "sink_type", "sink_type_unknown"),
                     (3, "holder", "field_required"), (3, "wetland_class", "attribute_not_a_choice")]
