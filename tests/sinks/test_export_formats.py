"""Parcel export as the web offers it (issue 19): one holder's parcels, a Shapefile in GBK or
UTF-8, KML in WGS 84; a bad encoding is refused and writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest

from sinkledger_base.errors import InvalidInput
from tests.sinks.conftest import lonlat_square


def _register(svc, code: str, holder: str, col: float) -> None:  # type: ignore[no-untyped-def]
    svc.register_parcel(svc.actor("admin"), f"reg:{code}", parcel_code=code, sink_type="bamboo_forest",
                        holder_party_id=holder, geometry=lonlat_square(col, 0), county_code="330523",
                        tenure_cert_no=f"浙（2024）安吉县不动产权第{code[-3:]}号")


@pytest.fixture
def two_holders(registry):  # type: ignore[no-untyped-def]
    _register(registry, "AJ-BF-001", "COL-1", 0)
    _register(registry, "AJ-BF-002", "COL-1", 2)
    _register(registry, "AJ-BF-003", "COL-2", 4)
    return registry


@pytest.mark.parametrize("encoding, cpg", [("GBK", "GBK"), ("UTF-8", "UTF-8")])
def test_one_holders_parcels_as_a_shapefile_in_the_chosen_encoding(two_holders, tmp_path, encoding, cpg):  # type: ignore[no-untyped-def]
    out = two_holders.export_parcels(tmp_path / "p.zip", holder="COL-1", encoding=encoding)
    assert out["parcels"] == 2 and out["encoding"] == encoding
    with zipfile.ZipFile(tmp_path / "p.zip") as z:
        assert z.read("p.cpg").decode().strip().upper().replace("_", "-") == cpg
        z.extractall(tmp_path / "shp")
    read = gpd.read_file(tmp_path / "shp" / "p.shp")
    assert sorted(read["code"]) == ["AJ-BF-001", "AJ-BF-002"]
    assert "浙（2024）安吉县不动产权第001号" in set(read["cert_no"])  # Chinese text survives the encoding


def test_kml_export_is_wgs84_and_carries_every_parcel(two_holders, tmp_path):  # type: ignore[no-untyped-def]
    out = two_holders.export_parcels(tmp_path / "p.kml")
    assert out["format"] == "kml" and out["parcels"] == 3
    read = gpd.read_file(tmp_path / "p.kml")
    assert len(read) == 3 and read.crs.to_epsg() == 4326


def test_an_unknown_encoding_is_refused_and_writes_nothing(two_holders, tmp_path):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        two_holders.export_parcels(tmp_path / "p.zip", encoding="latin-1")
    assert refused.value.code == "value_invalid" and refused.value.params["field"] == "encoding"
    assert not (tmp_path / "p.zip").exists()
