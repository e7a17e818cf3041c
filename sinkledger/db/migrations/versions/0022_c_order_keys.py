"""c_order_keys: on PostgreSQL, the text keys that verify walks in order collate as "C"

Revision ID: 0022_c_order_keys
Revises: 0021_registry_pending
Create Date: 2026-12-05

Issue 16 (docs/ledger.md, "verify --full"): a full verify walks ``credit_block`` in
(batch, first) order and ``price_trade`` in key order beside the replay, which orders text as
Python does, by code point: ``COLLATE "C"`` on PostgreSQL. With the columns in the database's
default collation no index had that order, so the server sorted both tables on every full
verify (at 300,000 sales: two sorts of 300,000 rows, one spilled to disk). The columns now
collate as "C", so their unique indexes hold the walk's order. Identifiers such as batch ids,
sink types and county codes are ASCII: no list a person reads orders differently. SQLite
compares text by code point already (BINARY): nothing changes there.
"""

from __future__ import annotations

from alembic import op

revision = '0022_c_order_keys'
down_revision = '0021_registry_pending'
branch_labels = None
depends_on = None

COLUMNS = (("credit_block", "batch_id", 80), ("price_trade", "sink_type", 20), ("price_trade", "county_code", 12))


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "{collation}"')


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
