"""Roots you can hold the operator to: signed, published checkpoints (ledger.signing), consistency
proofs from a real journal, and checks of the ledger and of proofs against published files
(ledger.published), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import os
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import merkle, merkle_nodes
from ledger.bulk import append_many, read_head
from ledger.domain import entry_hash, request_fingerprint
from ledger.proofs import check_consistency_document, check_proof_document, root_at
from ledger.published import check_consistency_between, check_inclusion_against
from ledger.signing import (
    check_checkpoint_document,
    generate_key_file,
    load_private_key,
    parse_public_key,
    read_checkpoint_file,
    sign_checkpoint,
    signed_bytes,
)
from ledger.sql import Tx
from sinkledger.config import load_settings
from sinkledger.services.registry import Service
from sinkledger_base.errors import Conflict, InvalidInput


@pytest.fixture
def key_file(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "keys" / "checkpoint.key"
    out.parent.mkdir()
    generate_key_file(out)
    return out


def signing(svc: Service, key_file, folder=None) -> Service:  # type: ignore[no-untyped-def]
    """The same database, opened with a checkpoint key (and folder) configured."""
    svc.settings = dataclasses.replace(svc.settings, checkpoint_key_file=key_file, checkpoint_dir=folder)
    return svc


def grow(svc: Service, n: int) -> int:
    """Append ``n`` plain entries (bulk path) and return the journal's size."""
    with svc.db.write() as s:
        head = read_head(s.connection())
        rows = [("registry_import", f"grow-{head[0]}-{i}", request_fingerprint("registry_import", "t", {"i": i}), "t",
                 "2026-01-01T00:00:00", {"i": i}) for i in range(n)]
        return append_many(s, rows, head)[0]


# -- keys and signatures ---------------------------------------------------------------------------

