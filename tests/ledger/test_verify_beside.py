"""A full verify audits the tables in a second process beside the replay (``jobs=2``), with the
same findings as in one process; an incremental verify holds the append-only tables' row counts
to the verified checkpoint's (a row added under a key the tail did not touch is caught). Both
backends (issue 16)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

import ledger.audit
from ledger.table_audits import table_audits
from ledger.verify import verify_ledger
from sinkledger_base.errors import InvalidInput
from tests.table_audit_helpers import scalar, tamper, unguard


@pytest.fixture
def chain(funded):  # type: ignore[no-untyped-def]
    """Given sales (one corrected), a retirement, a pledge and a reversal."""
    svc = funded
    clerk = svc.actor("clerk")
    for i in range(3):
        svc.sell(clerk, f"s-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=2 + i,
                 price_fen_per_t=4_500, contract_no=f"HZ-{i}")
    wrong = svc.sell(clerk, "s-x", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=3,
                     price_fen_per_t=4_000, contract_no="HZ-X")
    svc.correct(svc.actor("admin"), "c-1", entry_seq=wrong["seq"], reason="entered twice")
    svc.retire(svc.actor("ent"), "r-1", account_id="ENT-1-H", quantity=2, beneficiary="示例企业甲", purpose="2026")
    svc.pledge(svc.actor("bank"), "p-1", account_id="COL-1-H", quantity=2, loan_reference="L-1",
               loan_amount_fen=100_000, term_end="2027-12-31")
    svc.reverse(svc.actor("admin"), "rv-1", quantity=1, reason="snow", loss_event_ref="LE-1")
    return svc


@pytest.fixture
def beside(monkeypatch):  # type: ignore[no-untyped-def]
    """Audits beside the replay whatever the journal's size (the threshold is for speed only)."""
    monkeypatch.setattr(ledger.audit, "BESIDE_MIN_ENTRIES", 0)


def run(svc, jobs: int, *, full: bool = True):  # type: ignore[no-untyped-def]
    audits = table_audits()
    with svc.db.read() as s:
        report = verify_ledger(s, full=full, observers=[audits], jobs=jobs)
    return report, audits


def findings(report) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(p.get("seq"), p.get("table"), p.get("key"), p.get("code"), p["problem"]) for p in report.problems]


def test_an_intact_ledger_passes_beside_with_what_one_process_records(chain, beside):  # type: ignore[no-untyped-def]
    one, _ = run(chain, 1)
    two, audits = run(chain, 2)
    assert audits.ran_beside, "the audits did not run in a second process"
    assert one.ok and two.ok, (one.problems, two.problems)
    assert one.to_dict() == two.to_dict()
    assert one.state == two.state  # the same frontier, digests and row counts recorded
    assert two.state["rows"]["sale"] == scalar(chain, "SELECT count(*) FROM sale") == 3
    assert two.state["rows"]["retirement"] == 1


@pytest.mark.parametrize("sqls", [
    ["UPDATE sale SET amount_fen = amount_fen * 10 WHERE seq = (SELECT min(seq) FROM sale)"],
    ["UPDATE retirement SET beneficiary = '别人'", "INSERT INTO party (id, kind, name) VALUES ('GHOST', 'enterprise', '幽灵')"],
    ["UPDATE pledge SET loan_amount_fen = 1", "DELETE FROM reversal"],
])
def test_tampering_is_found_beside_exactly_as_in_one_process(chain, beside, sqls):  # type: ignore[no-untyped-def]
    for sql in sqls:
        tamper(chain, sql)
    one, _ = run(chain, 1)
    two, audits = run(chain, 2)
    assert audits.ran_beside
    assert not two.ok and two.first_bad_seq == one.first_bad_seq
    assert findings(two) == findings(one)
    assert {p["table"] for p in two.problems if p.get("table")} >= {"sale"} if "sale" in sqls[0] else True


def test_the_second_process_is_stopped_when_the_walk_stops_at_a_broken_entry(chain, beside, monkeypatch):  # type: ignore[no-untyped-def]
    started = []
    real = ledger.audit._Beside.__init__

    def remember(self, *args):  # type: ignore[no-untyped-def]
        real(self, *args)
        started.append(self)

    monkeypatch.setattr(ledger.audit._Beside, "__init__", remember)
    if chain.db.engine.dialect.name == "sqlite":
        tamper(chain, "DROP TRIGGER journal_entry_no_update")
    else:
        tamper(chain, "ALTER TABLE journal_entry DISABLE TRIGGER USER")
    tamper(chain, "UPDATE journal_entry SET body = body || ' ' "
                  "WHERE seq = (SELECT min(seq) FROM journal_entry WHERE kind = 'sale')")
    report, audits = run(chain, 2)
    assert not report.ok and report.first_bad_seq is not None
    assert started and started[0].process.poll() is not None  # ended, not left running
    assert not audits.ran_beside and audits._beside is None


