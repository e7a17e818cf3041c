"""Storage of the income package: projections of the journal, rewritten only by its commands.

Every table here is written in the same transaction as the journal entry that implies it and
can be rebuilt from the journal (the entry payloads carry every figure). The one exception is
``collection_document_content``: the bytes of a contract document are kept beside the ledger,
not in it (a contract names natural persons); the journal holds only their SHA-256, so the
content can be erased under PIPL without breaking the chain.

Money is integer fen, quantities whole tonnes or integer kg CO2e, areas decimal strings.
"""

from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from sinkledger_base.rows import (
    DocumentContentRowBase,
    DocumentRowBase,
    RecordRowBase,
    big_int_column,
    text_column,
)


class CollectionDocumentRow(DocumentRowBase, table=True):
    """A document of a collection contract (the signed contract, a parcel list...), by hash."""

    __tablename__ = "collection_document"
    contract_no: str = Field(max_length=80, index=True)


class CollectionDocumentContentRow(DocumentContentRowBase, table=True):
    """The bytes of a contract document, by hash; erasable, never part of the journal."""

    __tablename__ = "collection_document_content"


class ProjectRow(SQLModel, table=True):
    """A bundled project (打捆开发): parcels of one sink type, one methodology, one schedule."""

    __tablename__ = "bundled_project"
    project_code: str = Field(primary_key=True, max_length=12)
    seq: int
    name: str = Field(max_length=200)
    sink_type: str = Field(max_length=20)
    methodology_id: str = Field(max_length=80)
    centre_party_id: str = Field(max_length=40, index=True)
    monitoring_start: str = Field(max_length=10)
    interval_months: int


class ProjectParcelRow(SQLModel, table=True):
    __tablename__ = "bundled_project_parcel"
    parcel_code: str = Field(primary_key=True, max_length=40)  # a parcel is in one project at most
    project_code: str = Field(max_length=12, index=True)
    added_seq: int


class ContributionRow(SQLModel, table=True):
    """A parcel's part of one batch: tonnes (summing to the batch) and kg CO2e (to its verified kg)."""

    __tablename__ = "issuance_contribution"
    __table_args__ = (UniqueConstraint("batch_id", "parcel_code"),)
    id: int | None = Field(default=None, primary_key=True)
    issuance_seq: int = Field(index=True)
    batch_id: str = Field(max_length=80, index=True)
    parcel_code: str = Field(max_length=40, index=True)
    quantity_t: int = Field(sa_column=big_int_column())
    kg_co2e: int = Field(sa_column=big_int_column())
    weight: int = Field(sa_column=big_int_column())  # the parcel's area in 0.01 m² at issuance


class DistributionRow(RecordRowBase, table=True):
    """A sale's distribution (收益分配): one per sale."""

    __tablename__ = "distribution"
    sale_seq: int = Field(unique=True)
    seller_account: str = Field(max_length=40, index=True)
    sale_date: str = Field(max_length=10)
    quantity_t: int = Field(sa_column=big_int_column())
    amount_fen: int = Field(sa_column=big_int_column())
    recorded_at: str = Field(max_length=40)


class DistributionContractRow(SQLModel, table=True):
    """One contract's part of a distribution: tonnes, gross, costs, net, and the two shares."""

    __tablename__ = "distribution_contract"
    __table_args__ = (UniqueConstraint("distribution_id", "contract_no"),)
    id: int | None = Field(default=None, primary_key=True)
    distribution_id: str = Field(max_length=40, index=True)
    contract_no: str = Field(max_length=80, index=True)
    collective_party_id: str = Field(max_length=40, index=True)
    kind: str = Field(max_length=20)
    quantity_t: int = Field(sa_column=big_int_column())
    gross_fen: int = Field(sa_column=big_int_column())
    costs_fen: int = Field(sa_column=big_int_column())
    net_fen: int = Field(sa_column=big_int_column())
    villages_fen: int = Field(sa_column=big_int_column())  # the collective's, passed to households
    centre_fen: int = Field(sa_column=big_int_column())


class ObligationRow(RecordRowBase, table=True):
    """One contract year of a fixed-payment contract, scheduled (应付租金)."""

    __tablename__ = "fixed_payment_obligation"
    __table_args__ = (UniqueConstraint("contract_no", "year_index"),)
    contract_no: str = Field(max_length=80, index=True)
    year_index: int
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    due_date: str = Field(max_length=10)
    amount_fen: int = Field(sa_column=big_int_column())


