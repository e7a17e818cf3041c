"""Plausibility of inputs and results: cited ranges kept as data, with the unit in every message.

``parameters/input_ranges.csv`` holds, per methodology and field (a top-level input field, or
``net_t_co2e_per_ha_yr`` for the result), the published range with its source, and the limit
beyond which a value cannot be physically true for that sink (a unit slip: a burial rate
published in g/(cm²·a) typed as t C/ha/yr is 100 times too large). Beyond the limit the
estimate is refused (``input_outside_published_range``, naming the unit and the conversion
that usually went wrong); outside the published range it warns
(``input_near_edge_of_published_range``). Negative limits mirror the positive ones
(``−impossible_high``) for the net result, which may be a loss.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, Final

from methodologies.errors import Problem, make_problem  # noqa: F401 (Problem in hints)
from methodologies.trace import CalculationRecorder
from methodologies.units import canonical_decimal

NET_FIELD: Final = "net_t_co2e_per_ha_yr"


@dataclass(frozen=True, kw_only=True)
class InputRange:
    """The published range of one input and the limit of the physically possible."""

    methodology: str
    field: str
    unit: str
    published_low: Decimal
    published_high: Decimal
    impossible_high: Decimal
    source: str
    hint: str

    def impossible(self, value: Decimal) -> bool:
        # Signs are the parsers' business (a measured sediment loss is negative and allowed).
        return abs(value) > self.impossible_high

    def outside_published(self, value: Decimal) -> bool:
        return not self.published_low <= value <= self.published_high

    def details(self, value: Decimal) -> dict[str, object]:
        return {"value": canonical_decimal(value), "unit": self.unit,
                "low": canonical_decimal(self.published_low),
                "high": canonical_decimal(self.published_high), "source": self.source,
                "hint": self.hint}


def _load() -> dict[tuple[str, str], InputRange]:
    text = resources.files("methodologies").joinpath("parameters", "input_ranges.csv"
                                                     ).read_text(encoding="utf-8")
    ranges = {}
    for row in csv.DictReader(io.StringIO(text)):
        item = InputRange(methodology=row["methodology"], field=row["field"], unit=row["unit"],
                          published_low=Decimal(row["published_low"]),
                          published_high=Decimal(row["published_high"]),
                          impossible_high=Decimal(row["impossible_high"]),
                          source=row["source"], hint=row["hint"])
        ranges[(item.methodology, item.field)] = item
    return ranges


INPUT_RANGES: Final[Mapping[tuple[str, str], InputRange]] = _load()


def ranges_for(methodology_id: str) -> list[InputRange]:
    """Every range of a methodology, in file order."""
    return [r for (m, _), r in INPUT_RANGES.items() if m == methodology_id]


def _values(methodology_id: str, normalised: Mapping[str, Any]
            ) -> list[tuple[InputRange, str, Decimal]]:
    """Each (range, concrete path, value) of the inputs: a range's field is a path in which
    ``[]`` walks a list and ``.*`` the values of a mapping (``events[].culms_per_ha_by_age_class.*``)."""
    found = []
    for item in ranges_for(methodology_id):
        for path, raw in _resolve(normalised, item.field.replace("[]", ".[]").split(".")):
            if isinstance(raw, bool) or not isinstance(raw, (str, int)):
                continue
            try:
                found.append((item, path, Decimal(raw)))
            except ArithmeticError:
                continue
    return found


def _resolve(value: Any, parts: list[str], path: str = "") -> list[tuple[str, Any]]:
    if not parts:
        return [(path, value)]
    head, rest = parts[0], parts[1:]
    if head == "[]":
        if not isinstance(value, list):
            return []
        return [hit for i, item in enumerate(value) for hit in _resolve(item, rest, f"{path}[{i}]")]
    if not isinstance(value, Mapping):
        return []
    if head == "*":
        return [hit for key, item in value.items()
                for hit in _resolve(item, rest, f"{path}.{key}")]
    if head not in value:
        return []
    return _resolve(value[head], rest, f"{path}.{head}" if path else head)


def input_problems(methodology_id: str, normalised: Mapping[str, Any]) -> list[Problem]:
    """One refusal per input beyond the physically possible."""
    return [make_problem(path, "input_outside_published_range", **item.details(value))
            for item, path, value in _values(methodology_id, normalised)
            if item.impossible(value)]


def warn_inputs(recorder: CalculationRecorder, methodology_id: str,
                normalised: Mapping[str, Any]) -> None:
    """Warn on each input outside its published range (but possible)."""
    for item, path, value in _values(methodology_id, normalised):
        if item.outside_published(value):
            recorder.warn("input_near_edge_of_published_range", field=path,
                          **item.details(value))


def warn_net(recorder: CalculationRecorder, methodology_id: str,
             net_t_co2e_per_ha_yr: Decimal) -> None:
    """Warn when the net result per hectare and year cannot be true for this sink (a unit slip
    in some input); a warning, not a refusal, because a period of weeks inflates a yearly rate
    of a real change (see docs/methodologies/README.md, plausibility)."""
    item = INPUT_RANGES.get((methodology_id, NET_FIELD))
    if item is not None and item.impossible(net_t_co2e_per_ha_yr):
        recorder.warn("net_result_is_physically_implausible", field=NET_FIELD,
                      **item.details(net_t_co2e_per_ha_yr.quantize(Decimal("0.01"))))


# --- Published ranges of parameters (the "parameters to confirm" of every report) -------------

CONFIRMED_STATUSES: Final = ("verified", "derived")


@dataclass(frozen=True, kw_only=True)
class PublishedRange:
    """The published range a parameter's default sits against, with its source."""

    low: Decimal
    high: Decimal
    unit: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"low": canonical_decimal(self.low), "high": canonical_decimal(self.high),
                "unit": self.unit, "source": self.source}


def _load_published() -> dict[tuple[str, str], PublishedRange]:
    text = resources.files("methodologies").joinpath("parameters", "published_ranges.csv"
                                                     ).read_text(encoding="utf-8")
    return {(row["methodology"], row["key"]): PublishedRange(
        low=Decimal(row["low"]), high=Decimal(row["high"]), unit=row["unit"],
        source=row["source"]) for row in csv.DictReader(io.StringIO(text))}


PUBLISHED_RANGES: Final[Mapping[tuple[str, str], PublishedRange]] = _load_published()


def published_range(methodology_id: str, key: str) -> PublishedRange | None:
    """The published range of parameter ``key`` for the methodology (or for every one, ``*``)."""
    return PUBLISHED_RANGES.get((methodology_id, key)) or PUBLISHED_RANGES.get(("*", key))


def parameters_to_confirm(methodology_id: str, parameters: list[Mapping[str, Any]]
                          ) -> list[dict[str, Any]]:
    """Every parameter of an estimate record not verified against a primary source
    (status other than verified or derived), with the published range it sits against
    (``None`` when no range is known) and whether the value lies inside it."""
    rows = []
    for parameter in parameters:
        if parameter.get("status") in CONFIRMED_STATUSES:
            continue
        found = published_range(methodology_id, str(parameter.get("key")))
        inside = None
        if found is not None:
            try:
                inside = found.low <= Decimal(str(parameter.get("value"))) <= found.high
            except ArithmeticError:
                inside = None
        rows.append({"key": parameter.get("key"), "value": parameter.get("value"),
                     "unit": parameter.get("unit"), "status": parameter.get("status"),
                     "published": None if found is None else found.to_dict(),
                     "inside": inside})
    return rows