def test_when_the_second_process_cannot_say_the_audits_run_here(chain, beside, monkeypatch):  # type: ignore[no-untyped-def]
    """A second process that failed (or read another journal than the walk) is not believed: the
    audits read the journal again in this process and find the same."""
    monkeypatch.setattr(ledger.audit._Beside, "result", lambda self, entries, head: (self.stop(), None)[1])
    tamper(chain, "UPDATE sale SET buyer_account = 'ENT-2-H' WHERE seq = (SELECT max(seq) FROM sale)")
    one, _ = run(chain, 1)
    two, audits = run(chain, 2)
    assert not audits.ran_beside
    assert not two.ok and findings(two) == findings(one)
    assert ("sale", "row_differs_from_journal") in {(p.get("table"), p.get("code")) for p in two.problems}


def test_jobs_other_than_one_or_two_are_refused(chain):  # type: ignore[no-untyped-def]
    for jobs in (0, 3, "2", True):
        with pytest.raises(InvalidInput):
            chain.verify(jobs=jobs)


# -- incremental: the row counts of the append-only tables --------------------------------------

def test_a_row_forged_under_a_new_key_before_the_checkpoint_is_caught_incrementally(chain):  # type: ignore[no-untyped-def]
    """A sale row put in under the seq of an entry that is no sale, before the verified checkpoint:
    the tail never touches that key, yet the sale table's count no longer adds up."""
    assert chain.verify(record=True).ok
    other = scalar(chain, "SELECT min(seq) FROM journal_entry WHERE kind = 'retirement'")
    tamper(chain, "INSERT INTO sale (seq, seller_account, buyer_account, quantity, price_fen_per_t, amount_fen, "
                  f"contract_no, recorded_at) VALUES ({other}, 'COL-1-H', 'ENT-2-H', 1, 1, 1, 'forged', 'x')")
    chain.sell(chain.actor("clerk"), "tail-1", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=1,
               price_fen_per_t=5_000, contract_no="HZ-TAIL")
    report = chain.verify(full=False)
    assert report.mode == "incremental" and not report.ok
    found = [p for p in report.problems if p.get("code") == "row_count_differs"]
    assert [(p["table"], p["key"]) for p in found] == [("sale", "*")]
    assert "5 stored, 4 from the verified checkpoint" in found[0]["problem"]


def test_a_row_taken_away_before_the_checkpoint_is_caught_incrementally(chain):  # type: ignore[no-untyped-def]
    assert chain.verify(record=True).ok
    tamper(chain, "DELETE FROM retirement")
    report = chain.verify(full=False)  # an empty tail
    assert not report.ok
    assert [(p["table"], p["code"]) for p in report.problems] == [("retirement", "row_count_differs")]


def test_a_tail_that_adds_and_deletes_rows_keeps_the_counts(chain):  # type: ignore[no-untyped-def]
    """Sales, a correction of a sale from before the checkpoint, a retirement: incremental runs pass
    and each records the counts the next one starts from."""
    assert chain.verify(record=True).ok
    clerk = chain.actor("clerk")
    before = scalar(chain, "SELECT max(seq) FROM sale")
    chain.correct(chain.actor("admin"), "c-tail", entry_seq=before, reason="wrong buyer")
    late = chain.sell(clerk, "tail-1", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=1,
                      price_fen_per_t=5_000, contract_no="HZ-T1")
    chain.correct(chain.actor("admin"), "c-tail-2", entry_seq=late["seq"], reason="entered twice")
    chain.sell(clerk, "tail-2", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=1,
               price_fen_per_t=5_000, contract_no="HZ-T2")
    chain.retire(chain.actor("ent"), "r-tail", account_id="ENT-1-H", quantity=1, beneficiary="乙", purpose="2027")
    report = chain.verify(full=False, record=True)
    assert report.mode == "incremental" and report.ok, report.problems
    assert report.state["rows"] == {**report.state["rows"], "sale": 3, "retirement": 2, "correction": 3}
    chain.sell(clerk, "tail-3", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=1,
               price_fen_per_t=5_000, contract_no="HZ-T3")
    assert chain.verify(full=False, record=True).ok
    tamper(chain, "DELETE FROM correction WHERE corrected_seq = (SELECT min(corrected_seq) FROM correction)")
    report = chain.verify(full=False)
    assert ("correction", "row_count_differs") in {(p.get("table"), p.get("code")) for p in report.problems}
    assert not chain.verify(full=True).ok  # and the full run names the row


@pytest.fixture
def sales_only(funded):  # type: ignore[no-untyped-def]
    """Given sales and a retirement, nothing corrected: the sale and trade tables stay compared by sums."""
    svc = funded
    clerk = svc.actor("clerk")
    for i in range(6):
        svc.sell(clerk, f"s-{i}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1 + i,
                 price_fen_per_t=4_500, contract_no=f"HZ-{i}")
    svc.retire(svc.actor("ent"), "r-1", account_id="ENT-1-H", quantity=2, beneficiary="示例企业甲", purpose="2026")
    return svc


