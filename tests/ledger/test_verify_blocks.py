"""``verify`` compares the ``credit_block`` table with the journal's replay block for block,
walking the table page by page beside the replay; every kind of tampering is counted."""

from __future__ import annotations

import pytest

import ledger.verify
from tests.table_audit_helpers import tamper


def block_problem(service) -> str:  # type: ignore[no-untyped-def]
    report = service.verify()
    assert not report.ok
    return next(p["problem"] for p in report.problems if "credit_block" in p["problem"])


@pytest.mark.parametrize(("sql", "count"), [
    ("UPDATE credit_block SET account_id = 'ENT-2-H' WHERE id = (SELECT min(id) FROM credit_block)", 2),
    ("UPDATE credit_block SET state = 'stolen' WHERE id = (SELECT min(id) FROM credit_block)", 2),
    ("DELETE FROM credit_block WHERE id = (SELECT max(id) FROM credit_block)", 1),
    ("INSERT INTO credit_block (batch_id, first, last, account_id, state) "
     "VALUES ('ZZZ-forged/1', 1, 10, 'ENT-2-H', 'held')", 1),
    ("INSERT INTO credit_block (batch_id, first, last, account_id, state) "
     "VALUES ('AAA-forged/1', 1, 10, 'ENT-2-H', 'held')", 1),
])
def test_a_tampered_block_is_counted(funded, sql, count):  # type: ignore[no-untyped-def]
    assert funded.verify().ok
    tamper(funded, sql)
    assert block_problem(funded) == f"credit_block table differs from the journal replay in {count} block(s)"


def test_the_walk_pages_through_many_blocks(funded, monkeypatch):  # type: ignore[no-untyped-def]
    """Given more blocks than a page, an untouched ledger verifies and one moved block is found."""
    svc = funded
    clerk = svc.actor("clerk")
    for i in range(30):  # single-credit sales split the blocks: many small blocks
        svc.sell(clerk, f"page-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H" if i % 2 else "ENT-2-H",
                 quantity=1, price_fen_per_t=100, contract_no="P")
    monkeypatch.setattr(ledger.verify, "BLOCK_PAGE_ROWS", 7)
    assert svc.verify().ok
    tamper(svc, "UPDATE credit_block SET account_id = 'COL-1-H' WHERE account_id = 'ENT-1-H' "
                "AND id = (SELECT max(id) FROM credit_block WHERE account_id = 'ENT-1-H')")
    assert block_problem(svc).endswith("in 2 block(s)")


def test_the_balance_digest_is_the_one_verified_checkpoints_recorded():  # type: ignore[no-untyped-def]
    """SHA-256 over the non-zero rows, sorted, one line each: the bytes every verified checkpoint
    recorded, so an incremental run still compares with checkpoints recorded before."""
    import hashlib

    from ledger.verify import balances_digest

    sums = {("ENT-1-H", "CN330523-BF-X-2024/1", "held"): 5, ("COL-1-H", "CN330523-BF-X-2024/1", "held"): 0,
            ("COL-1-H", "CN330523-BF-X-2024/1", "pledged"): 12}
    lines = ["COL-1-H\tCN330523-BF-X-2024/1\tpledged\t12\n", "ENT-1-H\tCN330523-BF-X-2024/1\theld\t5\n"]
    assert balances_digest(sums) == hashlib.sha256("".join(lines).encode()).hexdigest()
    assert balances_digest({}) == hashlib.sha256(b"").hexdigest()
