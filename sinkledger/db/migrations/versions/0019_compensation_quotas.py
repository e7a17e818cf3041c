"""Compensation programmes and quota obligations (issue 22, points 3 and 4)

Revision ID: 0019_compensation_quotas
Revises: 0018_price_index
Create Date: 2026-12-06

Ecological protection compensation (``ledger.compensation.store``: programmes, payments, the units
paid once each) and quota obligations (``ledger.quota.store``: obligations, the retirements
counted against them, compliance certificates); docs/instruments.md.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019_compensation_quotas'
down_revision = '0018_price_index'
branch_labels = None
depends_on = None

TABLES = ('compensation_payment',
          'compensation_programme',
          'compensation_unit',
          'obligation_certificate',
          'obligation_credit',
          'quota_obligation',)
INDEXES = (('ix_compensation_payment_estimate_id', 'compensation_payment'),
           ('ix_compensation_payment_payee_party_id', 'compensation_payment'),
           ('ix_compensation_payment_programme_code', 'compensation_payment'),
           ('ix_compensation_programme_authority_party_id', 'compensation_programme'),
           ('ix_compensation_unit_payment_id', 'compensation_unit'),
           ('ix_obligation_certificate_obligation_id', 'obligation_certificate'),
           ('ix_obligation_credit_obligation_id', 'obligation_credit'),
           ('ix_quota_obligation_authority_party_id', 'quota_obligation'),
           ('ix_quota_obligation_enterprise_party_id', 'quota_obligation'),
           ('ix_quota_obligation_status', 'quota_obligation'),)


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length) if length else sqlmodel.sql.sqltypes.AutoString()


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table('compensation_payment'):
        op.create_table('compensation_payment',
        sa.Column('id', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('programme_code', _text(40), nullable=False),
        sa.Column('estimate_id', _text(40), nullable=False),
        sa.Column('estimate_hash', _text(64), nullable=False),
        sa.Column('issuance_seq', sa.Integer(), nullable=False),
        sa.Column('payee_party_id', _text(40), nullable=False),
        sa.Column('basis', _text(10), nullable=False),
        sa.Column('rate_fen', sa.BigInteger(), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('area_units', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('villages_fen', sa.BigInteger(), nullable=False),
        sa.Column('paid_date', _text(10), nullable=False),
        sa.Column('reference', _text(80), nullable=False),
        sa.Column('recorded_at', _text(40), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_compensation_payment_estimate_id', 'compensation_payment', ['estimate_id'], unique=False)
        op.create_index('ix_compensation_payment_payee_party_id', 'compensation_payment', ['payee_party_id'], unique=False)
        op.create_index('ix_compensation_payment_programme_code', 'compensation_payment', ['programme_code'], unique=False)
    if not inspector.has_table('compensation_programme'):
        op.create_table('compensation_programme',
        sa.Column('code', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('authority_party_id', _text(40), nullable=False),
        sa.Column('name', _text(200), nullable=False),
        sa.Column('reference', _text(80), nullable=False),
        sa.Column('basis', _text(10), nullable=False),
        sa.Column('rate_fen', sa.BigInteger(), nullable=False),
        sa.Column('budget_fen', sa.BigInteger(), nullable=False),
        sa.Column('sink_types', sa.Text(), nullable=False),
        sa.Column('county_codes', sa.Text(), nullable=False),
        sa.Column('vintage_from', sa.Integer(), nullable=False),
        sa.Column('vintage_to', sa.Integer(), nullable=False),
        sa.Column('period_start', _text(10), nullable=False),
        sa.Column('period_end', _text(10), nullable=False),
        sa.Column('paid_fen', sa.BigInteger(), nullable=False),
        sa.Column('payments', sa.Integer(), nullable=False),
        sa.Column('updated_seq', sa.Integer(), nullable=False),
        sa.Column('recorded_at', _text(40), nullable=False),
        sa.PrimaryKeyConstraint('code')
        )
        op.create_index('ix_compensation_programme_authority_party_id', 'compensation_programme', ['authority_party_id'], unique=False)
    if not inspector.has_table('compensation_unit'):
        op.create_table('compensation_unit',
        sa.Column('programme_code', _text(40), nullable=False),
        sa.Column('estimate_id', _text(40), nullable=False),
        sa.Column('vintage_year', sa.Integer(), nullable=False),
        sa.Column('payment_id', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('batch_id', _text(80), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('area_units', sa.BigInteger(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('programme_code', 'estimate_id', 'vintage_year')
        )
        op.create_index('ix_compensation_unit_payment_id', 'compensation_unit', ['payment_id'], unique=False)
    if not inspector.has_table('obligation_certificate'):
        op.create_table('obligation_certificate',
        sa.Column('code', _text(24), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('obligation_id', _text(40), nullable=False),
        sa.Column('record', sa.Text(), nullable=False),
        sa.Column('issued_at', _text(40), nullable=False),
        sa.PrimaryKeyConstraint('code')
        )
        op.create_index('ix_obligation_certificate_obligation_id', 'obligation_certificate', ['obligation_id'], unique=False)
    if not inspector.has_table('obligation_credit'):
        op.create_table('obligation_credit',
        sa.Column('retirement_id', _text(40), nullable=False),
        sa.Column('obligation_id', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('how', _text(12), nullable=False),
        sa.Column('retired_t', sa.BigInteger(), nullable=False),
        sa.Column('counted_t', sa.BigInteger(), nullable=False),
        sa.Column('sale_seq', sa.Integer(), nullable=True),
        sa.Column('seller_account', _text(40), nullable=True),
        sa.Column('price_fen_per_t', sa.BigInteger(), nullable=True),
        sa.Column('recorded_at', _text(40), nullable=False),
        sa.PrimaryKeyConstraint('retirement_id')
        )
        op.create_index('ix_obligation_credit_obligation_id', 'obligation_credit', ['obligation_id'], unique=False)
    if not inspector.has_table('quota_obligation'):
        op.create_table('quota_obligation',
        sa.Column('id', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('authority_party_id', _text(40), nullable=False),
        sa.Column('enterprise_party_id', _text(40), nullable=False),
        sa.Column('reference', _text(80), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('start_date', _text(10), nullable=False),
        sa.Column('deadline', _text(10), nullable=False),
        sa.Column('sink_types', sa.Text(), nullable=False),
        sa.Column('county_codes', sa.Text(), nullable=False),
        sa.Column('vintage_from', sa.Integer(), nullable=False),
        sa.Column('vintage_to', sa.Integer(), nullable=False),
        sa.Column('counted_t', sa.BigInteger(), nullable=False),
        sa.Column('credits', sa.Integer(), nullable=False),
        sa.Column('status', _text(12), nullable=False),
        sa.Column('met_seq', sa.Integer(), nullable=True),
        sa.Column('met_date', _text(10), nullable=True),
        sa.Column('updated_seq', sa.Integer(), nullable=False),
        sa.Column('recorded_at', _text(40), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_quota_obligation_authority_party_id', 'quota_obligation', ['authority_party_id'], unique=False)
        op.create_index('ix_quota_obligation_enterprise_party_id', 'quota_obligation', ['enterprise_party_id'], unique=False)
        op.create_index('ix_quota_obligation_status', 'quota_obligation', ['status'], unique=False)


def downgrade() -> None:
    for name, table in INDEXES:
        op.drop_index(name, table_name=table, if_exists=True)
    for table in TABLES:
        op.drop_table(table, if_exists=True)
