"""The world the bad-input suite fuzzes: the demo registry plus a pledge, a court case with an
order, and a recorded estimate not yet issued, on each backend, seeded once per session.

Every refusal changes nothing, so the same world serves every test. A test that finds the world
changed behind its back (another module dropped the PostgreSQL schema, or an accepted bad input
moved the head) gets it re-seeded.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sinkledger.config import REPO_ROOT, load_settings
from tests.conftest import PG_URL, pg_available

_TEMPORARY: list[Path] = []  # folders made for the session's worlds, removed at its end


def temporary_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    _TEMPORARY.append(folder)
    return folder


TEA_EXAMPLE = REPO_ROOT / "methodologies" / "examples" / "tea_garden.json"
TEA_METHODOLOGY = "sinkledger.tea-garden"
PLEDGED_T = 3


@dataclass
class World:
    """A seeded service and the ids a valid call needs (see :func:`seed_world`)."""

    url: str
    backend: str
    service: Any
    ids: dict[str, Any] = field(default_factory=dict)
    head: tuple[int, str] | None = None
    workdir: Path = field(default_factory=lambda: temporary_folder("fuzz-world-"))

    def state(self) -> tuple[Any, ...]:
        """What a refusal must leave as it was: the journal head, every balance, and the row
        counts of the tables written beside the journal or outside it (users, checkpoints)."""
        with self.service.db.engine.connect() as conn:
            head = conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
            balances = hash(tuple(conn.execute(text(
                "SELECT account_id, batch_id, state, quantity FROM balance ORDER BY account_id, batch_id, state"))))
            counts = conn.execute(text(
                "SELECT (SELECT count(*) FROM app_user), (SELECT count(*) FROM parcel), (SELECT count(*) FROM party), "
                "(SELECT count(*) FROM account), (SELECT count(*) FROM estimate), (SELECT count(*) FROM checkpoint), "
                "(SELECT count(*) FROM parcel_version)")).first()
        return (tuple(head) if head else None, balances, tuple(counts))

    def intact(self) -> bool:
        try:
            with self.service.db.engine.connect() as conn:
                head = conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
        except Exception:  # noqa: BLE001 - a dropped schema raises whatever the driver raises
            return False
        return head is not None and tuple(head) == self.head


def seed_world(url: str) -> dict[str, Any]:
    """Seed the demo and the extra records; return the ids the call baselines use."""
    from sinkledger.demo import seed_demo
    from sinkledger.service import Service

    svc = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_GIS_DATA": str(small_demo())}))
    if svc.db.has_schema():
        svc.db.drop_schema()
    seed_demo(svc)
    svc.checkpoint()
    held = [r for r in svc.balances()["by_account"] if r["account_id"].startswith("COL-")]
    seller = max(held, key=lambda r: r["held_t"])
    pledge = svc.pledge(svc.actor("bank"), "fuzz:pledge", account_id=seller["account_id"], quantity=PLEDGED_T,
                        loan_reference="FUZZ-LOAN", loan_amount_fen=100_000, term_end="2030-12-31")
    court = svc.court
    case = court.register_case(svc.actor("court"), "fuzz:case", case_no="（2025）浙0521刑初1号",
                               judgment_date="2025-03-01", defendants=["ENT-0002"], sink_type="bamboo_forest",
                               county_code="330521", ecosystem_name="示例山林（演示）", damaged_area_ha="1.5",
                               description="滥伐林木（演示）")
    order = court.issue_order(svc.actor("court"), "fuzz:order", case_no=case["case_no"], item="判决第二项",
                              kind="quantity", due_date="2026-12-31", quantity_t=5)
    inputs = json.loads(TEA_EXAMPLE.read_text(encoding="utf-8"), parse_float=str)
    estimate = svc.record_estimate(svc.actor("centre"), "fuzz:estimate", parcel_codes=["AJ-TG-0001"],
                                   methodology_id=TEA_METHODOLOGY, inputs=inputs)
    tea_holder = svc.parcel("AJ-TG-0005")["holder_party_id"]
    svc.db.dispose()
    return {"seller_account": seller["account_id"], "seller_party": seller["account_id"][:-2],
            "seller_held_t": seller["held_t"] - PLEDGED_T, "pledge_id": pledge["pledge_id"],
            "case_no": case["case_no"], "order_id": order["order_id"], "estimate_id": estimate["estimate_id"],
            "estimate_kg": estimate["net_kg_co2e"], "tea_inputs": inputs, "issued_estimate": _issued_estimate(url),
            "tea_holder": tea_holder}


# The demo's own parcels, fewer of them (seeding the whole demo takes 4-15 s per backend):
# the first collective's (user "coop"), a second one's, three tea gardens and a wetland.
SMALL_DEMO_PARCELS = ("AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0006", "AJ-TG-0001", "AJ-TG-0005", "AJ-TG-0007",
                      "DQ-WL-0001")


def small_demo() -> Path:
    """A gis_data folder holding the demo layer cut to :data:`SMALL_DEMO_PARCELS`."""
    import shutil

    import geopandas as gpd

    folder = temporary_folder("fuzz-gis-")
    layer = gpd.read_file(REPO_ROOT / "gis_data" / "demo_parcels.gpkg", layer="parcels")
    layer[layer["parcel_code"].isin(SMALL_DEMO_PARCELS)].to_file(folder / "demo_parcels.gpkg", layer="parcels",
                                                                 engine="pyogrio")
    shutil.copy(REPO_ROOT / "gis_data" / "demo_monitoring.json", folder / "demo_monitoring.json")
    return folder


def _issued_estimate(url: str) -> str:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM journal_entry WHERE kind = 'issuance' "
                                 "ORDER BY seq LIMIT 1")).scalar()
    engine.dispose()
    return json.loads(body)["payload"]["estimate_id"]


_WORLDS: dict[str, World] = {}


def world_for(backend: str) -> World:
    """The session's world on ``backend``, re-seeded if it was changed or dropped meanwhile."""
    from sinkledger.service import Service

    world = _WORLDS.get(backend)
    if world is not None and world.intact():
        return world
    if backend == "sqlite":
        url = world.url if world else f"sqlite:///{temporary_folder('fuzz-') / 'world.db'}"
    else:
        ok, reason = pg_available()
        if not ok:
            pytest.skip(reason)
        url = PG_URL
    if world is not None:
        world.service.db.dispose()
    ids = seed_world(url)
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    world = World(url=url, backend=backend, service=svc, ids=ids)
    world.head = world.state()[0]
    _WORLDS[backend] = world
    return world


@pytest.fixture(params=["sqlite", "postgres"])
def fuzz_world(request) -> World:  # type: ignore[no-untyped-def]
    """The seeded world on each backend (shared by the session; refusals change nothing)."""
    return world_for(request.param)


@pytest.fixture
def sqlite_world() -> World:
    return world_for("sqlite")


def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    import shutil

    for world in _WORLDS.values():
        world.service.db.dispose()
    for folder in _TEMPORARY:
        shutil.rmtree(folder, ignore_errors=True)
