"""merkle_node: stored Merkle subtree hashes, filled from the journal of an existing ledger

Revision ID: 0013_merkle_nodes
Revises: 0012_public_registry
Create Date: 2026-12-05

An inclusion proof read the whole journal (17-27 s at a million entries). Every complete subtree
of 16 entries and up is now stored as it completes (``ledger/merkle_nodes.py``), so a proof
reads O(log n) rows. This migration creates the table and computes the nodes of the journal as
it stands, in one pass over the entry hashes (about n/8 rows: a million entries took 2.5 s in
``bench/proof_bench.py``), with progress on stderr for a journal of more than 100,000 entries.
The tree, its hashes and every proof issued before are unchanged.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger import merkle_nodes
from ledger.sql import Tx

revision = '0013_merkle_nodes'
down_revision = '0012_public_registry'
branch_labels = None
depends_on = None

PROGRESS_FROM_ENTRIES = 100_000


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def _progress(done: int, total: int) -> None:
    if total >= PROGRESS_FROM_ENTRIES and (done == total or done % 100_000 < merkle_nodes.PAGE_ROWS):
        print(f"merkle_node: {done:,} / {total:,} journal entries", file=sys.stderr, flush=True)


def upgrade() -> None:
    if _missing('merkle_node'):  # else created with the tables by a newer start-up
        op.create_table('merkle_node',
        sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('node_index', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('level', 'node_index'),
        )
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM merkle_node LIMIT 1").first() is None:
        merkle_nodes.fill(Tx(bind), _progress)


def downgrade() -> None:
    if not _missing('merkle_node'):
        op.drop_table('merkle_node')
