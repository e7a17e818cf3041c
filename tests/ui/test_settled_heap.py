"""The app server freezes its heap after its first page (``sinkledger.ui.heap``):
without it, every visitor's new session set off a full cycle collection that walked the whole
heap, 90-320 ms of a page load at county scale. Only the server does it: a process that runs the
pages' script itself (Streamlit's AppTest, in these tests) never freezes its objects."""

from __future__ import annotations

import os
import subprocess
import sys

from sinkledger.config import REPO_ROOT

CHECK = """
import gc, sys
sys.argv = ["app"]
{setup}
from sinkledger.ui import heap
heap.settle()
first = gc.get_freeze_count()
heap.settle()  # once per process: a second call freezes nothing more
print(first, gc.get_freeze_count() - first)
"""


def _frozen(setup: str) -> tuple[int, int]:
    proc = subprocess.run([sys.executable, "-c", CHECK.format(setup=setup)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, more = proc.stdout.split()
    return int(first), int(more)


def test_the_server_freezes_its_heap_once_after_its_first_page() -> None:
    first, more = _frozen("import app  # what `streamlit run app.py` does first: the server's side")
    assert first > 10_000  # the modules, the settings, the service's engine: everything alive then
    # nothing more frozen by a second call; the count may even drop, as the server's warm-up thread,
    # still running, frees objects that were frozen (seen: -12)
    assert more <= 0


def test_a_process_that_only_runs_the_pages_freezes_nothing() -> None:
    assert _frozen("") == (0, 0)
    assert _frozen("from sinkledger.ui import heap; heap.settle_early()") == (0, 0)


def test_the_warm_up_freezes_the_libraries_heap_before_the_first_page_which_freezes_only_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The server's warm-up freezes what its imports made (``heap.settle_early``), so that the
    first page's :func:`heap.settle` collects only what that page added, and still freezes it."""
    script = ("import gc, sys, threading\nsys.argv = ['app']\nimport app\nfrom sinkledger.ui import heap\n"
              "[t.join(300) for t in threading.enumerate() if t.name == 'sinkledger-warmup']\n"
              "early = gc.get_freeze_count()\n"
              "page = [[i] for i in range(5_000)]  # what a first page leaves alive\n"
              "heap.settle()\nprint(early, gc.get_freeze_count() - early)")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"SINKLEDGER_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    early, by_the_page = map(int, proc.stdout.split())
    assert early > 50_000  # the warm-up's libraries (pandas, folium, pydeck, the service), frozen before any page
    assert 5_000 <= by_the_page < early // 4  # the page's objects, not the whole heap again


def test_the_server_imports_no_page_module_while_it_starts() -> None:
    """``app.py`` imported as a module (the server starting) loads no page module and not the
    pages' common module: one imported that early registers its components outside Streamlit's
    runtime (the drawing tool's map then never loaded)."""
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['app']; import app; "
                           "print(' '.join(sorted(m for m in sys.modules if m.startswith('sinkledger.ui.'))))"],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(proc.stdout.split())
    assert "sinkledger.ui.heap" in loaded
    assert not loaded & {"sinkledger.ui.common", "sinkledger.ui.maps", "sinkledger.ui.navigation",
                         "sinkledger.ui.public", "sinkledger.ui.parcels"}, loaded
