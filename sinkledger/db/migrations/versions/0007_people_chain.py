"""person register chained: change events, chained versions, sealed chain heads

Revision ID: 0007_people_chain
Revises: 0006_sign_in_guard
Create Date: 2026-12-04

The person register gets its own integrity (:mod:`ledger.people.chain`, docs/personal-data.md):
``person_event`` (append-only, hash-chained: every register, correction and erasure with the
state it left), hash links on ``person_version`` (whose snapshot becomes nullable: erasure now
destroys the snapshot and keeps the row and the digest its hash covers) and
``person_chain_head`` (each chain's head, sealed under the data key). A register written before
this revision gets its chains computed here: the versions' digests and links, one ``baseline``
event per record as found, and heads without a seal (the migration never sees the data key; the
first transaction of the register seals them and says so in the access log).
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007_people_chain'
down_revision = '0006_sign_in_guard'
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def _columns(table: str) -> set[str]:
    return {c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # A database whose tables were created directly from the declarations (before migrations
    # existed) already has these tables and columns: they are then left as they are.
    if not _missing('person_event'):
        return
    op.create_table(
        'person_event',
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('at', _text(40), nullable=False),
        sa.Column('actor', _text(60), nullable=False),
        sa.Column('action', _text(30), nullable=False),
        sa.Column('party_id', _text(40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('state', sa.Text(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('prev_hash', _text(64), nullable=False),
        sa.Column('row_hash', _text(64), nullable=False),
        sa.PrimaryKeyConstraint('seq'))
    with op.batch_alter_table('person_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_event_party_id'), ['party_id'], unique=False)
    if _missing('person_chain_head'):
        op.create_table(
            'person_chain_head',
            sa.Column('chain', _text(40), nullable=False),
            sa.Column('size', sa.Integer(), nullable=False),
            sa.Column('last_key', sa.Integer(), nullable=False),
            sa.Column('head_hash', _text(64), nullable=False),
            sa.Column('seal', _text(64), nullable=True),
            sa.Column('sealed_at', _text(40), nullable=True),
            sa.PrimaryKeyConstraint('chain'))
    if 'row_hash' in _columns('person_version'):
        return
    with op.batch_alter_table('person_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_digest', _text(64), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', _text(64), nullable=True))
        batch_op.add_column(sa.Column('row_hash', _text(64), nullable=True))
        batch_op.alter_column('snapshot_enc', existing_type=sa.LargeBinary(), nullable=True)

    # imported here, not at the top, so that loading the revision files stays free of our code
    from sqlmodel import Session
    from ledger.people.chain import backfill  # (the same reason)

    session = Session(bind=op.get_bind())
    backfill(session, datetime.now(timezone.utc).isoformat(timespec="microseconds"))
    session.close()

    with op.batch_alter_table('person_version', schema=None) as batch_op:
        for column in ('snapshot_digest', 'prev_hash', 'row_hash'):
            batch_op.alter_column(column, existing_type=_text(64), nullable=False)

    from sinkledger.db.schema import install_extras  # here for the same reason

    install_extras(op.get_bind())  # person_event's append-only triggers


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        bind.exec_driver_sql('DROP TRIGGER IF EXISTS person_event_no_update')
        bind.exec_driver_sql('DROP TRIGGER IF EXISTS person_event_no_delete')
    op.drop_table('person_chain_head')
    op.drop_table('person_event')
    op.execute("DELETE FROM person_version WHERE snapshot_enc IS NULL")  # erased: nothing to keep
    with op.batch_alter_table('person_version', schema=None) as batch_op:
        batch_op.alter_column('snapshot_enc', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('snapshot_digest')
