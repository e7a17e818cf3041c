"""The world the bad-input suite fuzzes: the demo registry plus a pledge, a court case with an
order, a recorded estimate not yet issued and the income records (:func:`seed_income`), on each
backend, seeded once per session.

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
        counts of the tables written beside the journal or outside it (users, checkpoints, the
        bytes of contract documents)."""
        with self.service.db.engine.connect() as conn:
            head = conn.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
            balances = hash(tuple(conn.execute(text(
                "SELECT account_id, batch_id, state, quantity FROM balance ORDER BY account_id, batch_id, state"))))
            counts = conn.execute(text(
                "SELECT (SELECT count(*) FROM app_user), (SELECT count(*) FROM parcel), (SELECT count(*) FROM party), "
                "(SELECT count(*) FROM account), (SELECT count(*) FROM estimate), (SELECT count(*) FROM checkpoint), "
                "(SELECT count(*) FROM parcel_version), (SELECT count(*) FROM collection_document_content)")).first()
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
    from sinkledger.demo.seed import seed_demo
    from sinkledger.services.registry import Service

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
    income = seed_income(svc)
    import_seq = seed_registry_import(svc)
    prices = seed_prices(svc)
    instruments = seed_instruments(svc)
    svc.db.dispose()
    return {"seller_account": seller["account_id"], "seller_party": seller["account_id"][:-2],
            "seller_held_t": seller["held_t"] - PLEDGED_T, "pledge_id": pledge["pledge_id"],
            "case_no": case["case_no"], "order_id": order["order_id"], "estimate_id": estimate["estimate_id"],
            "estimate_kg": estimate["net_kg_co2e"], "tea_inputs": inputs, "issued_estimate": _issued_estimate(url),
            "tea_holder": tea_holder, "import_seq": import_seq, **income, **prices, **instruments}


def seed_prices(svc: Any) -> dict[str, Any]:
    """Issue 22 (helper h7): a price index insurance policy on the share contract's collective,
    issued on a day before its period (the clock moved back for it) so that its period has ended
    and it can be settled; pricing factors on the fuzz bundle."""
    wall = svc.clock
    svc.clock = lambda: "2024-01-02T02:00:00.000000+00:00"
    try:
        svc.prices.issue_policy(svc.actor("insurer"), "fuzz:prices:policy", policy_no="FZ-JZ-1",
                                insured_party_id="COL-0001", contract_no=SHARE_CONTRACT, sink_type="bamboo_forest",
                                county_code="330523", period_start="2024-02-01", period_end="2024-04-30",
                                strike_fen_per_t=8000, insured_t=100, premium_fen=10_000)
    finally:
        svc.clock = wall
    svc.prices.set_factors(svc.actor("centre"), "fuzz:prices:factors", project_code=PROJECT, factors=[
        {"factor": "biodiversity", "value": "1.1", "evidence_title": "评估（模糊测试）", "evidence_file_name": "a.pdf",
         "evidence_content": b"evidence"}])
    return {"policy_no": "FZ-JZ-1"}


