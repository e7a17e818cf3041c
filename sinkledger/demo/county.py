"""A county-scale SYNTHETIC dataset (``sinkledger demo --scale county``): about 100,000 parcels
in Huzhou's five county-level units, 1,000 village collectives, 50,000 households and
1,000,000 journal entries over 2021-2026, for benchmarks and the app's scale tests.

Everything is generated from one seed and labelled synthetic: every party's name ends in
``（合成）`` (households are pseudonyms: ``农户 HH-000001（合成）``), contract numbers and
references say ``合成``, and every parcel carries the attribute ``synthetic: true``. No real
person, village or company is named. Every entry goes through the same service calls as a
user's (the rules, the invariants and the hash chain apply as always), inside
:meth:`~sinkledger.db.database.Database.batch` (group commit), with a clock that walks through
the years so that entries are spread over 2021-2026 (``Service.clock``).

The story, in the order it is recorded:

1. 2021-01: the registry, its parties (five county collection centres 两山合作社, the trading
   centre, verifiers, banks, enterprises, the collectives and their households) and a few users;
2. 2021-01/02: the parcels, imported in files of ten villages each (``parcels_imported``): a
   grid of small jittered quadrilaterals per village, in a cell of its county's outline
   (``gis_data/counties.geojson``), so that no two parcels overlap; mostly Moso bamboo, some tea
   garden and wetland, in county-typical shares; each parcel shared by 1-3 of its village's
   households;
3. 2021-02/03: one collection contract per village with its county's centre (nine in ten a
   share of net proceeds, one in ten a fixed payment per mu and year), and bundled projects of
   up to four villages per sink type (monitoring years from 2021-01-01);
4. for each monitoring year 2021-2025, in the spring of the next year: one bundle estimate and
   one issuance per project; then the year's market: the centres sell each issuance's credits
   to enterprises in lots (each sale's proceeds distributed to the villages and households and
   paid), fixed payments scheduled and paid, and, making up the bulk of the entries, sales of
   a few tonnes between enterprises recorded by the trading-centre clerk, retirements, and
   pledges and their releases.

The database must be empty (``demo --scale county --reset`` drops what is there): a second run
on a county database is refused (``county_demo_database_not_empty``) rather than replaying a
million requests. See docs/county-demo.md for the sizes, timings and how to run it.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ledger.domain import PartyKind, Role
from ledger.parties import holding_account_id
from ledger.permissions import Actor
from sinkledger.config import DEMO_REGION, REPO_ROOT
from sinkledger.demo import DEMO_PASSWORD
from sinkledger.services.registry import SYSTEM_ACTOR, Service
from sinkledger_base.errors import Conflict, InvalidInput

Progress = Callable[[int, int, str], None]

SYNTHETIC = "（合成）"
DEFAULT_PARCELS = 100_000
DEFAULT_ENTRIES = 1_000_000
DEFAULT_SEED = 2021
PARCELS_PER_VILLAGE = 100
VILLAGES_PER_FILE = 10  # parcels are imported one file (one journal entry) per ten villages
VILLAGES_PER_PROJECT = 4
COMMIT_EVERY = 2_000
FIRST_YEAR, LAST_MONITORING_YEAR = 2021, 2025  # monitoring years; credits are sold from 2022 on
END_DATE = date(2026, 11, 30)  # the market's last day
BUFFER_SHARE_BP = 1000

BAMBOO, TEA, WETLAND = "bamboo_forest", "tea_garden", "wetland"
SINK_CODES = {BAMBOO: "BF", TEA: "TG", WETLAND: "WL"}
SINK_NAMES = {BAMBOO: "竹林", TEA: "茶园", WETLAND: "湿地"}
METHODOLOGIES = {BAMBOO: "sinkledger.bamboo-moso-management", TEA: "sinkledger.tea-garden",
                 WETLAND: "sinkledger.wetland-lake-marsh"}


@dataclass(frozen=True)
class County:
    code: str
    abbr: str
    name_zh: str
    weight: int  # share of the villages
    mix: dict[str, int]  # share of the parcels by sink type (percent)
    centre_name: str


COUNTIES = (
    County("330523", "AJ", "安吉县", 40, {BAMBOO: 85, TEA: 15, WETLAND: 0}, "安吉县两山竹林碳汇收储交易中心"),
    County("330522", "CX", "长兴县", 20, {BAMBOO: 70, TEA: 20, WETLAND: 10}, "长兴县两山合作社"),
    County("330521", "DQ", "德清县", 20, {BAMBOO: 55, TEA: 15, WETLAND: 30}, "德清县两山合作社"),
    County("330502", "WX", "吴兴区", 10, {BAMBOO: 60, TEA: 20, WETLAND: 20}, "吴兴区两山合作社"),
    County("330503", "NX", "南浔区", 10, {BAMBOO: 40, TEA: 0, WETLAND: 60}, "南浔区两山合作社"),
)

# The market's mix: the share of the filler steps (after the centres' lots, their distributions
# and payments) taken by each kind of command.
FILLER_MIX = (("sale", 88), ("retirement", 9), ("pledge", 3))
# Of the issuances, the share whose first (small) lot is distributed to the villages and households and
# paid a few weeks later: a distribution costs about 1-3 ms per line (2 lines per tonne), so a few
# per cent of the credits are distributed within the time budget; the other lots stay undistributed.
DISTRIBUTED_SHARE = 0.25
LOTS_PER_ISSUANCE = 3  # a small first lot, then two that share the rest
PRICE_YUAN_BY_YEAR = {2022: 52, 2023: 60, 2024: 68, 2025: 76, 2026: 83}


@dataclass(frozen=True)
class CountySize:
    """How much to build: ``parcels`` (villages of 100, households 1 per 2 parcels), and about
    ``entries`` journal entries in all (the market fills what the rest leaves)."""

    parcels: int = DEFAULT_PARCELS
    entries: int = DEFAULT_ENTRIES
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        for name in ("parcels", "entries"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInput("value_invalid", field=name, value=repr(value)[:40])
        if self.parcels < 10:
            raise InvalidInput("value_invalid", field="parcels", value=repr(self.parcels))

    @property
    def villages(self) -> int:
        """One per 100 parcels, at least five (one per county) when there are 50 parcels or more."""
        return max(self.parcels // PARCELS_PER_VILLAGE, min(5, self.parcels // 10), 1)

    @property
    def enterprises(self) -> int:
        return min(300, max(10, self.parcels // 500))


@dataclass(frozen=True)
class Village:
    number: int  # 1-based, in order of county then position
    county: County
    origin: tuple[float, float]  # lon, lat of the cell's south-west corner
    parcels: int
    households: list[str]

    @property
    def party_id(self) -> str:
        return f"COL-{self.number:04d}"

    @property
    def name(self) -> str:
        return f"{self.county.name_zh}合成第{self.number:04d}村股份经济合作社{SYNTHETIC}"

    @property
    def contract_no(self) -> str:
        return f"{self.county.abbr}SC-2021-{self.number:04d}{SYNTHETIC}"

    @property
    def fixed_terms(self) -> bool:
        return self.number % 10 == 5  # one village in ten (the fifth of a small build)


# --- the clock ---------------------------------------------------------------------------------

class WalkingClock:
    """``Service.clock``: the time the generator is at, one millisecond later on every call, so
    that every entry has its own, increasing, ``recorded_at``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def at(self, moment: datetime) -> None:
        if moment > self.now:
            self.now = moment

    def day(self, day: date, hour: int = 9) -> None:
        self.at(datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc))

    def today(self) -> date:
        return self.now.date()

    def __call__(self) -> str:
        self.now += timedelta(milliseconds=1)
        return self.now.isoformat(timespec="microseconds")


