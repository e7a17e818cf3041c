"""The overview map's first paint over the app's own parcel tiles, against the MVT floor, in
headless Chromium, in one run (issue 17).

- ``app``: ``streamlit run app.py`` on ``--database-url`` (no seeding); the parcel map page. Its
  tiles are made on demand by ``/tiles/parcels/...`` (PostGIS ``ST_AsMVT``, or the R*Tree +
  mapbox-vector-tile on SQLite), from a cold tile cache on the first load.
- ``floor``: a Streamlit page holding only a pydeck ``MVTLayer`` (same view, same worker,
  same colours) over the *same tiles written as static files* and served by Streamlit's static
  serving: what drawing these parcels as vector tiles costs at the least. Same view means the
  same canvas too: the wide layout and a sidebar, as the app's pages have (a centred page's
  narrower map needed 4 of the app's 6 tiles); ``floor_same_tiles_as_app`` says whether the
  floor asked for exactly the tiles the app's page did.

The app's server's peak memory (``VmHWM``) is read after it has also served every public page
once (``app_server_peak_rss_mb``; issue 17: ≤ 1 GB with 100,000 parcels).

Each load is a fresh browser context; ``paint_ms`` is the time from navigation until the map
canvas shows at least ``--min-pixels`` pixels in a sink type's colour (polled every 100 ms).
The server side is measured too: making every tile of the first view from a cold cache.
Prints one JSON document.

    python bench/map_tiles_bench.py --database-url sqlite:////tmp/county.db [--runs 3]
    python bench/map_tiles_bench.py --parcels 10000 [--database-url URL]   # builds that database first
                                    # (bench/ui_bench.py's synthetic grid; a given URL is emptied)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sinkledger.config import load_settings
from sinkledger.services import tiles
from sinkledger.ui import maps

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DONE_JS = """() => { const s = document.querySelector('[data-testid="stApp"]');
    return s !== null && s.getAttribute('data-test-script-state') === 'notRunning'; }"""

FLOOR_APP = '''
import json, pathlib
import pydeck as pdk
import streamlit as st
st.set_page_config(layout="wide")  # as app.py: the same canvas width as the app's map
st.sidebar.caption("floor")  # a sidebar, as the app's pages have: the map as wide as the app's
spec = json.loads(pathlib.Path(__file__).with_name("view.json").read_text())
layer = pdk.Layer("MVTLayer", "/app/static/floor/{z}/{x}/{y}.pbf", id="parcels", min_zoom=0,
                  max_zoom=spec["max_zoom"], filled=True, stroked=True,
                  get_fill_color="[properties.r, properties.g, properties.b, properties.a]",
                  get_line_color="[properties.r, properties.g, properties.b, 255]",
                  line_width_min_pixels=1, pickable=True,
                  load_options={"mvt": {"workerUrl": spec["worker"]}})
view = pdk.ViewState(**spec["view"])
st.pydeck_chart(pdk.Deck(layers=[layer], initial_view_state=view, map_provider=None), height=560)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: Path, cwd: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.enableStaticServing", "true"]
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read().strip() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.25)
    raise SystemExit(f"{script} did not start")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def peak_rss_mb(pid: int) -> float | None:
    """The peak resident memory of process ``pid`` so far (Linux ``VmHWM``), in MiB; None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


DONE_JS = """() => { const s = document.querySelector('[data-testid="stApp"]');
    return s !== null && s.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('[data-testid="stMainBlockContainer"] h1') !== null; }"""
OTHER_PAGES = ("/", "/statistics", "/registry", "/prices")  # the public pages, for the server's peak memory


