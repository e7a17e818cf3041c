"""A parcel's attributes read in the UI's language, and parcels exported from the web (issue 19).

AppTest against the seeded demo (tests/ui/conftest.py); the exported files are read back with
pyogrio (GeoPackage, a GBK Shapefile, KML).
"""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import pytest

from sinkledger.ui.session import EXPORT_FILE
from sinkledger.ui.text import text
from tests.ui.conftest import CJK, no_errors, open_app, service_for


def attributes_table(at):  # type: ignore[no-untyped-def]
    return at.dataframe[1].value  # after the parcel list: the attributes of the chosen parcel


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parcel_attributes_have_labels_in_the_ui_language(app_env, lang) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="parcels", lang=lang)
    at.selectbox(key="parcel_code").set_value("AJ-BF-0001").run()
    no_errors(at)
    frame = attributes_table(at)
    fields, values = [str(v) for v in frame.iloc[:, 0]], [str(v) for v in frame.iloc[:, 1]]
    assert text("attr_holder_kind", lang) in fields and "holder_kind" not in fields
    assert text("attr_age_class_shares", lang) in fields
    assert not any(v.startswith("{") or v in ("cooperative", "collective", "True") for v in values), values
    assert any(text("age_class", lang, cls="I") in v and "%" in v for v in values)
    if lang == "en":  # the labels are English (the township and village names are data)
        assert not any(CJK.search(f) for f in fields)


def _export(at, fmt: str, encoding: str = "UTF-8") -> dict:  # type: ignore[no-untyped-def,type-arg]
    at.radio(key="export_format").set_value(fmt).run()
    if fmt == "shp":  # the encoding is a Shapefile's choice only
        at.selectbox(key="export_encoding").set_value(encoding).run()
    at.button(key="export_prepare").click().run()
    no_errors(at)
    return at.session_state[EXPORT_FILE]


def test_cooperative_exports_its_parcels_as_geopackage_shapefile_and_kml(app_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    own = {p["parcel_code"] for p in service.parcels(status="active") if p["holder_party_id"] == "COL-0001"}
    at = open_app(app_env, user="coop", page="parcels")
    ready = _export(at, "gpkg")
    assert ready["n"] == len(own) and ready["name"].endswith(".gpkg")
    assert text("export_done", "zh", n=len(own)) in [c.value for c in at.caption]
    (tmp_path / "p.gpkg").write_bytes(ready["data"])
    assert set(gpd.read_file(tmp_path / "p.gpkg")["parcel_code"]) == own
    ready = _export(at, "shp", "GBK")
    with zipfile.ZipFile(io.BytesIO(ready["data"])) as z:
        names = z.namelist()
        cpg = next(n for n in names if n.endswith(".cpg"))
        assert z.read(cpg).decode().strip().upper() in ("GBK", "CP936", "936")
        z.extractall(tmp_path / "shp")
    shp = next((tmp_path / "shp").glob("*.shp"))
    assert set(gpd.read_file(shp)["code"]) == own
    ready = _export(at, "kml")
    (tmp_path / "p.kml").write_bytes(ready["data"])
    kml = gpd.read_file(tmp_path / "p.kml")
    assert len(kml) == len(own) and kml.crs.to_epsg() == 4326
