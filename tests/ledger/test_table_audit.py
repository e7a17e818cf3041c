"""Every table a person reads as fact is checked against the journal by ``verify``: a row changed,
added or deleted behind the journal's back is caught and named by table, key and entry
(issue 16, "every table under the chain"), on both backends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ledger.table_audits import default_audits
from tests.table_audit_helpers import tamper, unguard


@pytest.fixture
def chain(funded):  # type: ignore[no-untyped-def]
    """Given a ledger with a sale, a corrected sale, a retirement, a pledge released and one
    still active, a reversal, and the parcels and parties behind them."""
    svc = funded
    clerk, bank = svc.actor("clerk"), svc.actor("bank")
    svc.sell(clerk, "s-1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=20, price_fen_per_t=4_500,
             contract_no="HZ-2026-001")
    wrong = svc.sell(clerk, "s-2", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=3,
                     price_fen_per_t=4_000, contract_no="HZ-2026-002")
    svc.correct(svc.actor("admin"), "c-1", entry_seq=wrong["seq"], reason="entered twice")
    svc.retire(svc.actor("ent"), "r-1", account_id="ENT-1-H", quantity=5, beneficiary="示例企业甲",
               purpose="2026 碳中和")
    p1 = svc.pledge(bank, "p-1", account_id="COL-1-H", quantity=4, loan_reference="L-1", loan_amount_fen=100_000,
                    term_end="2027-12-31")
    svc.release(bank, "rel-1", pledge_id=p1["pledge_id"])
    svc.pledge(bank, "p-2", account_id="COL-1-H", quantity=2, loan_reference="L-2", loan_amount_fen=50_000,
               term_end="2027-12-31")
    svc.reverse(svc.actor("admin"), "rv-1", quantity=1, reason="snow", loss_event_ref="LE-1")
    report = svc.verify()
    assert report.ok, report.problems
    return svc


def problem(svc) -> dict:  # type: ignore[no-untyped-def]
    report = svc.verify()
    assert not report.ok, "the tampering was not caught"
    located = [p for p in report.problems if p.get("table")]
    assert located, report.problems
    return located[0]


@pytest.mark.parametrize(("sql", "table", "code"), [
    ("UPDATE sale SET amount_fen = amount_fen * 10 WHERE seq = (SELECT min(seq) FROM sale)", "sale",
     "row_differs_from_journal"),
    ("UPDATE sale SET buyer_account = 'ENT-2-H' WHERE seq = (SELECT min(seq) FROM sale)", "sale",
     "row_differs_from_journal"),
    ("DELETE FROM sale", "sale", "row_missing"),
    ("UPDATE retirement SET beneficiary = '别人', quantity = quantity + 100", "retirement", "row_differs_from_journal"),
    ("UPDATE parcel SET holder_party_id = 'ENT-2' WHERE parcel_code = 'AJ-BF-0001'", "parcel",
     "row_differs_from_journal"),
    ("UPDATE parcel SET area_m2 = area_m2 * 3 WHERE parcel_code = 'AJ-BF-0002'", "parcel", "row_differs_from_journal"),
    ("UPDATE parcel SET min_lon = min_lon - 1 WHERE parcel_code = 'AJ-BF-0002'", "parcel", "row_differs_from_journal"),
    ("UPDATE parcel SET lon_span = lon_span / 2 WHERE parcel_code = 'AJ-BF-0002'", "parcel", "row_differs_from_journal"),
    ("UPDATE pledge SET status = 'active', ended_seq = NULL WHERE status = 'released'", "pledge",
     "row_differs_from_journal"),
    ("UPDATE pledge SET loan_amount_fen = 1 WHERE status = 'active'", "pledge", "row_differs_from_journal"),
    ("DELETE FROM pledge WHERE status = 'active'", "pledge", "row_missing"),
    ("UPDATE reversal SET reason = 'none'", "reversal", "row_differs_from_journal"),
    ("DELETE FROM correction", "correction", "row_missing"),
    ("UPDATE party SET name = '冒名' WHERE id = 'ENT-1'", "party", "row_differs_from_journal"),
    ("UPDATE account SET party_id = 'ENT-2' WHERE id = 'ENT-1-H'", "account", "row_differs_from_journal"),
    ("INSERT INTO party (id, kind, name) VALUES ('GHOST-1', 'enterprise', '幽灵')", "party", "row_not_in_journal"),
    ("UPDATE batch SET vintage_year = 1999 WHERE id = (SELECT min(id) FROM batch)", "batch", "row_differs_from_journal"),
    ("UPDATE batch SET buffer_quantity = buffer_quantity + 7 WHERE id = (SELECT min(id) FROM batch)", "batch", "row_differs_from_journal"),
    ("DELETE FROM issued_period WHERE id = (SELECT min(id) FROM issued_period)", "issued_period", "row_missing"),
    ("INSERT INTO issued_period (parcel_code, period_start, period_end, issuance_seq) "
     "VALUES ('AJ-BF-0009', '2020-01-01', '2020-12-31', 3)", "issued_period", "row_not_in_journal"),
])
def test_a_changed_row_is_caught_and_located(chain, sql, table, code):  # type: ignore[no-untyped-def]
    tamper(chain, sql)
    found = problem(chain)
    assert (found["table"], found["code"]) == (table, code)
    assert found["key"]
    if code != "row_not_in_journal":
        assert found["seq"] and found["seq"] >= 1  # the entry that wrote the row


def test_a_sale_row_for_a_corrected_sale_is_caught(chain):  # type: ignore[no-untyped-def]
    """Given a sale corrected (its row deleted), a row put back for it is named."""
    with chain.db.engine.connect() as conn:
        corrected = conn.execute(text("SELECT corrected_seq FROM correction")).scalar()
    tamper(chain, "INSERT INTO sale (seq, seller_account, buyer_account, quantity, price_fen_per_t, amount_fen, "
                  f"contract_no, recorded_at) VALUES ({corrected}, 'COL-1-H', 'ENT-2-H', 3, 4000, 12000, 'X', 'x')")
    found = problem(chain)
    assert (found["table"], found["key"], found["code"]) == ("sale", str(corrected),
                                                             "row_deleted_in_journal_still_stored")


def test_a_version_record_changed_is_caught(chain):  # type: ignore[no-untyped-def]
    """The parcel_version table is append-only by trigger; an attacker who drops the trigger and
    rewrites a record is still caught (the record no longer hashes to the journal's hash)."""
    unguard(chain, "parcel_version")
    tamper(chain, "UPDATE parcel_version SET record = replace(record, 'COL-1', 'ENT-2') WHERE parcel_code = 'AJ-BF-0001'")
    found = problem(chain)
    assert (found["table"], found["code"]) == ("parcel_version", "row_differs_from_journal")
    assert found["key"] == "AJ-BF-0001/1"


def test_a_batch_difference_names_the_column(chain):  # type: ignore[no-untyped-def]
    tamper(chain, "UPDATE batch SET methodology_version = '0.0' WHERE id = (SELECT max(id) FROM batch)")
    found = problem(chain)
    assert found["table"] == "batch" and found["columns"] == ["methodology_version"]


@pytest.mark.parametrize("sql", [
    "UPDATE estimate SET net_kg_co2e = net_kg_co2e * 2",
    "UPDATE estimate SET document = replace(document, '\"net_kg_co2e\": ', '\"net_kg_co2e\": 1')",
    "UPDATE estimate SET document = replace(document, '\"inputs\": {', '\"inputs\": {\"forged\": 1, ')",
    "UPDATE estimate SET sink_type = 'wetland'",
])
def test_an_edited_estimate_is_caught(chain, sql):  # type: ignore[no-untyped-def]
    """An estimate's columns come from its entry; its calculation document must agree with them and
    its inputs and parameters must hash to the recorded reproducibility hash."""
    unguard(chain, "estimate")
    tamper(chain, sql)
    found = problem(chain)
    assert (found["table"], found["code"]) == ("estimate", "row_differs_from_journal")


class _Counter:
    def __init__(self) -> None:
        self.entries, self.begun, self.finished = 0, None, False

    def begin(self, session, after_seq):  # type: ignore[no-untyped-def]
        self.begun = after_seq

    def entry(self, seq, kind, recorded_at, payload):  # type: ignore[no-untyped-def]
        self.entries += 1

    def finish(self, session, report):  # type: ignore[no-untyped-def]
        self.finished = True


def test_observers_hear_every_entry(chain):  # type: ignore[no-untyped-def]
    from ledger.verify import verify_ledger

    counter = _Counter()
    with chain.db.read() as s:
        report = verify_ledger(s, observers=[counter])
    assert report.ok and counter.finished and counter.begun == 0
    assert counter.entries == report.entries


def test_every_audit_names_a_real_table(chain):  # type: ignore[no-untyped-def]
    with chain.db.read() as s:
        for audit in default_audits():
            assert s.execute(text(f"SELECT count(*) FROM {audit.table}")).scalar() >= 0


AUDITED_EDITS = [
    ("sale", "seq", ["seller_account", "buyer_account", "quantity", "price_fen_per_t", "amount_fen", "contract_no"]),
    ("retirement", "id", ["account_id", "quantity", "beneficiary", "purpose", "retirement_kind"]),
    ("pledge", "id", ["account_id", "bank_party_id", "quantity", "loan_reference", "loan_amount_fen", "term_end",
                      "status"]),
    ("party", "id", ["kind", "name", "county_code"]),
    ("parcel", "parcel_code", ["sink_type", "tenure_cert_no", "county_code", "status", "area_m2", "version"]),
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, len(AUDITED_EDITS) - 1), column=st.integers(0, 10), row=st.integers(0, 50))
def test_a_random_edit_to_any_audited_column_is_caught(chain, which, column, row):  # type: ignore[no-untyped-def]
    """Property: changing any audited column of any row of these tables is caught and located;
    the change is undone afterwards so each example starts from an intact ledger."""
    table, key, columns = AUDITED_EDITS[which]
    col = columns[column % len(columns)]
    with chain.db.engine.begin() as conn:
        keys = [r[0] for r in conn.execute(text(f"SELECT {key} FROM {table} ORDER BY {key}"))]
        target = keys[row % len(keys)]
        old = conn.execute(text(f"SELECT {col} FROM {table} WHERE {key} = :k"), {"k": target}).scalar()
        if isinstance(old, (int, float)):
            new = old * 2 + 1
        else:  # the same length, so that every column's width still holds it
            new = "x" if not old else old[:-1] + ("y" if old[-1] == "x" else "x")
        conn.execute(text(f"UPDATE {table} SET {col} = :v WHERE {key} = :k"), {"v": new, "k": target})
    try:
        found = problem(chain)
        assert found["table"] == table and found["key"] == str(target)
    finally:
        with chain.db.engine.begin() as conn:
            conn.execute(text(f"UPDATE {table} SET {col} = :v WHERE {key} = :k"), {"v": old, "k": target})
    assert chain.verify().ok


