"""Tests for the SYNTHETIC demo data in gis_data/ and its generator.

The committed files must equal a fresh run of ``gis_data/make_demo_data.py`` and satisfy the
properties promised in ``gis_data/README.md``. Tests marked ``shared_data`` compare against the
real county outlines in ``<repo>/../shared/data`` and are skipped when that folder is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sinks.gcj02 import geometry_gcj02_to_wgs84

REPO_ROOT = Path(__file__).resolve().parents[1]
GIS_DATA = REPO_ROOT / "gis_data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DATAV_COUNTIES = SHARED_DATA / "huzhou" / "datav" / "330500_full.json"
AREA_CRS = "EPSG:4549"
COUNTY_CODES = {"330502": "吴兴区", "330503": "南浔区", "330521": "德清县", "330522": "长兴县",
                "330523": "安吉县"}
EXPECTED_COUNTS = {"bamboo_forest": 60, "wetland": 15, "tea_garden": 30}
AREA_RANGES_HA = {"bamboo_forest": (1, 25), "tea_garden": (0.5, 8), "wetland": (5, 60)}
SPECIFIC_COLUMNS = {
    "bamboo_forest": ("culm_density_per_ha", "mean_dbh_cm", "age_class_shares",
                      "management_regime"),
    "wetland": ("wetland_class", "vegetation_cover_pct", "water_regime"),
    "tea_garden": ("tea_variety", "planting_year", "fertiliser_n_kg_per_ha_yr"),
}
AREA_MISMATCH_CODES = {"AJ-BF-0009", "AJ-TG-0017"}  # Listed in gis_data/README.md.
CARBON_FRACTION, ROOT_SHOOT_RATIO, CO2_PER_C = 0.47, 0.33, 44 / 12
AGE_CLASSES = ("I", "II", "III")

needs_shared_data = pytest.mark.skipif(
    not DATAV_COUNTIES.is_file(),
    reason=f"real county outlines not available at {DATAV_COUNTIES} (reference corpus absent)")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """Run the generator exactly as documented, into a fresh folder."""
    out = tmp_path_factory.mktemp("demo_data")
    subprocess.run([sys.executable, str(GIS_DATA / "make_demo_data.py"), "--out", str(out)],
                   check=True, cwd=out, capture_output=True)
    return out


@pytest.fixture(scope="module")
def parcels() -> gpd.GeoDataFrame:
    return gpd.read_file(GIS_DATA / "demo_parcels.gpkg", layer="parcels")


@pytest.fixture(scope="module")
def parcels_m(parcels) -> gpd.GeoDataFrame:
    return parcels.to_crs(AREA_CRS)


@pytest.fixture(scope="module")
def counties() -> gpd.GeoDataFrame:
    return gpd.read_file(GIS_DATA / "counties.geojson").set_index("code")


@pytest.fixture(scope="module")
def monitoring() -> dict:
    return json.loads((GIS_DATA / "demo_monitoring.json").read_text(encoding="utf-8"))


# --- reproducibility ------------------------------------------------------------------------

def test_regenerated_parcels_equal_committed(regenerated, parcels):
    fresh = gpd.read_file(regenerated / "demo_parcels.gpkg", layer="parcels")
    pd.testing.assert_frame_equal(fresh.drop(columns="geometry"), parcels.drop(columns="geometry"))
    assert list(shapely.to_wkb(fresh.geometry.values)) == list(shapely.to_wkb(parcels.geometry.values))
    assert fresh.crs == parcels.crs


@pytest.mark.parametrize("name", ["counties.geojson", "demo_monitoring.json"])
def test_regenerated_json_equals_committed(regenerated, name):
    fresh = (regenerated / name).read_text(encoding="utf-8")
    committed = (GIS_DATA / name).read_text(encoding="utf-8")
    assert json.loads(fresh) == json.loads(committed)
    assert fresh == committed  # Stable formatting too, so diffs stay readable.


# --- parcels layer --------------------------------------------------------------------------

def test_layers_are_in_cgcs2000_lon_lat(parcels, counties):
    assert parcels.crs.to_epsg() == 4490
    assert counties.crs.to_epsg() == 4490
    for frame in (parcels, counties):
        minx, miny, maxx, maxy = frame.total_bounds
        assert 119 < minx < maxx < 121 and 30 < miny < maxy < 32  # lon first, lat second


def test_counts_codes_and_sink_types(parcels):
    assert parcels["sink_type"].value_counts().to_dict() == EXPECTED_COUNTS
    assert parcels["parcel_code"].is_unique and parcels["parcel_code"].is_monotonic_increasing
    prefixes = {"bamboo_forest": "AJ-BF", "tea_garden": "AJ-TG", "wetland": "DQ-WL"}
    for code, sink_type in zip(parcels["parcel_code"], parcels["sink_type"]):
        assert re.fullmatch(rf"{prefixes[sink_type]}-\d{{4}}", code)


def test_geometries_are_valid_ccw_polygons_with_organic_rings(parcels):
    geometries = parcels.geometry.values
    assert (shapely.get_type_id(geometries) == 3).all()  # Polygon, not MultiPolygon
    assert shapely.is_valid(geometries).all()
    assert (shapely.get_num_interior_rings(geometries) == 0).all()
    assert all(shapely.is_ccw(g.exterior) for g in geometries)
    vertex_counts = shapely.get_num_coordinates(geometries) - 1
    assert vertex_counts.min() >= 8 and vertex_counts.max() <= 20
    coordinates = shapely.get_coordinates(geometries)
    np.testing.assert_array_equal(coordinates, np.round(coordinates, 7))


def test_no_two_parcels_overlap(parcels_m):
    geometries = parcels_m.geometry.values
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    pairs = left < right
    overlap_m2 = shapely.area(shapely.intersection(geometries[left[pairs]], geometries[right[pairs]]))
    assert overlap_m2.size == 0 or overlap_m2.max() <= 1.0


@pytest.mark.parametrize("sink_type", sorted(EXPECTED_COUNTS))
def test_areas_are_in_realistic_ranges(parcels_m, sink_type):
    area_ha = parcels_m.loc[parcels_m["sink_type"] == sink_type].area / 10_000
    low_ha, high_ha = AREA_RANGES_HA[sink_type]
    assert area_ha.min() >= low_ha and area_ha.max() <= high_ha
    if sink_type == "bamboo_forest":
        assert area_ha.between(3, 12).mean() >= 0.7  # mostly 3-12 ha


def test_declared_area_matches_except_the_two_deliberate_defects(parcels_m):
    true_mu = parcels_m.area / (10_000 / 15)
    relative_error = (parcels_m["declared_area_mu"] / true_mu - 1).abs()
    flagged = set(parcels_m.loc[relative_error > 0.05, "parcel_code"])
    assert flagged == AREA_MISMATCH_CODES
    assert relative_error[~parcels_m["parcel_code"].isin(AREA_MISMATCH_CODES)].max() <= 0.03


def test_every_parcel_is_inside_its_schematic_county_with_a_margin(parcels_m, counties):
    counties_m = counties.to_crs(AREA_CRS)
    for code, geometry, name in zip(parcels_m["county_code"], parcels_m.geometry,
                                    parcels_m["county_name_zh"]):
        assert COUNTY_CODES[code] == name
        county = counties_m.geometry[code]
        assert county.contains(geometry)
        assert county.boundary.distance(geometry) >= 500


def test_type_specific_attributes_are_filled_only_for_their_type(parcels):
    for sink_type, columns in SPECIFIC_COLUMNS.items():
        own = parcels["sink_type"] == sink_type
        for column in columns:
            assert parcels.loc[own, column].notna().all(), column
            assert parcels.loc[~own, column].isna().all(), column


def test_attribute_values(parcels):
    bamboo = parcels[parcels["sink_type"] == "bamboo_forest"]
    assert bamboo["culm_density_per_ha"].between(2000, 4200).all()
    assert (bamboo["culm_density_per_ha"] % 1 == 0).all()
    assert bamboo["mean_dbh_cm"].between(8, 12).all()
    assert set(bamboo["management_regime"]) == {"intensive", "extensive", "collective_managed"}
    for text in bamboo["age_class_shares"]:
        shares = json.loads(text)
        assert list(shares) == list(AGE_CLASSES) and sum(shares.values()) == pytest.approx(1)
    wetland = parcels[parcels["sink_type"] == "wetland"]
    assert set(wetland["wetland_class"]) == {"lake", "marsh", "river", "constructed"}
    assert wetland["vegetation_cover_pct"].between(0, 100).all()
    assert set(wetland["water_regime"]) <= {"permanent", "seasonal", "managed"}
    tea = parcels[parcels["sink_type"] == "tea_garden"]
    assert tea["planting_year"].between(1995, 2020).all()
    assert tea["fertiliser_n_kg_per_ha_yr"].between(150, 450).all()
    assert parcels["synthetic"].astype(bool).all()


def test_holders_are_organisations_and_certificates_unique(parcels):
    assert set(parcels["holder_kind"]) == {"collective", "cooperative"}
    collective = parcels["holder_kind"] == "collective"
    assert parcels.loc[collective, "holder_name_zh"].str.endswith("股份经济合作社").all()
    assert parcels.loc[~collective, "holder_name_zh"].str.endswith("专业合作社").all()
    assert parcels["tenure_cert_no"].is_unique
    assert parcels["tenure_cert_no"].str.fullmatch(
        r"浙\(20\d\d\)(安吉县|德清县)不动产权第\d{7}号|安林证字\(20\d\d\)第\d{6}号").all()


# --- counties -------------------------------------------------------------------------------

def test_counties_are_schematic_and_do_not_overlap(counties):
    assert dict(zip(counties.index, counties["name_zh"])) == COUNTY_CODES
    assert counties["schematic"].astype(bool).all() and counties["name_en"].notna().all()
    geometries = counties.geometry.values
    assert shapely.is_valid(geometries).all() and (shapely.get_type_id(geometries) == 3).all()
    assert (shapely.get_num_coordinates(geometries) - 1 <= 60).all()
    coordinates = shapely.get_coordinates(geometries)
    np.testing.assert_allclose(coordinates, np.round(coordinates * 200) / 200, atol=1e-9)
    geometries_m = counties.to_crs(AREA_CRS).geometry.values
    for i in range(len(geometries_m)):
        for j in range(i + 1, len(geometries_m)):
            assert geometries_m[i].intersection(geometries_m[j]).area < 1e5  # < 0.1 km²


# --- monitoring -----------------------------------------------------------------------------

def carbon_t_per_ha(event: dict, *, root_shoot_ratio: float = ROOT_SHOOT_RATIO) -> float:
    """Culm biomass carbon of one inventory, t C/ha."""
    biomass_kg = sum(event["culms_per_ha_by_age_class"][k]
                     * float(event["mean_culm_biomass_kg_by_age_class"][k]) for k in AGE_CLASSES)
    return biomass_kg / 1000 * (1 + root_shoot_ratio) * CARBON_FRACTION


def change_t_per_ha_yr(events: list, **kwargs) -> float:
    years = (date.fromisoformat(events[1]["date"]) - date.fromisoformat(events[0]["date"])).days
    return (carbon_t_per_ha(events[1], **kwargs) - carbon_t_per_ha(events[0], **kwargs)) / (
        years / 365.25)


def test_monitoring_covers_every_bamboo_parcel_with_two_even_spaced_events(parcels, monitoring):
    assert monitoring["synthetic"] is True and "SYNTHETIC" in monitoring["note"]
    bamboo = parcels[parcels["sink_type"] == "bamboo_forest"].set_index("parcel_code")
    assert sorted(monitoring["parcels"]) == sorted(bamboo.index)
    for code, record in monitoring["parcels"].items():
        first, second = (date.fromisoformat(e["date"]) for e in record["events"])
        assert len(record["events"]) == 2
        assert (first.month, first.day) == (second.month, second.day)
        assert second.year - first.year > 0 and (second.year - first.year) % 2 == 0
        assert float(record["fertiliser_n_kg_per_ha_yr"]) >= 0
        counts = record["events"][0]["culms_per_ha_by_age_class"]
        assert sum(counts.values()) == bamboo.loc[code, "culm_density_per_ha"]


def test_monitoring_values_are_typed_and_in_range(monitoring):
    for record in monitoring["parcels"].values():
        assert isinstance(record["fertiliser_n_kg_per_ha_yr"], str)
        for event in record["events"]:
            assert list(event["culms_per_ha_by_age_class"]) == list(AGE_CLASSES)
            assert all(isinstance(n, int) and n > 0
                       for n in event["culms_per_ha_by_age_class"].values())
            for text in event["mean_culm_biomass_kg_by_age_class"].values():
                assert isinstance(text, str) and re.fullmatch(r"\d+\.\d", text)
                assert 8 <= float(text) <= 24


def test_monitoring_carbon_changes_exercise_all_cases(monitoring):
    special = monitoring["special_cases"]
    changes = {code: change_t_per_ha_yr(r["events"]) for code, r in monitoring["parcels"].items()}
    ordinary = [c for code, c in changes.items()
                if code not in special["declining"] + special["implausibly_high"]]
    assert len(ordinary) >= 55 and all(0.3 <= c <= 0.7 for c in ordinary)
    assert special["declining"] and all(changes[code] < 0 for code in special["declining"])
    for code in special["implausibly_high"]:  # Even above-ground alone beats 3 t CO2/ha/yr.
        above_only = change_t_per_ha_yr(monitoring["parcels"][code]["events"], root_shoot_ratio=0)
        assert above_only * CO2_PER_C > 3


# --- against the real county outlines (reference corpus, outside the repo) ------------------

@pytest.fixture(scope="module")
def real_counties_m() -> gpd.GeoSeries:
    features = json.loads(DATAV_COUNTIES.read_text(encoding="utf-8"))["features"]
    geometries = [geometry_gcj02_to_wgs84(shapely.geometry.shape(f["geometry"])) for f in features]
    codes = [str(f["properties"]["adcode"]) for f in features]
    return gpd.GeoSeries(geometries, index=codes, crs="EPSG:4490").to_crs(AREA_CRS)


@pytest.mark.shared_data
@needs_shared_data
def test_every_parcel_is_inside_its_real_county(parcels_m, real_counties_m):
    for code, parcel_code, geometry in zip(parcels_m["county_code"], parcels_m["parcel_code"],
                                           parcels_m.geometry):
        assert real_counties_m[code].contains(geometry), parcel_code


@pytest.mark.shared_data
@needs_shared_data
def test_schematic_outlines_resemble_the_real_ones(counties, real_counties_m):
    schematic_m = counties.to_crs(AREA_CRS).geometry
    for code in COUNTY_CODES:
        real, schematic = real_counties_m[code], schematic_m[code]
        iou = real.intersection(schematic).area / real.union(schematic).area
        assert iou > 0.8, code


# --- the seeded demo's income chain (sinkledger/demo/income.py) ------------------------------

@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The whole demo seeded once per backend (PostgreSQL when SINKLEDGER_TEST_PG_URL is set)."""
    from sinkledger.config import load_settings
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service
    from tests.conftest import PG_URL, pg_available

    home = tmp_path_factory.mktemp("seeded_demo")
    url = f"sqlite:///{home / 'demo.db'}"
    if request.param == "postgres":
        ok, reason = pg_available()
        if not ok:
            pytest.skip(reason)
        url = PG_URL
    service = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(home)}))
    if request.param == "postgres" and service.db.has_schema():
        service.db.drop_schema()
    report = seed_demo(service)
    yield service, report
    service.db.dispose()


