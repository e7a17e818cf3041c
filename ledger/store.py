"""Storage: SQLModel tables for the journal and its projections.

The ``journal_entry`` table is the source of truth and is append-only: this module offers no
update or delete for it, and database triggers (see :mod:`sinkledger.db.database`) reject both. Every
other ledger table is a *projection* of the journal, rewritten in the same transaction as the
entry that implies it, and reproducible by replay (``sinkledger verify`` checks that it is).
"""

from __future__ import annotations

from typing import Any, Optional, TypeVar

from sqlalchemy import BigInteger, Column, Index, SmallInteger, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from sinkledger_base.errors import NotFound
from sinkledger_base.rows import RecordRowBase, big_int_column, text_column


class PartyRow(SQLModel, table=True):
    __tablename__ = "party"
    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=30)
    name: str = Field(max_length=200)  # organisations by name; natural persons by a pseudonym
    county_code: Optional[str] = Field(default=None, max_length=12)


class UserRow(SQLModel, table=True):
    __tablename__ = "app_user"
    username: str = Field(primary_key=True, max_length=60)
    party_id: str = Field(foreign_key="party.id", max_length=40)
    role: str = Field(max_length=30)
    password_hash: str = Field(max_length=200)
    display_name: str = Field(max_length=100)
    active: bool = True


class AccountRow(SQLModel, table=True):
    __tablename__ = "account"
    id: str = Field(primary_key=True, max_length=40)
    party_id: Optional[str] = Field(default=None, foreign_key="party.id", max_length=40, index=True)
    kind: str = Field(max_length=20)
    label: str = Field(max_length=200)


class JournalRow(SQLModel, table=True):
    """One journal entry. ``body`` is the canonical JSON that was hashed, stored as text."""

    __tablename__ = "journal_entry"
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=40, index=True)
    request_id: str = Field(max_length=120, unique=True)
    request_fingerprint: str = Field(max_length=64)
    actor: str = Field(max_length=60)
    recorded_at: str = Field(max_length=40)
    body: str = Field(sa_column=text_column())
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64, index=True)  # the public registry finds an entry by its hash


class BatchRow(SQLModel, table=True):
    """A batch: the credits of one vintage created by one issuance (签发批次)."""

    __tablename__ = "batch"
    # The batch holding a serial: the last batch of its prefix that starts at or before it.
    __table_args__ = (Index("ix_batch_prefix_first", "serial_prefix", "first"),)
    id: str = Field(primary_key=True, max_length=80)
    serial_prefix: str = Field(max_length=60, index=True)
    region_code: str = Field(max_length=12)
    county_code: str = Field(max_length=12)
    sink_type: str = Field(max_length=20)
    project_code: str = Field(max_length=12, index=True)  # a project's issuances, in the public registry
    vintage_year: int
    first: int
    last: int
    buffer_quantity: int
    issuance_seq: int = Field(index=True)
    estimate_id: str = Field(max_length=40)
    methodology_id: str = Field(max_length=80)
    methodology_version: str = Field(max_length=20)
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)


class CreditBlockRow(SQLModel, table=True):
    __tablename__ = "credit_block"
    __table_args__ = (Index("ix_credit_block_holding", "account_id", "state", "batch_id", "first"),
                      # a pledge's or lien's blocks; partial, so that untagged blocks (most) cost no entry
                      Index("ix_credit_block_tag", "tag", sqlite_where=text("tag IS NOT NULL"),
                            postgresql_where=text("tag IS NOT NULL")),
                      UniqueConstraint("batch_id", "first"))
    id: Optional[int] = Field(default=None, primary_key=True)
    batch_id: str = Field(max_length=80)  # COLLATE "C" on PostgreSQL (migration 0022: verify's walk order)
    first: int
    last: int
    account_id: str = Field(max_length=40)
    state: str = Field(max_length=12)
    tag: Optional[str] = Field(default=None, max_length=40)


