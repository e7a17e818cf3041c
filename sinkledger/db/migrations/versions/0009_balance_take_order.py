"""balance: the batch's vintage year and issuance seq on each row, and the take-order index

Revision ID: 0009_balance_take_order
Revises: 0008_verified_checkpoint
Create Date: 2026-12-04

A sale or a retirement takes an account's credits oldest vintage first, then in issuance order.
The balance table did not hold that order, so every take joined and sorted every batch the
account ever held (hundreds to thousands for an enterprise at county scale). The two keys are now
kept on each balance row (filled here from ``batch``) and ``ix_balance_take`` (a partial index of
the non-empty rows) makes the take a range read. ``sinkledger verify`` checks the keys are the
batch's. The batch index ``ix_balance_batch_id`` becomes partial too (non-empty rows): every
command's conservation check sums a batch's rows, and two in three are zero at county scale.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_balance_take_order'
down_revision = '0008_verified_checkpoint'
branch_labels = None
depends_on = None


def _columns() -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns('balance')}


def _indexes() -> set[str]:
    return {i["name"] for i in sa.inspect(op.get_bind()).get_indexes('balance')}


def upgrade() -> None:
    columns = _columns()
    for name in ('vintage_year', 'issuance_seq'):
        if name not in columns:  # created with the tables by a newer start-up otherwise
            op.add_column('balance', sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text('0')))
    op.execute("UPDATE balance SET vintage_year = (SELECT b.vintage_year FROM batch b WHERE b.id = balance.batch_id), "
               "issuance_seq = (SELECT b.issuance_seq FROM batch b WHERE b.id = balance.batch_id) "
               "WHERE EXISTS (SELECT 1 FROM batch b WHERE b.id = balance.batch_id)")
    # the conservation check reads a batch's non-empty rows only: the batch index becomes partial
    if 'ix_balance_batch_id' in _indexes():
        op.drop_index('ix_balance_batch_id', table_name='balance')
    op.create_index('ix_balance_batch_id', 'balance', ['batch_id', 'quantity'],
                    sqlite_where=sa.text('quantity <> 0'), postgresql_where=sa.text('quantity <> 0'))
    if 'ix_balance_take' not in _indexes():
        op.create_index('ix_balance_take', 'balance',
                        ['account_id', 'state', 'vintage_year', 'issuance_seq', 'batch_id'],
                        sqlite_where=sa.text('quantity > 0'), postgresql_where=sa.text('quantity > 0'))


def downgrade() -> None:
    if 'ix_balance_take' in _indexes():
        op.drop_index('ix_balance_take', table_name='balance')
    if 'ix_balance_batch_id' in _indexes():
        op.drop_index('ix_balance_batch_id', table_name='balance')
    op.create_index('ix_balance_batch_id', 'balance', ['batch_id', 'quantity'])
    columns = _columns()
    with op.batch_alter_table('balance') as batch:
        for name in ('vintage_year', 'issuance_seq'):
            if name in columns:
                batch.drop_column(name)
