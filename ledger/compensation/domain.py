"""Compensation rules that need no database: bases, eligibility and the amount of one unit.

A **unit** is what a programme pays once: one vintage of one verified estimate, i.e. one batch
its issuance created. Its amount, in whole fen:

- ``per_t``: rate (fen per tCO2e) × the batch's tonnes (every credit issued for that vintage,
  the buffer's included: the verified sink, not what the holder may sell);
- ``per_ha``: rate (fen per hectare per year) × the estimate's area (the parcels' weights at
  issuance, 0.01 m² each) × the days of the estimate's period in that vintage year ÷ the days
  of that year, rounded **down** (a programme never pays a part of a fen it did not promise).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.domain import SinkCode
from sinkledger_base.errors import InvalidInput

AREA_UNITS_PER_HA = 1_000_000  # a hectare in the 0.01 m² units of contributions' weights
MAX_RATE_FEN = 10**10  # 1 亿元 per tonne or hectare: beyond any real programme
MAX_BUDGET_FEN = 10**15
EARLIEST_VINTAGE, LATEST_VINTAGE = 1990, 2199
COUNTY_CODE = re.compile(r"^[0-9]{6}$")
SINK_TYPES = tuple(s.name for s in SinkCode)


class Basis(str, enum.Enum):
    per_t = "per_t"  # fen per tCO2e of verified sink
    per_ha = "per_ha"  # fen per hectare per year of the verified estimate's parcels


def payment_id(seq: int) -> str:
    """``EC-00000042``: the payment recorded by entry 42."""
    return f"EC-{seq:08d}"


def whole_fen(value: Any, field: str, limit: int) -> int:
    """A positive whole number of fen no larger than ``limit`` (``value_invalid`` if not a whole
    number, ``amount_must_be_positive`` if zero or negative)."""
    if not isinstance(value, int) or isinstance(value, bool) or value > limit:
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    if value <= 0:
        raise InvalidInput("amount_must_be_positive", field=field)
    return value


def check_vintage(value: Any, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not EARLIEST_VINTAGE <= value <= LATEST_VINTAGE:
        raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
    return value


def check_sink_types(values: Any) -> list[str]:
    """A non-empty list of known sink types, each once, in a stable order."""
    if not isinstance(values, (list, tuple)) or not values:
        raise InvalidInput("field_required", field="sink_types")
    out = []
    for value in values:
        if not isinstance(value, str) or value not in SINK_TYPES or value in out:
            raise InvalidInput("value_invalid", field="sink_types", value=repr(value)[:40])
        out.append(value)
    return sorted(out)


def check_counties(values: Any) -> list[str]:
    """GB/T 2260 county codes (six digits), each once; an empty list means every county."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)) or len(values) > 200:
        raise InvalidInput("value_invalid", field="county_codes", value=type(values).__name__)
    out = []
    for value in values:
        if not isinstance(value, str) or not COUNTY_CODE.match(value) or value in out:
            raise InvalidInput("value_invalid", field="county_codes", value=repr(value)[:40])
        out.append(value)
    return sorted(out)


@dataclass(frozen=True, kw_only=True)
class Eligibility:
    """Which verified sink a programme (or an obligation) accepts."""

    sink_types: tuple[str, ...]
    county_codes: tuple[str, ...]  # empty: every county
    vintage_from: int
    vintage_to: int

    def refusal(self, *, sink_type: str, county_code: str, vintage_year: int) -> str | None:
        """Why a batch of these attributes is not eligible (``sink_type``, ``county``,
        ``vintage``), or None."""
        if sink_type not in self.sink_types:
            return "sink_type"
        if self.county_codes and county_code not in self.county_codes:
            return "county"
        if not self.vintage_from <= vintage_year <= self.vintage_to:
            return "vintage"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"sink_types": list(self.sink_types), "county_codes": list(self.county_codes),
                "vintage_from": self.vintage_from, "vintage_to": self.vintage_to}


def days_in_vintage(period_start: str, period_end: str, vintage_year: int) -> tuple[int, int]:
    """Days of the half-open period [start, end) in ``vintage_year``, and the days of that year.

    >>> days_in_vintage("2024-04-10", "2026-04-10", 2024)
    (266, 366)
    """
    start, end = date.fromisoformat(period_start), date.fromisoformat(period_end)
    lo, hi = max(start, date(vintage_year, 1, 1)), min(end, date(vintage_year + 1, 1, 1))
    year_days = (date(vintage_year + 1, 1, 1) - date(vintage_year, 1, 1)).days
    return max((hi - lo).days, 0), year_days


def unit_amount_fen(basis: Basis, rate_fen: int, *, tonnes: int, area_units: int, days: int, year_days: int) -> int:
    """The amount of one unit (see the module docstring); whole fen, rounded down.

    >>> unit_amount_fen(Basis.per_t, 1_500, tonnes=22, area_units=0, days=0, year_days=365)
    33000
    >>> unit_amount_fen(Basis.per_ha, 30_000, tonnes=0, area_units=122_000_000, days=266, year_days=366)
    2660000
    """
    if basis is Basis.per_t:
        return rate_fen * tonnes
    return rate_fen * area_units * days // (AREA_UNITS_PER_HA * year_days)
