"""Property tests: random sequences of valid and invalid commands keep every ledger invariant,
and running the same sequence on a fresh database reproduces the balances and the chain head."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sinkledger.config import load_settings
from sinkledger.services.registry import Service
from sinkledger_base.errors import SinkLedgerError

ACCOUNTS = ["COL-1-H", "ENT-1-H", "ENT-2-H", "BANK-1-H"]
ACTOR_OF = {"COL-1-H": "coop", "ENT-1-H": "ent", "ENT-2-H": "ent2", "BANK-1-H": "bank"}

quantity = st.integers(min_value=-2, max_value=40)
command = st.one_of(
    st.tuples(st.just("sell"), st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), quantity,
              st.integers(min_value=-1, max_value=20_000)),
    st.tuples(st.just("retire"), st.sampled_from(ACCOUNTS), quantity),
    st.tuples(st.just("pledge"), quantity),
    st.tuples(st.just("release"), st.integers(min_value=0, max_value=5), st.booleans()),
    st.tuples(st.just("reverse"), quantity),
    st.tuples(st.just("correct"), st.integers(min_value=1, max_value=60)),
    st.tuples(st.just("retry"), st.integers(min_value=0, max_value=30)),
)


def fresh(tmp_path, name: str) -> Service:  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import SYSTEM_ACTOR
    from tests.ledger.conftest import PARTIES, USERS, issue_parcel

    ticks = itertools.count()
    svc = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / name}"}))
    svc.clock = lambda: f"2026-01-01T00:00:00.{next(ticks):06d}+00:00"  # deterministic time, as the services write it
    svc.initialise()
    for pid, kind, party_name in PARTIES:
        svc.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=party_name, county_code="330523")
    for user, role, pid in USERS:
        svc.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    svc.create_user(username="admin", password="password-1", role="admin", party_id="REGISTRY", display_name="admin")
    issue_parcel(svc, "AJ-BF-0001", "a")
    issue_parcel(svc, "AJ-BF-0002", "b")
    return svc


def run(svc: Service, commands: list[tuple]) -> list[str]:  # type: ignore[type-arg]
    outcomes, done, pledges = [], [], []
    for i, cmd in enumerate(commands):
        rid = f"r{i}"
        try:
            if cmd[0] == "retry" and done:
                rid, call = done[cmd[1] % len(done)]
                out = call(rid)
            else:
                call = _call(svc, cmd, pledges)
                out = call(rid)
                done.append((rid, call))
            if "pledge_id" in out and out.get("status") is None:
                pledges.append(out["pledge_id"])
            outcomes.append("ok")
        except SinkLedgerError as exc:
            outcomes.append(exc.code)
        check_invariants(svc)
    return outcomes


def _call(svc, cmd, pledges):  # type: ignore[no-untyped-def]
    kind = cmd[0]
    if kind == "sell":
        _, seller, buyer, qty, price = cmd
        return lambda rid: svc.sell(svc.actor("clerk"), rid, seller_account=seller, buyer_account=buyer, quantity=qty,
                                    price_fen_per_t=price, contract_no="c")
    if kind == "retire":
        _, account, qty = cmd
        return lambda rid: svc.retire(svc.actor(ACTOR_OF[account]), rid, account_id=account, quantity=qty,
                                      beneficiary="b", purpose="p")
    if kind == "pledge":
        return lambda rid: svc.pledge(svc.actor("bank"), rid, account_id="COL-1-H", quantity=cmd[1],
                                      loan_reference="L", loan_amount_fen=100, term_end="2030-01-01")
    if kind == "release":
        pid = pledges[cmd[1] % len(pledges)] if pledges else "PL-00000000"
        end = svc.default_pledge if cmd[2] else svc.release
        return lambda rid: end(svc.actor("bank"), rid, pledge_id=pid)
    if kind == "reverse":
        return lambda rid: svc.reverse(svc.actor("insurer"), rid, quantity=cmd[1], reason="r", loss_event_ref="L")
    return lambda rid: svc.correct(svc.actor("admin"), rid, entry_seq=cmd[1], reason="r")


def check_invariants(svc: Service) -> None:
    report = svc.verify()
    assert report.ok, report.problems  # chain, replay = tables, conservation per batch
    balances = svc.balances()
    for row in balances["by_account"]:
        assert min(row["held_t"], row["pledged_t"], row["retired_t"], row["cancelled_t"]) >= 0
    in_accounts = sum(r["held_t"] + r["pledged_t"] + r["retired_t"] + r["cancelled_t"] for r in balances["by_account"])
    assert in_accounts == report.credits_issued


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(command, min_size=5, max_size=25))
def test_random_commands_keep_invariants_and_replay_identically(tmp_path_factory, commands):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("prop")
    first, second = fresh(tmp, "a.db"), fresh(tmp, "b.db")
    outcomes = run(first, commands)
    assert run(second, commands) == outcomes
    assert first.verify().head_hash == second.verify().head_hash
    assert first.balances() == second.balances()
    first.db.dispose()
    second.db.dispose()


def test_a_broken_invariant_rolls_the_command_back(funded, monkeypatch):  # type: ignore[no-untyped-def]
    """Given a bug that moves credits without debiting the seller's balance, when a sale runs, then
    the invariant check refuses it and nothing is written."""
    import ledger.projection
    from sinkledger_base.errors import IntegrityFailure

    svc = funded
    head = svc.verify().head_hash
    real = ledger.projection._add_balances

    def leaky(tx, deltas):  # type: ignore[no-untyped-def]
        real(tx, {key: delta for key, delta in deltas.items() if delta > 0})  # the bug: credits out of nothing

    monkeypatch.setattr(ledger.projection, "_add_balances", leaky)
    try:
        svc.sell(svc.actor("clerk"), "s-bug", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=1, contract_no="c")
    except IntegrityFailure as exc:
        assert exc.code == "ledger_integrity_failed"
    else:
        raise AssertionError("the broken sale was not refused")
    monkeypatch.undo()
    assert svc.verify().head_hash == head and svc.verify().ok
