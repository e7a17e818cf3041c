"""Storage of quota obligations, the retirements counted against them and their certificates.

Projections of the journal, written only by the quota commands in the same transaction as their
entries and checked by ``verify`` (:mod:`ledger.quota.audit`). ``obligation_credit`` is keyed by
the retirement id: the database's own guard that a retirement counts for one obligation at most,
behind the command's refusal ``retirement_already_counted``.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from sinkledger_base.rows import big_int_column, text_column


class QuotaObligationRow(SQLModel, table=True):
    """An obligation (履约义务) set by an authority on an enterprise."""

    __tablename__ = "quota_obligation"
    id: str = Field(primary_key=True, max_length=40)
    seq: int
    authority_party_id: str = Field(max_length=40, index=True)
    enterprise_party_id: str = Field(max_length=40, index=True)
    reference: str = Field(max_length=80)  # the decision's document number (文号)
    quantity_t: int = Field(sa_column=big_int_column())
    start_date: str = Field(max_length=10)  # retirements from this day count
    deadline: str = Field(max_length=10)
    sink_types: str = Field(sa_column=text_column())  # JSON list
    county_codes: str = Field(sa_column=text_column())  # JSON list; empty: every county
    vintage_from: int
    vintage_to: int
    counted_t: int = Field(default=0, sa_column=big_int_column())
    credits: int = 0  # retirements counted
    status: str = Field(max_length=12, index=True)  # open, met
    met_seq: int | None = None
    met_date: str | None = Field(default=None, max_length=10)
    updated_seq: int
    recorded_at: str = Field(max_length=40)


class ObligationCreditRow(SQLModel, table=True):
    """A retirement counted against an obligation: surrendered for it, or claimed."""

    __tablename__ = "obligation_credit"
    retirement_id: str = Field(primary_key=True, max_length=40)
    obligation_id: str = Field(max_length=40, index=True)
    seq: int
    how: str = Field(max_length=12)  # surrender, claim
    retired_t: int = Field(sa_column=big_int_column())
    counted_t: int = Field(sa_column=big_int_column())
    sale_seq: int | None = None  # a surrender that bought its credits in the same entry
    seller_account: str | None = Field(default=None, max_length=40)
    price_fen_per_t: int | None = Field(default=None, sa_column=big_int_column(True))
    recorded_at: str = Field(max_length=40)


class ObligationCertificateRow(SQLModel, table=True):
    """A compliance certificate (履约证明) of a met obligation, found by its verification code."""

    __tablename__ = "obligation_certificate"
    code: str = Field(primary_key=True, max_length=24)
    seq: int
    obligation_id: str = Field(max_length=40, index=True)
    record: str = Field(sa_column=text_column())  # canonical JSON that the code hashes
    issued_at: str = Field(max_length=40)


QUOTA_TABLES = ("quota_obligation", "obligation_credit", "obligation_certificate")
