"""Region profiles as data (issue 14, point 9): the shipped profiles, the schema and rule checks
that refuse a broken profile with a stable code, and county codes checked against the profile
(retired codes flagged with their successor, unknown codes refused) on import and update.

Huzhou's profile lists no retired code (the shared documents record none), so the mechanism is
tested with a test profile: Huzhou's, plus a fictional county 330599 retired on 2020-01-01 in
favour of 330523.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest

import sinkledger.config as config
from sinkledger import catalogue
from sinkledger.catalogue import REFUSALS
from sinkledger.config import REPO_ROOT, load_settings
from sinkledger_base.errors import InvalidInput
from sinks import SINK_TYPES
from sinks.regions import PROFILE_DIR, Region, RegionProfileInvalid, load_region, profile_names
from tests.sinks.conftest import bamboo_rows, codes, frame, square_m, to_lonlat, write

HUZHOU_JSON = PROFILE_DIR / "huzhou.json"
RETIRED = {"code": "330599", "name_zh": "旧区（测试，虚构）", "name_en": "Old District (test, fictional)",
           "valid_from": "1990-01-01", "valid_to": "2020-01-01", "successor": "330523"}


def profile_doc() -> dict[str, Any]:
    return json.loads(HUZHOU_JSON.read_text(encoding="utf-8"))


def write_profile(folder: Path, doc: Any, name: str = "test-region.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc, ensure_ascii=False) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


def with_retired_county(folder: Path) -> Path:
    doc = profile_doc()
    doc["counties"].append(RETIRED)
    return write_profile(folder, doc)


# --- the shipped profiles --------------------------------------------------------------------

def test_huzhou_profile_keeps_the_former_constant():
    huzhou = load_region("huzhou", known_sink_types=set(SINK_TYPES))
    assert (huzhou.key, huzhou.name_zh, huzhou.name_en, huzhou.admin_code) == ("huzhou", "湖州市", "Huzhou", "330500")
    assert huzhou.bounds_lonlat == (119.12, 30.35, 120.52, 31.20)
    assert (huzhou.area_epsg, huzhou.storage_epsg, huzhou.currency) == (4549, 4490, "CNY")
    assert [c.code for c in huzhou.counties_in_use()] == ["330502", "330503", "330521", "330522", "330523"]
    assert set(huzhou.sink_types) == {"bamboo_forest", "wetland", "tea_garden"}
    assert huzhou.authority("trading_centre").name_zh == "湖州绿色交易中心"


def test_the_configuration_loads_profiles_through_sinks_regions():
    assert config.Region is Region
    assert config.HUZHOU == load_region("huzhou")
    assert set(config.REGIONS) == set(profile_names()) == {"huzhou", "zhuzhou-shifeng"}
    assert load_settings({}).region.key == "huzhou"
    shifeng = load_settings({"SINKLEDGER_REGION": "zhuzhou-shifeng"}).region
    assert (shifeng.area_epsg, shifeng.admin_code, shifeng.sink_types) == (4547, "430204", ("bamboo_forest", "wetland"))


@pytest.mark.parametrize("name", ["huzhou", "zhuzhou-shifeng"])
def test_outlines_match_the_counties_and_lie_in_the_bounds(name):
    settings = load_settings({"SINKLEDGER_REGION": name})
    region = settings.region
    outlines = gpd.read_file(settings.counties_path)
    assert sorted(outlines["code"]) == sorted(c.code for c in region.counties_in_use())
    west, south, east, north = region.bounds_lonlat
    x0, y0, x1, y1 = outlines.total_bounds
    assert west <= x0 and x1 <= east and south <= y0 and y1 <= north
    assert outlines["schematic"].all() and region.outlines.schematic


def test_the_shifeng_profile_labels_what_is_approximate_or_synthetic():
    doc = json.loads((PROFILE_DIR / "zhuzhou-shifeng.json").read_text(encoding="utf-8"))
    assert doc["bounds_lonlat"]["uncertainty"]["kind"] == "approximate" and doc["bounds_lonlat"]["source"]
    assert doc["outlines"]["note"].startswith("SYNTHETIC")
    outline = json.loads((PROFILE_DIR / doc["outlines"]["path"]).read_text(encoding="utf-8"))
    assert all(f["properties"]["synthetic"] for f in outline["features"])


# --- broken profiles are refused with a code, never a traceback ------------------------------

def _broken(change):  # type: ignore[no-untyped-def]
    doc = profile_doc()
    change(doc)
    return doc


BROKEN = [
    ("missing key", _broken(lambda d: d.pop("key")), "region_profile_invalid", "/"),
    ("extra member", _broken(lambda d: d.update(colour="green")), "region_profile_invalid", "/"),
    ("bad county code", _broken(lambda d: d["counties"][0].update(code="33050")), "region_profile_invalid",
     "/counties/0/code"),
    ("impossible date", _broken(lambda d: d["counties"][0].update(valid_to="2020-02-30")), "region_profile_invalid",
     "/counties/0/valid_to"),
    ("not a GK zone", _broken(lambda d: d["area_crs"].update(epsg=3857)), "region_profile_invalid", "/area_crs/epsg"),
    ("zone misses the bounds", _broken(lambda d: d["area_crs"].update(epsg=4547)), "region_profile_invalid",
     "/area_crs/epsg"),
    ("bounds reversed", _broken(lambda d: d["bounds_lonlat"].update(west=120.6)), "region_profile_invalid",
     "/bounds_lonlat"),
    ("county twice", _broken(lambda d: d["counties"].append(dict(d["counties"][0]))), "region_profile_invalid",
     "/counties"),
    ("successor without end", _broken(lambda d: d["counties"][0].update(successor="330523")),
     "region_profile_invalid", "/counties/330502"),
    ("unregistered sink type", _broken(lambda d: d["sink_types"].append("mangrove")), "region_profile_invalid",
     "/sink_types"),
    ("not JSON", '{"key": "huzhou",', "region_profile_unreadable", None),
    ("a list", [], "region_profile_invalid", "/"),
]


@pytest.mark.parametrize("label, doc, code, where", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_profile_is_refused_with_a_stable_code(tmp_path, label, doc, code, where):
    path = write_profile(tmp_path, doc)
    with pytest.raises(InvalidInput) as refusal:
        load_settings({"SINKLEDGER_REGION": str(path)})
    assert refusal.value.code == code
    assert refusal.value.params["profile"] == "test-region.json"
    if where is not None:
        assert refusal.value.params["where"] == where
    assert "test-region.json" in catalogue.messages(refusal.value)[0] and "test-region.json" in catalogue.messages(refusal.value)[1]
    assert "?" not in catalogue.messages(refusal.value)[1]  # every template field is filled


def test_a_missing_or_non_utf8_profile_is_unreadable(tmp_path):
    (tmp_path / "latin1.json").write_bytes('{"name_zh": "湖州"}'.encode("gb18030"))
    for path in (tmp_path / "absent.json", tmp_path / "latin1.json"):
        with pytest.raises(InvalidInput) as refusal:
            load_settings({"SINKLEDGER_REGION": str(path)})
        assert refusal.value.code == "region_profile_unreadable"
    with pytest.raises(RegionProfileInvalid) as raw:  # the domain error, before the settings wrap it
        load_region(str(tmp_path / "absent.json"))
    assert isinstance(raw.value, ValueError) and raw.value.code == "region_profile_unreadable"


def test_every_region_refusal_has_both_messages():
    for code in ("region_profile_unreadable", "region_profile_invalid", "county_code_unknown",
                 "county_code_retired", "sink_type_not_in_region"):
        zh, en = REFUSALS[code]
        assert zh and en


# --- county codes against the profile --------------------------------------------------------

def test_a_retired_code_names_its_successor_and_an_unknown_code_is_refused(tmp_path):
    region = load_region(str(with_retired_county(tmp_path)))
    assert region.county_problem("330599", date(2019, 12, 31)) is None  # still in use then
    code, params = region.county_problem("330599", date(2020, 1, 1))
    assert code == "county_code_retired"
    assert (params["valid_to"], params["successor_code"]) == ("2020-01-01", "330523")
    assert "330523（安吉县）" in REFUSALS[code][0].format(**params)
    assert region.county_problem("330598")[0] == "county_code_unknown"
    assert "330599" not in region.county_problem("330598")[1]["allowed"]  # only codes in use are offered
    assert region.county_problem("330523") is None


@pytest.fixture
def settings(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    """The registry runs on the test profile (Huzhou plus the retired county 330599)."""
    folder = tmp_path / "profile"
    folder.mkdir()
    return load_settings({"DATABASE_URL": backend_url, "SINKLEDGER_HOME": str(tmp_path),
                          "SINKLEDGER_REGION": str(with_retired_county(folder))})


def test_an_import_with_a_retired_or_unknown_county_code_is_refused(registry, tmp_path):
    coop = registry.actor("coop")
    rows = bamboo_rows(3)
    rows[1]["county_code"], rows[2]["county_code"] = "330599", "310101"  # retired; Shanghai's, not Huzhou's
    path = write(frame(rows, [to_lonlat(square_m(i * 2, 0)) for i in range(3)]), tmp_path / "p.geojson")
    report = registry.preview_parcels(coop, path=path)
    found = {(p["row"], p["code"]) for p in report["problems"]}
    assert found == {(2, "county_code_retired"), (3, "county_code_unknown")}
    retired = next(p for p in report["problems"] if p["code"] == "county_code_retired")
    assert retired["details"]["successor_code"] == "330523" and "330523" in catalogue.problem_messages(retired)[1]
    with pytest.raises(InvalidInput) as refusal:
        registry.import_parcels(coop, "imp:1", path=path)
    assert refusal.value.code == "parcel_import_has_problems"
    assert sorted(codes(refusal.value)) == ["county_code_retired", "county_code_unknown"]
    assert registry.parcels() == []


def test_a_parcel_cannot_move_to_a_retired_county(registry):
    coop = registry.actor("coop")
    registry.register_parcel(coop, "r:1", parcel_code="T-BF-001", sink_type="bamboo_forest", holder_party_id="COL-1",
                             geometry=to_lonlat(square_m(0, 0)).__geo_interface__,
                             county_code="330523")
    with pytest.raises(InvalidInput) as refusal:
        registry.update_parcel(coop, "u:1", parcel_code="T-BF-001", changes={"county_code": "330599"})
    assert refusal.value.code == "county_code_retired"
    with pytest.raises(InvalidInput) as refusal:
        registry.register_parcel(coop, "r:2", parcel_code="T-BF-002", sink_type="bamboo_forest",
                                 holder_party_id="COL-1", geometry=to_lonlat(square_m(3, 0)).__geo_interface__,
                                 county_code="330599")
    assert refusal.value.code == "county_code_retired"
    assert registry.parcel("T-BF-001")["county_code"] == "330523"


def test_docs_describe_the_profile_format():
    text = (REPO_ROOT / "docs" / "parcels.md").read_text(encoding="utf-8")
    schema = json.loads((PROFILE_DIR / "region-profile.schema.json").read_text(encoding="utf-8"))
    assert "## Region profiles" in text
    missing = [name for name in schema["properties"] if name != "$schema" and f"`{name}`" not in text]
    assert not missing, f"docs/parcels.md does not describe {missing}"
