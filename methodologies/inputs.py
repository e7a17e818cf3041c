"""Reading JSON input documents at the boundary, collecting every problem.

:class:`InputReader` turns untrusted JSON values (numbers, decimal strings, ISO dates, enums)
into typed values. It never raises on a bad value: it records a
:class:`~methodologies.errors.Problem` and returns ``None``, so one pass over a document finds
every defect. :meth:`InputReader.raise_if_any` then raises a single
:class:`~methodologies.errors.InvalidInput`.

Accepted numbers: JSON integers, JSON floats (converted through their shortest repr, so
``12.5`` becomes ``Decimal("12.5")``), and plain decimal strings (``"12.5"``, ``"-3"``,
``"1.2e3"``). Refused: booleans, NaN, infinities, thousands separators or underscores, leading
or trailing spaces, and magnitudes of :data:`MAX_INPUT_MAGNITUDE` or more (a typo guard that
also keeps Decimal arithmetic far from its limits).
"""

import datetime
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from methodologies.errors import InvalidInput, Problem, make_problem
from methodologies.units import decimal_context
from sinkledger_base.checks import EARLIEST_DATE, LATEST_DATE, in_date_range

MAX_INPUT_MAGNITUDE: Final = Decimal(10) ** 12
# ASCII digits only: ``\d`` alone also matches "１０" or "٣", which Decimal would read as 10 and 3.
_DECIMAL_STRING = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_NON_FINITE_WORDS = frozenset({"nan", "snan", "inf", "infinity"})
_SHOWN_CHARACTERS = 60


class Missing:
    """Sentinel type for a field absent from a document."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = Missing()
MINIMUM_MONITORING_EVENTS: Final = 2  # a stock difference needs a first and a last


def show(value: Any) -> str:
    """Return a short printable form of an input value for messages."""
    text = repr(value)
    if len(text) > _SHOWN_CHARACTERS:
        return text[: _SHOWN_CHARACTERS - 3] + "..."
    return text


class InputReader:
    """Typed reads of a JSON document that collect problems instead of raising."""

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Problems found so far, in order."""
        return tuple(self._problems)

    def report(self, field: str, code: str, **details: object) -> None:
        """Record one problem (messages come from the catalogue)."""
        self._problems.append(make_problem(field, code, **details))

    def raise_if_any(self) -> None:
        """Raise one :class:`InvalidInput` listing every problem found, if there is any."""
        if self._problems:
            raise InvalidInput(self._problems)

    def field(self, document: Mapping[str, Any], key: str, path: str, *,
              required: bool) -> Any:
        """Return ``document[key]``, or :data:`MISSING` (reporting it when required)."""
        if key in document:
            return document[key]
        if required:
            self.report(path, "field_is_required")
        return MISSING

    def monitoring_events(self, document: Mapping[str, Any], key: str, *,
                          required: bool) -> Sequence[Any] | None:
        """Return the list ``document[key]`` of monitoring events (unchecked items), or ``None``
        when it is absent or not a list; reports a list of fewer than two events."""
        value = self.field(document, key, key, required=required)
        if value is MISSING:
            return None
        items = self.sequence(value, key)
        if items is not None and len(items) < MINIMUM_MONITORING_EVENTS:
            self.report(key, "monitoring_events_must_number_at_least_two", count=len(items))
        return items

    def object_field(self, document: Mapping[str, Any], key: str, allowed: Iterable[str], *,
                     required: bool) -> Mapping[str, Any] | None:
        """Return the JSON object ``document[key]`` (reporting its unknown fields), or ``None``
        when it is absent or not an object."""
        value = self.field(document, key, key, required=required)
        if value is MISSING:
            return None
        block = self.mapping(value, key)
        if block is not None:
            self.reject_unknown_fields(block, allowed, prefix=f"{key}.")
        return block

    def reject_unknown_fields(self, document: Mapping[str, Any], allowed: Iterable[str],
                              prefix: str = "") -> None:
        """Report every key of ``document`` that is not in ``allowed``."""
        allowed_keys = frozenset(allowed)
        for key in document:
            if key not in allowed_keys:
                self.report(f"{prefix}{key}", "field_is_unknown")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        """Return ``value`` if it is a JSON object, else report and return ``None``."""
        if isinstance(value, Mapping):
            return value
        self.report(path, "value_must_be_an_object")
        return None

    def sequence(self, value: Any, path: str) -> Sequence[Any] | None:
        """Return ``value`` if it is a JSON list, else report and return ``None``."""
        if isinstance(value, (list, tuple)):
            return value
        self.report(path, "value_must_be_a_list")
        return None

    def decimal(self, value: Any, path: str) -> Decimal | None:
        """Return ``value`` as a finite Decimal below the magnitude limit, or report."""
        parsed = self._parse_decimal(value, path)
        if parsed is not None and abs(parsed) >= MAX_INPUT_MAGNITUDE:
            self.report(path, "value_is_too_large", value=show(value),
                        limit=f"{MAX_INPUT_MAGNITUDE:.0E}")
            return None
        return parsed

    def _parse_decimal(self, value: Any, path: str) -> Decimal | None:
        if isinstance(value, bool):
            self.report(path, "value_must_be_a_number", value=show(value))
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.report(path, "value_must_be_finite", value=show(value))
                return None
            return Decimal(repr(value))
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, Decimal):
            if value.is_finite():
                return value
            self.report(path, "value_must_be_finite", value=show(value))
            return None
        if isinstance(value, str):
            return self._parse_decimal_string(value, path)
        self.report(path, "value_must_be_a_number", value=show(value))
        return None

    def _parse_decimal_string(self, value: str, path: str) -> Decimal | None:
        if _DECIMAL_STRING.fullmatch(value):
            with decimal_context():
                return Decimal(value)
        if value.strip().lstrip("+-").lower() in _NON_FINITE_WORDS:
            self.report(path, "value_must_be_finite", value=show(value))
        else:
            self.report(path, "value_must_be_a_number", value=show(value))
        return None

    def integer(self, value: Any, path: str) -> int | None:
        """Return ``value`` as an int if it is a whole number (``1250``, ``"1250"``, ``1250.0``)."""
        parsed = self.decimal(value, path)
        if parsed is None:
            return None
        try:
            with decimal_context():
                whole = parsed.to_integral_value()
        except InvalidOperation:  # pragma: no cover - magnitude is already bounded
            whole = None
        if whole is None or whole != parsed:
            self.report(path, "value_must_be_an_integer", value=show(value))
            return None
        return int(whole)

    def date(self, value: Any, path: str) -> datetime.date | None:
        """Return ``value`` as a date if it is an ISO ``YYYY-MM-DD`` string within the accepted
        range (:data:`sinkledger_base.checks.EARLIEST_DATE` .. ``LATEST_DATE``), or report."""
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                pass
            else:
                if in_date_range(day):
                    return day
                self.report(path, "date_out_of_range", value=show(value),
                            low=EARLIEST_DATE.isoformat(), high=LATEST_DATE.isoformat())
                return None
        self.report(path, "date_must_be_iso_format", value=show(value))
        return None

    def choice(self, value: Any, path: str, allowed: Sequence[str], code: str) -> str | None:
        """Return ``value`` if it is one of ``allowed``, else report ``code``."""
        if isinstance(value, str) and value in allowed:
            return value
        self.report(path, code, value=show(value), allowed=", ".join(allowed))
        return None