# --- the build -----------------------------------------------------------------------------------

@dataclass
class Build:
    service: Service
    size: CountySize
    progress: Progress
    clock: WalkingClock
    rng: random.Random
    actors: dict[str, Actor] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)  # what the generator knows each account holds (t)
    seconds: dict[str, float] = field(default_factory=dict)  # time since the previous count, by kind
    _last: float = field(default_factory=time.perf_counter)

    def count(self, kind: str, n: int = 1) -> None:
        now = time.perf_counter()
        self.counts[kind] = self.counts.get(kind, 0) + n
        self.seconds[kind] = self.seconds.get(kind, 0.0) + now - self._last
        self._last = now


def check_empty(service: Service) -> None:
    """Refuse a database that holds anything beyond the registry's own first entry."""
    if not service.db.has_schema():
        return
    with service.db.read() as s:
        from sqlalchemy import text  # noqa: PLC0415 - deferred on purpose: only this check needs it
        entries = s.execute(text("SELECT count(*) FROM journal_entry")).scalar_one()
    if entries > 1:
        raise Conflict("county_demo_database_not_empty", entries=entries)


def seed_county(service: Service, size: CountySize | None = None, *,
                progress: Progress | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Build the county dataset into an empty database (see the module docstring)."""
    size = size or CountySize()
    if service.settings.region.key != DEMO_REGION:
        raise InvalidInput("demo_region_mismatch", region=service.settings.region.key, demo_region=DEMO_REGION)
    check_empty(service)
    clock = WalkingClock(datetime(2021, 1, 4, 9, tzinfo=timezone.utc))
    service.clock = clock
    b = Build(service, size, progress or (lambda i, n, label: None), clock, random.Random(size.seed))
    started = time.perf_counter()
    villages = _phase(b, "layout", lambda: plan_villages(service, size, b.rng))
    service.initialise()  # the schema first: it is created outside any batch
    b.count("account_opened")
    with service.db.batch(commit_every=COMMIT_EVERY):
        _phase(b, "parties", lambda: _parties(b, villages))
    _phase(b, "users", lambda: _users(b))
    with service.db.batch(commit_every=COMMIT_EVERY):
        with tempfile.TemporaryDirectory(dir=work_dir) as folder:
            _phase(b, "parcels", lambda: _parcels(b, villages, Path(folder)))
        _phase(b, "contracts", lambda: _contracts(b, villages))
        projects = _phase(b, "projects", lambda: _projects(b, villages))
        service.db.refresh_statistics()  # PostgreSQL: the parcels, contracts and projects just filled
        market = Market(b, villages)
        for year in range(FIRST_YEAR, LAST_MONITORING_YEAR + 1):
            issuances = _phase(b, f"issuances {year}", lambda: _issue_year(b, projects, year), key="issuances")
            # PostgreSQL: the statistics of the tables filled so far, for the year's plans (autovacuum
            # may be off, and is behind a bulk load in any case); SQLite: nothing inside a batch
            service.db.refresh_statistics()
            _phase(b, f"market {year + 1}", lambda: market.run_year(year + 1, issuances), key="market")
        _phase(b, "market", lambda: market.finish(), key="market")
    service.db.refresh_statistics()  # the planner's statistics of the tables just filled
    head = _head(service)
    b.timings["total"] = round(time.perf_counter() - started, 2)
    return {"scale": "county", "synthetic": True, "seed": size.seed, "parcels": size.parcels,
            "villages": len(villages), "households": sum(len(v.households) for v in villages),
            "enterprises": size.enterprises, "projects": len(projects), "entries": head["entries"],
            "head_hash": head["head_hash"], "first_recorded_at": head["first"], "last_recorded_at": head["last"],
            "entries_by_kind": dict(sorted(b.counts.items())), "timings_s": b.timings,
            "ms_per_entry_by_kind": {k: round(1000 * b.seconds[k] / b.counts[k], 2) for k in sorted(b.counts)}}


def _phase(b: Build, label: str, fn: Callable[[], Any], *, key: str | None = None) -> Any:
    t0 = time.perf_counter()
    b.progress(0, 1, label)
    out = fn()
    key = key or label
    b.timings[key] = round(b.timings.get(key, 0.0) + time.perf_counter() - t0, 2)
    return out


def _head(service: Service) -> dict[str, Any]:
    from sqlalchemy import text  # noqa: PLC0415 - deferred on purpose: only the summary needs it
    with service.db.read() as s:
        seq, digest, last = s.execute(text("SELECT seq, entry_hash, recorded_at FROM journal_entry "
                                           "ORDER BY seq DESC LIMIT 1")).one()
        first = s.execute(text("SELECT recorded_at FROM journal_entry WHERE seq = 1")).scalar_one()
    return {"entries": seq, "head_hash": digest, "first": first, "last": last}


# --- layout: villages in county cells ---------------------------------------------------------------

CELL_LON, CELL_LAT = 0.0125, 0.0105  # a village's cell, about 1.2 km × 1.2 km at 30.7° N


def _county_order(n: int) -> list[County]:
    """Counties for villages 1..n: one each for the first five, then by smooth weighted round
    robin (so a small build has every county and a large one the weights)."""
    credit = {c.code: 0 for c in COUNTIES}
    total = sum(c.weight for c in COUNTIES)
    out = list(COUNTIES[:n])
    for _ in range(n - len(out)):
        for c in COUNTIES:
            credit[c.code] += c.weight
        best = max(COUNTIES, key=lambda c: credit[c.code])
        credit[best.code] -= total
        out.append(best)
    return out


def plan_villages(service: Service, size: CountySize, rng: random.Random) -> list[Village]:
    """Villages in cells wholly inside their county's outline, numbered by county then row and
    column (so that a file of consecutive villages covers a compact band)."""
    # deferred on purpose: geopandas and shapely load only when the county dataset is built
    import geopandas as gpd
    import shapely

    outlines = gpd.read_file(service.settings.gis_data_dir / "counties.geojson")
    shapes = {str(code): geom for code, geom in zip(outlines["code"], outlines.geometry)}
    order = _county_order(size.villages)
    wanted = {c.code: sum(1 for o in order if o.code == c.code) for c in COUNTIES}
    per_village = [size.parcels // size.villages + (1 if i < size.parcels % size.villages else 0)
                   for i in range(size.villages)]
    villages, number, k = [], 0, 0
    for county in COUNTIES:
        shape = shapes[county.code]
        shapely.prepare(shape)
        x0, y0, x1, y1 = shape.bounds
        cells = [(round(x0 + i * CELL_LON, 6), round(y0 + j * CELL_LAT, 6))
                 for j in range(int((y1 - y0) / CELL_LAT)) for i in range(int((x1 - x0) / CELL_LON))]
        inside = [c for c in cells if shape.contains(shapely.box(c[0], c[1], c[0] + CELL_LON, c[1] + CELL_LAT))]
        if len(inside) < wanted[county.code]:
            raise InvalidInput("value_invalid", field="parcels", value=f"{size.parcels} (too many for {county.abbr})")
        chosen = sorted(rng.sample(inside, wanted[county.code]), key=lambda c: (c[1], c[0]))
        for origin in chosen:
            number += 1
            n = per_village[k]
            k += 1
            villages.append(Village(number, county, origin, n, []))
    households = 0
    for v in villages:
        for _ in range(max(1, v.parcels // 2)):
            households += 1
            v.households.append(f"HH-{households:06d}")
    return villages


def village_parcels(v: Village, rng: random.Random) -> list[dict[str, Any]]:
    """The village's parcels as GeoJSON features: a grid of jittered quadrilaterals, one per grid
    cell, inset so that neighbours never touch; sink type, shares and attributes drawn from ``rng``."""
    g = math.ceil(math.sqrt(v.parcels))
    w, h = CELL_LON * 0.9 / g, CELL_LAT * 0.9 / g
    ox, oy = v.origin[0] + CELL_LON * 0.05, v.origin[1] + CELL_LAT * 0.05
    types, weights = zip(*((t, p) for t, p in v.county.mix.items() if p))
    out = []
    for n in range(v.parcels):
        x, y = ox + (n % g) * w, oy + (n // g) * h

        def corner(cx: float, cy: float) -> list[float]:
            return [round(x + (cx + rng.uniform(-0.08, 0.08)) * w, 7),
                    round(y + (cy + rng.uniform(-0.08, 0.08)) * h, 7)]

        ring = [corner(0.12, 0.12), corner(0.88, 0.12), corner(0.88, 0.88), corner(0.12, 0.88)]
        ring.append(ring[0])
        sink = rng.choices(types, weights)[0]
        code = f"{v.county.abbr}{v.number:04d}-{n + 1:03d}"
        props = {"parcel_code": code, "sink_type": sink, "holder": v.party_id, "county_code": v.county.code,
                 "tenure_cert_no": f"浙（2020）{v.county.name_zh}林权证第{v.number:04d}{n + 1:03d}号{SYNTHETIC}",
                 "household_shares": json.dumps(_shares(v, n, rng)), "village_zh": f"合成第{v.number:04d}村",
                 "synthetic": True, **_attributes(sink, rng)}
        out.append({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return out


SHARE_SPLITS = {1: (10000,), 2: (6000, 4000), 3: (4000, 3500, 2500)}


def _shares(v: Village, n: int, rng: random.Random) -> dict[str, int]:
    """1-3 of the village's households; every household is first on at least one parcel."""
    k = min(len(v.households), rng.choice((1, 2, 2, 3)))
    first = v.households[n % len(v.households)]
    others = rng.sample([h for h in v.households if h != first], k - 1) if k > 1 else []
    return dict(zip([first, *others], SHARE_SPLITS[k]))


def _attributes(sink: str, rng: random.Random) -> dict[str, Any]:
    if sink == BAMBOO:
        return {"culm_density_per_ha": rng.randrange(2200, 4200, 50), "mean_dbh_cm": f"{rng.uniform(9, 12):.1f}",
                "management_regime": rng.choice(("intensive", "extensive", "collective_managed"))}
    if sink == TEA:
        return {"tea_variety": rng.choice(("白叶一号", "龙井43", "鸠坑种")), "planting_year": rng.randrange(1995, 2016),
                "fertiliser_n_kg_per_ha_yr": str(rng.randrange(200, 420, 10))}
    return {"wetland_class": rng.choice(("lake", "marsh", "river")), "vegetation_cover_pct": str(rng.randrange(40, 95)),
            "water_regime": rng.choice(("permanent", "seasonal"))}


# --- phase 1: parties and users ------------------------------------------------------------------------

def _fixed_parties(size: CountySize) -> list[tuple[str, PartyKind, str, str]]:
    out = [(f"CENTRE-{c.abbr}", PartyKind.collection_centre, c.centre_name + SYNTHETIC, c.code) for c in COUNTIES]
    out += [("TRADE-HZ", PartyKind.trading_centre, "湖州绿色交易中心" + SYNTHETIC, "330500"),
            ("VER-0001", PartyKind.verifier, "湖州合成碳汇核证中心第一所" + SYNTHETIC, "330500"),
            ("VER-0002", PartyKind.verifier, "湖州合成碳汇核证中心第二所" + SYNTHETIC, "330500"),
            ("INS-0001", PartyKind.insurer, "合成财产保险湖州分公司" + SYNTHETIC, "330500")]
    out += [(f"BANK-{n:04d}", PartyKind.bank, f"合成第{n}农村商业银行{SYNTHETIC}", COUNTIES[n - 1].code)
            for n in range(1, 6)]
    trades = ("纺织", "新能源", "建材", "印染", "电子", "食品", "物流", "化工", "家具", "造纸")
    out += [(f"ENT-{n:04d}", PartyKind.enterprise, f"湖州合成{trades[n % len(trades)]}第{n:04d}号有限公司{SYNTHETIC}",
             COUNTIES[n % len(COUNTIES)].code) for n in range(1, size.enterprises + 1)]
    return out


def _parties(b: Build, villages: list[Village]) -> None:
    service = b.service
    fixed = _fixed_parties(b.size)
    members = [(h, v) for v in villages for h in v.households]
    total = len(fixed) + len(villages) + len(members)
    done = 0

    def register(party_id: str, kind: PartyKind, name: str, county: str) -> None:
        nonlocal done
        service.register_party(SYSTEM_ACTOR, f"county:party:{party_id}", party_id=party_id, kind=kind.value,
                               name=name, county_code=county)
        b.count("party_registered")
        done += 1
        if done % 1000 == 0 or done == total:
            b.progress(done, total, "parties")

    for party_id, kind, name, county in fixed:
        register(party_id, kind, name, county)
    for v in villages:
        register(v.party_id, PartyKind.collective, v.name, v.county.code)
    for household, v in members:
        register(household, PartyKind.household, f"农户 {household}{SYNTHETIC}", v.county.code)


USERS = (("admin", Role.admin, "REGISTRY", "管理员"), ("centre", Role.collection_centre, "CENTRE-AJ", "收储中心经办"),
         ("centre_cx", Role.collection_centre, "CENTRE-CX", "收储中心经办（长兴）"),
         ("centre_dq", Role.collection_centre, "CENTRE-DQ", "收储中心经办（德清）"),
         ("centre_wx", Role.collection_centre, "CENTRE-WX", "收储中心经办（吴兴）"),
         ("centre_nx", Role.collection_centre, "CENTRE-NX", "收储中心经办（南浔）"),
         ("clerk", Role.trading_clerk, "TRADE-HZ", "交易中心经办人"), ("verifier", Role.verifier, "VER-0001", "核证员"),
         ("enterprise", Role.enterprise, "ENT-0001", "企业买方"), ("coop", Role.cooperative, "COL-0001", "合作社会计"),
         ("household", Role.household, "HH-000001", "农户"), ("bank", Role.bank, "BANK-0001", "银行客户经理"),
         ("insurer", Role.insurer, "INS-0001", "保险理赔员"))


def _users(b: Build) -> None:
    """The demo's user names (password as the demo's), a centre user per county, a user per bank."""
    service = b.service
    for username, role, party, display in USERS:
        service.create_user(username=username, password=DEMO_PASSWORD, role=role.value, party_id=party,
                            display_name=display + SYNTHETIC)
        b.actors[username] = Actor(username, role, party)
    for c in COUNTIES:
        b.actors[f"CENTRE-{c.abbr}"] = b.actors["centre" if c.abbr == "AJ" else f"centre_{c.abbr.lower()}"]
    b.actors["BANK-0001"] = b.actors["bank"]


# --- phase 2: parcels, contracts, projects ---------------------------------------------------------

def _parcels(b: Build, villages: list[Village], folder: Path) -> None:
    admin = b.actors["admin"]
    start = date(2021, 1, 11)
    files = math.ceil(len(villages) / VILLAGES_PER_FILE)
    for i in range(files):
        group = villages[i * VILLAGES_PER_FILE:(i + 1) * VILLAGES_PER_FILE]
        b.clock.day(start + timedelta(days=i * 30 // files))
        features = [f for v in group for f in village_parcels(v, b.rng)]
        path = folder / f"county-parcels-{i + 1:04d}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "name": path.stem,
                                    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
                                    "features": features}, ensure_ascii=False), encoding="utf-8")
        b.service.import_parcels(admin, f"county:parcels:{i + 1:04d}", path=path,
                                 options={"keep_columns": ["village_zh", "synthetic"]})
        b.count("parcels_imported")
        b.progress(i + 1, files, "parcels (files of ten villages)")
        path.unlink()


