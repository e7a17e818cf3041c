"""Units, the Decimal arithmetic context, canonical number strings and year fractions.

All methodology arithmetic runs in :class:`decimal.Decimal` inside :data:`DECIMAL_CONTEXT`
(34 significant digits, the IEEE 754 decimal128 precision, half-even rounding, invalid
operations and overflow trapped), entered with :func:`decimal_context`. That makes results
independent of whatever context the calling thread has set.

Time is measured in anniversary years (:func:`years_between`): a period from 1 March 2021 to
1 March 2023 is exactly 2 years whatever leap days it contains, and a remainder is the fraction
of the following anniversary year. Monitoring periods are usually whole years, so this keeps
per-year rates exact where a fixed 365.25-day year would not.
"""

import datetime
from contextlib import AbstractContextManager
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from methodologies.errors import UnitMismatch

DECIMAL_PRECISION_DIGITS = 34  # IEEE 754 decimal128; far beyond any measured input.
DECIMAL_CONTEXT = Context(
    prec=DECIMAL_PRECISION_DIGITS,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

KG_PER_TONNE = Decimal(1000)  # Definitional (METHODOLOGIES.md §1: 1 Mg = 1 t).
M2_PER_HA = Decimal(10_000)  # Definitional.
MU_PER_HA = Decimal(15)  # 1 mu (亩) = 1/15 ha (METHODOLOGIES.md §1).


def decimal_context() -> AbstractContextManager[Context]:
    """Return a context manager that runs Decimal arithmetic in :data:`DECIMAL_CONTEXT`.

    The calling thread's own context is restored on exit; nothing global changes.
    """
    return localcontext(DECIMAL_CONTEXT)


def canonical_decimal(value: Decimal) -> str:
    """Return the canonical fixed-point string of a finite Decimal.

    Equal values give equal strings (``"12.50"``, ``"12.5"`` and ``"1.25E+1"`` all give
    ``"12.5"``; both zeros give ``"0"``), so canonical JSON and hashes do not depend on how a
    number was typed.

    Parameters
    ----------
    value : Decimal
        A finite value.

    Returns
    -------
    str

    Examples
    --------
    >>> canonical_decimal(Decimal("1.25E+1")), canonical_decimal(Decimal("-0.000"))
    ('12.5', '0')
    """
    if not value.is_finite():
        raise ValueError(f"not a finite Decimal: {value!r}")
    if value.is_zero():
        return "0"
    with decimal_context():
        return format(value.normalize(), "f")


def add_years(day: datetime.date, years: int) -> datetime.date:
    """Return the anniversary of ``day`` after ``years`` years (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year.
        return day.replace(year=day.year + years, day=28)


def whole_years_between(start: datetime.date, end: datetime.date) -> int:
    """Return the number of full anniversary years from ``start`` to ``end`` (``end >= start``)."""
    years = end.year - start.year
    if add_years(start, years) > end:
        years -= 1
    return years


def years_between(start: datetime.date, end: datetime.date) -> Decimal:
    """Return the length of ``[start, end]`` in anniversary years.

    Equation: ``n + (end − anniversary_n) / (anniversary_n+1 − anniversary_n)`` where ``n`` is
    the number of full anniversary years.

    Parameters
    ----------
    start, end : datetime.date
        ``end`` must not be before ``start``.

    Returns
    -------
    Decimal
        Years (yr).

    Examples
    --------
    >>> years_between(datetime.date(2020, 3, 1), datetime.date(2022, 3, 1))
    Decimal('2')
    >>> years_between(datetime.date(2020, 1, 1), datetime.date(2020, 7, 2))
    Decimal('0.5')
    """
    if end < start:
        raise ValueError("end must not be before start")
    years = whole_years_between(start, end)
    anchor = add_years(start, years)
    remainder_days = (end - anchor).days
    if remainder_days == 0:
        return Decimal(years)
    year_days = (add_years(start, years + 1) - anchor).days
    with decimal_context():
        return Decimal(years) + Decimal(remainder_days) / Decimal(year_days)


def nearest_whole_years(start: datetime.date, end: datetime.date) -> tuple[int, int]:
    """Return the whole number of years nearest to ``[start, end]`` (``end >= start``) and the
    offset in days.

    Returns
    -------
    tuple[int, int]
        ``(years, offset_days)``: the nearest anniversary count and how many days the interval
        is off from it (always >= 0).

    Examples
    --------
    >>> nearest_whole_years(datetime.date(2020, 11, 1), datetime.date(2022, 10, 20))
    (2, 12)
    """
    years = whole_years_between(start, end)
    days_after = (end - add_years(start, years)).days
    days_before = (add_years(start, years + 1) - end).days
    if days_after <= days_before:
        return years, days_after
    return years + 1, days_before


class Quantity:
    """A Decimal with a unit that refuses to be added to, or compared with, another unit.

    Beancount's ``Amount`` refuses to mix currencies; this refuses to mix ``t CO2e`` with
    ``t C`` or ``kg CO2e``. Only addition, subtraction, negation and scaling by a plain number
    are offered: converting between units is always an explicit, named equation.

    Examples
    --------
    >>> (Quantity(Decimal("1.5"), "t CO2e") + Quantity(Decimal(2), "t CO2e")).value
    Decimal('3.5')
    >>> Quantity(Decimal(1), "t CO2e") + Quantity(Decimal(1), "t C")
    Traceback (most recent call last):
    ...
    methodologies.errors.UnitMismatch: units_must_match: ...
    """

    __slots__ = ("unit", "value")

    def __init__(self, value: Decimal, unit: str) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError("Quantity value must be a finite Decimal")
        self.value = value
        self.unit = unit

    def _check(self, other: object) -> "Quantity":
        if not isinstance(other, Quantity):
            raise UnitMismatch.build(self.unit, type(other).__name__)
        if other.unit != self.unit:
            raise UnitMismatch.build(self.unit, other.unit)
        return other

    def __add__(self, other: "Quantity") -> "Quantity":
        with decimal_context():
            return Quantity(self.value + self._check(other).value, self.unit)

    def __sub__(self, other: "Quantity") -> "Quantity":
        with decimal_context():
            return Quantity(self.value - self._check(other).value, self.unit)

    def __neg__(self) -> "Quantity":
        return Quantity(-self.value, self.unit)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Quantity) and self.unit == other.unit
                and self.value == other.value)

    def __hash__(self) -> int:
        return hash((self.value, self.unit))

    def __repr__(self) -> str:
        return f"Quantity({canonical_decimal(self.value)!r}, {self.unit!r})"

    def scaled(self, factor: Decimal | int) -> "Quantity":
        """Return ``value × factor`` in the same unit (factor is a plain number)."""
        if isinstance(factor, (Quantity, bool)) or not isinstance(factor, (Decimal, int)):
            raise TypeError("a Quantity is scaled by a plain Decimal or int")
        with decimal_context():
            return Quantity(self.value * factor, self.unit)


def total(quantities: "list[Quantity] | tuple[Quantity, ...]", unit: str) -> Quantity:
    """Return the sum of ``quantities``, all of which must be in ``unit``."""
    result = Quantity(Decimal(0), unit)
    for quantity in quantities:
        result = result + quantity
    return result
