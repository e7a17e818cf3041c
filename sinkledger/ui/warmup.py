"""The app server's warm-up: what its first visitor would otherwise wait for, done at its start.

A server's first page paid for the libraries and the service stack its pages import (about 1 s
here: pandas, folium, pydeck, the database layer) and, on PostgreSQL, for the overview's first
tiles (about 1 s of ``ST_AsMVT``): the county's overview map took 1.9 times its warm time after a
restart. At the start, a background thread imports those libraries, freezes the heap they made
(:func:`sinkledger.ui.heap.settle_early`) and makes the overview's tiles
(:meth:`sinkledger.services.tiles.TileSource.warm`) while the server waits for its first visitor;
a visitor who comes sooner waits for the imports (:func:`wait_for_imports`: two threads importing
the same compiled package at once can initialise it twice) and shares the tiles (a tile being
made is waited for, not made twice). Only the default language's tiles are made at once; the
other language's wait until the server has been quiet for :data:`QUIET_S`
(:mod:`sinkledger.ui.activity`), so that they never take a core from a first visitor's browser.

The page modules themselves are not imported here: one imported outside Streamlit's runtime
registers its components there, and the drawing tool's map then never loaded
(:mod:`sinkledger.ui.heap`). Only what they import is. Nothing here may fail the server: a failure
is logged and the pages do the work as before.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from sinkledger.ui import activity, heap

LOG = logging.getLogger("sinkledger.warmup")

# what the pages import, heaviest first; never a page module nor a Streamlit component (the service
# stack brings the database layer and the ORM with it)
MODULES = ("pandas", "folium", "folium.plugins", "branca.element", "pydeck", "shapely", "pyarrow",
           "streamlit.emojis",  # every page's st.set_page_config checks its icon against it (about 0.1-0.4 s)
           "sinkledger.services.registry", "sinkledger.services.queries", "sinkledger.services.sessions",
           "sinkledger.services.tiles")


QUIET_S = 5.0  # the other language's tiles wait until no page ran and no tile was asked for this long
QUIET_WAIT_MAX_S = 600.0  # ... at most this long; a server never quiet makes them on request instead
IMPORT_WAIT_S = 60.0  # the longest a page waits for the warm-up's imports (then it imports beside them)
_STARTED = threading.Event()  # this process is the app's server and its warm-up was started
_IMPORTED = threading.Event()  # the warm-up's imports are over (done or failed)


def start() -> threading.Thread:
    """Start the warm-up in a daemon thread (it never keeps the server from stopping)."""
    _STARTED.set()
    thread = threading.Thread(target=warm, name="sinkledger-warmup", daemon=True)
    thread.start()
    return thread


def wait_for_imports(timeout: float = IMPORT_WAIT_S) -> bool:
    """In the app's server, wait until the warm-up's imports are over before a page imports
    anything (``app.py``, first thing in every run): a page that imported beside the warm-up
    could initialise a compiled package twice ("cannot load module more than once per process",
    seen with numpy when two threads imported at once), and it needs those libraries anyway.
    Returns at once where no warm-up was started (the tests' AppTest, a script); False if the
    imports took longer than ``timeout``."""
    if not _STARTED.is_set():
        return True
    return _IMPORTED.wait(timeout)


def wait_until_quiet(quiet_s: float | None = None, longest_s: float | None = None) -> bool:
    """Wait until no page has run and no tile been asked for during ``quiet_s`` (default
    :data:`QUIET_S`); False if that did not happen within ``longest_s`` (default
    :data:`QUIET_WAIT_MAX_S`)."""
    quiet_s = QUIET_S if quiet_s is None else quiet_s
    deadline = time.monotonic() + (QUIET_WAIT_MAX_S if longest_s is None else longest_s)
    while True:
        now, calm = time.monotonic(), activity.quiet_for()
        if calm >= quiet_s:
            return True
        if now >= deadline:
            return False
        time.sleep(min(quiet_s - calm, deadline - now) + 0.01)


def warm() -> dict[str, object]:
    """Import :data:`MODULES`, then warm the parcel tiles of the default language, then, once the
    server is quiet, those of the other; what was done, with its time.

    In that order, one after the other: the first visitor's page needs the imports first and the
    tiles only once its map is drawn, and most visitors' map is in the default language (the
    English tiles, made at once after the Chinese, were made while the first visitor's browser
    drew the map, on the same two cores). Made beside the imports (``ST_AsMVT`` in the database's
    own process), the tiles took the second core from the browser and the imports: the first page
    came 0.5-1 s later on two cores (bench/map_tiles_bench.py). A visitor asking for a tile the
    warm-up is making waits for it rather than making it again
    (:meth:`sinkledger.services.tiles.TileSource.tile`)."""
    started = time.perf_counter()
    done: dict[str, object] = {}
    try:
        try:
            for name in MODULES:
                importlib.import_module(name)
        finally:
            _IMPORTED.set()  # the pages go on, whatever became of the imports
        done["imports_s"] = round(time.perf_counter() - started, 3)
        heap.settle_early()
        # deferred on purpose: the tile route's source opens the database on its first use
        from sinkledger.services.tile_archive import LANGS
        from sinkledger.ui.routes import tile_source

        source = tile_source()
        done["tiles"] = source.warm(langs=LANGS[:1])
        done["seconds"] = round(time.perf_counter() - started, 3)
        LOG.info("warm-up done: %s", done)
        # (archives on SQLite hold both languages, filled in the background; no tile made: nothing to add)
        if done["tiles"].get("made") and wait_until_quiet():
            done["tiles_later"] = source.warm(langs=LANGS[1:])
            LOG.info("warm-up's other language done: %s", done["tiles_later"])
    except Exception:  # noqa: BLE001 - the warm-up only saves later work; the pages do it otherwise
        LOG.exception("the app server's warm-up failed")
    return done
