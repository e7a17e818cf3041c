"""Typed parcel attributes: one :class:`AttributeField` per attribute of a sink type.

A sink type declares its attributes (bamboo: culm density, mean DBH, ...) as fields with a
kind, a unit carried in the name, bounds, accepted spellings and the column names that map to
it by default (:mod:`sinks.mapping`). :func:`validate_attributes` checks a whole attribute
dict and returns the clean values together with every problem, never stopping at the first
(beancount's errors as values).

Attributes are optional when a parcel is registered (a parcel drawn on a map has none yet);
whatever is given is checked. Clean values are canonical-JSON-ready: integers, decimal strings,
text, or a dict of decimal strings for age-class shares.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sinkledger_base.checks import ascii_number_text
from sinks.problems import Problem

INTEGER, DECIMAL, CHOICE, TEXT, SHARES = "integer", "decimal", "choice", "text", "shares"
SHARES_TOLERANCE = Decimal("0.01")  # age-class shares must sum to 1 within this
PROBLEM_CODES = ("attribute_invalid", "attribute_out_of_range", "attribute_not_a_choice", "attribute_too_long",
                 "attribute_shares_do_not_sum_to_one")


@dataclass(frozen=True, kw_only=True)
class AttributeField:
    """One attribute of a sink type.

    Attributes
    ----------
    name : str
        Canonical name, units last (``mean_dbh_cm``).
    kind : str
        ``integer``, ``decimal``, ``choice``, ``text`` or ``shares`` (a dict of shares summing to 1).
    label_zh : str
        Chinese label, for forms and the mapping table in ``docs/parcels.md``.
    aliases : tuple of str
        Source column names that map to this field by default (compared case-insensitively).
    minimum, maximum : Decimal or None
        Inclusive bounds for numbers.
    choices : mapping of str to tuple of str
        For ``choice``: canonical value → other accepted spellings (Chinese names).
    keys : tuple of str
        For ``shares``: the allowed keys (age classes).
    max_chars : int
        For ``text``.
    """

    name: str
    kind: str
    label_zh: str
    aliases: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    keys: tuple[str, ...] = ()
    max_chars: int = 80

    def clean(self, value: Any) -> tuple[Any, Problem | None]:
        """The canonical value, or ``(None, problem)``; ``None`` and blank text pass as ``None``."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, None
        if isinstance(value, float) and math.isnan(value):
            return None, None
        cleaner = {INTEGER: self._integer, DECIMAL: self._decimal, CHOICE: self._choice,
                   TEXT: self._text, SHARES: self._shares}[self.kind]
        return cleaner(value)

    def _bad(self, value: Any, code: str = "attribute_invalid", **params: Any) -> tuple[None, Problem]:
        return None, Problem(code, field=self.name, value=str(value)[:60], **params)

    def _number(self, value: Any) -> Decimal | None:
        if isinstance(value, bool) or not ascii_number_text(value if isinstance(value, str) else ""):
            return None  # a bool is not a number, nor text with "１０" or "٣" in it
        try:
            number = Decimal(value if isinstance(value, str) else repr(value)).normalize()
        except (InvalidOperation, ValueError, TypeError):
            return None
        return number if number.is_finite() else None

    def _in_bounds(self, number: Decimal) -> bool:
        return (self.minimum is None or number >= self.minimum) and (self.maximum is None or number <= self.maximum)

    def _integer(self, value: Any) -> tuple[Any, Problem | None]:
        number = self._number(value)
        if number is None or number != number.to_integral_value():
            return self._bad(value)
        if not self._in_bounds(number):
            return self._out_of_range(value)
        return int(number), None

    def _decimal(self, value: Any) -> tuple[Any, Problem | None]:
        number = self._number(value)
        if number is None:
            return self._bad(value)
        if not self._in_bounds(number):
            return self._out_of_range(value)
        return f"{number:f}", None

    def _out_of_range(self, value: Any) -> tuple[None, Problem]:
        return self._bad(value, "attribute_out_of_range", minimum=str(self.minimum), maximum=str(self.maximum))

    def _choice(self, value: Any) -> tuple[Any, Problem | None]:
        text = str(value).strip()
        for canonical, spellings in self.choices.items():
            if text.lower() == canonical or text in spellings:
                return canonical, None
        return self._bad(value, "attribute_not_a_choice", choices=", ".join(self.choices))

    def _text(self, value: Any) -> tuple[Any, Problem | None]:
        text = str(value).strip()
        if len(text) > self.max_chars:
            return self._bad(value, "attribute_too_long", max_chars=self.max_chars)
        return text, None

    def _shares(self, value: Any) -> tuple[Any, Problem | None]:
        try:
            shares = json.loads(value, parse_float=str) if isinstance(value, str) else dict(value)
            numbers = {str(k): Decimal(str(v)) for k, v in shares.items()}
        except (ValueError, TypeError, InvalidOperation):
            return self._bad(value)
        if not numbers or set(numbers) - set(self.keys) or any(not v.is_finite() or v < 0 for v in numbers.values()):
            return self._bad(value)
        if abs(sum(numbers.values()) - 1) > SHARES_TOLERANCE:
            return self._bad(value, "attribute_shares_do_not_sum_to_one")
        return {k: f"{v.normalize():f}" for k, v in sorted(numbers.items())}, None


def validate_attributes(fields: tuple[AttributeField, ...],
                        attributes: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Check the declared attributes of ``attributes``; pass the others through unchanged.

    Returns
    -------
    clean, problems : dict, list of Problem
        Declared attributes in canonical form (``None`` values dropped), followed by the
        undeclared ones as given; and one problem per bad attribute.

    Examples
    --------
    >>> from sinks import sink_spec
    >>> clean, problems = validate_attributes(sink_spec("tea_garden").attributes, {"planting_year": "2008"})
    >>> clean, problems
    ({'planting_year': 2008}, [])
    >>> validate_attributes(sink_spec("tea_garden").attributes, {"planting_year": 1066})[1][0].code
    'attribute_out_of_range'
    """
    declared = {f.name: f for f in fields}
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in attributes.items():
        spec = declared.get(key)
        if spec is None:
            clean[key] = value
            continue
        value, problem = spec.clean(value)
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            clean[key] = value
    return clean, problems
