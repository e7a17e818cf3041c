"""Ledger domain: kinds, roles, serial numbers, canonical form and the block arithmetic.

Everything here is pure: no database, no clock. The same functions run when a command is
recorded and when ``sinkledger verify`` replays the whole journal, so the live balances and a
replay cannot drift apart.

Serial numbers
--------------
One credit is one whole tCO2e with a unique serial::

    CN330523-BF-AJBF01-2024-000000001
    │ │      │  │      │    └ number within the prefix, 9 digits, from 1
    │ │      │  │      └ vintage year (the year the removal happened)
    │ │      │  └ project code (1-12 of A-Z, 0-9)
    │ │      └ sink type: BF bamboo forest, WL wetland, TG tea garden
    │ └ GB/T 2260 code of the county (or prefecture when a project spans counties)
    └ country

Every issuance creates one batch per vintage; its credits form one serial block whose numbers
continue after the last number already issued under the same prefix, so no serial can exist
twice. A block is written ``<prefix>-<first>..<last>`` and holds ``last - first + 1`` credits.
"""

from __future__ import annotations

import bisect
import enum
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Iterable, Mapping

from sinkledger_base import checks
from sinkledger_base.canonical import canonical_bytes, sha256_hex
from sinkledger_base.errors import InvalidInput

GENESIS_HASH = "0" * 64
SERIAL_DIGITS = 9
PROJECT_CODE_PATTERN = re.compile(r"^[A-Z0-9]{1,12}$")


class PartyKind(enum.StrEnum):
    collective = enum.auto()  # village collective 村集体 / cooperative 合作社
    household = enum.auto()
    collection_centre = enum.auto()
    trading_centre = enum.auto()
    enterprise = enum.auto()
    verifier = enum.auto()
    court = enum.auto()
    procuratorate = enum.auto()
    defendant = enum.auto()
    bank = enum.auto()
    insurer = enum.auto()
    public = enum.auto()
    registry = enum.auto()  # the registry operator itself (system accounts)
    authority = enum.auto()  # a government authority: compensation programmes, quota obligations (issue 22)


# Parties that are (or may be) natural persons: shown to the public by their kind only, never by
# name (a defendant may be a person; the register cannot tell, so none is named).
NATURAL_PERSON_KINDS = frozenset({PartyKind.household, PartyKind.defendant})


class Role(enum.StrEnum):
    cooperative = enum.auto()
    household = enum.auto()
    collection_centre = enum.auto()
    trading_clerk = enum.auto()
    enterprise = enum.auto()
    verifier = enum.auto()
    court = enum.auto()
    procurator = enum.auto()
    bank = enum.auto()
    insurer = enum.auto()
    public = enum.auto()
    admin = enum.auto()
    authority = enum.auto()  # a government authority's officer (issue 22)


# The kinds of party a user of each role acts for: a user's party is chosen among these (issue 19:
# a cooperative's user saved with a bank as its party).
ROLE_PARTY_KINDS: dict[Role, tuple[PartyKind, ...]] = {
    Role.cooperative: (PartyKind.collective,), Role.household: (PartyKind.household,),
    Role.collection_centre: (PartyKind.collection_centre,), Role.trading_clerk: (PartyKind.trading_centre,),
    Role.enterprise: (PartyKind.enterprise,), Role.verifier: (PartyKind.verifier,), Role.court: (PartyKind.court,),
    Role.procurator: (PartyKind.procuratorate,), Role.bank: (PartyKind.bank,), Role.insurer: (PartyKind.insurer,),
    Role.admin: (PartyKind.registry,), Role.authority: (PartyKind.authority,),
}


class AccountKind(enum.StrEnum):
    holding = enum.auto()
    issuance = enum.auto()  # 签发: the source of every issuance; it never holds credits
    buffer = enum.auto()  # 缓冲池: withheld credits that cover later reversals
    retirement = enum.auto()  # 注销: where retired credits rest, never to move again
    cancellation = enum.auto()  # credits cancelled by a reversal
    imported = enum.auto()  # another registry's history


