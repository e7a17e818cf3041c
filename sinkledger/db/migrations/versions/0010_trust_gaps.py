"""verify_outcome: the latest recording verify's outcome, passing or failing

Revision ID: 0010_trust_gaps
Revises: 0009_balance_take_order
Create Date: 2026-12-04

The verified checkpoint is written only by a passing ``sinkledger verify``; this one row per
scope records what the latest run found, so the overview shows a failed run instead of the last
passing checkpoint (docs/ledger.md, "Verify").
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010_trust_gaps'
down_revision = '0009_balance_take_order'
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _missing('verify_outcome'):  # created with the tables by an older start-up
        return
    op.create_table('verify_outcome',
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('entries', sa.BigInteger(), nullable=False),
    sa.Column('first_bad_seq', sa.BigInteger(), nullable=True),
    sa.Column('problems', sa.BigInteger(), nullable=False),
    sa.Column('problem', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('ran_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('duration_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope'),
    )


def downgrade() -> None:
    if not _missing('verify_outcome'):
        op.drop_table('verify_outcome')
