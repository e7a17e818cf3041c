"""Backup and restore: the whole database as one portable file, restorable on either backend.

The file is a ZIP holding ``manifest.json`` (format, schema tables, row counts, the journal's
head hash and Merkle root at export time) and one JSON-lines file per table, every row with
every column; bytes are base64. Restoring into an empty database inserts the rows table by
table in dependency order (journal first, verbatim: bodies and hashes are copied, never
recomputed), resets PostgreSQL sequences, then runs ``verify`` and compares the head hash and
Merkle root with the manifest. SQLite → PostgreSQL and back work the same way.

The backup holds everything the database holds, including password hashes and any personal
data: store it as carefully as the database.
"""

from __future__ import annotations

import base64
import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import Table, inspect, text
from sqlmodel import SQLModel

from ledger import merkle_nodes
from ledger.sql import Tx
from sinkledger_base.errors import Conflict, InvalidInput

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

FORMAT = "sinkledger-backup/1"
CHUNK_ROWS = 5_000
Progress = Callable[[int, int, str], None]


# Sign-in sessions of the web app: short-lived, bound to this deployment; a restore signs everyone out.
# The stored Merkle nodes are the journal's subtree hashes: a restore computes them again from the
# journal it restored (ledger/merkle_nodes.py), so a backup neither carries nor can alter them.
NOT_BACKED_UP = frozenset({"web_session", "merkle_node"})


def _tables(db: Any) -> list[Table]:
    present = set(inspect(db.engine).get_table_names()) - NOT_BACKED_UP
    return [t for t in SQLModel.metadata.sorted_tables if t.name in present]


def _encode(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$b64"}:
        return base64.b64decode(value["$b64"])
    return value


def export_backup(service: Service, path: str | Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write every table to ``path``; return the manifest."""
    report = service.verify()
    tables = _tables(service.db)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i, table in enumerate(tables, start=1):
            if progress:
                progress(i, len(tables), table.name)
            counts[table.name] = _export_table(service.db, table, zf)
        manifest = {"format": FORMAT, "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "tables": [t.name for t in tables], "rows": counts, "journal_entries": report.entries,
                    "head_hash": report.head_hash, "merkle_root": report.merkle_root, "ledger_ok": report.ok}
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def _export_table(db: Any, table: Table, zf: zipfile.ZipFile) -> int:
    order = [c for c in table.primary_key.columns] or list(table.columns)
    n = 0
    # ZIP64 from the start: a county's journal is gigabytes of JSON, and a member written as a
    # stream without it is refused past 2 GiB ("File size too large") after all that work
    with db.engine.connect() as conn, zf.open(f"{table.name}.jsonl", "w", force_zip64=True) as out:
        result = conn.execution_options(yield_per=CHUNK_ROWS).execute(table.select().order_by(*order))
        for row in result.mappings():
            out.write((json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n").encode("utf-8"))
            n += 1
    return n


def read_manifest(path: str | Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InvalidInput("backup_unreadable", reason=str(exc)[:120]) from None
    if manifest.get("format") != FORMAT:
        raise InvalidInput("backup_unreadable", reason=f"unknown format {manifest.get('format')!r}")
    return manifest


def import_backup(service: Service, path: str | Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Restore ``path`` into an empty database and prove the ledger identical."""
    manifest = read_manifest(path)
    db = service.db
    if db.has_schema() and _has_rows(db):
        raise Conflict("database_not_empty")
    db.create_schema()
    tables = {t.name: t for t in _tables(db)}
    order = [name for name in manifest["tables"] if name in tables]
    with zipfile.ZipFile(path) as zf, db.engine.begin() as conn:
        for i, name in enumerate(order, start=1):
            if progress:
                progress(i, len(order), name)
            _import_table(conn, tables[name], zf)
        merkle_nodes.fill(Tx(conn))
        if not db.is_sqlite:
            _reset_sequences(conn, [tables[n] for n in order])
    db.refresh_statistics()
    report = service.verify()
    same = (report.ok, report.head_hash, report.merkle_root) == (True, manifest["head_hash"], manifest["merkle_root"])
    return {"restored_tables": len(order), "rows": sum(manifest["rows"].get(n, 0) for n in order),
            "journal_entries": report.entries, "head_hash": report.head_hash, "merkle_root": report.merkle_root,
            "identical": same}


def _has_rows(db: Any) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM journal_entry")).scalar())


def _import_table(conn: Any, table: Table, zf: zipfile.ZipFile) -> None:
    columns = {c.name for c in table.columns}
    batch: list[dict[str, Any]] = []
    with zf.open(f"{table.name}.jsonl") as lines:
        for line in lines:
            row = json.loads(line)
            batch.append({k: _decode(v) for k, v in row.items() if k in columns})
            if len(batch) == CHUNK_ROWS:
                conn.execute(table.insert(), batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)


def _reset_sequences(conn: Any, tables: list[Table]) -> None:
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int
                                                and len(table.primary_key.columns) == 1):
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name}).scalar()
                if seq:
                    conn.execute(text(f"SELECT setval('{seq}', COALESCE((SELECT max({column.name}) FROM "
                                      f"{table.name}), 0) + 1, false)"))