class BlockState(enum.StrEnum):
    held = enum.auto()
    pledged = enum.auto()
    retired = enum.auto()
    cancelled = enum.auto()


class EntryKind(enum.StrEnum):
    party_registered = enum.auto()
    account_opened = enum.auto()
    parcel_registered = enum.auto()
    estimate_recorded = enum.auto()
    issuance = enum.auto()
    sale = enum.auto()
    retirement = enum.auto()
    pledge = enum.auto()
    release = enum.auto()
    pledge_default = enum.auto()
    reversal = enum.auto()
    correction = enum.auto()
    registry_import = enum.auto()
    court_case_registered = enum.auto()
    court_document_registered = enum.auto()
    court_order_issued = enum.auto()
    court_order_amended = enum.auto()
    court_order_withdrawn = enum.auto()
    court_fulfilment = enum.auto()
    court_certificate_issued = enum.auto()
    parcels_imported = enum.auto()
    parcel_updated = enum.auto()
    parcel_split = enum.auto()
    parcels_merged = enum.auto()
    parcel_retired = enum.auto()
    parcel_deleted = enum.auto()
    user_changed = enum.auto()  # an administrator created or changed a user (no password)
    estimate_returned = enum.auto()  # a verifier returned an estimate with comments
    people_anchor = enum.auto()  # the heads of the person register's hash chains (ledger/people/chain.py)
    collection = enum.auto()
    collection_document_registered = enum.auto()
    project_registered = enum.auto()
    project_parcels_added = enum.auto()
    distribution = enum.auto()
    payments_scheduled = enum.auto()
    payment = enum.auto()
    lien_registered = enum.auto()
    lien_released = enum.auto()
    lien_defaulted = enum.auto()
    loss_event = enum.auto()
    insurance_claim = enum.auto()
    # issue 22 (helper h7): price index insurance and pricing factors (ledger/prices)
    index_policy_issued = enum.auto()
    index_policy_settled = enum.auto()
    pricing_factors_set = enum.auto()
    # issue 22 (helper h8): ecological protection compensation and quota obligations
    compensation_programme_registered = enum.auto()
    compensation_payment = enum.auto()
    obligation_set = enum.auto()
    obligation_surrender = enum.auto()
    obligation_claim = enum.auto()
    obligation_certificate_issued = enum.auto()


class SinkCode(str, enum.Enum):
    bamboo_forest = "BF"
    wetland = "WL"
    tea_garden = "TG"


SYSTEM_ACCOUNTS = {
    AccountKind.issuance: "SYS-ISSUANCE",
    AccountKind.buffer: "SYS-BUFFER",
    AccountKind.retirement: "SYS-RETIRED",
    AccountKind.cancellation: "SYS-CANCELLED",
}


# --- canonical form and hashing (the functions live in the base layer) -------------------

def check_date(value: Any, field: str) -> str:
    """An ISO date (YYYY-MM-DD) within :data:`sinkledger_base.checks.EARLIEST_DATE` ..
    ``LATEST_DATE``, refused by field otherwise (``value_invalid``, ``date_out_of_range``)."""
    return checks.iso_date(value, field).isoformat()


INT64_LIMIT = 2**63  # what both databases store in a BIGINT
MAX_CONTENT_DEPTH = 32


def check_content(value: Any, path: str = "content", depth: int = 0) -> None:
    """Refuse (``value_invalid`` naming the field) what a ledger record cannot hold: floats (NaN
    included), bytes, sets, decimals, lone surrogates and NUL in text, integers beyond 64 bits,
    nesting deeper than :data:`MAX_CONTENT_DEPTH`, and any other type but text, integers,
    booleans, None, lists, mappings, enums and dates."""
    if depth == 0 and _plainly_valid(value, 0):
        return  # the common case, without building a path for every field

    def bad() -> InvalidInput:
        shown = repr(value)[:40] if not isinstance(value, (Mapping, list, tuple, set, frozenset)) else type(value).__name__
        return InvalidInput("value_invalid", field=path.removeprefix("content."), value=shown)

    kind = type(value)
    if value is None or kind is bool or isinstance(value, (enum.Enum, date)):
        return
    if isinstance(value, int):
        if abs(value) >= INT64_LIMIT:
            raise bad()
        return
    if isinstance(value, str):
        if "\x00" in value or not _encodes(value):
            raise bad()
        return
    if depth >= MAX_CONTENT_DEPTH or not isinstance(value, (Mapping, list, tuple)):
        raise bad()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise bad()
            check_content(key, path, depth + 1)
            check_content(item, f"{path}.{key}", depth + 1)
    else:
        for i, item in enumerate(value):
            check_content(item, f"{path}[{i}]", depth + 1)


