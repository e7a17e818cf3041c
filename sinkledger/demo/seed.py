"""Seeding a database with the synthetic demo: parties, users, the demo parcels from
``gis_data/``, one worked chain (estimate → verify and issue → sale → retirement) and the income
chain of :mod:`sinkledger.demo.income` (collection → bundle → sale → distribution → payments,
a lien, a loss with its claim, one estimate waiting for the verifier).

Everything here is SYNTHETIC: invented organisations (marked 演示/虚构), pseudonymous
households, generated parcels and measurements. Seeding goes through the same service API as
every user, so it is checked by the same rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from ledger.domain import PartyKind, Role
from ledger.parties import holding_account_id
from sinkledger.config import DEMO_REGION
from sinkledger.demo import DEMO_PASSWORD
from sinkledger.demo.county import WalkingClock
from sinkledger.demo.income import seed_income
from sinkledger.demo.instruments import seed_instruments
from sinkledger.demo.people import seed_demo_people
from sinkledger.demo.prices import dated_steps as price_steps
from sinkledger.demo.roles import Step, dated_steps
from sinkledger.services.registry import SYSTEM_ACTOR, Service
from sinkledger_base.errors import InvalidInput

DEMO_PROJECT_CODE = "AJBF01"
DEMO_BUFFER_SHARE_BP = 1000  # 10 % of the stock component
DEMO_PRICE_FEN_PER_T = 7341  # 73.41 CNY/t (the 2024 spring price; later sales drift up)
DEMO_START = datetime(2023, 3, 6, 9, tzinfo=UTC)  # parties and parcels registered
ISSUANCE_START, ISSUANCE_DAYS = date(2023, 5, 8), 300  # estimates and issuances, spread over ten months
# trading days (sales are seasonal: spring and autumn markets, a few in summer and winter); holder
# n of the three sells on the days SALE_SEASONS[n - 1::3]
SALE_SEASONS = (date(2024, 3, 18), date(2024, 4, 15), date(2024, 5, 13), date(2024, 9, 16), date(2024, 10, 14),
                date(2024, 11, 11), date(2024, 12, 9), date(2025, 3, 17), date(2025, 4, 14), date(2025, 5, 12),
                date(2025, 6, 16), date(2025, 9, 15), date(2025, 10, 13), date(2025, 11, 10), date(2026, 3, 16),
                date(2026, 4, 13), date(2026, 5, 11), date(2026, 9, 14))
RETIREMENT_DAY = date(2026, 9, 28)
INCOME_DAY = date(2026, 10, 12)  # the income chain: the tea project's first period ended 2026-04-10
BAMBOO_METHODOLOGY = "sinkledger.bamboo-moso-management"

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DemoParty:
    party_id: str
    kind: PartyKind
    name: str
    county_code: str | None
    username: str | None = None
    role: Role | None = None
    display_name: str = ""


FIXED_PARTIES = (
    DemoParty("REGISTRY", PartyKind.registry, "", None, "admin", Role.admin, "管理员"),
    DemoParty("CENTRE-AJ", PartyKind.collection_centre, "安吉县两山竹林碳汇收储交易中心（演示）", "330523",
              "centre", Role.collection_centre, "收储中心经办"),
    DemoParty("TRADE-HZ", PartyKind.trading_centre, "湖州绿色交易中心（演示）", "330500",
              "clerk", Role.trading_clerk, "交易中心经办人"),
    DemoParty("VER-0001", PartyKind.verifier, "示例碳汇核证中心（虚构）", "330500",
              "verifier", Role.verifier, "核证员"),
    DemoParty("ENT-0001", PartyKind.enterprise, "示例绿色纺织有限公司（虚构）", "330502",
              "enterprise", Role.enterprise, "企业买方"),
    DemoParty("ENT-0002", PartyKind.enterprise, "示例新能源科技有限公司（虚构）", "330521"),
    DemoParty("COURT-DQ", PartyKind.court, "德清县人民法院（演示）", "330521", "court", Role.court, "法院书记员"),
    DemoParty("PROC-DQ", PartyKind.procuratorate, "德清县人民检察院（演示）", "330521",
              "procurator", Role.procurator, "检察官"),
    DemoParty("BANK-0001", PartyKind.bank, "示例农村商业银行（虚构）", "330523", "bank", Role.bank, "银行客户经理"),
    DemoParty("INS-0001", PartyKind.insurer, "示例财产保险公司（虚构）", "330500", "insurer", Role.insurer, "保险理赔员"),
    # issue 22 (helper h8): the government authority of the compensation programme and the quota obligations
    DemoParty("AUTH-HZ", PartyKind.authority, "湖州市生态环境局（演示）", "330500", "authority", Role.authority,
              "生态补偿与配额经办"),
)

# Each collective's parcels are shared by three pseudonymous households (the first household has the
# demo user "household"); shares in basis points, summing to 100 %.
HOUSEHOLD_SHARES_BP = (4000, 3500, 2500)


def demo_files(service: Service) -> tuple[Path, Path]:
    folder = service.settings.gis_data_dir
    return folder / "demo_parcels.gpkg", folder / "demo_monitoring.json"


def seed_demo(service: Service, *, progress: Progress | None = None, record: bool = False) -> dict[str, Any]:
    """Initialise the database and load the demo. Safe to re-run: request ids make it idempotent.

    Ends with one full verify of what it wrote; ``record`` records it as the verified checkpoint
    (what the app's first start wants for its overview, without a second verify).
    Refused (``demo_region_mismatch``) under another region profile than the demo's (Huzhou).
    """
    if service.settings.region.key != DEMO_REGION:
        raise InvalidInput("demo_region_mismatch", region=service.settings.region.key, demo_region=DEMO_REGION)
    progress = progress or (lambda i, n, label: None)
    parcels_path, monitoring_path = demo_files(service)
    layer = gpd.read_file(parcels_path, layer="parcels").sort_values("parcel_code")
    monitoring = json.loads(monitoring_path.read_text(encoding="utf-8"))["parcels"]
    service.initialise()
    collectives = _collective_parties(layer)
    households = _household_parties(collectives)
    # The demo's history walks three years (WalkingClock): registration in spring 2023, estimates
    # and issuances through 2023-2024, seasonal sales 2024-2026, the income chain in mid-2026;
    # so the monthly charts have a history, and the entries' times are the same on every run.
    clock, wall_clock = WalkingClock(DEMO_START), service.clock
    service.clock = clock
    try:
        _seed_parties(service, collectives, households)
        _seed_parcels(service, layer, collectives, households, progress)
        codes = set(layer["parcel_code"])
        # each README user's own data (roles.py); the price index's markets, its insurance, a priced sale (prices.py)
        steps = dated_steps(service, codes) + price_steps(service, codes)
        chain = _seed_chain(service, layer, collectives, monitoring, progress, clock, steps)
        clock.day(INCOME_DAY)
        income = seed_income(service, set(layer["parcel_code"]), progress=progress)
        instruments = seed_instruments(service, clock)  # issue 22 (helper h8): a programme, obligations
    finally:
        service.clock = wall_clock

    people = seed_demo_people(service)  # synthetic personal details, outside the journal
    service.db.refresh_statistics()
    report = service.verify(record=record)
    return {"parcels": len(layer), "parties": len(FIXED_PARTIES) + len(collectives) + sum(map(len, households.values())),
            "chain": chain, "income": income, "instruments": instruments, "people": people["people"],
            "ledger_ok": report.ok, "entries": report.entries,
            "head_hash": report.head_hash}


def _collective_parties(layer: gpd.GeoDataFrame) -> dict[str, DemoParty]:
    """One party per distinct holder, numbered in order of first appearance by parcel code."""
    out: dict[str, DemoParty] = {}
    for name, county in zip(layer["holder_name_zh"], layer["county_code"]):
        if name not in out:
            n = len(out) + 1
            first = n == 1
            out[name] = DemoParty(f"COL-{n:04d}", PartyKind.collective, name, str(county),
                                  "coop" if first else None, Role.cooperative if first else None,
                                  "合作社会计" if first else "")
    return out


def _household_parties(collectives: dict[str, DemoParty]) -> dict[str, list[DemoParty]]:
    """Three pseudonymous households per collective, numbered HH-0001, HH-0002, ... in order."""
    out: dict[str, list[DemoParty]] = {}
    n = 0
    for collective in collectives.values():
        members = []
        for _ in HOUSEHOLD_SHARES_BP:
            n += 1
            first = n == 1
            members.append(DemoParty(f"HH-{n:04d}", PartyKind.household, f"农户 HH-{n:04d}（化名）",
                                     collective.county_code, "household" if first else None,
                                     Role.household if first else None, "农户" if first else ""))
        out[collective.party_id] = members
    return out


def _seed_parties(service: Service, collectives: dict[str, DemoParty],
                  households: dict[str, list[DemoParty]]) -> None:
    members = [h for group in households.values() for h in group]
    for p in (*FIXED_PARTIES, *collectives.values(), *members):
        if p.kind is not PartyKind.registry:  # the registry party exists from initialise()
            service.register_party(SYSTEM_ACTOR, f"demo:party:{p.party_id}", party_id=p.party_id,
                                   kind=p.kind.value, name=p.name, county_code=p.county_code)
        if p.username and p.username not in {u["username"] for u in service.users()}:
            service.create_user(username=p.username, password=DEMO_PASSWORD, role=p.role.value,
                                party_id=p.party_id, display_name=p.display_name)


ATTRIBUTE_COLUMNS = {
    "bamboo_forest": ("culm_density_per_ha", "mean_dbh_cm", "age_class_shares", "management_regime"),
    "wetland": ("wetland_class", "vegetation_cover_pct", "water_regime"),
    "tea_garden": ("tea_variety", "planting_year", "fertiliser_n_kg_per_ha_yr"),
}
COMMON_COLUMNS = ("township_zh", "village_zh", "holder_kind", "synthetic")


def _seed_parcels(service: Service, layer: gpd.GeoDataFrame, collectives: dict[str, DemoParty],
                  households: dict[str, list[DemoParty]], progress: Progress) -> None:
    admin = service.actor("admin")
    for i, row in enumerate(layer.itertuples(index=False), start=1):
        progress(i, len(layer), row.parcel_code)
        columns = COMMON_COLUMNS + ATTRIBUTE_COLUMNS[row.sink_type]
        attributes = {c: _plain(getattr(row, c), c) for c in columns}
        if isinstance(attributes.get("age_class_shares"), str):
            attributes["age_class_shares"] = json.loads(attributes["age_class_shares"], parse_float=str)
        holder = collectives[row.holder_name_zh].party_id
        shares = {h.party_id: bp for h, bp in zip(households[holder], HOUSEHOLD_SHARES_BP)}
        service.register_parcel(
            admin, f"demo:parcel:{row.parcel_code}", parcel_code=row.parcel_code, sink_type=row.sink_type,
            holder_party_id=holder, household_shares_bp=shares,
            geometry=shapely.geometry.mapping(row.geometry), county_code=str(row.county_code),
            tenure_cert_no=row.tenure_cert_no, declared_area_mu=float(row.declared_area_mu),
            attributes=attributes)


INTEGER_COLUMNS = {"culm_density_per_ha", "planting_year"}


def _plain(value: Any, column: str = "") -> Any:
    """Plain Python values; GDAL reads integer columns with nulls back as floats."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if column in INTEGER_COLUMNS and isinstance(value, float):
        return int(value)
    return value


def _tranches(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole tranches, the larger ones first (they sum to ``total``)."""
    base, extra = divmod(total, max(parts, 1))
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _seasonal_price(day: date) -> int:
    """The demo's price drifts up about 4 % a year from 2024 (fen/t), a little higher in autumn."""
    years = day.year - 2024
    return DEMO_PRICE_FEN_PER_T * (100 + 4 * years + (2 if day.month >= 9 else 0)) // 100


def _seed_chain(service: Service, layer: gpd.GeoDataFrame, collectives: dict[str, DemoParty],
                monitoring: dict[str, Any], progress: Progress, clock: WalkingClock,
                steps: list[Step]) -> dict[str, Any]:
    """Estimate, verify and issue every bamboo parcel (spread over 2023-2024); sell from the three
    largest holders (seasonal sales, 2024-2026); retire."""
    codes = sorted(layer[layer["sink_type"] == "bamboo_forest"]["parcel_code"])
    centre, verifier = service.actor("centre"), service.actor("verifier")
    issued_t, held_by_account = 0, {}
    for i, code in enumerate(codes, start=1):
        progress(i, len(codes), f"estimate {code}")
        clock.day(ISSUANCE_START + timedelta(days=(i - 1) * ISSUANCE_DAYS // max(len(codes), 1)))
        record = monitoring[code]
        inputs = {"period_start": record["events"][0]["date"], "period_end": record["events"][-1]["date"],
                  **record}
        est = service.record_estimate(centre, f"demo:estimate:{code}", parcel_codes=[code],
                                      methodology_id=BAMBOO_METHODOLOGY, inputs=inputs)
        if est["net_kg_co2e"] >= 1000:  # declining parcels are estimated (a reversal) but not issued
            out = service.issue(verifier, f"demo:issue:{code}", estimate_id=est["estimate_id"],
                                verified_kg_co2e=est["net_kg_co2e"], project_code=DEMO_PROJECT_CODE,
                                buffer_share_bp=DEMO_BUFFER_SHARE_BP)
            issued_t += out["issued_t"]
            account = out["to_account"]
            held_by_account[account] = held_by_account.get(account, 0) + out["issued_t"] - out["buffer_t"]
    return {"bamboo_parcels_estimated": len(codes), "issued_t": issued_t,
            "sales": _seed_sales(service, collectives, held_by_account, clock, steps)}


def _seed_sales(service: Service, collectives: dict[str, DemoParty],
                holdings: dict[str, int], clock: WalkingClock, steps: list[Step]) -> list[dict[str, Any]]:
    """The clerk sells 60 % of the three largest collective holdings, in tranches over the
    trading seasons of 2024-2026 (:data:`SALE_SEASONS`: most in spring and autumn); one buyer
    retires half of what it bought. The other users' ``steps`` (:mod:`sinkledger.demo.roles`) run
    on their own days between the sales.

    Quantities come from the issuance results (which a re-run replays unchanged), not from
    current balances, so that seeding twice asks for exactly the same commands.
    """
    accounts = [holding_account_id(p.party_id) for p in collectives.values()]
    largest = sorted(accounts, key=lambda a: (-holdings.get(a, 0), a))[:3]
    clerk, sales = service.actor("clerk"), []
    plan = []  # (day, holder n, tranche k, account, quantity)
    for n, account in enumerate(largest, start=1):
        total = holdings.get(account, 0) * 6 // 10
        seasons = SALE_SEASONS[n - 1::3] if total >= len(SALE_SEASONS[n - 1::3]) else SALE_SEASONS[n - 1:n]
        for k, (day, quantity) in enumerate(zip(seasons, _tranches(total, len(seasons))), start=1):
            if quantity >= 1:
                plan.append((day, n, k, account, quantity))
    waiting = sorted(steps, key=lambda step: step[0])
    for day, n, k, account, quantity in sorted(plan):
        while waiting and waiting[0][0] <= day:
            _run_step(service, clock, waiting.pop(0))
        clock.day(day, hour=10)
        buyer = holding_account_id("ENT-0001" if n % 2 else "ENT-0002")
        sales.append(service.sell(clerk, f"demo:sale:{n}:{k}", seller_account=account, buyer_account=buyer,
                                  quantity=quantity, price_fen_per_t=_seasonal_price(day),
                                  contract_no=f"HZGX-{day.year}-{n:02d}{k:02d}（演示）"))
    for step in waiting:
        _run_step(service, clock, step)
    clock.day(RETIREMENT_DAY)
    bought = sum(s["quantity"] for s in sales if s["buyer_account"] == holding_account_id("ENT-0001"))
    if bought >= 2:
        service.retire(service.actor("enterprise"), "demo:retire:1", account_id=holding_account_id("ENT-0001"),
                       quantity=bought // 2, beneficiary="示例绿色纺织有限公司（虚构）",
                       purpose="2025 年度生产运营碳排放抵消（演示）")
    return [{k: s[k] for k in ("seller_account", "buyer_account", "quantity", "amount_fen")} for s in sales]


def _run_step(service: Service, clock: WalkingClock, step: Step) -> None:
    day, _label, run = step
    clock.day(day, hour=14)
    run(service)
