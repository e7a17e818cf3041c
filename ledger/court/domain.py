"""Court compensation domain: kinds, statuses and the pure rules of orders and purchases.

Everything here is pure (no database, no clock), so the rule that turns money into tonnes is
the same when a purchase is recorded, when a certificate is built and when a test checks it.

Money orders follow METHODOLOGIES.md §5.5: tonnes = floor(amount ÷ unit price at the time of
purchase), the remainder reported. With partial purchases each purchase buys at most
floor(remaining amount ÷ its price) tonnes; the order is fulfilled once what remains is less
than the price of the last purchase (no further whole tonne could be bought at that price).
"""

from __future__ import annotations

import base64
import enum
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sinkledger_base.canonical import canonical_json


class OrderKind(str, enum.Enum):
    quantity = "quantity"  # a number of tCO2e to buy and retire
    money = "money"  # an amount of money (fen) to spend on credits


class OrderStatus(str, enum.Enum):
    ordered = "ordered"  # 已判令，未履行
    partly_fulfilled = "partly_fulfilled"  # 部分履行
    fulfilled = "fulfilled"  # 履行完毕
    overdue = "overdue"  # 逾期未履行完毕 (derived from the due date at read time)
    withdrawn = "withdrawn"  # 已撤回


STATUS_ZH = {OrderStatus.ordered: "已判令", OrderStatus.partly_fulfilled: "部分履行",
             OrderStatus.fulfilled: "履行完毕", OrderStatus.overdue: "逾期",
             OrderStatus.withdrawn: "已撤回"}


def case_entry_id(prefix: str, seq: int) -> str:
    """Ids of court records: ``CO-00000012`` (order), ``CF-...`` (fulfilment), ``CD-...`` (document)."""
    return f"{prefix}-{seq:08d}"


def money_to_tonnes(amount_fen: int, price_fen_per_t: int) -> tuple[int, int]:
    """Whole tonnes an amount buys at a price, and the remainder; floor, never round.

    Parameters
    ----------
    amount_fen : int
        Money available, in fen (1 yuan = 100 fen).
    price_fen_per_t : int
        Unit price in fen per tCO2e; positive.

    Returns
    -------
    tuple[int, int]
        ``(tonnes, remainder_fen)`` with ``tonnes * price + remainder == amount``.

    Examples
    --------
    The Chongqing judgment (METHODOLOGIES.md §5.5): 122,366 yuan at 58.83 yuan/t buys 2,079 t
    (rounding would say 2,080) and leaves 58.43 yuan.

    >>> money_to_tonnes(12_236_600, 5_883)
    (2079, 5843)
    """
    if price_fen_per_t <= 0:
        raise ValueError("price_fen_per_t must be positive")
    return amount_fen // price_fen_per_t, amount_fen % price_fen_per_t


TERM_FIELDS = ("quantity_t", "amount_fen", "due_date", "same_sink_type", "same_county")  # what an amendment may change


@dataclass(frozen=True, kw_only=True)
class OrderTerms:
    """What an order asks and what has been done against it so far."""

    kind: OrderKind
    quantity_t: int | None  # quantity orders
    amount_fen: int | None  # money orders
    fulfilled_t: int = 0
    spent_fen: int = 0
    last_price_fen_per_t: int | None = None

    @property
    def remaining_fen(self) -> int:
        return (self.amount_fen or 0) - self.spent_fen

    @property
    def remaining_t(self) -> int:
        return (self.quantity_t or 0) - self.fulfilled_t

    def is_complete(self) -> bool:
        """Quantity orders: every tonne bought. Money orders: the rest buys no whole tonne at the
        last purchase's price."""
        if self.kind is OrderKind.quantity:
            return self.remaining_t <= 0
        if self.remaining_fen <= 0:
            return True
        return self.last_price_fen_per_t is not None and self.remaining_fen < self.last_price_fen_per_t


@dataclass(frozen=True, kw_only=True)
class Purchase:
    """One purchase against an order, as the rule allows it."""

    quantity_t: int
    price_fen_per_t: int
    amount_fen: int
    remaining_before_fen: int | None  # money orders only
    remainder_fen: int | None  # money orders: what is left after this purchase
    completes_order: bool

    def to_record(self) -> dict[str, Any]:
        return dict(self.__dict__)


