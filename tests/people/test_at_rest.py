"""Protection at rest: the database holds no ID number, bank account, name or phone in plaintext.

SQLite: the raw bytes of the database file, its WAL and shared-memory file are scanned after
registering, correcting and listing people; after an erasure, not even the erased ciphertext
remains (``secure_delete`` zeroes freed cells, the WAL is checkpointed and truncated).
PostgreSQL: the raw columns are read back and must be ciphertext. Both: a backup (what leaves
the server) holds no plaintext either.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import text

from sinkledger.services.backup import export_backup
from tests.people.conftest import assert_refused  # noqa: F401

SCANNED_FIELDS = ("name", "resident_id", "phone", "bank_account")
ENCRYPTED = ("name_enc", "resident_id_enc", "phone_enc", "bank_account_enc", "bank_name_enc")


def secrets_of(people) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Every personal value as the bytes a careless store would hold (UTF-8 text)."""
    out = [d[f].encode("utf-8") for d in people.details.values() for f in SCANNED_FIELDS]
    return out + [b"13900005555"]  # the phone a correction wrote


def exercise(people) -> None:  # type: ignore[no-untyped-def]
    """Read, list, correct, export: everything that writes to the register or its log."""
    api = people.api
    api.view(people.actor("cashier"), "HH-1", "revenue_payment")
    api.people(people.actor("admin"))
    api.payment_list(people.actor("cashier"), [{"party_id": "HH-1", "amount_fen": 100}, {"party_id": "HH-2"}])
    api.correct(people.actor("centre"), party_id="HH-2", changes={"phone": "13900005555"}, reason="核对")


def raw_database_bytes(url: str) -> bytes:
    path = Path(url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def encrypted_columns(svc, party_id: str) -> dict:  # type: ignore[no-untyped-def]
    with svc.db.engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(ENCRYPTED)}, resident_id_index FROM person WHERE party_id = :p"),
                           {"p": party_id}).mappings().one()
    return dict(row)


SQLITE_ONLY = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("backend_url", ["postgres"], indirect=True)


@SQLITE_ONLY
def test_the_sqlite_file_holds_no_plaintext(people, backend_url):  # type: ignore[no-untyped-def]
    exercise(people)
    raw = raw_database_bytes(backend_url)
    assert len(raw) > 100_000 and b"HH-1" in raw  # the scan reads the real file (party ids are there)
    found = [s for s in secrets_of(people) if s in raw]
    assert not found, f"plaintext personal data in the database file: {len(found)} values"


@SQLITE_ONLY
def test_erased_ciphertext_is_gone_from_the_sqlite_file(people):  # type: ignore[no-untyped-def]
    """Even with the key, nothing of an erased person can be recovered from the file."""
    api = people.api
    api.correct(people.actor("centre"), party_id="HH-1", changes={"phone": "13900005555"}, reason="核对")
    before = encrypted_columns(api.service, "HH-1")
    with api.service.db.engine.connect() as conn:
        old = [bytes(r[0]) for r in conn.execute(text("SELECT snapshot_enc FROM person_version WHERE party_id = 'HH-1'"))]
    tokens = [bytes(v) for k, v in before.items() if k.endswith("_enc") and v] + old
    assert len(tokens) == 6
    out = api.erase(people.actor("admin"), party_id="HH-1", reason="E-1")
    assert out["scrubbed"] is True
    raw = raw_database_bytes(api.service.db.url)
    assert not [t for t in tokens if t[1:29] in raw]  # nonce and first ciphertext bytes of each
    assert before["resident_id_index"].encode() not in raw


@POSTGRES_ONLY
def test_postgresql_columns_hold_ciphertext(people):  # type: ignore[no-untyped-def]
    exercise(people)
    secrets = secrets_of(people)
    for party_id in ("HH-1", "HH-2", "HH-3"):
        cols = encrypted_columns(people.api.service, party_id)
        for name in ENCRYPTED:
            token = bytes(cols[name])
            assert token[:1] == b"\x01" and len(token) >= 1 + 12 + 16, name
            assert not [s for s in secrets if s in token]
        assert len(cols["resident_id_index"]) == 64
    with people.api.service.db.engine.connect() as conn:  # every column of every row, as PostgreSQL prints it
        dumped = "\n".join(v for table in ("person", "person_version", "person_access_log")
                           for v in conn.execute(text(f"SELECT t::text FROM {table} t")).scalars())
    assert not [s for s in secrets if s.decode() in dumped]


def test_a_backup_holds_no_plaintext(people, tmp_path):  # type: ignore[no-untyped-def]
    exercise(people)
    path = tmp_path / "backup.zip"
    export_backup(people.api.service, path)
    with zipfile.ZipFile(path) as zf:
        content = b"".join(zf.read(name) for name in zf.namelist())
    assert b"person_access_log" in content or b"HH-1" in content
    assert not [s for s in secrets_of(people) if s in content]
    assert not [s for s in secrets_of(people) if s.decode().encode("unicode_escape") in content]
