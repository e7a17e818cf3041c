"""Income domain: journal entry kinds, record ids, roles of the payments, and small value checks.

Everything here is pure. Ids are the journal seq of the entry that made the record, with a
prefix, as elsewhere in the ledger (``PL-00000012`` is a pledge): ``KD`` contract document,
``DS`` distribution, ``OB`` fixed-payment obligation, ``PY`` payment, ``LN`` lien, ``LE`` loss
event. A due item (应付款项) is one line of a distribution or an obligation owed to one party:
``DS-00000042-003``.
"""

from __future__ import annotations

import enum
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain import EntryKind
from sinkledger_base.checks import ascii_number_text
from sinkledger_base.errors import InvalidInput, printable

INCOME_ENTRY_KINDS = tuple(EntryKind(k) for k in (
    "collection_document_registered",
    "project_registered",
    "project_parcels_added",
    "distribution",
    "payments_scheduled",
    "payment",
    "lien_registered",
    "lien_released",
    "lien_defaulted",
    "loss_event",
    "insurance_claim",
))
"""Journal entry kinds the income package writes (members of ``ledger.domain.EntryKind``)."""


class LineRole(str, enum.Enum):
    """Who a line of a distribution or an obligation is for, and why."""

    household = "household"  # 农户: the household's share of a parcel's part
    collective = "collective"  # 村集体: a parcel's part when the parcel has no household shares
    centre_share = "centre_share"  # the centre's part of the net proceeds (100 % − the share)
    costs = "costs"  # the contract's stated costs, kept by the centre
    centre_fixed_terms = "centre_fixed_terms"  # proceeds of fixed-payment parcels: the centre's
    seller_retained = "seller_retained"  # credits of no contract of the seller (or untraced)


PAID_ROLES = frozenset({LineRole.household, LineRole.collective})
PAID_ROLE_VALUES = frozenset(r.value for r in PAID_ROLES)  # as a payload's line holds them
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_REFERENCE_CHARS = 80


def record_id(prefix: str, seq: int) -> str:
    """``record_id("DS", 42)`` → ``DS-00000042``."""
    return f"{prefix}-{seq:08d}"


def line_id(parent_id: str, number: int) -> str:
    """``line_id("DS-00000042", 3)`` → ``DS-00000042-003``."""
    return f"{parent_id}-{number:03d}"


def shown(value: Any, limit: int = 40) -> str:
    """A caller's value as a refusal may echo it: at most ``limit`` characters, lone surrogates
    (undecodable bytes) escaped, so that the error document prints as UTF-8."""
    return printable(str(value), limit)


def check_whole(value: Any, field: str, *, minimum: int = 0, maximum: int = 10**15) -> int:
    """A whole number in [minimum, maximum] (fen, tonnes, basis points); never a bool or float."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise InvalidInput("value_invalid", field=field, value=shown(value, 40))
    return value


def is_key(value: Any) -> bool:
    """Whether ``value`` can be looked up as a record's key (printable text, at most 120 chars);
    anything else is simply not found."""
    return isinstance(value, str) and 0 < len(value) <= 120 and value.isprintable()


def check_codes(value: Any, field: str, *, maximum: int = 5_000) -> list[str]:
    """A non-empty list of distinct, non-empty strings (parcel codes, ids)."""
    if (not isinstance(value, list) or not value or len(value) > maximum
            or not all(isinstance(v, str) and v.strip() and v.isprintable() for v in value)
            or len(set(value)) != len(value)):
        raise InvalidInput("value_invalid", field=field, value=shown(value, 60))
    return value


def check_decimal(value: Any, field: str, *, positive: bool = True) -> Decimal:
    """A finite decimal given as a string or int (never a float), > 0 when ``positive``."""
    try:
        number = (Decimal(value) if isinstance(value, (str, int)) and not isinstance(value, bool)
                  and ascii_number_text(str(value)) else None)  # "１.5" is not 1.5
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or (positive and number <= 0) or number < 0:
        raise InvalidInput("value_invalid", field=field, value=shown(value, 40))
    return number


def decimal_text(value: Decimal) -> str:
    """Canonical decimal text for the journal: ``Decimal("1.50")`` → ``"1.5"``."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"
