"""The overview's integrity section after a failing verify (issue 16 review): the verified
checkpoint is written only by a passing run, so on its own it kept vouching for the ledger after
a later run failed. The latest recording run's outcome is kept (``verify_outcome``) and the
overview's report shows the failure first. Both backends."""

from __future__ import annotations

from sqlalchemy import text

from sinkledger.services import queries as ui_queries
from tests.ledger.conftest import funded, registry  # noqa: F401 - fixtures reused here
from tests.table_audit_helpers import drop_journal_guard


def test_a_failed_verify_is_shown_instead_of_the_last_pass(funded):  # type: ignore[no-untyped-def]  # noqa: F811
    svc = funded
    passed = svc.verify(record=True)
    report = ui_queries.integrity(svc)
    assert report["ok"] is True and report["failed"] is None and report["last_run"]["ok"] is True
    assert report["verified"]["tree_size"] == passed.entries

    drop_journal_guard(svc)
    with svc.db.engine.begin() as conn:
        original = conn.execute(text("SELECT body FROM journal_entry WHERE seq = 3")).scalar_one()
        conn.execute(text("UPDATE journal_entry SET body = :b WHERE seq = 3"), {"b": original + " "})
    failed = svc.verify(full=True, record=True)
    assert not failed.ok and failed.first_bad_seq == 3
    report = ui_queries.integrity(svc)
    assert report["ok"] is False and report["first_bad_seq"] == 3
    assert report["failed"] == report["last_run"]
    assert report["failed"]["problems"] == len(failed.problems) and report["failed"]["mode"] == "full"
    assert report["failed"]["problem"] == failed.problems[0]["problem"][:500]
    assert report["verified"]["tree_size"] == passed.entries  # the last pass is still there, shown as such
    assert svc.last_verified()["verified_at"] <= report["failed"]["ran_at"]

    svc.verify(full=True)  # not recording: the overview's state is the recorded runs'
    assert ui_queries.integrity(svc)["failed"] is not None

    with svc.db.engine.begin() as conn:  # put the entry back: the next recorded run passes again
        conn.execute(text("UPDATE journal_entry SET body = :b WHERE seq = 3"), {"b": original})
    assert svc.verify(full=True, record=True).ok
    report = ui_queries.integrity(svc)
    assert report["ok"] is True and report["failed"] is None and report["last_run"]["ok"] is True