def _audit_tail(svc, after_seq: int):  # type: ignore[no-untyped-def]
    """Run every table audit as an incremental verify does: only the entries after ``after_seq``."""
    import json

    from ledger import journal
    from ledger.verify import VerifyReport

    report, audits = VerifyReport(), default_audits()
    with svc.db.read() as s:
        for audit in audits:
            audit.begin(s, after_seq)
        for row in journal.iter_raw(s):
            if row[0] > after_seq:
                for audit in audits:
                    audit.entry(row[0], row[1], row[4], json.loads(row[5])["payload"])
        for audit in audits:
            audit.finish(s, report)
    return report


def test_an_incremental_audit_reads_only_the_tail(chain):  # type: ignore[no-untyped-def]
    """From a verified point, the tail's rows are compared (a change to one is caught) and rows
    written before it are left to a full run."""
    with chain.db.engine.connect() as conn:
        head = conn.execute(text("SELECT max(seq) FROM journal_entry")).scalar()
    clerk = chain.actor("clerk")
    sale = chain.sell(clerk, "tail-1", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=2,
                      price_fen_per_t=5_000, contract_no="HZ-TAIL")
    assert _audit_tail(chain, head).ok
    tamper(chain, "UPDATE sale SET amount_fen = 1 WHERE seq = (SELECT min(seq) FROM sale)")
    assert _audit_tail(chain, head).ok  # before the tail: the full run's business
    assert not chain.verify().ok
    tamper(chain, f"UPDATE sale SET amount_fen = 2 WHERE seq = {sale['seq']}")
    report = _audit_tail(chain, head)
    assert not report.ok
    assert report.problems[0]["table"] == "sale" and report.problems[0]["key"] == str(sale["seq"])


