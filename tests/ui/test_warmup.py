"""The app server's warm-up (``sinkledger.ui.warmup``): a page waits for its imports instead of
importing beside them, and never waits where no warm-up was started."""

from __future__ import annotations

import sys
import threading
import time

from sinkledger.ui import routes, warmup


class _Tiles:
    def warm(self) -> dict[str, int]:
        return {"made": 0}


def _slow_module(tmp_path, name: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / f"{name}.py").write_text(f"import time\ntime.sleep({seconds})\n", encoding="utf-8")


def test_a_page_waits_for_the_warm_ups_imports_and_only_in_a_server_that_started_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(warmup, "_STARTED", threading.Event())
    monkeypatch.setattr(warmup, "_IMPORTED", threading.Event())
    assert warmup.wait_for_imports(timeout=0) is True  # no warm-up here (the tests' AppTest, a script)

    _slow_module(tmp_path, "sl_slow_library", 0.5)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(warmup, "MODULES", ("sl_slow_library",))
    monkeypatch.setattr(routes, "tile_source", _Tiles)
    monkeypatch.delitem(sys.modules, "sl_slow_library", raising=False)
    thread = warmup.start()
    try:
        assert warmup.wait_for_imports(timeout=0.05) is False  # still importing: a page would wait
        began = time.perf_counter()
        assert warmup.wait_for_imports(timeout=30) is True
        assert "sl_slow_library" in sys.modules and time.perf_counter() - began < 5
    finally:
        thread.join(30)
        sys.modules.pop("sl_slow_library", None)


def test_a_failed_import_does_not_leave_the_pages_waiting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(warmup, "_STARTED", threading.Event())
    monkeypatch.setattr(warmup, "_IMPORTED", threading.Event())
    monkeypatch.setattr(warmup, "MODULES", ("sl_no_such_library_anywhere",))
    monkeypatch.setattr(routes, "tile_source", _Tiles)
    thread = warmup.start()
    thread.join(30)
    assert warmup.wait_for_imports(timeout=0) is True
