"""First paint of the web app in headless Chromium, against a blank Streamlit page measured in
the same run.

Three pages, each served by its own ``streamlit run`` and loaded ``--runs`` times in a fresh
browser context (the first load of a server is "cold": imports, cache fill; later loads are
"warm"):

- ``blank``: a Streamlit script with one title (the baseline: what Streamlit itself costs);
- ``landing_demo``: the app's landing page (headline figures, credits by sink type, the
  integrity of the ledger, links to the map and the statistics) on the seeded demo database;
- ``landing_existing`` (with ``--existing``): the same page on that database;
- ``other_<page>`` (with ``--existing``): the other public pages on that database (statistics,
  public registry, certificate check, price index), ready when their title is on screen and the
  script run has finished; the goal is at most 1 s plus the page's own query, whose time is
  reported beside as ``query_ms`` (the service calls the page makes, timed in this process on the
  same database, warm: the median of three);
- ``signed_<page>`` (with ``--existing``): the pages of the signed-in users on that database
  (a cooperative's parcels and drawing page, the centre's batch page, the verifier's map, the
  insurer's losses, an enterprise's account, the clerk's sales), each loaded with the session
  cookie of a web session opened for its user before the run (``web_session`` rows: the only
  writes to the database); ready when the title is on screen, the run finished and, for the two
  map pages, the map's canvas visible; reported with whether each is within 1 s, its own reads
  included;
- ``map_10k``: the parcel map page on a database of ``--parcels`` (default 10,000) synthetic
  12-vertex parcels of all three sink types, imported through the service's bulk path
  (``Service.import_parcels``: one journal entry), or on the ``--existing`` database.

For each load: ``fcp_ms`` is the browser's first-contentful-paint (Streamlit's shell), and
``ready_ms`` the time from navigation start until the page's content is on screen: the
expected text visible, the script run finished and, for map pages, the deck.gl canvas visible
plus two animation frames. Prints one JSON document.

    python bench/ui_bench.py                      # SQLite in a temporary folder
    python bench/ui_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/sinkledger_h7
    python bench/ui_bench.py --existing sqlite:////tmp/county.db   # the landing page on a database
                             # already built (the county dataset: sinkledger demo --scale county)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sinkledger.catalogue import ui_text
from sinkledger.config import load_settings
from sinkledger.services.registry import SYSTEM_ACTOR, Service
from sinks.crs import transform

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CELL_M = 100.0
ORIGIN_4549 = (440_000.0, 3_370_000.0)  # about 119.37 E, 30.45 N: the grid stays inside Huzhou
SINKS = ("bamboo_forest", "wetland", "tea_garden")
DONE_JS = """() => { const s = document.querySelector('[data-testid="stApp"]');
    return s !== null && s.getAttribute('data-test-script-state') === 'notRunning'; }"""
FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))"
FCP_JS = """() => { const e = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
    return e ? e.startTime : null; }"""


def synthetic_parcels(n: int) -> gpd.GeoDataFrame:
    """``n`` 12-vertex parcels (radius 45 m) on a 100 m grid, sink types in turn, EPSG:4490."""
    columns = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    row, col = divmod(i, columns)
    centres = shapely.points(ORIGIN_4549[0] + col * CELL_M + CELL_M / 2, ORIGIN_4549[1] + row * CELL_M + CELL_M / 2)
    shapes = transform(shapely.buffer(centres, 45.0, quad_segs=3), "EPSG:4549", "EPSG:4490")
    return gpd.GeoDataFrame({"parcel_code": [f"SYN-{k:06d}" for k in i], "sink_type": [SINKS[k % 3] for k in i],
                             "holder": "BENCH-COL", "county_code": "330523"}, geometry=shapes, crs="EPSG:4490")


def build_map_database(url: str, n: int, folder: Path) -> dict[str, float]:
    svc = Service.open(load_settings({"DATABASE_URL": url}))
    if svc.db.has_schema():
        svc.db.drop_schema()
    svc.initialise()
    svc.register_party(SYSTEM_ACTOR, "p:bench", party_id="BENCH-COL", kind="collective", name="bench collective")
    path = folder / "parcels.gpkg"
    synthetic_parcels(n).to_file(path, driver="GPKG", engine="pyogrio")
    started = time.perf_counter()
    svc.import_parcels(SYSTEM_ACTOR, "bench:import", path=path)
    seconds = time.perf_counter() - started
    count = len(svc.parcels(status="active"))
    svc.db.dispose()
    assert count == n, (count, n)
    return {"bulk_import_s": round(seconds, 2)}


def active_parcels(url: str) -> int:
    """The active parcels of an existing database (what the landing page's caption counts)."""
    # deferred on purpose: the tiles service only for a run on an existing database
    from sinkledger.services import tiles

    svc = Service.open(load_settings({"DATABASE_URL": url}))
    try:
        return sum(count for count, _ in tiles.parcel_summary(svc).values())
    finally:
        svc.db.dispose()


def build_demo_database(home: Path) -> None:
    from sinkledger.demo.seed import seed_demo

    svc = Service.open(load_settings({"SINKLEDGER_HOME": str(home)}))
    seed_demo(svc)
    svc.verify(record=True)  # as the app's first start does: the landing page shows the verified checkpoint
    svc.db.dispose()


LANDING_LAST = ui_text("explore_map", "zh")  # the landing page's last element


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run script`` on a free port with the given environment, stopped on exit."""

    def __init__(self, script: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SINKLEDGER_HOME")} | env
        cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
        self.process = subprocess.Popen(cmd, cwd=script.parent, env=full, stdout=log.open("wb"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return self
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"server at {self.url} not healthy")

    def __exit__(self, *exc: object) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


TITLE = '[data-testid="stMainBlockContainer"] h1'
OTHER_PAGES = ("statistics", "registry", "certificate", "prices")


def page_queries_ms(url: str) -> dict[str, float]:
    """The reads the other public pages make on a load, timed warm (the median of three after a
    first run); the registry and the certificate pages are forms that read nothing until asked."""
    from sinkledger.services import queries as ui_queries
    from sinkledger.ui.prices import index_window

    def first_index() -> object:  # the price index page: the markets, then the first one's index
        markets = svc.prices.markets()
        if not markets:
            return None
        start, last = index_window(markets[0], "monthly")
        return svc.prices.index(sink_type=markets[0]["sink_type"], county_code=markets[0]["county_code"],
                                frequency="monthly", date_from=start.isoformat(), date_to=last.isoformat())

    svc = Service.open(load_settings({"DATABASE_URL": url}))
    reads = {"statistics": lambda: (ui_queries.public_totals(svc), ui_queries.totals_by_county(svc),
                                    ui_queries.monthly_activity(svc)),
             "prices": first_index}
    out = dict.fromkeys(OTHER_PAGES, 0.0)
    try:
        for name, read in reads.items():
            times = []
            for _ in range(4):
                started = time.perf_counter()
                read()
                times.append((time.perf_counter() - started) * 1000)
            out[name] = round(statistics.median(times[1:]), 1)
    finally:
        svc.db.dispose()
    return out


SIGNED_IN_PAGES = {  # page: the user (of the county dataset) who opens it
    "parcels": "coop", "register": "coop", "batch": "centre", "verify": "verifier", "losses": "insurer",
    "account": "enterprise", "sales": "clerk"}


def session_tokens(url: str) -> dict[str, str]:
    """A web session for each user of :data:`SIGNED_IN_PAGES` (a row each in ``web_session``:
    the only thing this benchmark writes to an ``--existing`` database), as a sign-in opens one."""
    from sinkledger.services import sessions

    svc = Service.open(load_settings({"DATABASE_URL": url}))
    try:
        return {user: sessions.open_session(svc, svc.actor(user)) for user in set(SIGNED_IN_PAGES.values())}
    finally:
        svc.db.dispose()


def load_times(browser, url: str, text: str, has_map: bool, runs: int,  # type: ignore[no-untyped-def]
               token: str | None = None) -> list[dict[str, float]]:
    from sinkledger.services.sessions import COOKIE_NAME

    out = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        if token:  # signed in, as the browser of a user who signed in before
            context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": url}])
        page = context.new_page()
        page.goto(url, timeout=600_000)
        if text == TITLE:
            page.locator(TITLE).first.wait_for(timeout=600_000)
        else:
            page.get_by_text(text, exact=False).first.wait_for(timeout=600_000)
        page.wait_for_function(DONE_JS, timeout=600_000)
        if has_map:
            page.locator('[data-testid="stDeckGlJsonChart"] canvas').first.wait_for(state="visible", timeout=600_000)
        ready = page.evaluate(FRAMES_JS)
        out.append({"fcp_ms": round(page.evaluate(FCP_JS) or 0), "ready_ms": round(ready)})
        context.close()
    return out


def summary(loads: list[dict[str, float]]) -> dict[str, object]:
    warm = [x["ready_ms"] for x in loads[1:]] or [loads[0]["ready_ms"]]
    return {"loads": loads, "cold_ready_ms": loads[0]["ready_ms"], "warm_ready_ms_median": statistics.median(warm),
            "warm_fcp_ms_median": statistics.median([x["fcp_ms"] for x in loads[1:]] or [loads[0]["fcp_ms"]])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--database-url", default=None, help="database for the map page (default: temp SQLite)")
    parser.add_argument("--existing", default=None, metavar="URL",
                        help="measure the pages on this database as it is (not built; written only by the "
                             "web sessions of the signed-in pages)")
    parser.add_argument("--pages", default=None, metavar="NAMES",
                        help="only these pages (comma-separated names as in the output, e.g. "
                             "signed_sales,signed_account); the blank page is always measured")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="ui_bench_") as tmp:
        folder = Path(tmp)
        if args.existing:
            url = args.existing
            args.parcels = active_parcels(url)
            facts = {"existing": True}
        else:
            url = args.database_url or f"sqlite:///{folder / 'map.db'}"
            facts = build_map_database(url, args.parcels, folder)
        build_demo_database(folder / "demo")
        blank = folder / "blank_app.py"
        blank.write_text('import streamlit as st\nst.title("blank")\n', encoding="utf-8")
        app = REPO / "app.py"
        pages = {"blank": (blank, {}, "blank", False),
                 "landing_demo": (app, {"SINKLEDGER_HOME": str(folder / "demo")}, LANDING_LAST, False),
                 "map_10k": (app, {"DATABASE_URL": url, "SINKLEDGER_SEED_DEMO": "0"},
                             f"{args.parcels} 个已登记地块", True)}
        if args.existing:  # the landing page on that database (its integrity box: verified or not yet)
            pages["landing_existing"] = (app, {"DATABASE_URL": url, "SINKLEDGER_SEED_DEMO": "0"},
                                         LANDING_LAST, False)
            for other in OTHER_PAGES:
                pages[f"other_{other}"] = (app, {"DATABASE_URL": url, "SINKLEDGER_SEED_DEMO": "0"}, TITLE, False)
            for signed in SIGNED_IN_PAGES:
                pages[f"signed_{signed}"] = (app, {"DATABASE_URL": url, "SINKLEDGER_SEED_DEMO": "0"}, TITLE,
                                             signed == "parcels")  # the verifier's map: only with an estimate waiting
        if args.pages:
            wanted = {"blank", *args.pages.split(",")}
            unknown = wanted - set(pages)
            if unknown:
                parser.error(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(pages)})")
            pages = {name: spec for name, spec in pages.items() if name in wanted}
        tokens = session_tokens(url) if args.existing else {}
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            for name, (script, env, text, has_map) in pages.items():
                with Server(script, env, folder / f"{name}.log") as server:
                    path = ("/map" if name.startswith("map") else
                            "/" + name.removeprefix("other_") if name.startswith("other_") else
                            "/" + name.removeprefix("signed_") if name.startswith("signed_") else "/")
                    token = tokens[SIGNED_IN_PAGES[name.removeprefix("signed_")]] if name.startswith("signed_") else None
                    results[name] = summary(load_times(browser, server.url + path, text, has_map, args.runs, token))
            browser.close()
    base = results["blank"]["warm_ready_ms_median"]
    if args.existing and not args.pages:
        queries = page_queries_ms(url)
        facts["other_pages"] = {
            name: {"warm_ready_ms": results[f"other_{name}"]["warm_ready_ms_median"], "query_ms": queries[name],
                   "query_cached_by_the_page": name == "statistics",  # st.cache_data: a warm load pays none
                   "within_1s_plus_query": results[f"other_{name}"]["warm_ready_ms_median"] <=
                   1000 + (0 if name == "statistics" else queries[name])}
            for name in OTHER_PAGES}
        facts["signed_in_pages"] = {  # their reads are part of the time measured (no allowance taken)
            name: {"user": SIGNED_IN_PAGES[name], "warm_ready_ms": results[f"signed_{name}"]["warm_ready_ms_median"],
                   "within_1s": results[f"signed_{name}"]["warm_ready_ms_median"] <= 1000}
            for name in SIGNED_IN_PAGES}
    print(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "database": "postgresql" if url.startswith("postgresql") else "sqlite", "parcels": args.parcels,
        "runs": args.runs, **facts, "pages": results,
        "relative_to_blank": {k: round(v["warm_ready_ms_median"] / base, 2) for k, v in results.items()},
    }, indent=2))


if __name__ == "__main__":
    main()