PROCEEDS_TERMS = {"kind": "proceeds_share", "share_bp": 8000, "cost_share_bp": 500, "cost_fen_per_t": 200,
                  "costs_note": "交易服务费 5%，监测核证费 2 元/吨" + SYNTHETIC}
FIXED_TERMS = {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 2000}
TERM = ("2021-01-01", "2051-01-01")


def _codes_by_type(b: Build, v: Village) -> dict[str, list[str]]:
    from sqlmodel import select  # noqa: PLC0415 - deferred on purpose: only the build reads parcels
    from sinks.store import ParcelRow  # noqa: PLC0415
    with b.service.db.read() as s:
        rows = s.exec(select(ParcelRow.parcel_code, ParcelRow.sink_type).where(
            ParcelRow.holder_party_id == v.party_id).order_by(ParcelRow.parcel_code)).all()
    out: dict[str, list[str]] = {}
    for code, sink in rows:
        out.setdefault(sink, []).append(code)
    return out


def _contracts(b: Build, villages: list[Village]) -> None:
    start = date(2021, 2, 1)
    for i, v in enumerate(villages, start=1):
        b.clock.day(start + timedelta(days=i * 27 // len(villages)))
        codes = sorted(c for group in _codes_by_type(b, v).values() for c in group)
        b.service.collect(b.actors[f"CENTRE-{v.county.abbr}"], f"county:collect:{v.party_id}",
                          contract_no=v.contract_no, collective_party_id=v.party_id, parcel_codes=codes,
                          term_start=TERM[0], term_end=TERM[1], signed_date=f"2020-12-{10 + v.number % 18:02d}",
                          payment_terms=FIXED_TERMS if v.fixed_terms else PROCEEDS_TERMS)
        b.count("collection")
        if i % 50 == 0 or i == len(villages):
            b.progress(i, len(villages), "collection contracts")


@dataclass
class Project:
    code: str
    county: County
    sink_type: str
    parcels: int


def _projects(b: Build, villages: list[Village]) -> list[Project]:
    """Per county and sink type, up to four neighbouring villages' parcels in one project."""
    plans = []
    for county in COUNTIES:
        mine = [v for v in villages if v.county is county]
        codes = {v.party_id: _codes_by_type(b, v) for v in mine}
        for sink in (BAMBOO, TEA, WETLAND):
            having = [v for v in mine if codes[v.party_id].get(sink)]
            for k in range(0, len(having), VILLAGES_PER_PROJECT):
                group = having[k:k + VILLAGES_PER_PROJECT]
                parcels = [c for v in group for c in codes[v.party_id][sink]]
                plans.append((county, sink, k // VILLAGES_PER_PROJECT + 1, parcels))
    out = []
    start = date(2021, 3, 1)
    for i, (county, sink, n, parcels) in enumerate(plans, start=1):
        b.clock.day(start + timedelta(days=i * 28 // len(plans)))
        code = f"{county.abbr}{SINK_CODES[sink]}{n:03d}"
        b.service.income.register_project(
            b.actors[f"CENTRE-{county.abbr}"], f"county:project:{code}", project_code=code,
            name=f"{county.name_zh}{SINK_NAMES[sink]}碳汇打捆项目第{n:03d}号{SYNTHETIC}", sink_type=sink,
            methodology_id=METHODOLOGIES[sink], monitoring_start=f"{FIRST_YEAR}-01-01", interval_months=12,
            parcel_codes=parcels)
        b.count("project_registered")
        out.append(Project(code, county, sink, len(parcels)))
        if i % 20 == 0 or i == len(plans):
            b.progress(i, len(plans), "projects")
    return out


# --- phase 3: estimates and issuances ------------------------------------------------------------------

def _example(name: str) -> dict[str, Any]:
    return json.loads((REPO_ROOT / "methodologies" / "examples" / name).read_text(encoding="utf-8"), parse_float=str)


def estimate_inputs(sink: str, year: int, rng: random.Random) -> dict[str, Any]:
    """A methodology's worked example moved to the monitoring year, its measurements varied a little."""
    start, end = f"{year}-01-01", f"{year + 1}-01-01"
    if sink == BAMBOO:
        doc = _example("bamboo_moso_management.json")
        grow = rng.uniform(1.03, 1.08)
        first = doc["events"][0]
        second = {"date": end, "culms_per_ha_by_age_class": {k: int(n * grow) for k, n in
                                                             first["culms_per_ha_by_age_class"].items()},
                  "mean_culm_biomass_kg_by_age_class": doc["events"][1]["mean_culm_biomass_kg_by_age_class"]}
        doc["events"] = [{**first, "date": start}, second]
    elif sink == TEA:
        doc = _example("tea_garden.json")
        before = rng.uniform(16, 19)
        doc["biomass_events"] = [{"date": start, "biomass_t_per_ha": f"{before:.1f}"},
                                 {"date": end, "biomass_t_per_ha": f"{before + rng.uniform(1.0, 1.6):.1f}"}]
    else:
        doc = _example("wetland_lake_marsh.json")
        doc["herbaceous_vegetation_credit_claimed_before"] = year > FIRST_YEAR
        doc["sediment_carbon_burial_t_c_per_ha_yr"] = f"{rng.uniform(0.9, 1.3):.2f}"
        doc["ch4_kg_per_ha_yr"] = str(rng.randrange(14, 30))
    return doc | {"period_start": start, "period_end": end}


@dataclass
class Issued:
    project: Project
    to_account: str
    held_t: int


def _issue_year(b: Build, projects: list[Project], year: int) -> list[Issued]:
    """Spring of the next year: each project's estimate for the year, verified and issued."""
    out = []
    verifier = b.actors["verifier"]
    start = date(year + 1, 3, 1)
    for i, p in enumerate(projects, start=1):
        b.clock.day(start + timedelta(days=i * 60 // len(projects)))
        est = b.service.income.estimate_project(b.actors[f"CENTRE-{p.county.abbr}"], f"county:estimate:{p.code}:{year}",
                                                project_code=p.code, inputs=estimate_inputs(p.sink_type, year, b.rng),
                                                period_index=year - FIRST_YEAR)
        b.count("estimate_recorded")
        if est["net_kg_co2e"] >= 1000:
            issued = b.service.income.issue_project(verifier, f"county:issue:{p.code}:{year}", project_code=p.code,
                                                    estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
                                                    buffer_share_bp=BUFFER_SHARE_BP)
            b.count("issuance")
            held = issued["issued_t"] - issued["buffer_t"]
            b.held[issued["to_account"]] = b.held.get(issued["to_account"], 0) + held
            out.append(Issued(p, issued["to_account"], held))
        if i % 20 == 0 or i == len(projects):
            b.progress(i, len(projects), f"estimates and issuances {year}")
    return out


# --- phase 4: the market -------------------------------------------------------------------------

class Market:
    """A year of trading after each spring's issuances, one step per command, its day walking
    from June to February (the last year: to the end of November 2026)."""

    def __init__(self, b: Build, villages: list[Village]) -> None:
        self.b = b
        self.enterprises = [holding_account_id(f"ENT-{n:04d}") for n in range(1, b.size.enterprises + 1)]
        self.names = {holding_account_id(p): name for p, _, name, _ in _fixed_parties(b.size)}
        self.fixed_contracts = [v for v in villages if v.fixed_terms]
        self.pledges: list[tuple[int, str, str, int, str]] = []  # (release step, pledge id, account, t, bank)
        self.payments: list[tuple[int, str, str, str]] = []  # (pay step, distribution id, centre, sale date)
        self.serial = 0

    def _remaining_years(self, year: int) -> int:
        return LAST_MONITORING_YEAR + 1 - year + 1

    def run_year(self, year: int, issuances: list[Issued]) -> None:
        b, rng = self.b, self.b.rng
        lots = [(i, n) for i in issuances for n in range(LOTS_PER_ISSUANCE) if i.held_t >= LOTS_PER_ISSUANCE]
        rng.shuffle(lots)
        fixed_steps = len(lots) + 2 * DISTRIBUTED_SHARE * len(issuances) + 2 * len(self.fixed_contracts)
        done = sum(b.counts.values())
        later = (self._remaining_years(year) - 1) * (fixed_steps + 2 * len(issuances))
        steps = int(max(fixed_steps + 10, (b.size.entries - done - later) // self._remaining_years(year)))
        first = date(year, 6, 1)
        last = min(date(year + 1, 2, 20), END_DATE)
        span = (last - first).days
        lot_every = max(1, int(steps * 0.6) // max(1, len(lots)))
        pending_lots = list(lots)
        step = 0
        self._schedule_fixed(year)
        while step < steps:
            moment = datetime(first.year, first.month, first.day, 8, tzinfo=timezone.utc) + timedelta(
                seconds=step * span * 86400 / steps)
            b.clock.at(moment)
            if pending_lots and step % lot_every == 0:
                step += self._lot(*pending_lots.pop(), step, year)
            elif self.payments and self.payments[0][0] <= step:
                step += self._pay(self.payments.pop(0))
            elif self.pledges and self.pledges[0][0] <= step:
                step += self._release(self.pledges.pop(0))
            else:
                step += self._filler(year, step, steps)
            if step % 1000 < 2:
                b.progress(step, steps, f"market {year}")
        while pending_lots:
            step += self._lot(*pending_lots.pop(), step, year)
        self.flush_pending(keep_pledges=year < END_DATE.year)
        self._pay_fixed(year)
        b.progress(steps, steps, f"market {year}")

    def finish(self) -> None:
        self.flush_pending(keep_pledges=False)

    def flush_pending(self, *, keep_pledges: bool) -> None:
        while self.payments:
            self._pay(self.payments.pop(0))
        if not keep_pledges:
            while self.pledges:
                self._release(self.pledges.pop(0))
        else:
            self.pledges = [(0, *p[1:]) for p in self.pledges]  # released early next year

    # -- the centres' lots: sale, distribution, payment -----------------------------------------
    def _price(self, year: int) -> int:
        return int(PRICE_YUAN_BY_YEAR[year] * 100 * self.b.rng.uniform(0.85, 1.15))

    def _lot(self, issued: Issued, n: int, step: int, year: int) -> int:
        """Lot ``n`` of an issuance: lot 0 is a small one (a few tonnes), sold and, for a share
        of the issuances, distributed (and paid some weeks later); the others share the rest."""
        b = self.b
        centre = issued.to_account.removesuffix("-H")
        if n == 0:
            quantity = min(issued.held_t // 2, b.rng.randrange(3, 13))
        else:
            rest = issued.held_t - min(issued.held_t // 2, 12)
            quantity = rest // (LOTS_PER_ISSUANCE - 1)
        quantity = min(quantity, b.held.get(issued.to_account, 0))
        if quantity < 1:
            return 0
        buyer = b.rng.choice(self.enterprises)
        self.serial += 1
        sale = b.service.sell(b.actors[centre], f"county:lot:{issued.project.code}:{year}:{n}",
                              seller_account=issued.to_account, buyer_account=buyer, quantity=quantity,
                              price_fen_per_t=self._price(year),
                              contract_no=f"HZGX-{year}-L{self.serial:06d}{SYNTHETIC}")
        self._moved(issued.to_account, buyer, quantity)
        b.count("sale")
        if n != 0 or b.rng.random() >= DISTRIBUTED_SHARE:
            return 1
        dist = b.service.income.distribute(b.actors[centre], sale_seq=sale["seq"])
        b.count("distribution")
        self.payments.append((step + 1 + b.rng.randrange(20, 400), dist["distribution_id"], centre, dist["sale_date"]))
        return 2

    def _pay(self, item: tuple[int, str, str, str]) -> int:
        b = self.b
        _, distribution_id, centre, sale_date = item
        actor = b.actors[centre]
        due = b.service.income.due_items(actor, source_id=distribution_id, outstanding_only=True)
        paid_date = max(b.clock.today().isoformat(), sale_date)
        n = 0
        for k in range(0, len(due), 1000):
            n += 1
            b.service.income.record_payment(
                actor, f"county:pay:{distribution_id}:{n}", paid_date=paid_date,
                reference=f"代发 {distribution_id}-{n}{SYNTHETIC}",
                items=[{"due_id": d["id"], "amount_fen": d["outstanding_fen"]} for d in due[k:k + 1000]])
            b.count("payment")
        return n

    # -- fixed payments -------------------------------------------------------------------------
    def _schedule_fixed(self, year: int) -> None:
        b = self.b
        for v in self.fixed_contracts:
            b.service.income.schedule_payments(b.actors[f"CENTRE-{v.county.abbr}"],
                                               f"county:schedule:{v.party_id}:{year}",
                                               contract_no=v.contract_no, through=f"{year}-01-01")
            b.count("payments_scheduled")

    def _pay_fixed(self, year: int) -> None:
        b = self.b
        for v in self.fixed_contracts:
            actor = b.actors[f"CENTRE-{v.county.abbr}"]
            due = b.service.income.due_items(actor, contract_no=v.contract_no, outstanding_only=True)
            due = [d for d in due if d["source_kind"] != "distribution"][:1000]
            if due:
                b.service.income.record_payment(actor, f"county:pay:fixed:{v.party_id}:{year}",
                                                paid_date=b.clock.today().isoformat(),
                                                reference=f"固定收益 {year}{SYNTHETIC}",
                                                items=[{"due_id": d["id"], "amount_fen": d["outstanding_fen"]}
                                                       for d in due])
                b.count("payment")

    # -- the filler: enterprises' sales, retirements, pledges -------------------------------------
    def _moved(self, seller: str, buyer: str | None, quantity: int) -> None:
        held = self.b.held
        held[seller] -= quantity
        if buyer is not None:
            held[buyer] = held.get(buyer, 0) + quantity

    def _holder(self, minimum: int) -> str | None:
        rng, held = self.b.rng, self.b.held
        for _ in range(8):
            account = rng.choice(self.enterprises)
            if held.get(account, 0) >= minimum:
                return account
        return None

    def _filler(self, year: int, step: int, steps: int) -> int:
        b, rng = self.b, self.b.rng
        kind = rng.choices([k for k, _ in FILLER_MIX], [w for _, w in FILLER_MIX])[0]
        self.serial += 1
        if kind == "pledge":
            account = self._holder(60)
            if account is not None:
                quantity = rng.randrange(20, min(500, b.held[account] // 2) + 1)
                bank = "BANK-0001"  # the one bank with a user (argon2 hashes cost a second each here)
                out = b.service.pledge(b.actors[bank], f"county:pledge:{self.serial}", account_id=account,
                                       quantity=quantity, loan_reference=f"HZ-TH-{year}-{self.serial:07d}{SYNTHETIC}",
                                       loan_amount_fen=quantity * rng.randrange(3000, 6000) * 100,
                                       term_end=f"{year + 1}-12-31")
                self._moved(account, None, quantity)
                b.count("pledge")
                self.pledges.append((step + rng.randrange(50, max(60, steps // 2)), out["pledge_id"], account, quantity,
                                     bank))
                self.pledges.sort()
                return 1
            kind = "sale"
        if kind == "retirement":
            quantity = max(1, int(rng.paretovariate(1.6) * 2))
            account = self._holder(quantity)
            if account is not None:
                b.service.retire(b.actors["clerk"], f"county:retire:{self.serial}", account_id=account,
                                 quantity=quantity, beneficiary=self.names[account],
                                 purpose=f"{year} 年度生产运营碳排放自愿抵消{SYNTHETIC}")
                self._moved(account, None, quantity)
                b.count("retirement")
                return 1
        quantity = min(200, max(1, int(rng.paretovariate(1.3) * 2)))
        seller = self._holder(quantity)
        if seller is None:
            return 1 if self._any_sale(year) else 0
        buyer = rng.choice(self.enterprises)
        while buyer == seller:
            buyer = rng.choice(self.enterprises)
        b.service.sell(b.actors["clerk"], f"county:sale:{self.serial}", seller_account=seller, buyer_account=buyer,
                       quantity=quantity, price_fen_per_t=self._price(year),
                       contract_no=f"HZGX-{year}-{self.serial:07d}{SYNTHETIC}")
        self._moved(seller, buyer, quantity)
        b.count("sale")
        return 1

    def _any_sale(self, year: int) -> bool:
        """A one-tonne sale from the richest enterprise, when random picks found no seller."""
        b = self.b
        seller = max(self.enterprises, key=lambda a: b.held.get(a, 0))
        if b.held.get(seller, 0) < 1:
            return False
        buyer = next(a for a in self.enterprises if a != seller)
        b.service.sell(b.actors["clerk"], f"county:sale:{self.serial}", seller_account=seller, buyer_account=buyer,
                       quantity=1, price_fen_per_t=self._price(year),
                       contract_no=f"HZGX-{year}-{self.serial:07d}{SYNTHETIC}")
        self._moved(seller, buyer, 1)
        b.count("sale")
        return True

    def _release(self, item: tuple[int, str, str, int, str]) -> int:
        b = self.b
        _, pledge_id, account, quantity, bank = item
        b.service.release(b.actors[bank], f"county:release:{pledge_id}", pledge_id=pledge_id)
        b.held[account] = b.held.get(account, 0) + quantity
        b.count("release")
        return 1
