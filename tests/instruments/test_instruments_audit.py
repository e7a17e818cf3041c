"""``verify`` covers the tables of issue 22: a row of each changed, added or deleted behind the
journal's back is found and located (table, key, entry), in a full run and in an incremental one;
restored, the ledger verifies again."""

from __future__ import annotations

import pytest

from tests.instruments.conftest import CENTRE, programme
from tests.instruments.test_obligations import ENT, oblige
from tests.table_audit_helpers import located, restored, tamper


@pytest.fixture
def recorded(world):  # type: ignore[no-untyped-def]
    """Given a programme with a payment, and an obligation met by a surrender with a purchase and
    a claim, with its certificate."""
    svc, authority = world, world.actor("authority")
    programme(svc)
    est = svc.compensation.payable_estimates(authority, programme_code="HZ-EPC-1")[0]["estimate_id"]
    svc.compensation.pay(authority, "pay", programme_code="HZ-EPC-1", estimate_id=est, paid_date="2026-06-30",
                         reference="R")
    svc.sell(svc.actor("clerk"), "sale", seller_account=f"{CENTRE}-H", buyer_account=ENT, quantity=4,
             price_fen_per_t=7_000, contract_no="C-1")
    oid = oblige(svc, 10)["obligation_id"]
    retired = svc.retire(svc.actor("ent"), "vol", account_id=ENT, quantity=4, beneficiary="B", purpose="P")
    svc.obligations.claim(svc.actor("ent"), "claim", obligation_id=oid, retirement_id=retired["retirement_id"])
    svc.obligations.surrender(svc.actor("clerk"), "surr", obligation_id=oid, quantity_t=6,
                              seller_account=f"{CENTRE}-H", price_fen_per_t=8_000, contract_no="C-2")
    svc.obligations.issue_certificate(authority, obligation_id=oid)
    assert svc.verify().ok
    return svc


CASES = [
    ("compensation_programme", "UPDATE compensation_programme SET paid_fen = paid_fen - 100"),
    ("compensation_programme", "UPDATE compensation_programme SET budget_fen = budget_fen * 10"),
    ("compensation_payment", "UPDATE compensation_payment SET amount_fen = amount_fen + 1"),
    ("compensation_unit", "DELETE FROM compensation_unit"),
    ("due_item", "UPDATE due_item SET amount_fen = amount_fen + 1 WHERE source_kind = 'compensation'"),
    ("quota_obligation", "UPDATE quota_obligation SET quantity_t = 1"),
    ("quota_obligation", "UPDATE quota_obligation SET status = 'open', met_seq = NULL"),
    ("obligation_credit", "UPDATE obligation_credit SET counted_t = counted_t + 5"),
    ("obligation_certificate", "UPDATE obligation_certificate SET obligation_id = 'QO-00000001'"),
    ("retirement", "UPDATE retirement SET quantity = quantity + 1 WHERE retirement_kind = 'obligation'"),
    ("sale", "UPDATE sale SET amount_fen = 1 WHERE contract_no = 'C-2'"),
]


@pytest.mark.parametrize(("table", "sql"), CASES, ids=[f"{t}:{i}" for i, (t, _) in enumerate(CASES)])
def test_a_tampered_row_is_located(recorded, table, sql):  # type: ignore[no-untyped-def]
    """Given the recorded instruments, when a row is changed behind the journal's back, then a
    full verify fails naming that table; restored, it passes again."""
    with restored(recorded, table):
        tamper(recorded, sql)
        problems = located(recorded, table)
        assert problems, f"{table}: no problem located"
        assert all(p["seq"] for p in problems)
    assert recorded.verify().ok


def test_an_incremental_run_checks_the_tail(recorded):  # type: ignore[no-untyped-def]
    """Given a verified checkpoint, when a later payment is recorded and its programme row is
    tampered with, then the incremental run (which reads only the tail's keys) finds it."""
    svc = recorded
    assert svc.verify(full=False, record=True).ok
    programme(svc, "HZ-EPC-2", sink_types=["bamboo_forest"])
    est = svc.compensation.payable_estimates(svc.actor("authority"), programme_code="HZ-EPC-2")[0]["estimate_id"]
    svc.compensation.pay(svc.actor("authority"), "pay-2", programme_code="HZ-EPC-2", estimate_id=est,
                         paid_date="2026-07-01", reference="R")
    with restored(svc, "compensation_programme"):
        tamper(svc, "UPDATE compensation_programme SET paid_fen = 0 WHERE code = 'HZ-EPC-2'")
        report = svc.verify(full=False)
        assert not report.ok and any(p.get("table") == "compensation_programme" for p in report.problems)
    assert svc.verify(full=False).ok
