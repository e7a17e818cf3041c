"""person register: households' personal data beside the journal, and its access log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

The tables of :mod:`ledger.people.store`. A database opened by ``PeopleService`` before this
migration existed may already hold them (created directly); they are then left as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('person', 'person_version', 'person_designation', 'person_access_log', 'person_meta')


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    if _missing('person_access_log'):
        op.create_table(
            'person_access_log',
            sa.Column('seq', sa.Integer(), nullable=False),
            sa.Column('at', _text(40), nullable=False),
            sa.Column('actor', _text(60), nullable=False),
            sa.Column('actor_role', _text(30), nullable=False),
            sa.Column('actor_party_id', _text(40), nullable=False),
            sa.Column('action', _text(30), nullable=False),
            sa.Column('party_id', _text(40), nullable=True),
            sa.Column('purpose', _text(30), nullable=False),
            sa.Column('note', _text(200), nullable=True),
            sa.Column('fields', sa.Text(), nullable=False),
            sa.Column('disclosed_full', sa.Boolean(), nullable=False),
            sa.Column('detail', sa.Text(), nullable=False),
            sa.Column('prev_hash', _text(64), nullable=False),
            sa.Column('row_hash', _text(64), nullable=False),
            sa.PrimaryKeyConstraint('seq'))
        with op.batch_alter_table('person_access_log', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_person_access_log_actor'), ['actor'], unique=False)
            batch_op.create_index(batch_op.f('ix_person_access_log_party_id'), ['party_id'], unique=False)
    if _missing('person_designation'):
        op.create_table(
            'person_designation',
            sa.Column('username', _text(60), nullable=False),
            sa.Column('duty', _text(30), nullable=False),
            sa.Column('party_id', _text(40), nullable=False),
            sa.Column('granted_by', _text(60), nullable=False),
            sa.Column('granted_at', _text(40), nullable=False),
            sa.PrimaryKeyConstraint('username'))
    if _missing('person_meta'):
        op.create_table(
            'person_meta',
            sa.Column('key', _text(40), nullable=False),
            sa.Column('value', _text(200), nullable=False),
            sa.PrimaryKeyConstraint('key'))
    if _missing('person_version'):
        op.create_table(
            'person_version',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('party_id', _text(40), nullable=False),
            sa.Column('version', sa.Integer(), nullable=False),
            sa.Column('snapshot_enc', sa.LargeBinary(), nullable=False),
            sa.Column('replaced_at', _text(40), nullable=False),
            sa.Column('replaced_by', _text(60), nullable=False),
            sa.PrimaryKeyConstraint('id'))
        with op.batch_alter_table('person_version', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_person_version_party_id'), ['party_id'], unique=False)
    if _missing('person'):
        op.create_table(
            'person',
            sa.Column('party_id', _text(40), nullable=False),
            sa.Column('handler_party_id', _text(40), nullable=False),
            sa.Column('purpose', _text(200), nullable=False),
            sa.Column('consent_date', _text(10), nullable=False),
            sa.Column('name_enc', sa.LargeBinary(), nullable=True),
            sa.Column('resident_id_enc', sa.LargeBinary(), nullable=True),
            sa.Column('phone_enc', sa.LargeBinary(), nullable=True),
            sa.Column('bank_account_enc', sa.LargeBinary(), nullable=True),
            sa.Column('bank_name_enc', sa.LargeBinary(), nullable=True),
            sa.Column('resident_id_index', _text(64), nullable=True),
            sa.Column('version', sa.Integer(), nullable=False),
            sa.Column('registered_at', _text(40), nullable=False),
            sa.Column('updated_at', _text(40), nullable=False),
            sa.Column('erased', sa.Boolean(), nullable=False),
            sa.Column('erased_at', _text(40), nullable=True),
            sa.Column('erasure_reason', _text(200), nullable=True),
            sa.ForeignKeyConstraint(['party_id'], ['party.id']),
            sa.PrimaryKeyConstraint('party_id'),
            sa.UniqueConstraint('resident_id_index'))
        with op.batch_alter_table('person', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_person_handler_party_id'), ['handler_party_id'], unique=False)

    # imported here, not at the top, so that loading the revision files stays free of our code
    from sinkledger.db.schema import install_extras

    install_extras(op.get_bind())  # the access log's append-only triggers


def downgrade() -> None:
    for table in ('person', 'person_version', 'person_meta', 'person_designation', 'person_access_log'):
        if not _missing(table):
            op.drop_table(table)