def seed_instruments(svc: Any) -> dict[str, Any]:
    """Issue 22 (helper h8): a programme that accepts every verified sink (with nothing paid) and
    an open obligation of ENT-0001 that counts every credit, beside the demo's own."""
    authority = svc.actor("authority")
    svc.compensation.register_programme(
        authority, "fuzz:programme", code="FZ-PROG", name="模糊测试补偿项目", reference="FZ-1", basis="per_t",
        rate_fen=100, budget_fen=10**12, sink_types=["bamboo_forest", "tea_garden", "wetland"], vintage_from=1990,
        vintage_to=2199, period_start="1900-01-01", period_end="2199-12-31")
    payable = svc.compensation.payable_estimates(authority, programme_code="FZ-PROG")
    obligation = svc.obligations.set_obligation(
        authority, "fuzz:obligation", enterprise_party_id="ENT-0001", quantity_t=1_000, deadline="2040-12-31",
        start_date="2020-01-01", sink_types=["bamboo_forest", "tea_garden", "wetland"], vintage_from=1990,
        vintage_to=2199, reference="FZ-2")
    payments = svc.compensation.payments(authority)
    certificates = [o for o in svc.obligations.obligations(authority) if o["status"] == "met"]
    code = svc.obligations.obligation(authority, obligation_id=certificates[0]["id"])["certificates"][0]["code"] \
        if certificates else "NOPE-CODE"
    retired = svc.retire(svc.actor("enterprise"), "fuzz:retire-for-claim", account_id="ENT-0001-H", quantity=1,
                         beneficiary="模糊测试", purpose="FZ") if svc.account_balance("ENT-0001-H")["held_t"] else None
    return {"programme": "FZ-PROG", "payable_estimate": payable[0]["estimate_id"] if payable else "EST-NONE",
            "obligation_id": obligation["obligation_id"], "compensation_payment": payments[0]["id"] if payments else "EC-NONE",
            "obligation_code": code, "claimable": retired["retirement_id"] if retired else "RT-NONE"}


def seed_registry_import(svc: Any) -> int:
    """Issue 20 (helper h4): an imported Verra block (serials apart from the import_registry
    baseline's), so that an import's reconciliation report can be read."""
    from tests.fuzz.samples import verra_transactions

    path = temporary_folder("fuzz-import-") / "transactions.csv"
    path.write_text(verra_transactions().replace("941467007-941467431", "941467001-941467006").replace(",425,", ",6,"),
                    encoding="utf-8")
    return svc.import_registry(svc.actor("admin"), "fuzz:import", registry="verra", paths=[str(path)])["seq"]


# The income records (docs/income.md) on the demo's own parties: the centre collects COL-0001's two
# bamboo parcels for a proceeds share with stated costs and COL-0002's one for a fixed payment,
# bundles the first two, issues the bundle's first monitoring period and sells part of it.
SHARE_CONTRACT, FIXED_CONTRACT, PROJECT = "FZ-SC-SHARE", "FZ-SC-FIXED", "FZBUNDLE1"
SHARE_PARCELS, FIXED_PARCEL, LIEN_PARCEL = ("AJ-BF-0001", "AJ-BF-0006"), "AJ-BF-0002", "AJ-BF-0006"
BAMBOO_METHODOLOGY = "sinkledger.bamboo-moso-management"
CENTRE_ACCOUNT = "CENTRE-AJ-H"