class BalanceRow(SQLModel, table=True):
    """Credits per (account, batch, state): the sum of the blocks, kept with them so that balances
    and "oldest vintage first" never scan every block."""

    __tablename__ = "balance"
    # The invariant check every command runs sums a batch's rows: an index that holds the quantity
    # too answers it from the index alone (a batch sold to hundreds of holders is a few pages).
    # "Oldest vintage first, then issuance order" for a sale or a retirement is a range read of the
    # account's non-empty rows along ``ix_balance_take`` (the batch's vintage year and issuance seq
    # are kept on the row for it; ``verify`` checks they are the batch's), not a sort of every
    # batch an enterprise ever held.
    # Only non-empty rows: a batch sold on for years leaves a zero row for every past holder
    # (at county scale two rows in three), which the check would otherwise read again and again.
    __table_args__ = (Index("ix_balance_batch_id", "batch_id", "quantity", sqlite_where=text("quantity <> 0"),
                            postgresql_where=text("quantity <> 0")),
                      Index("ix_balance_take", "account_id", "state", "vintage_year", "issuance_seq", "batch_id",
                            sqlite_where=text("quantity > 0"), postgresql_where=text("quantity > 0")))
    account_id: str = Field(primary_key=True, max_length=40)
    batch_id: str = Field(primary_key=True, max_length=80)
    state: str = Field(primary_key=True, max_length=12)
    quantity: int = Field(sa_column=big_int_column())
    vintage_year: int = Field(sa_column=Column(BigInteger, nullable=False, server_default=text("0")))
    issuance_seq: int = Field(sa_column=Column(BigInteger, nullable=False, server_default=text("0")))


class IssuedPeriodRow(SQLModel, table=True):
    """Which parcel was issued for which monitoring period: guards against double issuance."""

    __tablename__ = "issued_period"
    id: Optional[int] = Field(default=None, primary_key=True)
    parcel_code: str = Field(max_length=40, index=True)
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    issuance_seq: int


class EstimateRow(RecordRowBase, table=True):
    """A recorded estimate (测算结果) with its whole calculation trace; append-only."""

    __tablename__ = "estimate"
    methodology_id: str = Field(max_length=80)
    methodology_version: str = Field(max_length=20)
    sink_type: str = Field(max_length=20)
    parcel_codes: str = Field(sa_column=text_column())  # JSON list
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    net_kg_co2e: int = Field(sa_column=big_int_column())
    stock_change_kg_co2e: int = Field(sa_column=big_int_column())
    reproducibility_hash: str = Field(max_length=64)
    document: str = Field(sa_column=text_column())  # Estimate.to_dict() as JSON
    uses_unverified: bool


class SaleRow(SQLModel, table=True):
    __tablename__ = "sale"
    seq: int = Field(primary_key=True)
    seller_account: str = Field(max_length=40, index=True)
    buyer_account: str = Field(max_length=40, index=True)
    quantity: int
    price_fen_per_t: int = Field(sa_column=big_int_column())
    amount_fen: int = Field(sa_column=big_int_column())
    contract_no: str = Field(max_length=80)
    recorded_at: str = Field(max_length=40)


class RetirementRow(RecordRowBase, table=True):
    # The public registry lists retirements newest first, by beneficiary, purpose (both by prefix)
    # and year, a page at a time: each filter is a range read on its own index.
    __tablename__ = "retirement"
    __table_args__ = (Index("ix_retirement_recorded_at", "recorded_at", "seq"),
                      Index("ix_retirement_beneficiary", "beneficiary", "seq"),
                      Index("ix_retirement_purpose", "purpose", "seq"))
    account_id: str = Field(max_length=40, index=True)
    quantity: int
    beneficiary: str = Field(max_length=200)
    purpose: str = Field(max_length=500)
    retirement_kind: str = Field(max_length=20)
    recorded_at: str = Field(max_length=40)


class PledgeRow(RecordRowBase, table=True):
    """A pledge (质押) of credits as loan collateral; its status changes only by journal entries."""

    __tablename__ = "pledge"
    account_id: str = Field(max_length=40, index=True)
    bank_party_id: str = Field(max_length=40, index=True)
    quantity: int
    loan_reference: str = Field(max_length=80)
    loan_amount_fen: int = Field(sa_column=big_int_column())
    term_end: str = Field(max_length=10)
    status: str = Field(max_length=12)  # active, released, defaulted
    ended_seq: Optional[int] = None


class ReversalRow(RecordRowBase, table=True):
    __tablename__ = "reversal"
    quantity: int
    reason: str = Field(max_length=500)
    loss_event_ref: str = Field(max_length=80)
    recorded_at: str = Field(max_length=40)


class CorrectionRow(SQLModel, table=True):
    __tablename__ = "correction"
    corrected_seq: int = Field(primary_key=True)
    seq: int
    reason: str = Field(max_length=500)


APPEND_ONLY_TABLES = ("journal_entry", "estimate", "checkpoint", "merkle_node")
PROJECTION_TABLES = ("batch", "credit_block", "balance", "issued_period", "sale", "retirement", "pledge", "reversal",
                     "correction", "collection_contract", "contract_parcel")


