"""The app server's heap, frozen after its first page (docs/architecture.md, "The app server's heap").

Each visitor's page load is a new Streamlit session, and each left enough new objects behind to
set off a full cycle collection that walked the whole heap: 90-320 ms of a page load, at random,
at county scale. This module imports nothing but the standard library: ``app.py`` arms it while
Streamlit is still starting its server, before any page module may be imported (a page module
imported that early registers its components outside Streamlit's runtime: the drawing tool's
map then never loaded).
"""

from __future__ import annotations

import gc
import threading

_ARMED = threading.Event()  # this process is the app's server (app.py imported as a module)
_SETTLED = threading.Event()


def arm() -> None:
    """Mark this process as the app's server: :func:`settle` acts here, and only here (not in a
    process that runs the pages' script itself, as Streamlit's AppTest does in the tests)."""
    _ARMED.set()


def settle() -> None:
    """Once per server process, after its first page: collect, then move every object alive
    (the modules, the service, the caches just filled) out of the cycle collector's way
    (``gc.freeze``). Frozen objects are still freed when their last reference goes; only a
    reference cycle among them would stay."""
    if not _ARMED.is_set() or _SETTLED.is_set():
        return
    _SETTLED.set()
    _freeze()


def settle_early() -> None:
    """The same, once the server's warm-up has imported the pages' libraries (before its first
    visitor, as a rule): the full collection over everything those imports made (about 0.1 s,
    holding the interpreter) is then not part of a first page; :func:`settle` after that page
    collects and freezes only what the page added. Nothing outside the app's server."""
    if _ARMED.is_set() and not _SETTLED.is_set():
        _freeze()


def _freeze() -> None:
    gc.collect()
    gc.freeze()
    # A full collection now, over nothing but what is not frozen, resets the collector's count of
    # long-lived objects: otherwise it would wait for a quarter of the frozen heap's size in new
    # objects before its next full collection, and garbage in reference cycles made after the
    # freeze would stay for hours.
    gc.collect()
