"""The county-scale SYNTHETIC dataset (``sinkledger demo --scale county``) at a small size: it
builds in seconds through the services, verifies, has the counts asked for, labels every party
synthetic, is deterministic, spreads its entries over 2021-2026 and refuses a second run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import shapely
from argon2 import PasswordHasher
from sqlalchemy import text

import sinkledger.services.admin
from ledger.domain import PartyKind
from sinkledger.config import load_settings
from sinkledger.demo.county import SYNTHETIC, CountySize, seed_county
from sinkledger.services.registry import Service
from sinkledger_base.errors import Conflict

REPO_ROOT = Path(__file__).resolve().parents[1]
SIZE = CountySize(parcels=150, entries=1_500)
CLI_SIZE = CountySize(parcels=50, entries=300)


def build(tmp: Path, size: CountySize, name: str = "county.db") -> tuple[Service, dict]:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp / name}", "SINKLEDGER_HOME": str(tmp)})
    service = Service.open(settings)
    with pytest.MonkeyPatch.context() as mp:  # module-scoped: the autouse fast hashing does not reach here
        mp.setattr(sinkledger.services.admin, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        return service, seed_county(service, size)


@pytest.fixture(scope="module")
def county(tmp_path_factory):  # type: ignore[no-untyped-def]
    service, summary = build(tmp_path_factory.mktemp("county"), SIZE)
    yield service, summary
    service.db.dispose()


def test_it_builds_verifies_and_has_the_counts_asked_for(county) -> None:  # type: ignore[no-untyped-def]
    service, summary = county
    report = service.verify()
    assert report.ok, report.problems
    assert report.entries == summary["entries"] and report.head_hash == summary["head_hash"]
    assert abs(summary["entries"] - SIZE.entries) <= SIZE.entries * 0.1
    with service.db.read() as s:
        parcels = s.execute(text("SELECT count(*), count(DISTINCT holder_party_id), count(DISTINCT county_code) "
                                 "FROM parcel WHERE status = 'active'")).one()
        kinds = Counter(dict(s.execute(text("SELECT kind, count(*) FROM journal_entry GROUP BY kind")).all()))
        types = dict(s.execute(text("SELECT sink_type, count(*) FROM parcel GROUP BY sink_type")).all())
    assert tuple(parcels) == (SIZE.parcels, SIZE.villages, 5)  # every county has villages
    assert summary["households"] == SIZE.parcels // 2 and summary["villages"] == SIZE.villages
    assert types["bamboo_forest"] > SIZE.parcels / 2 and types.get("tea_garden") and types.get("wetland")
    assert kinds == Counter(summary["entries_by_kind"])
    for kind in ("collection", "project_registered", "estimate_recorded", "issuance", "sale", "distribution",
                 "payment", "payments_scheduled", "retirement", "pledge", "release", "parcels_imported"):
        assert kinds[kind] > 0, kind
    assert kinds["sale"] > summary["entries"] / 2  # sales are the bulk
    assert kinds["pledge"] == kinds["release"]  # every pledge is released by the end
    assert kinds["party_registered"] == SIZE.villages + summary["households"] + SIZE.enterprises + 14


def test_every_party_is_labelled_synthetic(county) -> None:  # type: ignore[no-untyped-def]
    service, _ = county
    parties = [p for p in service.parties() if p["kind"] != PartyKind.registry.value]
    assert parties and all(p["name"].endswith(SYNTHETIC) for p in parties)
    households = [p for p in parties if p["kind"] == PartyKind.household.value]
    assert all(p["name"] == f"农户 {p['party_id']}{SYNTHETIC}" for p in households)  # pseudonyms only
    with service.db.read() as s:
        attributes = s.execute(text("SELECT attributes FROM parcel")).scalars().all()
        contracts = s.execute(text("SELECT contract_no FROM sale")).scalars().all()
    assert all(json.loads(a)["synthetic"] is True for a in attributes)
    assert all(c.endswith(SYNTHETIC) for c in contracts)


def test_parcels_lie_in_their_county_and_do_not_overlap(county) -> None:  # type: ignore[no-untyped-def]
    service, _ = county
    outlines = json.loads((REPO_ROOT / "gis_data" / "counties.geojson").read_text(encoding="utf-8"))
    shapes = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]) for f in outlines["features"]}
    with service.db.read() as s:
        rows = s.execute(text("SELECT county_code, geometry_wkb FROM parcel")).all()
    geoms = [shapely.from_wkb(w) for _, w in rows]
    assert all(shapes[c].contains(g) for (c, _), g in zip(rows, geoms))
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    assert (left == right).all()  # each parcel meets only itself


def test_entries_are_spread_over_2021_to_2026_in_order(county) -> None:  # type: ignore[no-untyped-def]
    service, _ = county
    with service.db.read() as s:
        years = dict(s.execute(text("SELECT substr(recorded_at, 1, 4), count(*) FROM journal_entry GROUP BY 1")).all())
        times = s.execute(text("SELECT recorded_at FROM journal_entry ORDER BY seq")).scalars().all()
        late = s.execute(text("SELECT count(*) FROM income_payment p JOIN due_item d ON d.id = p.due_id "
                              "WHERE p.paid_date < d.basis_date")).scalar_one()
    assert sorted(years) == [str(y) for y in range(2021, 2027)]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert late == 0


def test_a_second_run_is_refused(county) -> None:  # type: ignore[no-untyped-def]
    service, summary = county
    with pytest.raises(Conflict) as refused:
        seed_county(service, SIZE)
    assert refused.value.code == "county_demo_database_not_empty"
    assert service.verify().entries == summary["entries"]  # nothing was added


def run_cli(args: list[str], url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sinkledger.cli.main", "--database-url", url, *args],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)


def test_cli_builds_refuses_a_second_run_and_the_seed_fixes_the_chain(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["demo", "--scale", "county", "--parcels", str(CLI_SIZE.parcels), "--entries", str(CLI_SIZE.entries),
            "--json"]
    first = run_cli(args, url)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["scale"] == "county" and summary["parcels"] == CLI_SIZE.parcels and summary["synthetic"] is True
    again = run_cli(args, url)
    assert again.returncode == 2 and json.loads(again.stdout)["error"]["code"] == "county_demo_database_not_empty"
    # the same seed gives the same chain in another process too; another seed another chain
    for name, size in (("same.db", CLI_SIZE), ("other.db", CountySize(parcels=50, entries=300, seed=8))):
        service, here = build(tmp_path, size, name)
        service.db.dispose()
        assert (here["head_hash"] == summary["head_hash"]) is (size == CLI_SIZE)
    wrong = run_cli(["demo", "--parcels", "50", "--json"], url)
    assert wrong.returncode == 2 and json.loads(wrong.stdout)["error"]["code"] == "value_invalid"


def test_its_sales_publish_a_price_index_in_every_county(county) -> None:  # type: ignore[no-untyped-def]
    """Issue 22 (helper h7b): the county dataset's market publishes monthly bamboo indexes in each
    of Huzhou's five counties, each reproducible from the journal."""
    service, _ = county
    bamboo = [m for m in service.prices.markets() if m["sink_type"] == "bamboo_forest"]
    assert len({m["county_code"] for m in bamboo}) == 5
    for market in bamboo:
        windows = service.prices.index(sink_type="bamboo_forest", county_code=market["county_code"],
                                       date_from="2021-01-01", date_to="2026-12-31")["windows"]
        published = [w for w in windows if w["published"]]
        assert published, market
        trace = service.prices.trace(sink_type="bamboo_forest", county_code=market["county_code"],
                                     frequency="monthly", window=published[-1]["window"])
        assert service.prices.check_trace(trace)["ok"]
