"""sign-in guard: failure counters per user name and per client, and the log of failed sign-ins

Revision ID: 0006_sign_in_guard
Revises: 0005_ledger_read_indexes
Create Date: 2026-12-04

The tables of :mod:`sinkledger.services.signin_guard` (docs/app.md, "Sign-in that resists
guessing"). They are not part of the ledger: rows are replaced and deleted freely.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0006_sign_in_guard'
down_revision = '0005_ledger_read_indexes'
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('sign_in_guard'):
        op.create_table('sign_in_guard',
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'subject')
        )
        with op.batch_alter_table('sign_in_guard', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sign_in_guard_last_failure_at'), ['last_failure_at'], unique=False)
    if _missing('sign_in_log'):
        op.create_table('sign_in_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('sign_in_log', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sign_in_log_at'), ['at'], unique=False)


def downgrade() -> None:
    for table in ('sign_in_log', 'sign_in_guard'):
        if not _missing(table):
            op.drop_table(table)
