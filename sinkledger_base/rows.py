"""One store pattern: the column helpers and append-only guards every ``store.py`` shares.

The stores of the domain (``ledger/store.py``, ``ledger/court/store.py``,
``ledger/income/store.py``, ``ledger/people/store.py``, ``sinks/store.py``) declare SQLModel
tables. What they have in common lives here, once:

- column helpers for the types SQLModel does not infer from a Python annotation:
  :func:`big_int_column` (money in fen, kg CO2e, tonnes: 64-bit), :func:`text_column` (JSON
  documents and long free text), :func:`blob_column` (bytes: WKB, document content,
  ciphertexts);
- mixins for column groups several tables repeat: :class:`RecordRowBase` (a record known by
  its id, made by one journal entry), :class:`DocumentRowBase` (a document known by its content
  hash) and :class:`DocumentContentRowBase` (its erasable bytes);
- :func:`append_only_trigger_statements`: the DDL that makes a table reject UPDATE and DELETE
  (and TRUNCATE on PostgreSQL), the second guard of every append-only table after the code
  that offers no update or delete.

Imports only SQLAlchemy and SQLModel, so that ``ledger`` and ``sinks`` can both use it without
importing each other.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, LargeBinary, Text
from sqlmodel import Field, SQLModel


def big_int_column(nullable: bool = False) -> Column:
    """A 64-bit integer column (fen, kg CO2e, tonnes, bytes): a new Column per call."""
    return Column(BigInteger, nullable=nullable)


def text_column(nullable: bool = False, server_default: str | None = None) -> Column:
    """An unbounded text column (canonical JSON, descriptions): a new Column per call."""
    return Column(Text, nullable=nullable, server_default=server_default)


def blob_column(nullable: bool = False) -> Column:
    """A binary column (WKB, document bytes, ciphertext): a new Column per call."""
    return Column(LargeBinary, nullable=nullable)


class RecordRowBase(SQLModel):
    """A record known by its id (such as ``LN-00000042``), made by the journal entry ``seq``.

    These two columns come first; a table adds its own after them.
    """

    id: str = Field(primary_key=True, max_length=40)
    seq: int


class DocumentRowBase(RecordRowBase):
    """A document attached to a record (judgment, contract...), known by its content hash.

    The journal holds only the SHA-256; the bytes sit in a :class:`DocumentContentRowBase`
    table beside the ledger, erasable under PIPL without breaking the chain. A table adds the
    key of what the document belongs to (``case_no``, ``contract_no``).
    """

    title: str = Field(max_length=200)
    file_name: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_type=BigInteger, nullable=False)
    sha256: str = Field(max_length=64, index=True)


class DocumentContentRowBase(SQLModel):
    """The bytes of a document, by hash; erasable, never part of the journal."""

    sha256: str = Field(primary_key=True, max_length=64)
    content: bytes = Field(sa_type=LargeBinary, nullable=False)


def append_only_trigger_statements(table: str, *, sqlite: bool, message: str, function: str,
                                   name_table: bool = True) -> list[str]:
    """DDL that makes ``table`` reject UPDATE and DELETE (and TRUNCATE on PostgreSQL).

    Parameters
    ----------
    table : str
    sqlite : bool
        SQLite triggers when true, PostgreSQL (a plpgsql function and two triggers) otherwise.
    message : str
        The stable code the database raises, e.g. ``journal_is_append_only``.
    function : str
        Name of the PostgreSQL trigger function (shared by the tables of one guard).
    name_table : bool
        PostgreSQL only: whether the raised message ends with ``on <table>``.
    """
    if sqlite:
        return [f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END" for op in ("UPDATE", "DELETE")]
    suffix = " || ' on ' || TG_TABLE_NAME" if name_table else ""
    return [
        (f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
         f"$$ BEGIN RAISE EXCEPTION USING MESSAGE = '{message}: ' || TG_OP{suffix}; END $$"),
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
         f"FOR EACH ROW EXECUTE FUNCTION {function}()"),
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        (f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
         f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"),
    ]