class DueItemRow(SQLModel, table=True):
    """What one party is owed by one line of a distribution or an obligation, and what is paid."""

    __tablename__ = "due_item"
    __table_args__ = (Index("ix_due_item_party_due", "party_id", "due_date"),)
    id: str = Field(primary_key=True, max_length=48)
    seq: int
    source_kind: str = Field(max_length=20)  # distribution, fixed_payment
    source_id: str = Field(max_length=40, index=True)
    contract_no: str = Field(max_length=80, index=True)
    payer_party_id: str = Field(max_length=40, index=True)
    party_id: str = Field(max_length=40)
    party_kind: str = Field(max_length=30)
    role: str = Field(max_length=30)
    parcel_code: str = Field(max_length=40, index=True)
    parcel_tonnes: int | None = Field(default=None, sa_column=big_int_column(True))
    share_bp: int | None = None
    attributed_kg: int | None = Field(default=None, sa_column=big_int_column(True))
    amount_fen: int = Field(sa_column=big_int_column())
    paid_fen: int = Field(default=0, sa_column=big_int_column())
    basis_date: str = Field(max_length=10)  # the sale date, or the contract year's start
    due_date: str = Field(max_length=10)
    sale_seq: int | None = None


class PaymentRow(SQLModel, table=True):
    """One payment against one due item (paid, date, reference)."""

    __tablename__ = "income_payment"
    id: str = Field(primary_key=True, max_length=48)
    seq: int = Field(index=True)
    due_id: str = Field(max_length=48, index=True)
    payer_party_id: str = Field(max_length=40)
    party_id: str = Field(max_length=40, index=True)
    amount_fen: int = Field(sa_column=big_int_column())
    paid_date: str = Field(max_length=10)
    reference: str = Field(max_length=80)


class LienRow(RecordRowBase, table=True):
    """A pledge of future issuances (收储贷): credits issued for the parcels arrive pledged."""

    __tablename__ = "lien"
    bank_party_id: str = Field(max_length=40, index=True)
    contract_no: str = Field(max_length=80, index=True)
    loan_reference: str = Field(max_length=80)
    loan_amount_fen: int = Field(sa_column=big_int_column())
    term_end: str = Field(max_length=10)
    status: str = Field(max_length=12)  # active, released, defaulted
    ended_seq: int | None = None


class LienParcelRow(SQLModel, table=True):
    __tablename__ = "lien_parcel"
    __table_args__ = (UniqueConstraint("lien_id", "parcel_code"),)
    id: int | None = Field(default=None, primary_key=True)
    lien_id: str = Field(max_length=40, index=True)
    parcel_code: str = Field(max_length=40, index=True)


class LienPledgeRow(SQLModel, table=True):
    """A pledge (``pledge`` table) made by a lien when an issuance arrived."""

    __tablename__ = "lien_pledge"
    pledge_id: str = Field(primary_key=True, max_length=40)
    lien_id: str = Field(max_length=40, index=True)
    issuance_seq: int


class LossEventRow(RecordRowBase, table=True):
    """A loss event (snow, fire, pests, conversion) with the carbon lost and the reversal made."""

    __tablename__ = "loss_event"
    cause: str = Field(max_length=20)
    event_date: str = Field(max_length=10)
    reported_by_party_id: str = Field(max_length=40)
    policy_no: str | None = Field(default=None, max_length=80)
    description: str = Field(sa_column=text_column())
    lost_t_co2e: str = Field(max_length=40)  # decimal
    reversed_t: int = Field(sa_column=big_int_column())
    reversal_id: str | None = Field(default=None, max_length=40)
    recorded_at: str = Field(max_length=40)


class LossParcelRow(SQLModel, table=True):
    __tablename__ = "loss_parcel"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, index=True)
    parcel_code: str = Field(max_length=40, index=True)
    affected_area_ha: str = Field(max_length=40)
    damage_share_bp: int
    stock_t_c_per_ha: str = Field(max_length=60)
    estimate_id: str = Field(max_length=40)
    lost_t_co2e: str = Field(max_length=60)
    reversed_t: int = Field(sa_column=big_int_column())


class InsuranceClaimRow(SQLModel, table=True):
    """An insurance claim (理赔) linking a loss event, the policy and the payout."""

    __tablename__ = "insurance_claim"
    claim_no: str = Field(primary_key=True, max_length=80)
    seq: int
    event_id: str = Field(max_length=40, index=True)
    insurer_party_id: str = Field(max_length=40, index=True)
    insured_party_id: str = Field(max_length=40, index=True)
    policy_no: str = Field(max_length=80)
    product: str = Field(max_length=200)
    payout_fen: int = Field(sa_column=big_int_column())
    paid_date: str | None = Field(default=None, max_length=10)
    reference: str | None = Field(default=None, max_length=80)


INCOME_TABLES = ("collection_document", "collection_document_content", "bundled_project",
                 "bundled_project_parcel", "issuance_contribution", "distribution", "distribution_contract",
                 "fixed_payment_obligation", "due_item", "income_payment", "lien", "lien_parcel", "lien_pledge",
                 "loss_event", "loss_parcel", "insurance_claim")