def seed_income(svc: Any) -> dict[str, Any]:
    """Contracts (a proceeds share with stated costs, a fixed payment) and a contract document; a
    bundled project issued through the bundle; a sale distributed (due items, a partial payment)
    and one not distributed; the fixed contract's first years scheduled; a lien on one parcel's
    future issuances; a loss event with its reversal and an insurance claim. About 0.2 s."""
    from methodologies.registry import get_methodology

    income, centre = svc.income, svc.actor("centre")
    term = {"term_start": "2021-01-01", "term_end": "2051-01-01", "signed_date": "2020-12-20"}
    svc.collect(centre, "fuzz:income:share", contract_no=SHARE_CONTRACT, collective_party_id="COL-0001",
                parcel_codes=list(SHARE_PARCELS), **term,
                payment_terms={"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200,
                               "costs_note": "交易服务费 5%，监测核证费 2 元/吨（模糊测试）"})
    svc.collect(centre, "fuzz:income:fixed", contract_no=FIXED_CONTRACT,
                collective_party_id=svc.parcel(FIXED_PARCEL)["holder_party_id"], parcel_codes=[FIXED_PARCEL], **term,
                payment_terms={"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 500})
    document = income.register_contract_document(centre, "fuzz:income:document", contract_no=SHARE_CONTRACT,
                                                 title="收储合同（模糊测试）", content="收储合同".encode(),
                                                 file_name="contract.txt")
    income.register_project(centre, "fuzz:income:project", project_code=PROJECT, name="示例毛竹林打捆项目（模糊测试）",
                            sink_type="bamboo_forest", methodology_id=BAMBOO_METHODOLOGY,
                            monitoring_start="2024-11-15", interval_months=24, parcel_codes=list(SHARE_PARCELS))
    inputs = get_methodology(BAMBOO_METHODOLOGY).example_inputs()
    first = income.estimate_project(centre, "fuzz:income:estimate:0", project_code=PROJECT, inputs=inputs,
                                    period_index=0)
    issuance = income.issue_project(svc.actor("verifier"), "fuzz:income:issue", project_code=PROJECT,
                                    estimate_id=first["estimate_id"], verified_kg_co2e=first["net_kg_co2e"],
                                    buffer_share_bp=1000)
    second = income.estimate_project(centre, "fuzz:income:estimate:1", project_code=PROJECT, inputs=inputs,
                                     period_index=1)
    collective_sale_seq = svc.journal(kind="sale", limit=1)[-1]["seq"]  # the demo's: a collective sells its own
    clerk = svc.actor("clerk")
    sale = svc.sell(clerk, "fuzz:income:sale:1", seller_account=CENTRE_ACCOUNT, buyer_account="ENT-0001-H",
                    quantity=10, price_fen_per_t=7341, contract_no="FZ-GT-1")
    open_sale = svc.sell(clerk, "fuzz:income:sale:2", seller_account=CENTRE_ACCOUNT, buyer_account="ENT-0001-H",
                         quantity=2, price_fen_per_t=7341, contract_no="FZ-GT-2")
    shared = income.distribute(centre, sale_seq=sale["seq"])
    due = [i for i in income.due_items(centre, source_id=shared["distribution_id"]) if i["role"] == "household"]
    payment = income.record_payment(centre, "fuzz:income:payment", items=[{"due_id": due[0]["id"], "amount_fen": 100}],
                                    paid_date=shared["sale_date"], reference="FZ-PAY-1")
    income.schedule_payments(centre, "fuzz:income:schedule", contract_no=FIXED_CONTRACT, through="2023-06-01")
    lien = income.register_lien(svc.actor("bank"), "fuzz:income:lien", contract_no=SHARE_CONTRACT,
                                loan_reference="FZ-LIEN-LOAN", loan_amount_fen=500_000, term_end="2030-12-31",
                                parcel_codes=[LIEN_PARCEL])
    loss = income.record_loss(svc.actor("insurer"), "fuzz:income:loss", cause="snow", event_date="2025-01-20",
                              parcels=[{"parcel_code": SHARE_PARCELS[0], "affected_area_ha": "0.1",
                                        "damage_share_bp": 1000}], description="雪压（模糊测试）", policy_no="FZ-POL-1")
    claim = income.record_claim(svc.actor("insurer"), "fuzz:income:claim", claim_no="FZ-CLAIM-1",
                                event_id=loss["event_id"], policy_no="FZ-POL-1", product="毛竹碳汇价值恢复补偿保险",
                                insured_party_id="CENTRE-AJ", payout_fen=10_000, paid_date="2025-03-01")
    household = svc.actor("household").party_id
    return {"document_id": document["document_id"], "project_estimate_id": second["estimate_id"],
            "project_batch_id": issuance["batches"][-1]["batch_id"], "project_serials": issuance["batches"][-1]["serials"],
            "distributed_sale_seq": sale["seq"], "open_sale_seq": open_sale["seq"],
            "distribution_id": shared["distribution_id"], "sale_date": shared["sale_date"], "due_id": due[0]["id"], "due_party": due[0]["party_id"],
            "payment_id": payment["payment_id"], "lien_id": lien["lien_id"], "event_id": loss["event_id"],
            "claim_no": claim["claim_no"], "household_party": household, "project_inputs": inputs,
            "collective_sale_seq": collective_sale_seq}


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
    from sinkledger.services.registry import Service

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
