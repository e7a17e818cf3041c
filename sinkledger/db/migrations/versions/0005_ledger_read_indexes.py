"""balance by batch, blocks by tag: indexes for what every command reads

Revision ID: 0005_ledger_read_indexes
Revises: 0004_web_session
Create Date: 2026-12-04

Every command checks, for each batch it touched, that the batch's balance rows sum to its length
(:func:`ledger.invariants.check_batches`). The balance table's key starts with the account, so
that check read every balance row; this index holds the batch and the quantity, so the check reads
a few index pages, not one table page per holder. Releasing a
pledge or a lien reads its blocks by tag, which read every block without ``ix_credit_block_tag``
(partial: only tagged blocks have an entry, so a sale's untagged blocks cost no index write).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005_ledger_read_indexes'
down_revision = '0004_web_session'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_balance_batch_id', 'balance', ['batch_id', 'quantity'], unique=False, if_not_exists=True)
    op.create_index('ix_credit_block_tag', 'credit_block', ['tag'], unique=False, if_not_exists=True,
                    sqlite_where=sa.text('tag IS NOT NULL'), postgresql_where=sa.text('tag IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_credit_block_tag', table_name='credit_block', if_exists=True)
    op.drop_index('ix_balance_batch_id', table_name='balance', if_exists=True)