def plan_purchase(terms: OrderTerms, *, price_fen_per_t: int, requested_t: int | None) -> Purchase | str:
    """The purchase an order allows, or the refusal code that forbids it.

    Quantity orders: ``requested_t`` (default: all that remains) must not exceed what remains.
    Money orders: at most floor(remaining ÷ price) tonnes (the default); more is over-fulfilment.

    Examples
    --------
    >>> t = OrderTerms(kind=OrderKind.money, quantity_t=None, amount_fen=12_236_600)
    >>> first = plan_purchase(t, price_fen_per_t=5_883, requested_t=1_000)
    >>> first.amount_fen, first.remainder_fen, first.completes_order
    (5883000, 6353600, False)
    >>> t2 = OrderTerms(kind=OrderKind.money, quantity_t=None, amount_fen=12_236_600,
    ...                 fulfilled_t=1_000, spent_fen=5_883_000, last_price_fen_per_t=5_883)
    >>> second = plan_purchase(t2, price_fen_per_t=5_883, requested_t=None)
    >>> second.quantity_t, second.remainder_fen, second.completes_order
    (1079, 5843, True)
    """
    if terms.kind is OrderKind.quantity:
        return _plan_quantity(terms, price_fen_per_t, requested_t)
    if price_fen_per_t <= 0:
        return "price_must_be_positive"
    affordable_t, _ = money_to_tonnes(terms.remaining_fen, price_fen_per_t)
    quantity_t = affordable_t if requested_t is None else requested_t
    if quantity_t > affordable_t:
        return "quantity_exceeds_order_remaining"
    if quantity_t <= 0:
        return "order_already_fulfilled" if affordable_t == 0 else "quantity_must_be_positive"
    amount_fen = quantity_t * price_fen_per_t
    after = OrderTerms(kind=terms.kind, quantity_t=None, amount_fen=terms.amount_fen,
                       spent_fen=terms.spent_fen + amount_fen, last_price_fen_per_t=price_fen_per_t)
    return Purchase(quantity_t=quantity_t, price_fen_per_t=price_fen_per_t, amount_fen=amount_fen,
                    remaining_before_fen=terms.remaining_fen, remainder_fen=after.remaining_fen,
                    completes_order=after.is_complete())


def _plan_quantity(terms: OrderTerms, price_fen_per_t: int, requested_t: int | None) -> Purchase | str:
    if price_fen_per_t < 0:
        return "price_must_not_be_negative"
    if terms.remaining_t <= 0:
        return "order_already_fulfilled"
    quantity_t = terms.remaining_t if requested_t is None else requested_t
    if quantity_t <= 0:
        return "quantity_must_be_positive"
    if quantity_t > terms.remaining_t:
        return "quantity_exceeds_order_remaining"
    return Purchase(quantity_t=quantity_t, price_fen_per_t=price_fen_per_t,
                    amount_fen=quantity_t * price_fen_per_t, remaining_before_fen=None,
                    remainder_fen=None, completes_order=quantity_t == terms.remaining_t)


def order_status(*, withdrawn: bool, complete: bool, fulfilled_t: int, due_date: str,
                 as_of: date | None) -> OrderStatus:
    """The status of an order on ``as_of`` (``None``: ignore the due date).

    Overdue means not fulfilled (and not withdrawn) after the due date.

    >>> order_status(withdrawn=False, complete=False, fulfilled_t=3, due_date="2024-06-30",
    ...              as_of=date(2024, 7, 1)).value
    'overdue'
    """
    if withdrawn:
        return OrderStatus.withdrawn
    if complete:
        return OrderStatus.fulfilled
    if as_of is not None and as_of > date.fromisoformat(due_date):
        return OrderStatus.overdue
    return OrderStatus.partly_fulfilled if fulfilled_t > 0 else OrderStatus.ordered


# --- certificate codes ----------------------------------------------------------------------

CODE_BYTES = 10  # 80 bits: 16 base32 characters


def verification_code(record: dict[str, Any]) -> str:
    """Base32 of the first 10 bytes of SHA-256 over the canonical certificate record.

    Written in four groups of four (``ABCD-EFGH-IJKL-MNOP``); any change to the record (a
    quantity, a serial, an entry hash) gives another code.
    """
    digest = hashlib.sha256(canonical_json(record).encode("utf-8")).digest()[:CODE_BYTES]
    raw = base64.b32encode(digest).decode("ascii")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalise_code(text: str) -> str:
    """Accept a code as typed or scanned: any case, with or without dashes or a URL around it.

    >>> normalise_code("sinkledger:cert/abcd efgh-ijkl-mnop")
    'ABCD-EFGH-IJKL-MNOP'
    """
    text = str(text).strip()
    for marker in ("cert=", "cert/"):
        if marker in text:
            text = text.rsplit(marker, 1)[1].split("&", 1)[0]
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
