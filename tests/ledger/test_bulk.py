"""Bulk appends (ledger.bulk.append_many): entries chained exactly as the command path chains
them, written a chunk at a time, after and before command entries; a stale head or a float is
refused and nothing of the transaction stays; the rows it computes are, for any content, the
command path's bodies, hashes and Merkle nodes byte for byte, or its refusal."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import merkle_nodes
from ledger.bulk import StaleHead, append_many, chained_rows, read_head
from ledger.domain import GENESIS_HASH, entry_hash, request_fingerprint
from ledger.journal import entry_body, iter_rows
from sinkledger.services.registry import SYSTEM_ACTOR
from tests.base.test_canonical_properties import Code, Tag, contents, plain, with_float


def entries(n: int, start: int = 0) -> list[tuple]:  # type: ignore[type-arg]
    out = []
    for i in range(start, start + n):
        content = {"row": i, "name": f"地块 {i} \"甲\" 😀", "tags": ["a", None, True], "nested": {"2": [i, -i]}}
        out.append(("registry_import", f"bulk-{i}", request_fingerprint("registry_import", "importer", content),
                    "importer", f"2026-01-01T00:00:{i:02d}", content))
    return out


def journal(svc) -> list:  # type: ignore[no-untyped-def,type-arg]
    with svc.db.read() as session:
        return list(iter_rows(session))


def register(svc, party_id: str) -> None:  # type: ignore[no-untyped-def]
    svc.register_party(SYSTEM_ACTOR, f"p:{party_id}", party_id=party_id, kind="enterprise", name=party_id)


def test_bulk_entries_are_the_command_paths_entries_and_the_chain_goes_on(service):  # type: ignore[no-untyped-def]
    register(service, "ENT-A")
    before = journal(service)
    with service.db.write() as s:
        head = read_head(s.connection())
        assert head == (before[-1].seq, before[-1].entry_hash)
        new_head = append_many(s, entries(25), head, chunk=10)  # three executemany calls
    register(service, "ENT-B")  # the command path continues after the bulk entries

    rows = journal(service)
    assert len(rows) == len(before) + 25 + 1
    bulk = rows[len(before):len(before) + 25]
    assert new_head == (bulk[-1].seq, bulk[-1].entry_hash)
    prev = before[-1].entry_hash
    for row, (kind, rid, fp, actor, at, payload) in zip(bulk, entries(25)):
        assert (row.kind, row.request_id, row.request_fingerprint, row.actor, row.recorded_at) == (kind, rid, fp, actor, at)
        assert row.body == entry_body(seq=row.seq, kind=kind, request_id=rid, actor=actor, recorded_at=at, payload=payload)
        assert row.prev_hash == prev and row.entry_hash == entry_hash(prev, row.body)
        prev = row.entry_hash
    assert rows[-1].prev_hash == new_head[1]
    report = service.verify()
    assert report.ok and report.entries == len(rows)


def test_without_a_head_it_reads_the_journals_and_an_empty_input_changes_nothing(service):  # type: ignore[no-untyped-def]
    with service.db.write() as s:
        start = read_head(s.connection())
        assert append_many(s, []) == start
        head = append_many(s, entries(3))
        assert append_many(s, entries(2, start=3)) == read_head(s.connection()) != head
    assert service.verify().ok
    if start == (0, GENESIS_HASH):
        assert journal(service)[0].prev_hash == GENESIS_HASH


def test_a_stale_head_is_refused_before_anything_is_written(service):  # type: ignore[no-untyped-def]
    register(service, "ENT-A")
    with service.db.write() as s:
        stale = read_head(s.connection())
    register(service, "ENT-B")
    count = len(journal(service))
    with pytest.raises(StaleHead), service.db.write() as s:
        append_many(s, entries(3), stale)
    assert len(journal(service)) == count


def test_a_float_in_a_payload_fails_the_transaction(service):  # type: ignore[no-untyped-def]
    count = len(journal(service))
    bad = entries(5)
    bad[3] = (*bad[3][:5], {"quantity": 1.5})
    with pytest.raises(TypeError, match="floats"), service.db.write() as s:
        append_many(s, bad, chunk=2)  # the first two entries were already sent
    assert len(journal(service)) == count
    assert service.verify().ok


def test_a_duplicate_request_id_fails_the_transaction(service):  # type: ignore[no-untyped-def]
    """The COPY on PostgreSQL refuses what the INSERT refuses on SQLite: a request id already in
    the journal (from an earlier bulk append here), and nothing of the second append stays."""
    with service.db.write() as s:
        append_many(s, entries(3))
    count = len(journal(service))
    with pytest.raises(Exception) as raised, service.db.write() as s:
        append_many(s, entries(4, start=2), chunk=2)  # bulk-2 is taken
    assert "unique" in str(raised.value).lower() or "duplicate" in str(raised.value).lower()
    assert len(journal(service)) == count
    assert service.verify().ok


# --- the rows themselves: byte for byte the command path's, for any content (issue 15) -------

def reference_rows(batch: list, seq: int, prev: str) -> tuple[list, list]:  # type: ignore[type-arg]
    """What the command path writes for ``batch`` after ``(seq, prev)``: entry_body,
    entry_hash and the Merkle nodes NodeMaker.add completes (the definition chained_rows
    must match)."""
    maker, rows = merkle_nodes.NodeMaker(), []
    for kind, rid, fp, actor, at, payload in batch:
        seq += 1
        body = entry_body(seq=seq, kind=kind, request_id=rid, actor=actor, recorded_at=at, payload=payload)
        digest = entry_hash(prev, body)
        rows.append((seq, kind, rid, fp, actor, at, body, prev, digest))
        maker.add(hashlib.sha256(b"\x00" + bytes.fromhex(digest)).digest())
        prev = digest
    return rows, maker.take()


def outcome_of(call):  # type: ignore[no-untyped-def]
    try:
        return "ok", call()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return "raised", type(error)


envelope_text = st.one_of(st.text(max_size=8), st.sampled_from(["sale", "地块", "\ud800", Code.a, Tag("t")]))
bulk_entries = st.lists(st.tuples(envelope_text, st.text(max_size=8), st.just("f" * 64), envelope_text,
                                  st.just("2026-01-01T00:00:00+00:00"),
                                  st.one_of(contents, plain, with_float)), min_size=1, max_size=40)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(bulk_entries, st.integers(min_value=0, max_value=70))
def test_chained_rows_are_the_command_paths_rows_or_its_refusal(batch, start):  # type: ignore[no-untyped-def]
    """Any payload (plain, exotic, or hiding a float) and envelope text (exotic types, lone
    surrogates): the same bodies, hashes and Merkle nodes as entry_body / entry_hash /
    NodeMaker, or the same exception; and the state and frontier it leaves chain on."""
    prev = hashlib.sha256(str(start).encode()).hexdigest()
    expected = outcome_of(lambda: reference_rows(batch, start, prev))
    maker, state = merkle_nodes.NodeMaker(), [start, prev]
    got = outcome_of(lambda: (list(chained_rows(batch, maker, state)), maker.take()))
    assert got == expected
    if got[0] == "ok":
        assert state == [start + len(batch), got[1][0][-1][-1]] and maker.size == len(batch)
