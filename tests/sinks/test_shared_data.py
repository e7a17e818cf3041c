"""Every file in ../shared/data/vector and ../shared/data/huzhou either imports or is refused for a
specific, correct reason. The table says what each must do; ``defaults`` give every row a sink
type and a holder, so that what remains is the file's own doing.

Given a file and the options a user would reasonably pass, when it is planned, then the distinct
problem codes are exactly those listed (``()`` means it imports).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from sinkledger import catalogue
from sinkledger.config import HUZHOU
from sinks.encoding import choose_encoding, read_dbf_text
from sinks.importer import ImportOptions, plan_file

pytestmark = pytest.mark.shared_data
DEFAULTS = {"sink_type": "wetland", "holder": "COL-1"}
# Huzhou's configured bounds reach 31.20 N; Changxing's northern tip lies near 31.18 N once the
# DataV outline is moved from GCJ-02 to WGS84, so bounds ending at 31.18 N refuse it.
HUZHOU_WITH_MARGIN = dataclasses.replace(HUZHOU, bounds_lonlat=(119.10, 30.30, 120.60, 31.25))
HUZHOU_TOO_TIGHT = dataclasses.replace(HUZHOU, bounds_lonlat=(119.14, 30.37, 120.50, 31.18))

OUTCOMES = [
    # (file, options, region, expected problem codes, why)
    ("huzhou/datav/330500_full.json", {"mapping": {"adcode": "parcel_code"}, "from_gcj02": True},
     HUZHOU, (), "Huzhou's 5 counties, GCJ-02 converted: imports"),
    ("huzhou/datav/330500_full.json", {"mapping": {"adcode": "parcel_code"}, "from_gcj02": True},
     HUZHOU_TOO_TIGHT, ("geometry_outside_region",), "row 4 (长兴县) reaches past a 31.18 N edge"),
    ("huzhou/datav/330000_full.json", {"mapping": {"adcode": "parcel_code"}, "from_gcj02": True},
     HUZHOU, ("geometry_invalid", "geometry_outside_region"), "10 other cities lie outside; 宁波 and 舟山 self-intersect"),
    ("huzhou/mca_administrative/330000.json", {"mapping": {"QUHUADAIMA": "parcel_code"}}, HUZHOU,
     ("crs_missing", "parcel_code_duplicated"), "TopoJSON without a CRS"),
    ("huzhou/mca_administrative/330500.json", {"mapping": {"QUHUADAIMA": "parcel_code"}}, HUZHOU,
     ("crs_missing", "parcel_code_duplicated"), "TopoJSON without a CRS; 宁国市 twice"),
    ("huzhou/mca_administrative/330500.json", {"mapping": {"QUHUADAIMA": "parcel_code"}, "crs": "EPSG:4326"},
     HUZHOU, ("geometry_outside_region", "parcel_code_duplicated"),
     "CRS named: the extent frame and the misregistered neighbours fall outside the region"),
    ("huzhou/mca_administrative/330500_Line.geojson", {"mapping": {"QUHUADAIMA": "parcel_code"}}, HUZHOU,
     ("geometry_not_polygonal", "parcel_code_duplicated"), "boundary lines, not parcels"),
    ("huzhou/mca_administrative/330500_Point.geojson", {"mapping": {"QUHUADAIMA": "parcel_code"}}, HUZHOU,
     ("geometry_not_polygonal",), "label points"),
    ("vector/dongli_china_shapefiles/china.dbf", {}, HUZHOU, ("shapefile_part_missing",), "a DBF without .shp/.shx"),
    ("vector/dongli_china_shapefiles/simplied_china_country.shp", {"mapping": {"SOC": "parcel_code"}}, HUZHOU,
     ("geometry_outside_region",), "UTF-8 DBF without .cpg read right (中国); all of China is not a parcel"),
    ("vector/fiona_tests/example.topojson", {}, HUZHOU, ("crs_missing", "field_required"), "no CRS, no codes"),
    ("vector/fiona_tests/gre.shp", {"mapping": {"wikidata": "parcel_code"}}, HUZHOU,
     ("geometry_outside_region",), "Grenada (multilingual UTF-8 with .cpg) is not in Huzhou"),
    ("vector/fiona_tests/issue627.geojson", {"mapping": {"WILDRNP020": "parcel_code"}}, HUZHOU,
     ("geometry_outside_region",), "Utah wilderness areas"),
    ("vector/fiona_tests/multicurve.gml", {}, HUZHOU, ("file_format_unsupported",), "GML is not an import format"),
    ("vector/fiona_tests/test_tin.csv", {}, HUZHOU, ("file_format_unsupported",), "CSV is not an import format"),
    ("vector/fiona_tests/test_tin.shp", {"mapping": {"id": "parcel_code"}}, HUZHOU, ("crs_missing",), "no .prj"),
    ("vector/fiona_tests/test_tin.shp", {"mapping": {"id": "parcel_code"}, "crs": "EPSG:4326"}, HUZHOU,
     ("geometry_not_polygonal",), "a TIN (MultiPatch) is not a polygon"),
    ("vector/fiona_tests/test_tz.geojson", {}, HUZHOU, ("field_required", "geometry_not_polygonal"), "one point"),
    ("vector/fiona_tests/testopenfilegdb.gdb.zip", {}, HUZHOU, ("file_format_unsupported",), "FileGDB"),
    ("vector/ncl_chinamap/county_2004.dbf", {}, HUZHOU, ("shapefile_part_missing",), "a DBF without .shp/.shx"),
    ("vector/ncl_chinamap/river.shp", {"mapping": {"NAME": "parcel_code"}}, HUZHOU,
     ("crs_definition_malformed", "value_invalid"), "text after the WKT root; 'Huang He' is no parcel code"),
    ("vector/ncl_chinamap/river.shp", {"mapping": {"NAME": "parcel_code"}, "crs": "EPSG:4326"}, HUZHOU,
     ("geometry_not_polygonal", "value_invalid"), "CRS named: rivers are lines"),
    ("vector/ncl_chinamap/rivers.shp", {"mapping": {"HYD1_4M_ID": "parcel_code"}}, HUZHOU,
     ("geometry_not_polygonal", "parcel_code_duplicated", "text_garbled"), "names hold U+FFFD: refused, not stored"),
    ("vector/pyogrio_fixtures/curve.gpkg", {}, HUZHOU, ("field_required", "geometry_not_polygonal"), "a curve line"),
    ("vector/pyogrio_fixtures/curvepolygon.gpkg", {}, HUZHOU, ("field_required", "geometry_has_curves"),
     "CURVEPOLYGON refused unless linearising is asked for"),
    ("vector/pyogrio_fixtures/curvepolygon.gpkg", {"linearise_curves": True}, HUZHOU,
     ("field_required", "geometry_outside_region"), "linearised, it lies in Canada"),
    ("vector/pyogrio_fixtures/line_zm.gpkg", {}, HUZHOU, ("field_required", "geometry_not_polygonal"), "Z+M line"),
    ("vector/pyogrio_fixtures/multisurface.gpkg", {}, HUZHOU, ("field_required", "geometry_has_curves"),
     "MULTISURFACE"),
    ("vector/pyogrio_fixtures/test_gpkg_nulls.gpkg", {"mapping": {"col_int32": "parcel_code"}}, HUZHOU,
     ("field_required", "geometry_not_polygonal"), "points, one with a null code"),
]


@pytest.mark.parametrize("name, options, region, expected, why", OUTCOMES, ids=[f"{c[0]}:{i}" for i, c in enumerate(OUTCOMES)])
def test_every_shared_file_has_its_outcome(shared_data, name, options, region, expected, why):  # type: ignore[no-untyped-def]
    plan = plan_file(shared_data / name, ImportOptions(defaults=DEFAULTS, **options), region)
    assert tuple(sorted(Counter(p.code for p in plan.problems))) == expected, why
    report = plan.report()
    assert all(p["message_zh"] and p["message_en"] for p in catalogue.localise(report["problems"]))


def test_the_table_covers_every_file(shared_data):  # type: ignore[no-untyped-def]
    sidecars = (".txt", ".md", ".prj", ".cpg", ".shx", ".xsd")
    files = {str(p.relative_to(shared_data)) for folder in ("vector", "huzhou") for p in (shared_data / folder).rglob("*")
             if p.is_file() and not p.name.endswith(sidecars)}
    covered = {c[0] for c in OUTCOMES}
    dbf_with_shp = {f for f in files if f.endswith(".dbf") and f[:-4] + ".shp" in files}
    assert files - dbf_with_shp - covered == set()


@pytest.mark.parametrize("name, encoding, source, sample", [
    ("vector/ncl_chinamap/county_2004.dbf", "GB18030", "ldid", "漠河县"),
    ("vector/dongli_china_shapefiles/china.dbf", "UTF-8", "utf8", "黑龙江省"),
    ("vector/dongli_china_shapefiles/simplied_china_country.dbf", "UTF-8", "utf8", "中国"),
])
def test_dbf_encodings_are_detected(shared_data, name, encoding, source, sample):  # type: ignore[no-untyped-def]
    dbf = read_dbf_text((shared_data / name).read_bytes())
    choice = choose_encoding(dbf)
    assert (choice.encoding, choice.source) == (encoding, source)
    texts = {v.decode(encoding) for r in dbf.records for v in r.values()}
    assert sample in texts


def test_datav_counties_import_with_their_areas(registry, shared_data):  # type: ignore[no-untyped-def]
    """Given the DataV county outlines in GCJ-02, when imported with the conversion, then the five
    counties register in one entry and Anji measures its published 1,886 km² within 1 %."""
    svc = registry
    svc.settings = dataclasses.replace(svc.settings, region=HUZHOU_WITH_MARGIN)
    out = svc.import_parcels(svc.actor("admin"), "datav", path=shared_data / "huzhou/datav/330500_full.json",
                             options={"mapping": {"adcode": "parcel_code"}, "from_gcj02": True,
                                      "defaults": DEFAULTS, "parcel_code_prefix": "CN"})
    assert out["parcels_registered"] == 5
    anji = svc.parcel("CN330523")
    assert abs(anji["area_ha"] / 188_600 - 1) < 0.01
    assert svc.verify().ok and svc.verify_parcels()["ok"]
