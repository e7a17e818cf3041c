"""Worker functions for test_concurrency.py, each run in its own process with its own engine."""

from __future__ import annotations

from typing import Any

from sinkledger.config import load_settings
from sinkledger.services.registry import Service
from sinkledger_base.errors import SinkLedgerError


def _service(url: str) -> Service:
    return Service.open(load_settings({"DATABASE_URL": url}))


def sell(args: tuple[str, str, int]) -> tuple[str, Any]:
    url, request_id, quantity = args
    svc = _service(url)
    try:
        out = svc.sell(svc.actor("clerk"), request_id, seller_account="COL-1-H", buyer_account="ENT-1-H",
                       quantity=quantity, price_fen_per_t=7341, contract_no="c")
        return "ok", (out["seq"], out["quantity"])
    except SinkLedgerError as exc:
        return exc.code, None
    finally:
        svc.db.dispose()


def issue(args: tuple[str, str, str]) -> tuple[str, Any]:
    url, request_id, estimate_id = args
    svc = _service(url)
    try:
        est = svc.estimate(estimate_id)
        out = svc.issue(svc.actor("verifier"), request_id, estimate_id=estimate_id,
                        verified_kg_co2e=est["net_kg_co2e"], project_code="AJBF01", buffer_share_bp=1000)
        return "ok", out["seq"]
    except SinkLedgerError as exc:
        return exc.code, None
    finally:
        svc.db.dispose()


def register(args: tuple[str, str, dict]) -> tuple[str, Any]:
    url, code, geometry = args
    svc = _service(url)
    try:
        out = svc.register_parcel(svc.actor("coop"), f"reg-{code}", parcel_code=code, sink_type="bamboo_forest",
                                  holder_party_id="COL-1", geometry=geometry)
        return "ok", out["seq"]
    except SinkLedgerError as exc:
        return exc.code, None
    finally:
        svc.db.dispose()