def test_an_incremental_audit_checks_a_pledge_ended_in_the_tail(chain):  # type: ignore[no-untyped-def]
    with chain.db.engine.connect() as conn:
        head = conn.execute(text("SELECT max(seq) FROM journal_entry")).scalar()
        active = conn.execute(text("SELECT id FROM pledge WHERE status = 'active'")).scalar()
    chain.release(chain.actor("bank"), "tail-rel", pledge_id=active)
    assert _audit_tail(chain, head).ok
    tamper(chain, f"UPDATE pledge SET status = 'active', ended_seq = NULL WHERE id = '{active}'")
    report = _audit_tail(chain, head)
    assert not report.ok and report.problems[0]["table"] == "pledge"


def test_deleting_the_newest_entry_is_caught_by_what_it_wrote(chain):  # type: ignore[no-untyped-def]
    """An entry that moves no credits (a party registered) deleted from the head of the journal:
    the chain before it is intact, but the party it wrote no longer comes from any entry."""
    from sinkledger.services.registry import SYSTEM_ACTOR

    chain.register_party(SYSTEM_ACTOR, "p:late", party_id="ENT-9", kind="enterprise", name="后来的企业",
                         county_code="330523")
    if chain.db.engine.dialect.name == "sqlite":
        tamper(chain, "DROP TRIGGER journal_entry_no_delete")
    else:
        tamper(chain, "ALTER TABLE journal_entry DISABLE TRIGGER USER")
    tamper(chain, "DELETE FROM journal_entry WHERE seq = (SELECT max(seq) FROM journal_entry)")
    report = chain.verify()
    assert not report.ok
    assert {(p.get("table"), p.get("key")) for p in report.problems} >= {("party", "ENT-9"), ("account", "ENT-9-H")}


