"""The app server's warm-up (``sinkledger.ui.warmup``): a page waits for its imports instead of
importing beside them, and never waits where no warm-up was started."""

from __future__ import annotations

import sys
import threading
import time

from sinkledger.ui import activity, routes, warmup


class _Tiles:
    def warm(self, langs: tuple[str, ...] = ("zh", "en")) -> dict[str, int]:
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
    monkeypatch.setattr(warmup, "QUIET_S", 0.0)
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
    monkeypatch.setattr(warmup, "QUIET_S", 0.0)
    thread = warmup.start()
    thread.join(30)
    assert warmup.wait_for_imports(timeout=0) is True


def test_the_other_languages_tiles_wait_for_a_quiet_server(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The default language's tiles are made right after the imports; the other language's only
    once no page has run and no tile been asked for during ``QUIET_S``: made at once, they took a
    core from the first visitor's browser. A server never quiet leaves them to be made on request."""
    made: list[tuple[tuple[str, ...], float]] = []

    class Recording:
        def warm(self, langs: tuple[str, ...] = ("zh", "en")) -> dict[str, int]:
            made.append((tuple(langs), time.monotonic()))
            return {"made": len(langs)}

    monkeypatch.setattr(warmup, "MODULES", ())
    monkeypatch.setattr(routes, "tile_source", Recording)
    monkeypatch.setattr(warmup, "QUIET_S", 0.6)
    done: dict[str, object] = {}
    activity.visited()
    thread = threading.Thread(target=lambda: done.update(warmup.warm()))
    thread.start()
    visits = []
    for _ in range(8):  # a visitor busy for 1.2 s: the other language waits
        time.sleep(0.15)
        activity.visited()
        visits.append(time.monotonic())
    thread.join(30)
    assert [langs for langs, _ in made] == [("zh",), ("en",)]
    assert made[0][1] < visits[0]  # the default language's at once
    assert made[1][1] - visits[-1] >= 0.6  # the other's after QUIET_S without a visit
    assert done["tiles"] == {"made": 1} and done["tiles_later"] == {"made": 1}

    made.clear()
    activity.visited()
    assert warmup.wait_until_quiet(quiet_s=5, longest_s=0.2) is False  # never quiet: given up
    monkeypatch.setattr(warmup, "QUIET_WAIT_MAX_S", 0.2)
    monkeypatch.setattr(warmup, "QUIET_S", 5.0)
    done = warmup.warm()
    assert [langs for langs, _ in made] == [("zh",)] and "tiles_later" not in done
