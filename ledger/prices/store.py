"""Storage of the price index, index insurance and pricing factors: projections of the journal.

Every table is written in the same transaction as the journal entry that implies it, and
``verify`` derives each from the journal (:mod:`ledger.prices.audit`). Money in fen, quantities
in whole tonnes, factors as decimal text. The bytes of an evidence document are kept beside the
ledger (``pricing_evidence_content``), the journal holding only their SHA-256.
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from sinkledger_base.rows import DocumentContentRowBase, big_int_column


class PriceTradeRow(SQLModel, table=True):
    """One sale's tonnes of one sink type and county, at the sale's price: the index's input.

    A sale of credits from batches of two sink types or counties has one row for each. Written by
    the ``sale`` entry (price above zero), deleted by its ``correction``."""

    __tablename__ = "price_trade"
    # the index reads one market's trades over a date range, ordered by price (the median), from the
    # index alone: it holds every column the index request reads (bench/price_index_bench.py)
    __table_args__ = (Index("ix_price_trade_market", "sink_type", "county_code", "trade_date", "price_fen_per_t",
                            "sale_seq", "quantity_t", "seller_account"),)
    sale_seq: int = Field(primary_key=True)
    sink_type: str = Field(primary_key=True, max_length=20)  # this and county_code: COLLATE "C" on PostgreSQL (0022)
    county_code: str = Field(primary_key=True, max_length=12)
    trade_date: str = Field(max_length=10)
    seller_account: str = Field(max_length=40)
    buyer_account: str = Field(max_length=40)
    quantity_t: int = Field(sa_column=big_int_column())
    price_fen_per_t: int = Field(sa_column=big_int_column())


class IndexPolicyRow(SQLModel, table=True):
    """A price index insurance policy (价格指数保险): strike, period, insured tonnes, premium."""

    __tablename__ = "index_policy"
    policy_no: str = Field(primary_key=True, max_length=80)
    seq: int
    product: str = Field(max_length=200)
    insurer_party_id: str = Field(max_length=40, index=True)
    insured_party_id: str = Field(max_length=40, index=True)
    contract_no: str = Field(max_length=80)
    sink_type: str = Field(max_length=20)
    county_code: str = Field(max_length=12)
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    strike_fen_per_t: int = Field(sa_column=big_int_column())
    insured_t: int = Field(sa_column=big_int_column())
    premium_fen: int = Field(sa_column=big_int_column())
    issued_on: str = Field(max_length=10)


class IndexSettlementRow(SQLModel, table=True):
    """A policy's settlement at its period's end: the index used and the payout (one per policy)."""

    __tablename__ = "index_settlement"
    id: str = Field(primary_key=True, max_length=40)
    seq: int
    policy_no: str = Field(max_length=80, unique=True)
    published: bool
    index_fen_per_t: int | None = Field(default=None, sa_column=big_int_column(True))
    trades: int
    payout_fen: int = Field(sa_column=big_int_column())
    rule_version: str = Field(max_length=40)
    paid_date: str = Field(max_length=10)
    reference: str = Field(max_length=80)


class PricingFactorRow(SQLModel, table=True):
    """A project's pricing factor (定价因子) with its evidence document, as last set."""

    __tablename__ = "pricing_factor"
    project_code: str = Field(primary_key=True, max_length=12)
    factor: str = Field(primary_key=True, max_length=40)
    seq: int
    value: str = Field(max_length=20)
    evidence_title: str = Field(max_length=200)
    evidence_file_name: str = Field(max_length=200)
    evidence_size_bytes: int = Field(sa_column=big_int_column())
    evidence_sha256: str = Field(max_length=64)


class PricingEvidenceContentRow(DocumentContentRowBase, table=True):
    """The bytes of a pricing factor's evidence document, by hash; never part of the journal."""

    __tablename__ = "pricing_evidence_content"