def _plainly_valid(value: Any, depth: int) -> bool:
    """True when ``value`` is made only of dicts with text keys, lists, text, integers, booleans
    and None that :func:`check_content` accepts; False sends it to the full check (which also
    accepts enums, dates, other mappings and integer keys, and names the field it refuses)."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value and (value.isascii() or _encodes(value))
    if kind is int:
        return -INT64_LIMIT < value < INT64_LIMIT
    if value is None or kind is bool:
        return True
    if depth + 1 >= MAX_CONTENT_DEPTH:
        return False
    if kind is dict:
        return all(type(k) is str and _plainly_valid(k, depth) and _plainly_valid(v, depth + 1)
                   for k, v in value.items())
    if kind is list:
        return all(_plainly_valid(v, depth + 1) for v in value)
    return False


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def entry_hash(prev_hash: str, body: str) -> str:
    """The chain link: SHA-256 over the previous entry's hash, a newline and this entry's body."""
    return sha256_hex(prev_hash + "\n" + body)


def request_fingerprint(kind: str, actor: str, content: Mapping[str, Any]) -> str:
    """Hash of what a request asks for; a retry must match it exactly."""
    return hashlib.sha256(canonical_bytes({"kind": kind, "actor": actor, "content": content})).hexdigest()


# --- serials ------------------------------------------------------------------------------

def serial_prefix(*, region_code: str, sink_type: str, project_code: str, vintage_year: int) -> str:
    sink = SinkCode[sink_type].value
    return f"CN{region_code}-{sink}-{project_code}-{vintage_year:04d}"


def format_serial(prefix: str, number: int) -> str:
    return f"{prefix}-{number:0{SERIAL_DIGITS}d}"


def format_block(prefix: str, first: int, last: int) -> str:
    if first == last:
        return format_serial(prefix, first)
    return f"{format_serial(prefix, first)}..{last:0{SERIAL_DIGITS}d}"


def split_by_vintage(total: int, start: date, end: date) -> dict[int, int]:
    """Split ``total`` credits over calendar years pro rata by days (largest remainder).

    The monitoring period is the half-open interval [start, end). Ties in the remainder go
    to the earlier year, so the split is deterministic.
    """
    days_by_year: dict[int, int] = {}
    for year in range(start.year, end.year + 1):
        lo = max(start, date(year, 1, 1))
        hi = min(end, date(year + 1, 1, 1))
        if hi > lo:
            days_by_year[year] = (hi - lo).days
    total_days = sum(days_by_year.values())
    shares = {y: total * d // total_days for y, d in days_by_year.items()}
    left = total - sum(shares.values())
    order = sorted(days_by_year, key=lambda y: (-(total * days_by_year[y] % total_days), y))
    for year in order[:left]:
        shares[year] += 1
    return {y: q for y, q in shares.items() if q > 0}


# --- blocks and moves -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Block:
    """A contiguous run of serial numbers of one batch, in one account and state."""

    batch_id: str
    first: int
    last: int
    account_id: str
    state: BlockState
    tag: str | None = None  # retirement id or pledge id

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class Move:
    """Serials ``first..last`` of a batch leave one (account, state) for another.

    ``from_account`` is None for an issuance, which creates the block (shown as coming from the
    ``SYS-ISSUANCE`` account, which never holds anything).
    """

    batch_id: str
    first: int
    last: int
    from_account: str | None
    from_state: BlockState | None
    to_account: str
    to_state: BlockState
    tag: str | None = None

    def to_record(self) -> dict[str, Any]:
        # ``_value_``: the member's text as a plain str (what ``.value`` gives, without the enum
        # property's descriptor call; a pledge writes ~50 records)
        return {
            "batch_id": self.batch_id, "first": self.first, "last": self.last,
            "from_account": self.from_account,
            "from_state": self.from_state._value_ if self.from_state else None,
            "to_account": self.to_account, "to_state": self.to_state._value_, "tag": self.tag,
        }

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> "Move":
        return cls(
            batch_id=r["batch_id"], first=int(r["first"]), last=int(r["last"]),
            from_account=r["from_account"],
            from_state=BlockState(r["from_state"]) if r["from_state"] else None,
            to_account=r["to_account"], to_state=BlockState(r["to_state"]), tag=r.get("tag"),
        )


class BlockSet:
    """Blocks indexed by batch for splitting; the in-memory twin of the ``credit_block`` table."""

    def __init__(self, blocks: Iterable[Block] = ()) -> None:
        self._firsts: dict[str, list[int]] = {}
        self._blocks: dict[tuple[str, int], Block] = {}
        for b in blocks:
            self._insert(b)

    def _insert(self, b: Block) -> None:
        firsts = self._firsts.setdefault(b.batch_id, [])
        i = bisect.bisect_left(firsts, b.first)
        if (i < len(firsts) and firsts[i] <= b.last) or (i > 0 and self._blocks[(b.batch_id, firsts[i - 1])].last >= b.first):
            raise ValueError(f"serial block overlaps an existing one: {b}")
        firsts.insert(i, b.first)
        self._blocks[(b.batch_id, b.first)] = b

    def _remove(self, b: Block) -> None:
        firsts = self._firsts[b.batch_id]
        firsts.pop(bisect.bisect_left(firsts, b.first))
        del self._blocks[(b.batch_id, b.first)]

    def containing(self, batch_id: str, number: int) -> Block | None:
        firsts = self._firsts.get(batch_id, [])
        i = bisect.bisect_right(firsts, number) - 1
        if i < 0:
            return None
        b = self._blocks[(batch_id, firsts[i])]
        return b if b.first <= number <= b.last else None

    def apply(self, move: Move) -> tuple[list[Block], list[Block]]:
        """Apply one move; return (removed, added) blocks. Raises ValueError if impossible."""
        if move.first > move.last:
            raise ValueError(f"empty move {move}")
        new = Block(move.batch_id, move.first, move.last, move.to_account, move.to_state, move.tag)
        if move.from_account is None:
            self._insert(new)
            return [], [new]
        src = self.containing(move.batch_id, move.first)
        if src is None or src.last < move.last:
            raise ValueError(f"move {move} is not inside one block")
        if src.account_id != move.from_account or src.state != move.from_state:
            raise ValueError(f"move {move} does not match block {src}")
        self._remove(src)
        added = []
        if src.first < move.first:
            added.append(replace(src, last=move.first - 1))
        added.append(new)
        if move.last < src.last:
            added.append(replace(src, first=move.last + 1))
        for b in added:
            self._insert(b)
        return [src], added

    def blocks(self) -> list[Block]:
        return sorted(self._blocks.values(), key=lambda b: (b.batch_id, b.first))


def plan_take(available: Iterable[Block], quantity: int, *, to_account: str, to_state: BlockState,
              tag: str | None = None) -> list[Move]:
    """Take ``quantity`` credits from ``available`` blocks in the order given.

    The caller orders the blocks (oldest vintage first); the last block taken is split.
    Returns an empty list if the blocks hold fewer than ``quantity`` credits.
    """
    moves: list[Move] = []
    needed = quantity
    for b in available:
        if needed == 0:
            break
        take = min(needed, b.quantity)
        moves.append(Move(b.batch_id, b.first, b.first + take - 1, b.account_id, b.state,
                          to_account, to_state, tag))
        needed -= take
    return moves if needed == 0 else []


def check_project_code(code: str) -> bool:
    return bool(PROJECT_CODE_PATTERN.match(code))