def test_the_demo_income_chain_is_recorded_and_adds_up(seeded):
    """Given the seeded demo, the tea contract's sale is distributed to the fen: 50 t at 73.41 CNY/t,
    stated costs 5 % + 2 yuan/t, 80 % of the net to the villages, the rest to the centre."""
    from sinkledger.demo import income as d

    service, report = seeded
    income, admin = report["income"], service.actor("admin")
    assert report["ledger_ok"] and service.verify().ok
    assert income["sale_amount_fen"] == d.SALE_QUANTITY_T * d.SALE_PRICE_FEN_PER_T == 367_050
    recorded = service.income.distribution(admin, income["distribution_id"])
    assert sum(line["amount_fen"] for line in recorded["lines"]) == income["sale_amount_fen"]
    (contract,) = recorded["contracts"]
    gross = income["sale_amount_fen"]
    costs = gross * 500 // 10_000 + 200 * d.SALE_QUANTITY_T
    assert (contract["gross_fen"], contract["costs_fen"], contract["net_fen"]) == (gross, costs, gross - costs)
    assert contract["villages_fen"] + contract["centre_fen"] == contract["net_fen"]
    assert abs(contract["villages_fen"] - contract["net_fen"] * 8 // 10) <= 1
    households = [line for line in recorded["lines"] if line["role"] == "household"]
    assert sum(line["amount_fen"] for line in households) == contract["villages_fen"]
    assert {line["parcel_code"] for line in households} == set(d.TEA_PARCELS)


def test_the_demo_contracts_projects_and_payments(seeded):
    from sinkledger.demo import income as d

    service, report = seeded
    income, admin = report["income"], service.actor("admin")
    from sinkledger.demo import roles

    contracts = {c["contract_no"]: c for c in service.income.contracts(admin)}
    assert set(contracts) == {d.TEA_CONTRACT_NO, d.WETLAND_CONTRACT_NO, roles.HOUSEHOLD_CONTRACT_NO}
    assert contracts[d.TEA_CONTRACT_NO]["parcel_codes"] == list(d.TEA_PARCELS)
    assert contracts[d.TEA_CONTRACT_NO]["documents"][0]["content_matches"]
    assert contracts[d.WETLAND_CONTRACT_NO]["payment_terms"] == d.WETLAND_TERMS
    tea = service.income.project(admin, d.TEA_PROJECT_CODE)
    assert [p["parcel_code"] for p in tea["parcels"]] == list(d.TEA_PARCELS)
    assert sum(b["quantity"] for b in tea["batches"]) == income["issued_t"] == 70
    assert service.income.project(admin, d.WETLAND_PROJECT_CODE)["batches"] == []
    fixed = service.income.due_items(admin, contract_no=d.WETLAND_CONTRACT_NO)
    by_due = {}
    for item in fixed:
        by_due.setdefault(item["due_date"], []).append(item)
    assert sorted(by_due) == ["2024-06-01", "2025-06-01", "2026-06-01"]
    assert all(i["status"] == "paid" for day in ("2024-06-01", "2025-06-01") for i in by_due[day])
    assert all(i["status"] == "due" for i in by_due["2026-06-01"])
    sale_items = service.income.due_items(admin, source_id=income["distribution_id"])
    paid = {i["party_id"] for i in sale_items if i["status"] == "paid"}
    assert paid == {income["tea_household"]} and any(i["status"] == "due" for i in sale_items)


def test_the_demo_leaves_work_for_the_verifier_bank_and_insurer(seeded):
    from sinkledger.demo import income as d
    from sinkledger.services import queries as ui_queries

    service, report = seeded
    income, admin = report["income"], service.actor("admin")
    waiting = [e["estimate_id"] for e in ui_queries.estimates_waiting(service)]
    assert income["waiting_estimate_id"] in waiting
    # the database's pick is the queue's rule on every estimate: waiting, at least a tonne, newest first
    every = ui_queries.estimates(service)
    assert waiting == [e["estimate_id"] for e in every if e["state"] == "waiting" and e["net_kg_co2e"] >= 1000]
    (lien,) = service.income.liens(service.actor("bank"))
    assert (lien["contract_no"], lien["status"], lien["parcel_codes"]) == (d.WETLAND_CONTRACT_NO, "active",
                                                                         list(d.WETLAND_PARCELS))
    (event,) = service.income.losses(admin)
    assert event["reversed_t"] == income["reversed_t"] == 29  # ceil(26.36 t C/ha × 44/12 × 1.2 ha × 25 %)
    assert [c["claim_no"] for c in event["claims"]] == [d.CLAIM["claim_no"]]
    users = {u["username"]: u for u in service.users()}
    assert users["tea_household"]["party_id"] == income["tea_household"]
    assert users["tea_coop"]["party_id"] == income["tea_collective"]


def test_the_income_chain_leaves_the_base_demo_alone(seeded):
    """No parcel added, no contract on the parcels other tests use, the base demo's sales intact."""
    from sinkledger.demo import income as d
    from sinkledger.services import queries as ui_queries

    service, report = seeded
    assert report["parcels"] == 105 and len(service.parcels()) == 105
    contracted = {p for c in service.income.contracts(service.actor("admin")) for p in c["parcel_codes"]}
    assert not contracted & {"AJ-TG-0001", "AJ-TG-0005", "AJ-TG-0007", "AJ-TG-0017", "DQ-WL-0001"}
    from sinkledger.demo import roles

    from sinkledger.demo import instruments, prices

    base_sales = [s for s in ui_queries.sales(service) if s["contract_no"] != d.SALE_CONTRACT_NO
                  and s["seller_account"] != roles.COURT_SELLER  # the court's purchase, recorded as a sale
                  and s["contract_no"] != instruments.PURCHASE_CONTRACT  # an obligation's purchase (issue 22)
                  and s["contract_no"] not in prices.contract_nos()]  # the price index's markets (issue 22)
    # the three largest holders sell in seasonal tranches (issue 19): six each
    assert len(base_sales) == len(report["chain"]["sales"]) == 18
    assert {s["seller_account"] for s in base_sales}.isdisjoint({"CENTRE-AJ-H"})
    assert not d.has_income_parcels({"AJ-BF-0001", "AJ-TG-0001", "DQ-WL-0001"})


def test_the_demo_has_three_years_of_seasonal_activity(seeded):
    """Issue 19: the demo's history is spread over 2023-2026 (not all dated the day it was seeded),
    sales come in spring and autumn seasons, so the monthly charts have many bars."""
    from sinkledger.services import queries as ui_queries

    service, _ = seeded
    months = ui_queries.monthly_activity(service)
    assert len(months) >= 24
    sale_months = [m["month"] for m in months if m["sold_t"]]
    assert {m[:4] for m in sale_months} == {"2024", "2025", "2026"}
    assert len(sale_months) >= 12
    assert {int(m[5:]) for m in sale_months} & {3, 4, 5} and {int(m[5:]) for m in sale_months} & {9, 10, 11}
    issued = [m["month"] for m in months if m["issued_t"]]
    assert min(issued) < "2023-12" and max(m["month"] for m in months if m["retired_t"]) >= "2026-01"
    assert len({m["average_price_fen"] for m in months if m["sold_t"]}) > 1  # prices move over the years


def test_seeding_the_demo_twice_records_nothing_new(seeded):
    from sinkledger.demo.seed import seed_demo

    service, report = seeded
    again = seed_demo(service)
    assert (again["entries"], again["head_hash"]) == (report["entries"], report["head_hash"])
    assert again["income"] == report["income"]


def test_no_holder_of_the_base_demo_gains_available_credits(seeded):
    """The income chain's buyer retires what it bought: the holders the app's pages pick by
    balance (e.g. the largest seller of a court fulfilment) stay the base demo's."""
    from sinkledger.demo import income as d
    from sinkledger.services import queries as ui_queries

    service, report = seeded
    held = {a["account_id"]: a["held_t"] for a in ui_queries.holding_accounts(service)}
    largest = max(held, key=lambda a: (held[a], a))
    assert largest.startswith("COL-")
    retired = [r for r in ui_queries.retirements(service, account_id=d.BUYER_ACCOUNT)
               if r["purpose"] == d.RETIREMENT["purpose"]]
    assert [r["quantity"] for r in retired] == [d.SALE_QUANTITY_T]
    assert held["CENTRE-AJ-H"] == report["income"]["issued_t"] - report["income"]["buffer_t"] - d.SALE_QUANTITY_T


README_USERS = re.compile(r"^\| `(\w+)` \|", re.MULTILINE)


def test_every_readme_user_lands_on_data_of_its_own(seeded):
    """Issue 19: each demo user of the README's table finds its own data on its first page (the
    household used to land on an all-zero statement; the court, the procurator and the bank on
    empty lists), recorded on days spread over the demo's years."""
    from sinkledger.demo import roles
    from sinkledger.services import queries as ui_queries
    from sinkledger.ui.signin import DEMO_USERS

    service, _ = seeded
    section = (REPO_ROOT / "README.md").read_text(encoding="utf-8").split("## Demo users and roles")[1].split("\n## ")[0]
    readme = README_USERS.findall(section)
    assert set(readme) == set(DEMO_USERS) and len(readme) == 15  # the sign-in page lists the README's users
    actor = service.actor
    household = service.income.statement(actor("household"), party_id="HH-0001", period_start="2025-01-01",
                                         period_end="2026-12-31")["totals"]
    assert household["paid_fen"] > 0 and household["outstanding_fen"] > 0  # one year paid, the next due
    coop = service.income.statement(actor("coop"), party_id="COL-0001", period_start="2025-01-01",
                                    period_end="2026-12-31")
    assert coop["totals"]["due_fen"] > 0
    cases = service.court.cases(actor("court"))
    assert [c["case_no"] for c in cases] == [roles.CASE_FULFILLED, roles.CASE_OPEN]
    assert service.court.cases(actor("procurator")) == cases
    fulfilled = service.court.status(actor("court"), case_no=roles.CASE_FULFILLED)["orders"][0]
    assert fulfilled["status"] == "fulfilled" and fulfilled["certificates"]
    assert service.court.status(actor("court"), case_no=roles.CASE_OPEN)["orders"][0]["status"] == "ordered"
    pledges = [p for p in ui_queries.pledges(service) if p["status"] == "active"]
    assert [(p["account_id"], p["quantity"]) for p in pledges] == [(roles.PLEDGED_ACCOUNT, roles.PLEDGE["quantity"])]
    assert ui_queries.estimates_waiting(service) and service.income.losses(actor("insurer"))
    assert service.account_balance("ENT-0001-H")["held_t"] > 0
    # issue 22: the authority's programme has payments, one obligation met (certified), one open
    assert service.compensation.programme(actor("authority"), code="HZSTBC-2026")["payments"]
    statuses = {o["enterprise_party_id"]: o for o in service.obligations.obligations(actor("authority"))}
    assert statuses["ENT-0001"]["status"] == "met" and statuses["ENT-0002"]["shortfall_t"] > 0
    assert [o["status"] for o in service.obligations.obligations(actor("enterprise"))] == ["met"]
    for seq_kind in ("court_case_registered", "court_fulfilment", "pledge", "collection", "payment",
                     "compensation_payment", "obligation_surrender"):
        assert all(e["recorded_at"][:4] in ("2024", "2025", "2026") for e in service.journal(kind=seq_kind, limit=10))


def test_the_demo_publishes_a_price_index_and_settles_an_index_policy(seeded):
    """Issue 22: the demo has a published monthly bamboo index (Anji, 2025-04) and a wetland one
    (Deqing, 2025-08), each reproducible from the journal; the insurer's policy on the first
    collective's contract settled on the spring index with a payout that reached its households."""
    from sinkledger.demo import prices as d
    from sinkledger.demo.roles import HOUSEHOLD_CONTRACT_NO

    service, _ = seeded
    bamboo = service.prices.index(**d.BAMBOO_MARKET, date_from="2024-01-01", date_to="2026-12-31")
    published = {w["window"]: w for w in bamboo["windows"] if w["published"]}
    assert set(d.INDEX_MONTHS) <= set(published)
    for month in d.INDEX_MONTHS:
        trace = service.prices.trace(**d.BAMBOO_MARKET, frequency="monthly", window=month)
        assert len({i["seller_account"] for i in trace["inputs"]}) == 3  # three collectives
        assert service.prices.check_trace(trace)["ok"]
    wetland = service.prices.index(**d.WETLAND_MARKET, date_from="2025-01-01", date_to="2026-12-31")
    assert [w["window"] for w in wetland["windows"] if w["published"]] == ["2026-08"]

    insurer, coop = service.actor("insurer"), service.actor("coop")
    policy = service.prices.policy(insurer, policy_no=d.POLICY["policy_no"])
    assert policy["contract_no"] == HOUSEHOLD_CONTRACT_NO and policy["insured_party_id"] == "COL-0001"
    settled = policy["settlement"]
    assert settled["published"] and settled["index_fen_per_t"] < d.POLICY["strike_fen_per_t"]
    assert settled["payout_fen"] == (d.POLICY["strike_fen_per_t"] - settled["index_fen_per_t"]) * d.POLICY["insured_t"]
    assert sum(i["amount_fen"] for i in settled["due_items"]) == settled["payout_fen"]
    assert service.prices.check_settlement(insurer, policy_no=d.POLICY["policy_no"])["ok"]
    assert [p["policy_no"] for p in service.prices.policies(coop)["items"]] == [d.POLICY["policy_no"]]
    statement = service.income.statement(service.actor("household"), party_id="HH-0001", period_start="2025-01-01",
                                         period_end="2025-12-31")
    lines = [i for i in statement["items"] if i["source_kind"] == "index_insurance"]
    assert lines and all(i["status"] == "paid" for i in lines)
    assert sum(i["amount_fen"] for i in lines) == sum(i["amount_fen"] for i in settled["due_items"]
                                                      if i["party_id"] == "HH-0001")
    import io

    from pypdf import PdfReader

    for lang, heading in (("zh", "价格指数保险赔付"), ("en", "Price index insurance payouts")):
        pdf = service.income.statement_pdf(service.actor("household"), party_id="HH-0001", period_start="2025-01-01",
                                           period_end="2025-12-31", lang=lang)
        words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert heading in words and settled["id"] in words  # the statement shows the payout's lines


def test_the_demo_has_a_priced_wetland_sale(seeded):
    """Issue 22: the wetland project's factors rest on synthetic evidence documents; the sale after
    the wetland index is published records the reference index, every factor and the reference
    price (index × product of the factors); the clerk's form shows the same for the next sale."""
    import json
    from decimal import ROUND_HALF_UP, Decimal

    from sinkledger.demo import prices as d

    service, _ = seeded
    factors = service.prices.project_factors(project_code=d.WETLAND_PROJECT)
    assert {f["factor"] for f in factors["factors"]} == {"biodiversity", "ecological_product_value"}
    assert all("演示" in f["evidence_title"] for f in factors["factors"])
    sale = next(e for e in service.journal(kind="sale", limit=200) if e["request_id"] == "demo:prices:wetland:4")
    line = sale["result"]["pricing"]["lines"][0]
    index = line["reference_index"]
    assert index["published"] and index["window"] == "2026-08"
    expected = (Decimal(index["index_fen_per_t"]) * Decimal(factors["product"])).quantize(Decimal(1), ROUND_HALF_UP)
    assert line["reference_price_fen_per_t"] == int(expected) > index["index_fen_per_t"]
    assert {f["evidence_sha256"] for f in line["factors"]} == {f["evidence_sha256"] for f in factors["factors"]}
    seller = service.parcel(d.PRICED_SALE[1])["holder_party_id"]
    form = service.prices.reference_price(service.actor("clerk"), seller_account=f"{seller}-H", quantity=1,
                                          sale_date="2026-10-15")
    assert form["lines"][0]["reference_price_fen_per_t"] == line["reference_price_fen_per_t"]
    assert json.dumps(sale, ensure_ascii=False).count("DQWL02") >= 1
