"""When the app server last had a visitor: a page run or a tile request (``app.py`` and the tile
route call :func:`visited`). The warm-up's later work waits for a quiet server
(:func:`sinkledger.ui.warmup.wait_until_quiet`). Standard library only: the tile route and the
warm-up both import it, neither importing the other at the top."""

from __future__ import annotations

import time

_last_visit = time.monotonic()  # the process's start counts as a visit


def visited() -> None:
    """A page run or a tile request has come."""
    global _last_visit
    _last_visit = time.monotonic()


def quiet_for() -> float:
    """Seconds since the last visit."""
    return time.monotonic() - _last_visit
