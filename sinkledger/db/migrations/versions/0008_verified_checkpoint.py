"""verified_checkpoint: where an incremental verify starts

Revision ID: 0008_verified_checkpoint
Revises: 0007_people_chain
Create Date: 2026-12-04

A passing ``sinkledger verify`` records the size it verified, the head hash there, the Merkle root
and frontier (so a later run extends the tree without reading the prefix) and digests of the
balance table and of the Merkle checkpoints; ``verify`` then checks only the entries after it
(``verify --full`` replays everything). See docs/ledger.md, "Verify".
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008_verified_checkpoint'
down_revision = '0007_people_chain'
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _missing('verified_checkpoint'):  # created with the tables by an older start-up
        return
    op.create_table('verified_checkpoint',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('head_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('frontier', sa.Text(), nullable=False),
    sa.Column('balances_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('checkpoints_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('batches', sa.BigInteger(), nullable=False),
    sa.Column('credits_issued', sa.BigInteger(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('from_seq', sa.BigInteger(), nullable=False),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tree_size'),
    )


def downgrade() -> None:
    if not _missing('verified_checkpoint'):
        op.drop_table('verified_checkpoint')
