"""Storage of compensation programmes, payments and paid units: projections of the journal.

Written only by the compensation commands, in the same transaction as their entries, and
checked against the journal by ``verify`` (:mod:`ledger.compensation.audit`). The primary key of
``compensation_unit`` (programme, estimate, vintage) is the database's own guard that a unit is
paid once, behind the command's refusal ``compensation_already_paid``.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from sinkledger_base.rows import big_int_column, text_column


class CompensationProgrammeRow(SQLModel, table=True):
    """A programme (补偿项目): an authority's budget, basis, rate and eligibility."""

    __tablename__ = "compensation_programme"
    code: str = Field(primary_key=True, max_length=40)
    seq: int
    authority_party_id: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    reference: str = Field(max_length=80)  # the policy document (文号)
    basis: str = Field(max_length=10)  # per_t, per_ha
    rate_fen: int = Field(sa_column=big_int_column())
    budget_fen: int = Field(sa_column=big_int_column())
    sink_types: str = Field(sa_column=text_column())  # JSON list
    county_codes: str = Field(sa_column=text_column())  # JSON list; empty: every county
    vintage_from: int
    vintage_to: int
    period_start: str = Field(max_length=10)  # payments dated within [start, end]
    period_end: str = Field(max_length=10)
    paid_fen: int = Field(default=0, sa_column=big_int_column())
    payments: int = 0
    updated_seq: int
    recorded_at: str = Field(max_length=40)


class CompensationPaymentRow(SQLModel, table=True):
    """One payment of a programme to the holder of one verified estimate's sink."""

    __tablename__ = "compensation_payment"
    id: str = Field(primary_key=True, max_length=40)
    seq: int
    programme_code: str = Field(max_length=40, index=True)
    estimate_id: str = Field(max_length=40, index=True)
    estimate_hash: str = Field(max_length=64)  # the estimate's reproducibility hash
    issuance_seq: int
    payee_party_id: str = Field(max_length=40, index=True)
    basis: str = Field(max_length=10)
    rate_fen: int = Field(sa_column=big_int_column())
    quantity_t: int = Field(sa_column=big_int_column())
    area_units: int = Field(sa_column=big_int_column())  # 0.01 m²
    amount_fen: int = Field(sa_column=big_int_column())
    villages_fen: int = Field(sa_column=big_int_column())  # what became due to households and collectives
    paid_date: str = Field(max_length=10)
    reference: str = Field(max_length=80)
    recorded_at: str = Field(max_length=40)


class CompensationUnitRow(SQLModel, table=True):
    """A paid unit: one vintage of one estimate, paid once by a programme."""

    __tablename__ = "compensation_unit"
    programme_code: str = Field(primary_key=True, max_length=40)
    estimate_id: str = Field(primary_key=True, max_length=40)
    vintage_year: int = Field(primary_key=True)
    payment_id: str = Field(max_length=40, index=True)
    seq: int
    batch_id: str = Field(max_length=80)
    quantity_t: int = Field(sa_column=big_int_column())
    area_units: int = Field(sa_column=big_int_column())
    days: int
    amount_fen: int = Field(sa_column=big_int_column())


COMPENSATION_TABLES = ("compensation_programme", "compensation_payment", "compensation_unit")
