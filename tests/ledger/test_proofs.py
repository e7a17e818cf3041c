"""Inclusion proofs for journal entries, checkable offline, and Merkle checkpoints."""

from __future__ import annotations

import copy
import json

from ledger.proofs import check_proof_document


def test_every_entry_has_a_proof_that_checks_offline(funded):  # type: ignore[no-untyped-def]
    svc = funded
    size = svc.verify().entries
    cp = svc.checkpoint()
    assert cp["tree_size"] == size and cp["root"] == svc.verify().merkle_root
    for seq in range(1, size + 1):
        doc = json.loads(json.dumps(svc.proof(seq)))  # as a holder would receive it
        assert check_proof_document(doc) == (True, "ok"), seq
        assert doc["checkpoint"]["root"] == cp["root"]


def test_forged_proofs_fail(funded):  # type: ignore[no-untyped-def]
    svc = funded
    svc.checkpoint()
    doc = svc.proof(5)
    forged_body = copy.deepcopy(doc)
    forged_body["entry"]["body"] = forged_body["entry"]["body"].replace('"kind":', '"kind": ')
    assert check_proof_document(forged_body) == (False, "entry_hash_mismatch")
    moved = copy.deepcopy(doc)
    moved["leaf_index"] = 3
    assert not check_proof_document(moved)[0]
    bad_path = copy.deepcopy(doc)
    bad_path["proof"][0] = "00" * 32
    assert check_proof_document(bad_path) == (False, "inclusion_proof_invalid")
    assert check_proof_document({"nonsense": 1})[0] is False


def test_a_checkpoint_pins_history_even_if_the_chain_is_rehashed(funded):  # type: ignore[no-untyped-def]
    """Given a published checkpoint, when history is rewritten and every hash recomputed behind the
    code's back, then verify still fails at the checkpoint."""
    from ledger.domain import entry_hash

    svc = funded
    svc.checkpoint()
    with svc.db.engine.begin() as conn:
        if svc.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_append_only ON journal_entry")
        rows = conn.exec_driver_sql("SELECT seq, body FROM journal_entry ORDER BY seq").all()
        prev = "0" * 64
        for seq, body in rows:
            if seq == 3:
                body = body.replace("示例核证机构", "别的核证机构")
            digest = entry_hash(prev, body)
            conn.exec_driver_sql("UPDATE journal_entry SET body = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s"
                                 .replace("%s", "?" if svc.db.is_sqlite else "%s"), (body, prev, digest, seq))
            prev = digest
    report = svc.verify()
    assert not report.ok and "checkpoint" in report.problems[0]["problem"]
