"""Storage of the person register: beside the journal, never in it.

None of these tables is a journal projection, and no write to them is a journal entry: a
correction really replaces a value and an erasure really removes it, while the journal, its
hashes, Merkle proofs and certificates are untouched (they hold only party ids and
pseudonyms). ``person`` holds the current details, encrypted field by field; ``person_version``
the replaced versions (one encrypted snapshot each, kept for payment disputes, destroyed by
erasure); ``person_designation`` the collection-centre users designated as payment officers;
``person_access_log`` every read and change, append-only (triggers reject UPDATE and DELETE, as
for the journal) and hash-chained; ``person_event`` every change of the register with the state
it left, append-only and hash-chained; ``person_chain_head`` the sealed head of each chain;
``person_meta`` the data key's check value. ``docs/personal-data.md`` says what the chains prove.
"""

from __future__ import annotations

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Field, SQLModel

from sinkledger_base import rows
from sinkledger_base.rows import blob_column, text_column


class PersonRow(SQLModel, table=True):
    """A household's personal data (current version), encrypted field by field."""

    __tablename__ = "person"
    party_id: str = Field(primary_key=True, foreign_key="party.id", max_length=40)
    handler_party_id: str = Field(max_length=40, index=True)  # the collecting centre (个人信息处理者)
    purpose: str = Field(max_length=200)  # purpose of collection, as told to the person
    consent_date: str = Field(max_length=10)
    name_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    resident_id_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    phone_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    bank_account_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    bank_name_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    resident_id_index: str | None = Field(default=None, max_length=64, unique=True)  # HMAC blind index
    version: int = 1
    registered_at: str = Field(max_length=40)
    updated_at: str = Field(max_length=40)
    erased: bool = False
    erased_at: str | None = Field(default=None, max_length=40)
    erasure_reason: str | None = Field(default=None, max_length=200)


class PersonVersionRow(SQLModel, table=True):
    """A replaced version of a person's details: one encrypted JSON snapshot, hash-chained.

    Erasure destroys ``snapshot_enc`` (set to NULL) and keeps the row: ``snapshot_digest``
    (SHA-256 of the ciphertext as it was) is what the row's hash covers, so an erased version
    still checks, and a snapshot missing without an erasure event is found
    (:mod:`ledger.people.chain`).
    """

    __tablename__ = "person_version"
    id: int | None = Field(default=None, primary_key=True)
    party_id: str = Field(max_length=40, index=True)
    version: int
    snapshot_enc: bytes | None = Field(default=None, sa_column=blob_column(True))
    replaced_at: str = Field(max_length=40)
    replaced_by: str = Field(max_length=60)
    snapshot_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)


class PersonDesignationRow(SQLModel, table=True):
    """A collection-centre user designated (指定) as payment officer by the administrator."""

    __tablename__ = "person_designation"
    username: str = Field(primary_key=True, max_length=60)
    duty: str = Field(max_length=30)
    party_id: str = Field(max_length=40)
    granted_by: str = Field(max_length=60)
    granted_at: str = Field(max_length=40)


class PersonAccessLogRow(SQLModel, table=True):
    """One read or change of personal data: who, when, what, why. Append-only, hash-chained."""

    __tablename__ = "person_access_log"
    seq: int = Field(primary_key=True)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=60, index=True)
    actor_role: str = Field(max_length=30)
    actor_party_id: str = Field(max_length=40)
    action: str = Field(max_length=30)
    party_id: str | None = Field(default=None, max_length=40, index=True)  # the person, if one
    purpose: str = Field(max_length=30)
    note: str | None = Field(default=None, max_length=200)
    fields: str = Field(sa_column=text_column())  # JSON {field: full|masked|hidden|...}
    disclosed_full: bool = False
    detail: str = Field(sa_column=text_column())  # JSON, never personal values
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)


class PersonEventRow(SQLModel, table=True):
    """One change of the register (register, correct, erase; ``baseline`` for the records an
    upgrade found): who, when, why, and the state the record was left in (its terms and a
    commitment to its ciphertexts, never a personal value). Append-only, hash-chained; the
    ``person`` row must equal the state of its party's latest event."""

    __tablename__ = "person_event"
    seq: int = Field(primary_key=True)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=60)
    action: str = Field(max_length=30)
    party_id: str = Field(max_length=40, index=True)
    version: int
    state: str = Field(sa_column=text_column())  # canonical JSON: ledger.people.chain.person_state
    detail: str = Field(sa_column=text_column())  # canonical JSON: reason, replaced version, ...
    prev_hash: str = Field(max_length=64)
    row_hash: str = Field(max_length=64)


class PersonChainHeadRow(SQLModel, table=True):
    """The head of each hash chain of the register (``person_event``, ``person_version``,
    ``person_access_log``): its length, last key and hash, sealed with a keyed MAC under a
    sub-key of the data key (which is never in the database), so that cutting a chain's tail,
    or rewriting and re-hashing a chain, is found by whoever holds the key."""

    __tablename__ = "person_chain_head"
    chain: str = Field(primary_key=True, max_length=40)
    size: int
    last_key: int
    head_hash: str = Field(max_length=64)
    seal: str | None = Field(default=None, max_length=64)
    sealed_at: str | None = Field(default=None, max_length=40)


class PersonMetaRow(SQLModel, table=True):
    __tablename__ = "person_meta"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


PEOPLE_TABLES = ("person", "person_version", "person_designation", "person_access_log", "person_meta",
                 "person_event", "person_chain_head")
APPEND_ONLY_PEOPLE_TABLES = ("person_access_log", "person_event")
APPEND_ONLY_MESSAGE = "access_log_is_append_only"


def append_only_trigger_statements(table: str, *, sqlite: bool) -> list[str]:
    """DDL that makes ``table`` reject UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    return rows.append_only_trigger_statements(table, sqlite=sqlite, message=APPEND_ONLY_MESSAGE,
                                               function="sinkledger_people_append_only")


def install_triggers(connection, *, sqlite: bool) -> None:  # type: ignore[no-untyped-def]
    """Install the append-only triggers unless present (called when the migrations have run)."""
    present = set(sa_inspect(connection).get_table_names())
    for table in APPEND_ONLY_PEOPLE_TABLES:
        if table not in present or _has_trigger(connection, table, sqlite=sqlite):
            continue
        for stmt in append_only_trigger_statements(table, sqlite=sqlite):
            connection.exec_driver_sql(stmt)


def _has_trigger(connection, table: str, *, sqlite: bool) -> bool:  # type: ignore[no-untyped-def]
    if sqlite:
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
        return connection.exec_driver_sql(sql, (table,)).scalar() >= 2
    sql = ("SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
           "WHERE c.relname = %s AND NOT t.tgisinternal AND pg_table_is_visible(c.oid)")
    return connection.exec_driver_sql(sql, (table,)).scalar() >= 2
