"""Storage of court cases, orders, fulfilments and certificates: projections of the journal.

Every table here is rewritten only by the court commands, in the same transaction as the
journal entry that implies it, and can be rebuilt from the journal. The one exception is
``court_document_content``: the bytes of an attached document are kept beside the ledger, not
in it (a judgment names natural persons); the journal holds only their SHA-256, so the content
can be erased under PIPL without breaking the chain, and whatever is kept can be checked
against the hash.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from sinkledger_base.rows import (
    DocumentContentRowBase,
    DocumentRowBase,
    big_int_column,
    text_column,
)


class CourtCaseRow(SQLModel, table=True):
    """A case (案件) registered by a court, with the damaged ecosystem."""

    __tablename__ = "court_case"
    case_no: str = Field(primary_key=True, max_length=80)  # 案号
    seq: int
    court_party_id: str = Field(max_length=40, index=True)
    court_name: str = Field(max_length=200)
    judgment_date: str = Field(max_length=10)
    defendants: str = Field(sa_column=text_column())  # JSON list of party ids
    sink_type: str = Field(max_length=20)
    county_code: str = Field(max_length=12)
    ecosystem_name: str = Field(max_length=200)  # the beneficiary of the retirements
    damaged_area_ha: str = Field(max_length=40)  # decimal string
    parcel_code: str | None = Field(default=None, max_length=40)
    geometry_wkb: str | None = Field(default=None, sa_column=text_column(True))  # hex, EPSG:4490
    description: str = Field(sa_column=text_column())
    recorded_at: str = Field(max_length=40)


class CourtDocumentRow(DocumentRowBase, table=True):
    """A document of a case (judgment, appraisal report...), known by its content hash."""

    __tablename__ = "court_document"
    case_no: str = Field(max_length=80, index=True)


class CourtDocumentContentRow(DocumentContentRowBase, table=True):
    """The bytes of a court document, by hash; erasable, never part of the journal."""

    __tablename__ = "court_document_content"


class CourtOrderRow(SQLModel, table=True):
    """An order (判令) of a case: a quantity of tCO2e or an amount of money to spend on credits."""

    __tablename__ = "court_order"
    order_id: str = Field(primary_key=True, max_length=40)
    seq: int
    case_no: str = Field(max_length=80, index=True)
    court_party_id: str = Field(max_length=40, index=True)
    item: str = Field(max_length=80)  # the judgment's item, e.g. 判决第二项
    kind: str = Field(max_length=12)
    quantity_t: int | None = Field(default=None, sa_column=big_int_column(True))
    amount_fen: int | None = Field(default=None, sa_column=big_int_column(True))
    due_date: str = Field(max_length=10)
    same_sink_type: bool
    same_county: bool
    status: str = Field(max_length=20, index=True)  # ordered, partly_fulfilled, fulfilled, withdrawn
    fulfilled_t: int = Field(default=0, sa_column=big_int_column())
    spent_fen: int = Field(default=0, sa_column=big_int_column())
    last_price_fen_per_t: int | None = Field(default=None, sa_column=big_int_column(True))
    fulfilments: int = 0
    decision: str = Field(max_length=20)  # set, confirmed (the proposal), overridden
    proposal: str | None = Field(default=None, sa_column=text_column(True))  # JSON
    override_reason: str | None = Field(default=None, max_length=500)
    withdrawn_seq: int | None = None
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    updated_seq: int


class CourtOrderEventRow(SQLModel, table=True):
    """The history of an order: issued, amended, fulfilled, withdrawn, certified (one per entry)."""

    __tablename__ = "court_order_event"
    seq: int = Field(primary_key=True)
    order_id: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=40)
    summary: str = Field(sa_column=text_column())  # JSON
    recorded_at: str = Field(max_length=40)


class CourtFulfilmentRow(SQLModel, table=True):
    """One purchase-and-retirement (认购并注销) against an order."""

    __tablename__ = "court_fulfilment"
    id: str = Field(primary_key=True, max_length=40)
    seq: int = Field(index=True)
    order_id: str = Field(max_length=40, index=True)
    case_no: str = Field(max_length=80, index=True)
    seller_account: str = Field(max_length=40)
    buyer_account: str = Field(max_length=40)
    quantity_t: int = Field(sa_column=big_int_column())
    price_fen_per_t: int = Field(sa_column=big_int_column())
    amount_fen: int = Field(sa_column=big_int_column())
    remainder_fen: int | None = Field(default=None, sa_column=big_int_column(True))
    retirement_id: str = Field(max_length=40, index=True)
    contract_no: str = Field(max_length=80)
    purchase_date: str = Field(max_length=10)
    recorded_at: str = Field(max_length=40)


class CourtCertificateRow(SQLModel, table=True):
    """A carbon-sink compensation certificate (碳汇补偿证明), found by its verification code."""

    __tablename__ = "court_certificate"
    code: str = Field(primary_key=True, max_length=24)
    seq: int
    order_id: str = Field(max_length=40, index=True)
    case_no: str = Field(max_length=80, index=True)
    record: str = Field(sa_column=text_column())  # canonical JSON that the code hashes
    issued_at: str = Field(max_length=40)


COURT_TABLES = ("court_case", "court_document", "court_document_content", "court_order", "court_order_event",
                "court_fulfilment", "court_certificate")
