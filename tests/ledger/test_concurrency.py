"""Concurrency (issue 9): separate processes write at once; nothing is oversold, issued twice or
registered twice, retries are exactly-once, every refusal is clean, and the chain stays intact.

Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and PostgreSQL (an advisory lock).
"""

from __future__ import annotations

import multiprocessing as mp

import pytest

from sinkledger.config import load_settings
from sinkledger.services.registry import Service
from tests.ledger import concurrency_workers as workers
from tests.ledger.conftest import BAMBOO, demo_parcel_inputs

WRITERS = 16


def _service(url: str) -> Service:
    return Service.open(load_settings({"DATABASE_URL": url}))


def _pool_map(fn, args):  # type: ignore[no-untyped-def]
    """Run ``fn`` over ``args`` in WRITERS separate processes (forked: the parent holds no open
    database connection at that point, and each worker opens its own engine)."""
    with mp.get_context("fork").Pool(WRITERS) as pool:
        return pool.map(fn, args)


@pytest.fixture
def url(funded, backend_url):  # type: ignore[no-untyped-def]
    funded.db.dispose()
    return backend_url


@pytest.mark.slow
def test_sixteen_sellers_never_oversell(funded, url):  # type: ignore[no-untyped-def]
    balance = funded.account_balance("COL-1-H")["held_t"]
    per_request = max(1, balance // 10)  # 16 requests ask for ~1.6× the balance
    results = _pool_map(workers.sell, [(url, f"sale-{i}", per_request) for i in range(WRITERS)])
    sold = sum(q for status, value in results if status == "ok" for _, q in [value])
    assert {status for status, _ in results} <= {"ok", "insufficient_balance"}
    assert sold == per_request * sum(1 for status, _ in results if status == "ok")
    assert balance - per_request < sold <= balance
    svc = _service(url)
    assert svc.account_balance("COL-1-H")["held_t"] == balance - sold
    assert svc.account_balance("ENT-1-H")["held_t"] == sold
    assert svc.verify().ok


@pytest.mark.slow
def test_retries_with_one_request_id_take_effect_once(funded, url):  # type: ignore[no-untyped-def]
    results = _pool_map(workers.sell, [(url, "the-same-request", 1)] * WRITERS)
    assert all(status == "ok" for status, _ in results)
    assert len({value for _, value in results}) == 1  # every caller got the first result
    svc = _service(url)
    assert svc.account_balance("ENT-1-H")["held_t"] == 1
    assert len(svc.journal(kind="sale", limit=100)) == 1 and svc.verify().ok


@pytest.mark.slow
def test_concurrent_issuance_for_overlapping_periods_issues_once(registry, backend_url):  # type: ignore[no-untyped-def]
    svc = registry
    geometry, inputs = demo_parcel_inputs("AJ-BF-0004")
    svc.register_parcel(svc.actor("coop"), "r", parcel_code="AJ-BF-0004", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    estimates = [svc.record_estimate(svc.actor("coop"), f"e{i}", parcel_codes=["AJ-BF-0004"], methodology_id=BAMBOO,
                                     inputs=inputs)["estimate_id"] for i in range(WRITERS)]
    svc.db.dispose()
    results = _pool_map(workers.issue, [(backend_url, f"iss-{i}", e) for i, e in enumerate(estimates)])
    assert sorted(status for status, _ in results) == ["ok"] + ["period_already_issued"] * (WRITERS - 1)
    assert _service(backend_url).verify().ok


@pytest.mark.slow
def test_concurrent_overlapping_registrations_register_one(registry, backend_url):  # type: ignore[no-untyped-def]
    import shapely
    from shapely.affinity import translate
    from shapely.geometry import shape

    registry.db.dispose()
    geometry, _ = demo_parcel_inputs("AJ-BF-0005")
    shifted = [shapely.geometry.mapping(translate(shape(geometry), xoff=i * 3 / 96_000))  # i × ~3 m east
               for i in range(WRITERS)]
    results = _pool_map(workers.register, [(backend_url, f"AJ-BF-X{i:02d}", g) for i, g in enumerate(shifted)])
    assert sorted(status for status, _ in results) == ["ok"] + ["parcel_overlaps_existing"] * (WRITERS - 1)
    svc = _service(backend_url)
    assert len([p for p in svc.parcels() if p["parcel_code"].startswith("AJ-BF-X")]) == 1
    assert svc.verify().ok
