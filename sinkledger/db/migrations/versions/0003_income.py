"""income: contract documents, bundled projects, contributions, distributions, payments, liens, losses, claims

Revision ID: 0003_income
Revises: 0002
Create Date: 2026-11-21

Each table is created only if missing: a development database may already hold them (created
directly by ``Database.create_schema`` before this migration existed).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003_income'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('bundled_project', 'bundled_project_parcel', 'collection_document', 'collection_document_content', 'distribution', 'distribution_contract', 'due_item', 'fixed_payment_obligation', 'income_payment', 'insurance_claim', 'issuance_contribution', 'lien', 'lien_parcel', 'lien_pledge', 'loss_event', 'loss_parcel')


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('bundled_project'):
        op.create_table('bundled_project',
        sa.Column('project_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('sink_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('methodology_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('centre_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('monitoring_start', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('interval_months', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('project_code')
        )
        with op.batch_alter_table('bundled_project', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_bundled_project_centre_party_id'), ['centre_party_id'], unique=False)
    if _missing('bundled_project_parcel'):
        op.create_table('bundled_project_parcel',
        sa.Column('parcel_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('project_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('added_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('parcel_code')
        )
        with op.batch_alter_table('bundled_project_parcel', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_bundled_project_parcel_project_code'), ['project_code'], unique=False)
    if _missing('collection_document'):
        op.create_table('collection_document',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('collection_document', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_collection_document_contract_no'), ['contract_no'], unique=False)
            batch_op.create_index(batch_op.f('ix_collection_document_sha256'), ['sha256'], unique=False)
    if _missing('collection_document_content'):
        op.create_table('collection_document_content',
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256')
        )
    if _missing('distribution'):
        op.create_table('distribution',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('sale_seq', sa.Integer(), nullable=False),
        sa.Column('seller_account', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('sale_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('sale_seq')
        )
        with op.batch_alter_table('distribution', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_distribution_seller_account'), ['seller_account'], unique=False)
    if _missing('distribution_contract'):
        op.create_table('distribution_contract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('distribution_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('collective_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('gross_fen', sa.BigInteger(), nullable=False),
        sa.Column('costs_fen', sa.BigInteger(), nullable=False),
        sa.Column('net_fen', sa.BigInteger(), nullable=False),
        sa.Column('villages_fen', sa.BigInteger(), nullable=False),
        sa.Column('centre_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('distribution_id', 'contract_no')
        )
        with op.batch_alter_table('distribution_contract', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_distribution_contract_collective_party_id'), ['collective_party_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_distribution_contract_contract_no'), ['contract_no'], unique=False)
            batch_op.create_index(batch_op.f('ix_distribution_contract_distribution_id'), ['distribution_id'], unique=False)
    if _missing('due_item'):
        op.create_table('due_item',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('source_kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('source_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('payer_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('party_kind', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('parcel_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('parcel_tonnes', sa.BigInteger(), nullable=True),
        sa.Column('share_bp', sa.Integer(), nullable=True),
        sa.Column('attributed_kg', sa.BigInteger(), nullable=True),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('paid_fen', sa.BigInteger(), nullable=False),
        sa.Column('basis_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('due_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('sale_seq', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('due_item', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_due_item_contract_no'), ['contract_no'], unique=False)
            batch_op.create_index(batch_op.f('ix_due_item_parcel_code'), ['parcel_code'], unique=False)
            batch_op.create_index('ix_due_item_party_due', ['party_id', 'due_date'], unique=False)
            batch_op.create_index(batch_op.f('ix_due_item_payer_party_id'), ['payer_party_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_due_item_source_id'), ['source_id'], unique=False)
    if _missing('fixed_payment_obligation'):
        op.create_table('fixed_payment_obligation',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('year_index', sa.Integer(), nullable=False),
        sa.Column('period_start', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('period_end', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('due_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('contract_no', 'year_index')
        )
        with op.batch_alter_table('fixed_payment_obligation', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_fixed_payment_obligation_contract_no'), ['contract_no'], unique=False)
    if _missing('income_payment'):
        op.create_table('income_payment',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('due_id', sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column('payer_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('paid_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('income_payment', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_income_payment_due_id'), ['due_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_income_payment_party_id'), ['party_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_income_payment_seq'), ['seq'], unique=False)
    if _missing('insurance_claim'):
        op.create_table('insurance_claim',
        sa.Column('claim_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('insurer_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('insured_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('policy_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('payout_fen', sa.BigInteger(), nullable=False),
        sa.Column('paid_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.PrimaryKeyConstraint('claim_no')
        )
        with op.batch_alter_table('insurance_claim', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_insurance_claim_event_id'), ['event_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_insurance_claim_insured_party_id'), ['insured_party_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_insurance_claim_insurer_party_id'), ['insurer_party_id'], unique=False)
    if _missing('issuance_contribution'):
        op.create_table('issuance_contribution',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuance_seq', sa.Integer(), nullable=False),
        sa.Column('batch_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('parcel_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('kg_co2e', sa.BigInteger(), nullable=False),
        sa.Column('weight', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('batch_id', 'parcel_code')
        )
        with op.batch_alter_table('issuance_contribution', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_issuance_contribution_batch_id'), ['batch_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_issuance_contribution_issuance_seq'), ['issuance_seq'], unique=False)
            batch_op.create_index(batch_op.f('ix_issuance_contribution_parcel_code'), ['parcel_code'], unique=False)
    if _missing('lien'):
        op.create_table('lien',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('bank_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('contract_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('loan_reference', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('loan_amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('term_end', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column('ended_seq', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('lien', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_lien_bank_party_id'), ['bank_party_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_lien_contract_no'), ['contract_no'], unique=False)
    if _missing('lien_parcel'):
        op.create_table('lien_parcel',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lien_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('parcel_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('lien_id', 'parcel_code')
        )
        with op.batch_alter_table('lien_parcel', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_lien_parcel_lien_id'), ['lien_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_lien_parcel_parcel_code'), ['parcel_code'], unique=False)
    if _missing('lien_pledge'):
        op.create_table('lien_pledge',
        sa.Column('pledge_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('lien_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('issuance_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('pledge_id')
        )
        with op.batch_alter_table('lien_pledge', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_lien_pledge_lien_id'), ['lien_id'], unique=False)
    if _missing('loss_event'):
        op.create_table('loss_event',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('event_date', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('reported_by_party_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('policy_no', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('lost_t_co2e', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('reversed_t', sa.BigInteger(), nullable=False),
        sa.Column('reversal_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if _missing('loss_parcel'):
        op.create_table('loss_parcel',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('parcel_code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('affected_area_ha', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('damage_share_bp', sa.Integer(), nullable=False),
        sa.Column('stock_t_c_per_ha', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('estimate_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('lost_t_co2e', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('reversed_t', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('loss_parcel', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_loss_parcel_event_id'), ['event_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_loss_parcel_parcel_code'), ['parcel_code'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        if not _missing(table):
            op.drop_table(table)
