"""Bulk appends (ledger.bulk.append_many): entries chained exactly as the command path chains
them, written a chunk at a time, after and before command entries; a stale head or a float is
refused and nothing of the transaction stays."""

from __future__ import annotations

import pytest

from ledger.bulk import StaleHead, append_many, read_head
from ledger.domain import GENESIS_HASH, entry_hash, request_fingerprint
from ledger.journal import entry_body, iter_rows
from sinkledger.services.registry import SYSTEM_ACTOR


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