@pytest.mark.parametrize("who", ["here-forked", "here-spawned", "there"])
def test_the_stored_side_of_summed_tables_is_read_by_whichever_process_is_free(
        sales_only, beside, monkeypatch, who):  # type: ignore[no-untyped-def]
    """The tables compared by sums are taken one at a time by whichever process is free first:
    taken here, this process sums their stored rows (with the second process's run key, forked or
    spawned) and holds them to the journal's sums sent back, naming any difference itself; taken
    there, the second process compares them. The findings are one process's either way."""
    settled: list[str] = []
    real = ledger.audit.TableAudit.settle

    def spy(self, *args):  # type: ignore[no-untyped-def]
        settled.append(self.table)
        return real(self, *args)

    monkeypatch.setattr(ledger.audit.TableAudit, "settle", spy)
    reread: list[str] = []
    real_reread = ledger.audit.TableAudit._read_journal_by_key

    def spy_reread(self, session):  # type: ignore[no-untyped-def]
        reread.append(self.table)
        return real_reread(self, session)

    monkeypatch.setattr(ledger.audit.TableAudit, "_read_journal_by_key", spy_reread)
    here = os.getpid()
    real_claims = ledger.audit._claims

    def claims(fd, tables):  # type: ignore[no-untyped-def]
        if (os.getpid() == here) == (who == "there"):  # this process leaves every table to the other
            return iter(())
        return real_claims(fd, tables)

    # (a spawned process does not see this; it starts a second of imports after this one is free)
    monkeypatch.setattr(ledger.audit, "_claims", claims)
    if who == "here-spawned":
        monkeypatch.setattr(ledger.audit, "_can_fork", lambda: False)
    summed = {"sale", "price_trade", "retirement", "party", "account"}
    two, audits = run(sales_only, 2)
    assert audits.ran_beside and two.ok, two.problems
    assert summed <= set(settled) if who != "there" else not settled
    assert two.state["rows"]["sale"] == 6 and two.state["rows"]["price_trade"] == 6
    assert reread == []  # the sums agreed: the same run key in both processes, nothing read again
    one, _ = run(sales_only, 1)
    assert one.state == two.state

    unguard(sales_only, "sale", "price_trade")
    tamper(sales_only, "UPDATE sale SET amount_fen = amount_fen + 1 WHERE seq = (SELECT max(seq) FROM sale)")
    tamper(sales_only, "DELETE FROM price_trade WHERE sale_seq = (SELECT min(sale_seq) FROM price_trade)")
    # a table compared in the second process between the two (audits' order): the problems come
    # in one process's order whoever compares which table
    tamper(sales_only, "UPDATE parcel SET holder_party_id = 'ENT-2' WHERE parcel_code = "
                       "(SELECT min(parcel_code) FROM parcel)")
    settled.clear()
    one, _ = run(sales_only, 1)
    reread.clear()
    two, audits = run(sales_only, 2)
    assert audits.ran_beside and not two.ok and findings(two) == findings(one)
    if who != "there":
        assert {"sale", "price_trade"} <= set(settled) and {"sale", "price_trade"} <= set(reread)
    codes = {(p.get("table"), p.get("code")) for p in two.problems}
    assert {("sale", "row_differs_from_journal"), ("price_trade", "row_missing"),
            ("parcel", "row_differs_from_journal")} <= codes


def test_issued_periods_after_a_corrected_issuance_are_counted_row_by_row(funded, beside):  # type: ignore[no-untyped-def]
    """A corrected issuance takes its periods away: the issued periods are then counted row by row
    (the journal read again) instead of by sums, in either process, with the same findings."""
    svc = funded
    first = svc.issued[0]
    svc.correct(svc.actor("admin"), "c-iss", entry_seq=first["seq"], reason="核证量有误")
    one, _ = run(svc, 1)
    two, audits = run(svc, 2)
    assert audits.ran_beside and one.ok and two.ok, (one.problems, two.problems)
    with svc.db.engine.connect() as conn:
        parcel = conn.execute(text("SELECT parcel_code, period_start, period_end FROM issued_period")).first()
    tamper(svc, "INSERT INTO issued_period (parcel_code, period_start, period_end, issuance_seq) "
                f"VALUES ('{parcel[0]}', '{parcel[1]}', '{parcel[2]}', {first['seq']})")
    one, _ = run(svc, 1)
    two, audits = run(svc, 2)
    assert audits.ran_beside and not two.ok and findings(two) == findings(one)
    assert ("issued_period", "row_not_in_journal") in {(p.get("table"), p.get("code")) for p in two.problems}
