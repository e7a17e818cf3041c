"""party_setting: what a party keeps between visits (a parcel upload's field mapping)

Revision ID: 0014_party_settings
Revises: 0013_merkle_nodes
Create Date: 2026-12-05

The table of :mod:`sinkledger.services.party_settings` (issue 19, point 5: the upload's field
mapping reused next time, per party). Not part of the ledger: no journal entry, nothing hashed.
Created only if missing.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014_party_settings'
down_revision = '0013_merkle_nodes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('party_setting'):
        return
    op.create_table('party_setting',
    sa.Column('party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('value_json', sa.Text(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.PrimaryKeyConstraint('party_id', 'name')
    )


def downgrade() -> None:
    op.drop_table('party_setting', if_exists=True)
