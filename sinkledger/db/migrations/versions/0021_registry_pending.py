"""registry_pending: pooled events held aside until an issuance covers them

Revision ID: 0021_registry_pending
Revises: 0020_prices_more
Create Date: 2026-12-05

Issue 20 (docs/registry-import.md, "One file at a time"): a retirement or cancellation of a
pooled registry imported before its pool's issuance (or beyond it) is held aside here, not
booked, until a later import brings the issuance and takes it up. Written by ``registry_import``
entries (:class:`ledger.registry_import.store.RegistryPendingRow`); starts empty (imports made
before booked such rows as issued and ended at once, and keep them so).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0021_registry_pending'
down_revision = '0020_prices_more'
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length) if length else sqlmodel.sql.sqltypes.AutoString()


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table('registry_pending'):
        op.create_table('registry_pending',
        sa.Column('source_registry', _text(20), nullable=False),
        sa.Column('source', _text(255), nullable=False),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('part', _text(40), nullable=False),
        sa.Column('pool', _text(120), nullable=False),
        sa.Column('account_part', _text(10), nullable=False),
        sa.Column('status', _text(12), nullable=False),
        sa.Column('project_id', _text(80), nullable=False),
        sa.Column('pending_t', sa.BigInteger(), nullable=False),
        sa.Column('record', _text(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('source_registry', 'source', 'row_number', 'part')
        )
        op.create_index('ix_registry_pending_pool', 'registry_pending', ['source_registry', 'pool'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_registry_pending_pool', table_name='registry_pending', if_exists=True)
    op.drop_table('registry_pending', if_exists=True)
