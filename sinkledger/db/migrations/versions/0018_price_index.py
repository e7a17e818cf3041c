"""price index, index insurance and pricing factors: their tables, the trades filled from the journal

Revision ID: 0018_price_index
Revises: 0015_registry_projects
Create Date: 2026-12-06

Issue 22 (docs/prices.md): ``price_trade`` holds each sale's tonnes per sink type and county at
its price, the index's input, written by every sale from now on; for an existing ledger it is
filled here from the journal's sale entries (the corrected ones left out), in one pass over
them. ``index_policy``, ``index_settlement``, ``pricing_factor`` and ``pricing_evidence_content``
start empty.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.prices.trades import trade_lines

revision = '0018_price_index'
down_revision = '0015_registry_projects'
branch_labels = None
depends_on = None

PAGE = 10_000


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.AutoString(length=length) if length else sqlmodel.sql.sqltypes.AutoString()


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if _missing('price_trade'):
        op.create_table('price_trade',
        sa.Column('sale_seq', sa.Integer(), nullable=False),
        sa.Column('sink_type', _text(20), nullable=False),
        sa.Column('county_code', _text(12), nullable=False),
        sa.Column('trade_date', _text(10), nullable=False),
        sa.Column('seller_account', _text(40), nullable=False),
        sa.Column('buyer_account', _text(40), nullable=False),
        sa.Column('quantity_t', sa.BigInteger(), nullable=False),
        sa.Column('price_fen_per_t', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('sale_seq', 'sink_type', 'county_code'),
        )
        op.create_index('ix_price_trade_market', 'price_trade',
                        ['sink_type', 'county_code', 'trade_date', 'price_fen_per_t'], unique=False)
        _fill_trades()
    if _missing('index_policy'):
        op.create_table('index_policy',
        sa.Column('policy_no', _text(80), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('product', _text(200), nullable=False),
        sa.Column('insurer_party_id', _text(40), nullable=False),
        sa.Column('insured_party_id', _text(40), nullable=False),
        sa.Column('contract_no', _text(80), nullable=False),
        sa.Column('sink_type', _text(20), nullable=False),
        sa.Column('county_code', _text(12), nullable=False),
        sa.Column('period_start', _text(10), nullable=False),
        sa.Column('period_end', _text(10), nullable=False),
        sa.Column('strike_fen_per_t', sa.BigInteger(), nullable=False),
        sa.Column('insured_t', sa.BigInteger(), nullable=False),
        sa.Column('premium_fen', sa.BigInteger(), nullable=False),
        sa.Column('issued_on', _text(10), nullable=False),
        sa.PrimaryKeyConstraint('policy_no'),
        )
        op.create_index(op.f('ix_index_policy_insurer_party_id'), 'index_policy', ['insurer_party_id'], unique=False)
        op.create_index(op.f('ix_index_policy_insured_party_id'), 'index_policy', ['insured_party_id'], unique=False)
    if _missing('index_settlement'):
        op.create_table('index_settlement',
        sa.Column('id', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('policy_no', _text(80), nullable=False),
        sa.Column('published', sa.Boolean(), nullable=False),
        sa.Column('index_fen_per_t', sa.BigInteger(), nullable=True),
        sa.Column('trades', sa.Integer(), nullable=False),
        sa.Column('payout_fen', sa.BigInteger(), nullable=False),
        sa.Column('rule_version', _text(40), nullable=False),
        sa.Column('paid_date', _text(10), nullable=False),
        sa.Column('reference', _text(80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('policy_no'),
        )
    if _missing('pricing_factor'):
        op.create_table('pricing_factor',
        sa.Column('project_code', _text(12), nullable=False),
        sa.Column('factor', _text(40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('value', _text(20), nullable=False),
        sa.Column('evidence_title', _text(200), nullable=False),
        sa.Column('evidence_file_name', _text(200), nullable=False),
        sa.Column('evidence_size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('evidence_sha256', _text(64), nullable=False),
        sa.PrimaryKeyConstraint('project_code', 'factor'),
        )
    if _missing('pricing_evidence_content'):
        op.create_table('pricing_evidence_content',
        sa.Column('sha256', _text(64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('sha256'),
        )


def _fill_trades() -> None:
    """Every sale entry's trade lines (those a correction took back left out), a page at a time."""
    bind = op.get_bind()
    corrected = set()
    for (body,) in bind.exec_driver_sql("SELECT body FROM journal_entry WHERE kind = 'correction'"):
        payload = json.loads(body)["payload"]
        if payload.get("corrected_kind") == "sale":
            corrected.add(payload["corrected_seq"])
    table = sa.table('price_trade', *(sa.column(c) for c in (
        'sale_seq', 'sink_type', 'county_code', 'trade_date', 'seller_account', 'buyer_account', 'quantity_t',
        'price_fen_per_t')))
    after = 0
    while True:
        rows = bind.execute(sa.text("SELECT seq, recorded_at, body FROM journal_entry WHERE kind = 'sale' AND seq > :a "
                                    "ORDER BY seq LIMIT :n"), {"a": after, "n": PAGE}).all()
        if not rows:
            return
        lines = [line for seq, at, body in rows if seq not in corrected
                 for line in trade_lines(seq, at, json.loads(body)["payload"])]
        if lines:
            bind.execute(table.insert(), lines)
        after = rows[-1][0]


def downgrade() -> None:
    for table in ('pricing_evidence_content', 'pricing_factor', 'index_settlement', 'index_policy'):
        op.drop_table(table, if_exists=True)
    op.drop_index('ix_price_trade_market', table_name='price_trade', if_exists=True)
    op.drop_table('price_trade', if_exists=True)