def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path):  # type: ignore[no-untyped-def]
    out = tmp_path / "cp.key"
    made = generate_key_file(out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert made["public_key_file"] == str(out) + ".pub"
    public = parse_public_key(made["public_key_file"])
    assert base64.b64encode(public.public_bytes_raw()).decode() == made["public_key"]
    assert parse_public_key(made["public_key"]).public_bytes_raw() == public.public_bytes_raw()
    before = out.read_bytes()
    with pytest.raises(Conflict) as refused:
        generate_key_file(out)
    assert refused.value.code == "key_file_exists" and out.read_bytes() == before


def test_a_signed_checkpoint_round_trips_and_every_tampering_is_caught(key_file, tmp_path):  # type: ignore[no-untyped-def]
    key = load_private_key(key_file)
    public = parse_public_key(str(key_file) + ".pub")
    doc = json.loads(json.dumps(sign_checkpoint(key, tree_size=12, root="ab" * 32, head_hash="cd" * 32,
                                                created_at="2026-12-04T10:00:00+00:00")))
    assert check_checkpoint_document(doc, public) == (True, "ok")
    assert signed_bytes(12, "ab" * 32, "cd" * 32, "2026-12-04T10:00:00+00:00") == (
        b"sinkledger checkpoint v1\n12\n" + b"ab" * 32 + b"\n" + b"cd" * 32 + b"\n2026-12-04T10:00:00+00:00\n")
    for field, value in (("tree_size", 13), ("root", "ac" * 32), ("head_hash", "ce" * 32),
                         ("created_at", "2026-12-05T10:00:00+00:00")):
        assert check_checkpoint_document({**doc, field: value}, public) == (False, "signature_invalid"), field
    sig = bytearray(base64.b64decode(doc["signature"]))
    sig[5] ^= 1
    assert check_checkpoint_document({**doc, "signature": base64.b64encode(sig).decode()}, public) == (
        False, "signature_invalid")
    for broken in ({**doc, "root": "AB" * 32}, {**doc, "tree_size": -1}, {**doc, "tree_size": True},
                   {**doc, "format": "x"}, {**doc, "created_at": "a\nb"}, {**doc, "signature": "!!"}, [], "x"):
        ok, reason = check_checkpoint_document(broken, public)
        assert not ok and reason.startswith("malformed"), broken


def test_a_checkpoint_signed_by_another_key_is_refused(key_file, tmp_path):  # type: ignore[no-untyped-def]
    """Given the operator's public key, a file signed by anyone else fails, even one that
    carries the other key and a valid signature by it."""
    other = tmp_path / "other.key"
    generate_key_file(other)
    public = parse_public_key(str(key_file) + ".pub")
    forged = sign_checkpoint(load_private_key(other), tree_size=3, root="00" * 32, head_hash="11" * 32, created_at="t")
    assert check_checkpoint_document(forged) == (True, "ok")  # consistent with the key it carries...
    assert check_checkpoint_document(forged, public) == (False, "key_mismatch")  # ...not the operator's
    genuine = sign_checkpoint(load_private_key(key_file), tree_size=3, root="00" * 32, head_hash="11" * 32, created_at="t")
    spliced = {**genuine, "signature": forged["signature"]}
    assert check_checkpoint_document(spliced, public) == (False, "signature_invalid")
    relabelled = {**forged, "key_id": genuine["key_id"]}
    assert check_checkpoint_document(relabelled, public) == (False, "key_mismatch")


@pytest.mark.parametrize("value", ["not base64", base64.b64encode(b"x" * 31).decode(), "-----BEGIN PUBLIC KEY-----\nAA\n"])
def test_a_public_key_that_is_none_is_refused(value):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        parse_public_key(value)
    assert refused.value.code == "public_key_invalid"


def test_bad_key_and_folder_settings_are_refused_at_start_up(key_file, tmp_path):  # type: ignore[no-untyped-def]
    env = {"SINKLEDGER_HOME": str(tmp_path)}
    assert load_settings({**env, "SINKLEDGER_CHECKPOINT_KEY": str(key_file)}).checkpoint_key_file == key_file
    garbage = tmp_path / "garbage.key"
    garbage.write_text("hello")
    os.chmod(garbage, 0o600)
    exposed = tmp_path / "exposed.key"
    exposed.write_bytes(key_file.read_bytes())
    os.chmod(exposed, 0o644)
    for path, why in ((tmp_path / "missing.key", "No such file"), (garbage, "not a PEM"), (exposed, "group or others"),
                      (str(key_file) + ".pub", "group or others")):
        with pytest.raises(InvalidInput) as refused:
            load_settings({**env, "SINKLEDGER_CHECKPOINT_KEY": str(path)})
        assert refused.value.code == "checkpoint_key_invalid" and why in refused.value.params["reason"], path
        assert "PRIVATE" not in str(refused.value.params)
    with pytest.raises(InvalidInput) as refused:
        load_settings({**env, "SINKLEDGER_CHECKPOINT_DIR": str(tmp_path / "nowhere")})
    assert refused.value.code == "checkpoint_dir_invalid"


# -- publishing ------------------------------------------------------------------------------------

def test_without_a_key_a_checkpoint_is_unsigned_and_publishing_is_refused(service, tmp_path):  # type: ignore[no-untyped-def]
    out = service.publish_checkpoint()
    assert out["signed"] is False and out["files"] == [] and out["document"] is None
    grow(service, 3)
    with pytest.raises(InvalidInput) as refused:
        service.publish_checkpoint(tmp_path / "cp.json")
    assert refused.value.code == "checkpoint_key_not_configured"
    assert not (tmp_path / "cp.json").exists()
    with service.db.read() as s:  # nothing recorded by the refusal
        assert s.connection().exec_driver_sql("SELECT count(*) FROM checkpoint").scalar() == 1


def test_a_published_checkpoint_is_the_recorded_one_signed(service, key_file, tmp_path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "published"
    folder.mkdir()
    svc = signing(service, key_file, folder)
    out = svc.publish_checkpoint(tmp_path / "cp.json")
    assert out["signed"] and len(out["files"]) == 2
    for f in out["files"]:
        doc = read_checkpoint_file(tmp_path / f)
        assert check_checkpoint_document(doc, parse_public_key(str(key_file) + ".pub")) == (True, "ok")
        assert {k: doc[k] for k in ("tree_size", "root", "head_hash", "created_at")} == \
               {k: out[k] for k in ("tree_size", "root", "head_hash", "created_at")}
    assert (folder / f"checkpoint-{out['tree_size']:012d}.json").is_file()
    assert out["root"] == svc.verify().merkle_root


# -- consistency and inclusion from a real journal ---------------------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_proofs_from_the_journal_check_with_the_pure_checker(service, data):  # type: ignore[no-untyped-def]
    """Given a journal of a few hundred entries, every consistency proof the service computes for
    any two sizes, and every inclusion proof for any entry and size, checks with the pure
    checkers against roots computed independently from the entry hashes."""
    size = getattr(service, "_grown", None) or grow(service, 150)
    service._grown = size  # type: ignore[attr-defined]  # the database outlives hypothesis' examples
    with service.db.read() as s:
        hashes = [merkle.leaf_hash(bytes.fromhex(h)) for (h,) in
                  s.connection().exec_driver_sql("SELECT entry_hash FROM journal_entry ORDER BY seq").all()]
    assert len(hashes) == size
    old = data.draw(st.integers(min_value=1, max_value=size))
    new = data.draw(st.integers(min_value=old, max_value=size))
    old_root, new_root = (merkle.root_from_leaf_hashes(hashes[:n]).hex() for n in (old, new))
    doc = json.loads(json.dumps(service.consistency_proof(old, new)))
    assert (doc["old_root"], doc["new_root"]) == (old_root, new_root)
    assert check_consistency_document(doc, old_size=old, new_size=new, old_root=old_root, new_root=new_root) == (True, "ok")
    if old < new:
        assert check_consistency_document(doc, old_size=old, new_size=new, old_root=new_root,
                                          new_root=new_root) == (False, "consistency_proof_invalid")
    seq = data.draw(st.integers(min_value=1, max_value=new))
    proof = service.proof(seq, new)
    assert check_proof_document(proof) == (True, "ok") and proof["root"] == new_root


def test_consistency_sizes_are_checked(service):  # type: ignore[no-untyped-def]
    size = service.verify().entries
    for old, new, code in ((0, 1, "value_invalid"), (2, 1, "consistency_sizes_invalid"),
                           (1, size + 1, "consistency_sizes_invalid"), ("1", 2, "value_invalid")):
        with pytest.raises(InvalidInput) as refused:
            service.consistency_proof(old, new)
        assert refused.value.code == code


def test_an_inclusion_proof_holds_against_a_later_published_root(service, key_file, tmp_path):  # type: ignore[no-untyped-def]
    svc = signing(service, key_file)
    public = parse_public_key(str(key_file) + ".pub")
    grow(svc, 6)
    first = svc.publish_checkpoint(tmp_path / "first.json")["document"]
    proof = svc.proof(2, first["tree_size"])
    assert check_inclusion_against(proof, first, public_key=public) == (True, "ok")
    grow(svc, 20)
    second = svc.publish_checkpoint(tmp_path / "second.json")["document"]
    assert check_inclusion_against(proof, second, public_key=public) == (False, "consistency_proof_needed")
    cons = svc.consistency_proof(first["tree_size"], second["tree_size"])
    assert check_inclusion_against(proof, second, consistency_doc=cons, public_key=public) == (True, "ok")
    assert check_consistency_between(first, second, cons, public) == (True, "ok")
    assert check_consistency_between(second, first, cons, public) == (False, "old_is_larger_than_new")
    # a proof issued for a tree that is not the published one's prefix
    forged = copy.deepcopy(proof)
    forged["root"] = "00" * 32
    assert not check_inclusion_against(forged, second, consistency_doc=cons, public_key=public)[0]
    other = tmp_path / "other.key"
    generate_key_file(other)
    assert check_inclusion_against(proof, first, public_key=parse_public_key(str(other) + ".pub")) == (
        False, "published checkpoint: key_mismatch")


# -- verify --against: a full rewrite is caught ---------------------------------------------------

def rewrite_everything(svc: Service) -> None:
    """The operator's worst: alter entry 3 (consistently with every table beside the journal),
    re-hash the whole chain, and recompute every checkpoint row and every stored Merkle node, past
    the append-only triggers. ``verify`` alone then passes."""
    with svc.db.engine.begin() as conn:
        if svc.db.is_sqlite:
            for trigger in ("journal_entry_no_update", "checkpoint_no_update", "merkle_node_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER {trigger}")
        else:
            for table in ("journal_entry", "checkpoint", "merkle_node"):
                conn.exec_driver_sql(f"DROP TRIGGER {table}_append_only ON {table}")
        mark = "?" if svc.db.is_sqlite else "%s"
        rows = conn.exec_driver_sql("SELECT seq, body FROM journal_entry ORDER BY seq").all()
        prev = "0" * 64
        for seq, body in rows:
            if seq == 3:  # a party's registration: slip a field into it that no table mirrors
                assert '],"party":{' in body
                body = body.replace('],"party":{', '],"memo":"rewritten","party":{', 1)
            digest = entry_hash(prev, body)
            conn.exec_driver_sql(f"UPDATE journal_entry SET body = {mark}, prev_hash = {mark}, entry_hash = {mark} "
                                 f"WHERE seq = {mark}", (body, prev, digest, seq))
            prev = digest
        conn.exec_driver_sql("DELETE FROM merkle_node")
        merkle_nodes.fill(Tx(conn))
    with svc.db.write() as s:
        sizes = [n for (n,) in s.connection().exec_driver_sql("SELECT tree_size FROM checkpoint").all()]
        for n in sizes:
            head = s.connection().exec_driver_sql(f"SELECT entry_hash FROM journal_entry WHERE seq = {int(n)}").scalar()
            s.connection().exec_driver_sql(f"UPDATE checkpoint SET root = {mark}, head_hash = {mark} WHERE tree_size = {mark}",
                                           (root_at(s, n).hex(), head, n))


def test_verify_against_a_published_root_catches_a_full_rewrite(funded, key_file, tmp_path):  # type: ignore[no-untyped-def]
    svc = signing(funded, key_file)
    published = svc.publish_checkpoint(tmp_path / "cp.json")
    pub = str(key_file) + ".pub"
    report = svc.verify()
    assert svc.verify_against(tmp_path / "cp.json", pub, report)["ok"] and report.ok
    svc.sell(svc.actor("clerk"), "s-1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
             price_fen_per_t=100, contract_no="C-1")
    assert svc.verify_against(tmp_path / "cp.json", pub)["ok"]  # the ledger grew: it still extends the root

    rewrite_everything(svc)
    report = svc.verify()
    assert report.ok, report.problems  # the rewrite fools verify alone...
    against = svc.verify_against(tmp_path / "cp.json", pub, report)
    assert not against["ok"] and not report.ok  # ...not anyone holding the published file
    size = published["tree_size"]
    assert against["tree_size"] == size and f"tree size {size}" in against["problem"]
    assert report.problems[-1] == {"seq": size, "problem": against["problem"]}


def test_verify_against_a_tampered_file_fails(funded, key_file, tmp_path):  # type: ignore[no-untyped-def]
    svc = signing(funded, key_file)
    svc.publish_checkpoint(tmp_path / "cp.json")
    doc = json.loads((tmp_path / "cp.json").read_text())
    (tmp_path / "bad.json").write_text(json.dumps({**doc, "tree_size": doc["tree_size"] - 1}))
    against = svc.verify_against(tmp_path / "bad.json", str(key_file) + ".pub")
    assert not against["ok"] and "signature_invalid" in against["problem"]
    (tmp_path / "future.json").write_text(json.dumps(sign_checkpoint(
        load_private_key(key_file), tree_size=doc["tree_size"] + 5, root=doc["root"], head_hash=doc["head_hash"],
        created_at=doc["created_at"])))
    against = svc.verify_against(tmp_path / "future.json", str(key_file) + ".pub")
    assert not against["ok"] and "fewer than the published tree size" in against["problem"]
    with pytest.raises(InvalidInput) as refused:
        svc.verify_against(tmp_path / "missing.json")
    assert refused.value.code == "checkpoint_file_unreadable"


def test_a_file_that_cannot_be_written_records_nothing(service, key_file, tmp_path):  # type: ignore[no-untyped-def]
    svc = signing(service, key_file)
    grow(svc, 2)
    for bad in (tmp_path / "no-such-folder" / "cp.json", tmp_path):
        with pytest.raises(InvalidInput) as refused:
            svc.publish_checkpoint(bad)
        assert refused.value.code == "checkpoint_file_unwritable"
    with svc.db.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM checkpoint").scalar() == 0