def visit(browser, url: str) -> None:  # type: ignore[no-untyped-def]
    """Load a page and wait until its script has run (for the server's memory, not timed)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(DONE_JS, timeout=600_000)
    context.close()


def paint(browser, url: str, min_pixels: int, timeout_s: float = 300) -> tuple[float, list[str]]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    t0 = time.perf_counter()
    page.goto(url)
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay').first
    canvas.wait_for(state="visible", timeout=timeout_s * 1000)
    while True:
        rgb = np.asarray(Image.open(BytesIO(canvas.screenshot())).convert("RGB")).astype(int)
        if int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum()) >= min_pixels:
            break
        if time.perf_counter() - t0 > timeout_s:
            raise SystemExit(f"{url}: no parcels drawn in {timeout_s} s")
        page.wait_for_timeout(100)
    elapsed = (time.perf_counter() - t0) * 1000
    context.close()
    return elapsed, requested


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--parcels", type=int, default=0, help="build a database of this many synthetic parcels")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--min-pixels", type=int, default=2000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="map_tiles_bench_"))
    if args.parcels:
        sys.path.insert(0, str(REPO / "bench"))
        from ui_bench import build_map_database

        args.database_url = args.database_url or f"sqlite:///{work / 'map.db'}"
        build_map_database(args.database_url, args.parcels, work)
    if not args.database_url:
        raise SystemExit("give --database-url or --parcels")
    settings = load_settings({"DATABASE_URL": args.database_url})
    source = tiles.TileSource.from_settings(settings)
    summary = tiles.parcel_summary(source.db)
    env = {**os.environ, "DATABASE_URL": args.database_url, "SINKLEDGER_SEED_DEMO": "0",
           "SINKLEDGER_HOME": str(work / "home"), "PYTHONPATH": str(REPO)}
    out: dict = {"database": args.database_url.split("://")[0], "parcels": sum(n for n, _ in summary.values()),
                 "load_average": os.getloadavg(), "runs": args.runs}
    app, app_url = start(REPO / "app.py", REPO, env)
    floor = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            app_ms, requested = [], []
            for _ in range(args.runs):
                ms, requested = paint(browser, app_url + "/map", args.min_pixels)
                app_ms.append(ms)
            tile_urls = sorted({u for u in requested if "/tiles/parcels/" in u})
            for path in OTHER_PAGES:  # the app server's peak memory with every public page served once
                visit(browser, app_url + path)
            server_rss = peak_rss_mb(app.pid)
            # the floor: the same tiles as static files, the same view
            (work / "floor" / "static" / "floor").mkdir(parents=True)
            shutil.copytree(REPO / "static" / "vendor", work / "floor" / "static" / "vendor")
            made = []
            cold = tiles.TileSource(source.db)
            for u in tile_urls:
                _version, z, x, y = u.split("/tiles/parcels/")[1].split("?")[0].removesuffix(".pbf").split("/")
                t0 = time.perf_counter()
                data = cold.tile(int(z), int(x), int(y), lang="zh")
                made.append((time.perf_counter() - t0) * 1000)
                target = work / "floor" / "static" / "floor" / z / x / f"{y}.pbf"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            bounds = tiles.parcels_bounds(source.db)
            view = maps.view_for(bounds)
            (work / "floor" / "view.json").write_text(json.dumps({
                "view": {"longitude": view.longitude, "latitude": view.latitude, "zoom": view.zoom},
                "max_zoom": maps.TILE_MAX_ZOOM, "worker": maps.MVT_WORKER_URL}))
            (work / "floor" / "floor_app.py").write_text(FLOOR_APP)
            floor, floor_url = start(work / "floor" / "floor_app.py", work / "floor", env)
            floor_runs = [paint(browser, floor_url + "/", args.min_pixels) for _ in range(args.runs)]
            floor_ms = [ms for ms, _ in floor_runs]
            # the same view: the floor asked for the very tiles the app's page asked for
            floor_tiles = sorted({u.split("/static/floor/")[1] for u in floor_runs[-1][1] if "/static/floor/" in u})
            same_view = floor_tiles == sorted(u.split("/tiles/parcels/")[1].split("?")[0].split("/", 1)[1]
                                              for u in tile_urls)
            browser.close()
    finally:
        stop(app)
        if floor is not None:
            stop(floor)
        shutil.rmtree(work, ignore_errors=True)
    out |= {"first_view_tiles": len(tile_urls), "tile_make_cold_ms": {
                "total": round(sum(made), 1), "max": round(max(made), 1), "median": round(statistics.median(made), 1)},
            "app_paint_ms": [round(v) for v in app_ms], "floor_paint_ms": [round(v) for v in floor_ms],
            "app_first_ms": round(app_ms[0]), "app_warm_median_ms": round(statistics.median(app_ms[1:] or app_ms)),
            "floor_median_ms": round(statistics.median(floor_ms)),
            "floor_tiles": len(floor_tiles), "floor_same_tiles_as_app": same_view,
            "app_server_peak_rss_mb": server_rss, "app_server_pages": ["/map", *OTHER_PAGES]}
    out["warm_ratio"] = round(out["app_warm_median_ms"] / out["floor_median_ms"], 2)
    out["first_ratio"] = round(out["app_first_ms"] / out["floor_median_ms"], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
