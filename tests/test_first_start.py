"""The app's first start on an empty default database (issue 16 review): the demo is seeded and
the ledger verified **once**, recorded, so the overview shows a verified checkpoint at once
(the seeding used to verify in full, and the start-up verified in full again to record it).
Through ``streamlit.testing.v1.AppTest``, in process, so the verify calls can be counted."""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest

from sinkledger.config import REPO_ROOT, load_settings
from sinkledger.services import registry
from sinkledger.services.registry import Service

APP = REPO_ROOT / "app.py"
_APP_ENV = ("DATABASE_URL", "SINKLEDGER_HOME", "SINKLEDGER_SEED_DEMO", "SINKLEDGER_GIS_DATA", "SINKLEDGER_REGION")


def test_the_first_start_seeds_and_verifies_the_ledger_once(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    for name in _APP_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {"SINKLEDGER_HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'first.db'}",
           "SINKLEDGER_SEED_DEMO": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    calls: list[bool] = []
    real = registry.verify_ledger

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("full"))
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "verify_ledger", counted)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(APP), default_timeout=900).run()
        assert not at.exception, at.exception
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    assert calls == [True]  # one full verify, no second one
    service = Service.open(load_settings(env))
    try:
        verified, last_run = service.last_verified(), service.last_verify_run()
        assert verified is not None and verified["tree_size"] == verified["journal_size"] > 0
        assert last_run is not None and last_run["ok"] and last_run["entries"] == verified["tree_size"]
        assert service.verify(full=False).mode == "incremental"  # later checks start from it
    finally:
        service.db.dispose()