def test_every_audit_says_which_entries_it_reads():  # type: ignore[no-untyped-def]
    """The composite observer feeds an audit only the kinds it names: an audit naming none would
    silently check nothing."""
    from ledger.domain import EntryKind

    kinds = {k.value for k in EntryKind}
    for audit in default_audits():
        assert audit.kinds and set(audit.kinds) <= kinds, audit.table


def test_an_entry_without_what_its_table_needs_is_named_not_a_traceback(chain):  # type: ignore[no-untyped-def]
    """A sale entry whose payload lacks the buyer (an old or hand-made journal): verify names the
    entry and the table it cannot derive, and goes on."""
    from ledger.audit import Audits
    from ledger.verify import VerifyReport

    audits, report = Audits(default_audits()), VerifyReport()
    with chain.db.read() as s:
        audits.begin(s, 0)
        audits.entry(99, "sale", "2026-01-01T00:00:00", {"quantity": 1, "moves": []})
        assert audits.unreadable == [(99, "sale", "sale")]
        audits.finish(s, report)
    assert not report.ok
    assert ("sale", "99", "sale_entry_lacks_what_the_table_needs") in {
        (p.get("table"), p.get("key"), p.get("code")) for p in report.problems}


@pytest.mark.parametrize("sql", [
    "UPDATE parcel SET area_m2 = 'x' WHERE parcel_code = 'AJ-BF-0001'",
    "UPDATE parcel SET geometry_wkb = 'abc' WHERE parcel_code = 'AJ-BF-0001'",
    "UPDATE sale SET amount_fen = 'lots' WHERE seq = (SELECT min(seq) FROM sale)",
])
def test_a_value_of_the_wrong_type_is_a_difference_not_a_traceback(chain, sql):  # type: ignore[no-untyped-def]
    """SQLite lets an attacker store text where a number or bytes belong: named as a difference
    (PostgreSQL refuses such a value in the UPDATE itself)."""
    if chain.db.engine.dialect.name != "sqlite":
        from sqlalchemy.exc import DBAPIError

        with pytest.raises(DBAPIError):
            tamper(chain, sql)
        return
    tamper(chain, sql)
    assert problem(chain)["code"] == "row_differs_from_journal"


def test_a_block_and_a_balance_moved_together_are_located(chain):  # type: ignore[no-untyped-def]
    """Credits moved consistently in ``credit_block`` and ``balance`` behind the journal's back:
    both differences name the block (batch/first) and the balance rows (account/batch/state)."""
    with chain.db.engine.connect() as conn:
        batch_id, first, qty = conn.execute(text(
            "SELECT batch_id, first, last - first + 1 FROM credit_block WHERE account_id = 'ENT-1-H' "
            "AND state = 'held' ORDER BY batch_id, first LIMIT 1")).first()
    tamper(chain, f"UPDATE credit_block SET account_id = 'ENT-2-H' WHERE batch_id = '{batch_id}' AND first = {first}")
    tamper(chain, f"UPDATE balance SET quantity = quantity - {qty} WHERE account_id = 'ENT-1-H' "
                  f"AND batch_id = '{batch_id}' AND state = 'held'")
    report = chain.verify()
    located = {p.get("table"): p for p in report.problems}
    assert located["credit_block"]["key"] == f"{batch_id}/{first}"
    assert f"ENT-1-H/{batch_id}/held" in located["balance"]["keys"]
