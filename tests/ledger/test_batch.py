"""Group commit (``Database.batch``): commands inside run exactly as alone, each in a savepoint;
a refusal undoes only its own command; an exception out of the block loses only the steps since
the last commit; reads in the thread see the batch."""

from __future__ import annotations

import pytest

from sinkledger_base.errors import Conflict
from tests.ledger.conftest import held


def sell(service, request: str, quantity: int = 1):  # type: ignore[no-untyped-def]
    return service.sell(service.actor("clerk"), request, seller_account="COL-1-H", buyer_account="ENT-1-H",
                        quantity=quantity, price_fen_per_t=5000, contract_no="B-1")


def journal(service) -> list[tuple]:  # type: ignore[type-arg, no-untyped-def]
    with service.db.read() as s:
        from sqlalchemy import text

        return [tuple(r) for r in s.execute(text("SELECT seq, kind, request_id, body, entry_hash FROM journal_entry "
                                                 "ORDER BY seq")).all()]


def test_a_batch_records_what_single_commands_record(funded):  # type: ignore[no-untyped-def]
    """Given a funded ledger, when ten sales run in a batch that commits every three, then the
    journal and balances are those of ten single sales, the refused one in the middle left no
    trace, and the ledger verifies."""
    svc = funded
    before = held(svc, "COL-1-H")
    with svc.db.batch(commit_every=3, commit_every_s=3600) as batch:
        results = [sell(svc, f"b-{i}") for i in range(5)]
        with pytest.raises(Conflict) as refused:
            sell(svc, "b-too-much", quantity=10**9)
        assert refused.value.code == "insufficient_balance"
        results += [sell(svc, f"b-{i}") for i in range(5, 10)]
        assert held(svc, "ENT-1-H") == 10  # a read in the batch sees its uncommitted work
    assert batch.steps == 11 and batch.commits == 4
    assert [r["seq"] for r in results] == list(range(results[0]["seq"], results[0]["seq"] + 10))
    assert held(svc, "COL-1-H") == before - 10 and held(svc, "ENT-1-H") == 10
    entries = journal(svc)
    assert "b-too-much" not in {e[2] for e in entries}
    assert svc.verify().ok
    again = sell(svc, "b-3")  # a retry after the batch replays the recorded result
    assert again["replayed"] and again["seq"] == results[3]["seq"]


def test_an_exception_out_of_a_batch_keeps_only_whole_commits(funded):  # type: ignore[no-untyped-def]
    """Given a batch committing every four, when the caller fails after six sales, then the first
    four are recorded and the last two are not; re-running the same requests records each once."""
    svc = funded
    head = svc.verify().entries
    with pytest.raises(RuntimeError):
        with svc.db.batch(commit_every=4, commit_every_s=3600):
            for i in range(6):
                sell(svc, f"c-{i}")
            raise RuntimeError("the caller fails")
    assert svc.verify().entries == head + 4 and held(svc, "ENT-1-H") == 4
    with svc.db.batch(commit_every=4, commit_every_s=3600):
        replays = [sell(svc, f"c-{i}")["replayed"] for i in range(6)]
    assert replays == [True] * 4 + [False] * 2
    assert svc.verify().ok and svc.verify().entries == head + 6 and held(svc, "ENT-1-H") == 6


def test_batches_do_not_nest_and_check_their_size(funded):  # type: ignore[no-untyped-def]
    svc = funded
    with pytest.raises(ValueError):
        with svc.db.batch(commit_every=0):
            pass
    with svc.db.batch():
        with pytest.raises(RuntimeError):
            with svc.db.batch():
                pass
    with svc.db.batch():  # the refused attempts left nothing open
        sell(svc, "d-1")
    assert held(svc, "ENT-1-H") == 1


def test_a_failed_orm_flush_in_a_batch_undoes_only_its_command(funded):  # type: ignore[no-untyped-def]
    """Commands in a batch run in a savepoint written on the driver's connection; a handler that
    uses the ORM gets a savepoint of its own inside it. Given a batch, when a command's ORM write
    fails at the flush (a party that exists) between two sales, and a party registration (an ORM
    handler) succeeds, then the failed one left nothing, the batch went on, and the ledger verifies."""
    from sqlalchemy import exc as sa_exc

    from ledger.commands import run_command
    from ledger.store import PartyRow

    svc = funded
    head = svc.verify().entries

    def add_party(party_id: str):  # type: ignore[no-untyped-def]
        def handler(ctx):  # type: ignore[no-untyped-def]
            ctx.session.add(PartyRow(id=party_id, kind="enterprise", name="批内企业", county_code="330523"))
            ctx.session.flush()
            return "party_registered", {"party_id": party_id, "kind": "enterprise", "name": "批内企业",
                                        "county_code": "330523", "result": {"party_id": party_id}}
        return handler

    with svc.db.batch(commit_every=100, commit_every_s=3600) as batch:
        sell(svc, "e-1")
        with pytest.raises(sa_exc.IntegrityError):
            run_command(svc.db, actor=svc.actor("admin"), command="register_party", request_id="e-dup",
                        content={"party_id": "ENT-1"}, handler=add_party("ENT-1"))
        sell(svc, "e-2")
        svc.register_party(svc.actor("admin"), "e-new", party_id="ENT-77", kind="enterprise",
                           name="批内企业", county_code="330523")  # an ORM handler that succeeds
        sell(svc, "e-3")
    assert batch.commits == 1
    requests = [e[2] for e in journal(svc)][head:]
    assert requests == ["e-1", "e-2", "e-new", "e-3"]
    assert held(svc, "ENT-1-H") == 3
    with svc.db.read() as s:
        from sqlalchemy import text

        assert s.execute(text("SELECT count(*) FROM party WHERE id IN ('ENT-1', 'ENT-77')")).scalar_one() == 2
    assert svc.verify().ok


def test_a_plain_read_sees_the_batch_it_runs_in_and_leaves_nothing_open(funded):  # type: ignore[no-untyped-def]
    """``Database.plain_read`` (a command's reads before it runs, e.g. an issuance's estimate): a
    read in a batch sees the batch's uncommitted entry, one outside sees only what was committed,
    and afterwards no transaction is left open (a writer still takes the lock at once)."""
    svc = funded

    def head() -> int:
        with svc.db.plain_read() as tx:
            return tx.one("SELECT max(seq) FROM journal_entry")[0]

    before = head()
    with svc.db.batch(commit_every=100, commit_every_s=3600):
        sold = sell(svc, "pr-1")
        assert head() == sold["seq"] == before + 1  # the batch's own transaction
    assert head() == before + 1  # committed with the batch
    with pytest.raises(RuntimeError), svc.db.plain_read() as tx:
        tx.one("SELECT 1")
        raise RuntimeError("the caller fails")
    assert sell(svc, "pr-2")["seq"] == before + 2 and head() == before + 2
