"""api_key, api_key_use, api_job: institutions' API keys, the log of their use, polled jobs

Revision ID: 0011_api_keys
Revises: 0010_trust_gaps
Create Date: 2026-12-05

The tables of :mod:`sinkledger.services.apikeys` (docs/api.md, "Keys, limits and the use log")
and of :mod:`sinkledger.services.jobs` (uploads as jobs any instance can answer for).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011_api_keys'
down_revision = '0010_trust_gaps'
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('api_key'):
        op.create_table('api_key',
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('acts_as_user', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('revoked_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column('last_used_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('bucket_milli', sa.Integer(), nullable=False),
        sa.Column('bucket_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint('key_id')
        )
        with op.batch_alter_table('api_key', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_api_key_party_id'), ['party_id'], unique=False)
    if _missing('api_key_use'):
        op.create_table('api_key_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('api_key_use', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_api_key_use_at'), ['at'], unique=False)
            batch_op.create_index(batch_op.f('ix_api_key_use_key_id'), ['key_id'], unique=False)
    if _missing('api_job'):
        op.create_table('api_job',
        sa.Column('job_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint('job_id')
        )
        with op.batch_alter_table('api_job', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_api_job_owner'), ['owner'], unique=False)
            batch_op.create_index(batch_op.f('ix_api_job_started_at'), ['started_at'], unique=False)


def downgrade() -> None:
    for table in ('api_job', 'api_key_use', 'api_key'):
        if not _missing(table):
            op.drop_table(table)
