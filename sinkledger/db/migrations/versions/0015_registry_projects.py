"""registry_project: imported projects with their type, methodology, country and sink category

Revision ID: 0015_registry_projects
Revises: 0014_party_settings
Create Date: 2026-12-05

Issue 20 (docs/registry-import.md): importing another registry keeps its projects, so that
imported credits can be filtered by sink category, type, methodology or country, and a Huzhou
parcel or project can be matched against them. Written by ``registry_import`` entries
(:mod:`ledger.registry_import.store`).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015_registry_projects'
down_revision = '0014_party_settings'
branch_labels = None
depends_on = None


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length) if length else sqlmodel.sql.sqltypes.AutoString()


def upgrade() -> None:
    if not sa.inspect(op.get_bind()).has_table('registry_project'):
        op.create_table('registry_project',
        sa.Column('source_registry', _text(20), nullable=False),
        sa.Column('project_id', _text(80), nullable=False),
        sa.Column('project_code', _text(12), nullable=False),
        sa.Column('name', _text(), nullable=False),
        sa.Column('project_type', _text(), nullable=False),
        sa.Column('activities', _text(), nullable=False),
        sa.Column('methodology', _text(), nullable=False),
        sa.Column('country', _text(80), nullable=False),
        sa.Column('status', _text(80), nullable=False),
        sa.Column('proponent', _text(), nullable=False),
        sa.Column('related_id', _text(80), nullable=False),
        sa.Column('sink_category', _text(20), nullable=False),
        sa.Column('published_issued_kg', sa.BigInteger(), nullable=True),
        sa.Column('published_retired_kg', sa.BigInteger(), nullable=True),
        sa.Column('published_buffer_kg', sa.BigInteger(), nullable=True),
        sa.Column('published_registered_kg', sa.BigInteger(), nullable=True),
        sa.Column('estimated_annual_kg', sa.BigInteger(), nullable=True),
        sa.Column('area_m2', sa.BigInteger(), nullable=True),
        sa.Column('latitude_microdeg', sa.BigInteger(), nullable=True),
        sa.Column('longitude_microdeg', sa.BigInteger(), nullable=True),
        sa.Column('crediting_start', _text(10), nullable=False),
        sa.Column('crediting_end', _text(10), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('source_registry', 'project_id')
        )
        op.create_index('ix_registry_project_code', 'registry_project', ['source_registry', 'project_code'], unique=False)
        op.create_index('ix_registry_project_category', 'registry_project', ['sink_category', 'source_registry'],
                        unique=False)


def downgrade() -> None:
    op.drop_index('ix_registry_project_category', table_name='registry_project', if_exists=True)
    op.drop_index('ix_registry_project_code', table_name='registry_project', if_exists=True)
    op.drop_table('registry_project', if_exists=True)
