"""Fixtures for browser tests: a live ``streamlit run app.py`` and a headless Chromium.

The server is started once per session from the repo root with a fresh ``SINKLEDGER_HOME`` and
no ``DATABASE_URL``, so the first page load goes through the app's first-start path (create the
default SQLite database and seed the synthetic demo). Chromium is Debian's, driven by Playwright
without ``playwright install`` (see ../shared/GIS_NOTES.md §4.5).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sinkledger.config import REPO_ROOT

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT_S = 120
SCREENSHOT_DIR = REPO_ROOT / "test-output" / "screenshots"
# SINKLEDGER_BROWSER_DATABASE_URL runs the browser tests against that database instead of a fresh
# SQLite file (e.g. PostgreSQL; the database is emptied first and seeded by the app's first start).
BROWSER_DATABASE_URL = os.environ.get("SINKLEDGER_BROWSER_DATABASE_URL", "")
# SINKLEDGER_BROWSER_EXISTING_URL runs the tests that only read (READ_ONLY_MODULES) against a
# database as it is, neither emptied nor seeded: the county dataset by hand (issue 17, point 7).
# The app server writes only SQLite's planner statistics there; every other test is skipped.
BROWSER_EXISTING_URL = os.environ.get("SINKLEDGER_BROWSER_EXISTING_URL", "")
READ_ONLY_MODULES = ("test_tiles_browser",)


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    if not BROWSER_EXISTING_URL:
        return
    for item in items:
        if "tests/browser/" in item.nodeid and item.module.__name__.rsplit(".", 1)[-1] not in READ_ONLY_MODULES:
            item.add_marker(pytest.mark.skip(reason="SINKLEDGER_BROWSER_EXISTING_URL: this test writes; only "
                                                    "the read-only browser tests run on an existing database"))
# Environment variables that would point the app somewhere other than a fresh default database.
_APP_ENV_REMOVED = ("DATABASE_URL", "SINKLEDGER_SEED_DEMO", "SINKLEDGER_GIS_DATA", "SINKLEDGER_REGION")


@dataclass(frozen=True)
class StreamlitServer:
    url: str
    home: Path
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"<server log unreadable: {exc}>"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().decode("utf-8", errors="replace").strip()
    except (urllib.error.URLError, OSError):
        return ""


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group (streamlit may start helpers of its own)."""
    if process.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory) -> Iterator[StreamlitServer]:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("app_home")
    log_path = home / "streamlit.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _APP_ENV_REMOVED}
    env["SINKLEDGER_HOME"] = str(home)
    if BROWSER_EXISTING_URL:  # a built database as it is (the county dataset): nothing emptied, nothing seeded
        env.update(DATABASE_URL=BROWSER_EXISTING_URL, SINKLEDGER_SEED_DEMO="0")
    elif BROWSER_DATABASE_URL:  # the same flows on another database (PostgreSQL), emptied first
        from sinkledger.db.database import Database

        db = Database(BROWSER_DATABASE_URL)
        db.drop_schema()
        db.dispose()
        env.update(DATABASE_URL=BROWSER_DATABASE_URL, SINKLEDGER_SEED_DEMO="1")
    env["PYTHONUNBUFFERED"] = "1"
    # OpenStreetMap's tiles on a closed local port: choosing that base map must say it is offline
    # (tests/browser/test_tiles_browser.py) instead of reaching the internet.
    env["SINKLEDGER_OSM_TILES"] = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = StreamlitServer(url=f"http://127.0.0.1:{port}", home=home, log_path=log_path,
                             process=process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if _health(server.url) == "ok":
                break
            if process.poll() is not None:
                raise AssertionError(f"streamlit exited with code {process.returncode} before it was "
                                     f"healthy; command {cmd}\n--- server log ---\n{server.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"streamlit not healthy at {server.url}/_stcore/health after "
                                     f"{STARTUP_TIMEOUT_S} s\n--- server log ---\n{server.log()}")
            time.sleep(0.25)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def browser(chromium_path):  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


def server_service(server: StreamlitServer):  # type: ignore[no-untyped-def]
    """The service on the app server's own database (to set up or check what a flow did)."""
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    env = {"SINKLEDGER_HOME": str(server.home)}
    if BROWSER_EXISTING_URL or BROWSER_DATABASE_URL:
        env["DATABASE_URL"] = BROWSER_EXISTING_URL or BROWSER_DATABASE_URL
    return Service.open(load_settings(env))
