"""the price index reads its market's trades from the index alone

Revision ID: 0020_prices_more
Revises: 0019_compensation_quotas
Create Date: 2026-12-05

Issue 22 (bench/price_index_bench.py, BENCHMARKS.md): ``ix_price_trade_market`` also holds the
sale's seq, tonnes and seller, so that an index request (the public page, the API, a settlement)
reads one market's date range from the index without a lookup into the table for each trade.
"""

from __future__ import annotations

from alembic import op

revision = '0020_prices_more'
down_revision = '0019_compensation_quotas'
branch_labels = None
depends_on = None

NARROW = ['sink_type', 'county_code', 'trade_date', 'price_fen_per_t']
COVERING = [*NARROW, 'sale_seq', 'quantity_t', 'seller_account']


def upgrade() -> None:
    op.drop_index('ix_price_trade_market', table_name='price_trade', if_exists=True)
    op.create_index('ix_price_trade_market', 'price_trade', COVERING, unique=False)


def downgrade() -> None:
    op.drop_index('ix_price_trade_market', table_name='price_trade', if_exists=True)
    op.create_index('ix_price_trade_market', 'price_trade', NARROW, unique=False)