class CheckpointRow(SQLModel, table=True):
    """A Merkle checkpoint: the RFC 6962 root over the first ``tree_size`` entry hashes.

    Publishing checkpoints (on a certificate, a notice board, another registry) pins history:
    ``verify`` recomputes every stored checkpoint, so even a rewritten and re-hashed journal
    fails against a root recorded before the rewrite.
    """

    __tablename__ = "checkpoint"
    tree_size: int = Field(primary_key=True)
    root: str = Field(max_length=64)
    head_hash: str = Field(max_length=64)
    created_at: str = Field(max_length=40)


class MerkleNodeRow(SQLModel, table=True):
    """The hash of a complete subtree of the Merkle tree over the journal: ``level`` L,
    ``node_index`` i cover entries ``i·2^L + 1`` to ``(i+1)·2^L``. Every node of 16 entries and
    up is written with the entry that completes it, so that a proof reads O(log n) rows
    (:mod:`ledger.merkle_nodes`); append-only, and checked against the journal by ``verify``."""

    __tablename__ = "merkle_node"
    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    node_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(max_length=64)


class VerifiedCheckpointRow(SQLModel, table=True):
    """A size up to which ``verify`` passed: what an incremental verify starts from.

    ``frontier`` (a JSON list of hex hashes, one per complete subtree) extends the Merkle tree
    without reading the prefix; ``balances_digest`` is SHA-256 over the balance table then,
    ``checkpoints_digest`` over the Merkle checkpoints up to ``tree_size``. Written only by a
    passing verify that was asked to record (``sinkledger verify``, the verify action in the UI).
    """

    __tablename__ = "verified_checkpoint"
    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    head_hash: str = Field(max_length=64)
    merkle_root: str = Field(max_length=64)
    frontier: str = Field(sa_column=text_column())
    balances_digest: str = Field(max_length=64)
    checkpoints_digest: str = Field(max_length=64)
    batches: int = Field(sa_column=big_int_column())
    credits_issued: int = Field(sa_column=big_int_column())
    mode: str = Field(max_length=12)  # full or incremental
    from_seq: int = Field(sa_column=big_int_column())
    verified_at: str = Field(max_length=40)
    duration_ms: int = Field(sa_column=big_int_column())


class VerifyOutcomeRow(SQLModel, table=True):
    """The outcome of the latest recording verify, passing or failing (one row per ``scope``;
    ``ledger`` for ``sinkledger verify``).

    The verified checkpoint (:class:`VerifiedCheckpointRow`) is written only by a passing run, so
    on its own it keeps vouching for the ledger after a later run failed; this row says what the
    latest run found, and the overview shows a failure here before any older pass. ``problem``
    is the first problem's text (shortened), ``problems`` how many there were.
    """

    __tablename__ = "verify_outcome"
    scope: str = Field(primary_key=True, max_length=20)
    ok: bool
    mode: str = Field(max_length=12)  # full or incremental
    entries: int = Field(sa_column=big_int_column())
    first_bad_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    problems: int = Field(sa_column=big_int_column())
    problem: str = Field(default="", max_length=500)
    ran_at: str = Field(max_length=40)
    duration_ms: int = Field(sa_column=big_int_column())


class CollectionContractRow(SQLModel, table=True):
    """A collection contract (收储合同): sink rights of parcels pass to the collection centre."""

    __tablename__ = "collection_contract"
    contract_no: str = Field(primary_key=True, max_length=80)
    seq: int
    centre_party_id: str = Field(max_length=40, index=True)
    collective_party_id: str = Field(max_length=40, index=True)
    term_start: str = Field(max_length=10)
    term_end: str = Field(max_length=10)
    signed_date: str = Field(max_length=10)
    payment_terms: str = Field(sa_column=text_column())  # JSON


class ContractParcelRow(SQLModel, table=True):
    __tablename__ = "contract_parcel"
    id: Optional[int] = Field(default=None, primary_key=True)
    contract_no: str = Field(max_length=80, index=True)
    parcel_code: str = Field(max_length=40, index=True)
    term_start: str = Field(max_length=10)
    term_end: str = Field(max_length=10)


RowT = TypeVar("RowT", bound=SQLModel)


def must_get(session: Any, row_type: type[RowT], key: Any, code: str, /, **params: Any) -> RowT:
    """The ``row_type`` row whose primary key is ``key``, else the refusal ``code`` (NotFound).

    A key that is not text or a whole number is not looked up at all (a refused value never
    reaches the database driver).
    """
    valid = isinstance(key, (str, int)) and not isinstance(key, bool)
    row = session.get(row_type, key) if valid else None
    if row is None:
        raise NotFound(code, **params)
    return row
