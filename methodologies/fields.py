"""Reading named fields of an input document, shared by every methodology.

:class:`~methodologies.inputs.InputReader` parses one JSON value; the functions here read one
*field* of a document (required or with a default), apply the range rule that field needs and
report a problem with a code that reads as a sentence. Like the reader, they never raise: a bad
field is reported and ``None`` is returned, so one pass finds every defect.

Stock events (``[{"date": ..., "carbon_t_c_per_ha": ...}, ...]``) are read here too because
three methodologies accept them: bamboo option ``carbon_density``, tea-bush biomass and wetland
woody vegetation. They are what the raster path (:mod:`methodologies.raster`) produces.
"""

import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.errors import InvalidInput
from methodologies.inputs import MINIMUM_MONITORING_EVENTS, MISSING, InputReader
from methodologies.uncertainty import UNCERTAINTY_FIELD, UNCERTAINTY_SCHEMA_ENTRY, read_uncertainty
from methodologies.units import canonical_decimal

HUNDRED: Final = Decimal(100)


def schema_field(unit: str, type_: str, required: bool, description: str) -> Mapping[str, Any]:
    """One entry of an ``INPUT_SCHEMA``: unit, type, whether required, and what it means."""
    return MappingProxyType(
        {"unit": unit, "type": type_, "required": required, "description": description})


def accounting_schema(baseline_note: str = "") -> dict[str, Mapping[str, Any]]:
    """The schema entries every methodology ends with: baseline, leakage and uncertainty."""
    return {
        "baseline_net_kg_co2e": schema_field(
            "kg CO2e", "integer >= 0", False,
            f"Baseline net removals over the period and area; default 0{baseline_note}."),
        "leakage_kg_co2e": schema_field("kg CO2e", "integer >= 0", False,
                                        "Leakage over the period and area; default 0."),
        UNCERTAINTY_FIELD: UNCERTAINTY_SCHEMA_ENTRY,
    }


def open_document(document: Any, fields: Sequence[str]) -> tuple[InputReader, dict[str, Any]]:
    """Start reading ``document``: report unknown top-level fields, read area and period.

    Returns the reader and ``{"area_ha", "period_start", "period_end"}`` read so far.

    Raises
    ------
    InvalidInput
        ``inputs_must_be_an_object`` when ``document`` is not a JSON object.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput.single("inputs", "inputs_must_be_an_object")
    reader = InputReader()
    reader.reject_unknown_fields(document, fields)
    values: dict[str, Any] = {"area_ha": read_area(reader, document)}
    values["period_start"], values["period_end"] = read_period(reader, document)
    return reader, values


def read_accounting(reader: InputReader, document: Mapping[str, Any],
                    uncertainty_components: Sequence[str] | None) -> dict[str, Any]:
    """Read baseline, leakage and (unless ``uncertainty_components`` is ``None``) uncertainty."""
    return {
        "baseline_net_kg_co2e": read_non_negative_integer(
            reader, document, "baseline_net_kg_co2e",
            "baseline_net_kg_co2e_must_not_be_negative"),
        "leakage_kg_co2e": read_non_negative_integer(
            reader, document, "leakage_kg_co2e", "leakage_kg_co2e_must_not_be_negative"),
        "uncertainty": None if uncertainty_components is None
        else read_uncertainty(reader, document, uncertainty_components),
    }


def read_area(reader: InputReader, document: Mapping[str, Any]) -> Decimal | None:
    """Read the required ``area_ha`` (ha, > 0)."""
    value = reader.field(document, "area_ha", "area_ha", required=True)
    if value is MISSING:
        return None
    area_ha = reader.decimal(value, "area_ha")
    if area_ha is not None and area_ha <= 0:
        reader.report("area_ha", "area_ha_must_be_positive", value=value)
        return None
    return area_ha


def read_period(reader: InputReader, document: Mapping[str, Any]
                ) -> tuple[datetime.date | None, datetime.date | None]:
    """Read the required ``period_start`` and ``period_end`` (end after start)."""
    dates = []
    for key in ("period_start", "period_end"):
        value = reader.field(document, key, key, required=True)
        dates.append(None if value is MISSING else reader.date(value, key))
    start, end = dates
    if start is not None and end is not None and end <= start:
        reader.report("period_end", "period_end_must_be_after_period_start",
                      value=end.isoformat(), start=start.isoformat())
    return start, end


def read_choice(reader: InputReader, document: Mapping[str, Any], key: str,
                choices: type[enum.StrEnum], default: enum.StrEnum | None, code: str, *,
                path: str | None = None, allowed: Sequence[str] | None = None) -> Any:
    """Read an enum field; ``default`` when absent (``None`` default means required).

    ``allowed`` narrows the accepted values (a methodology version that offers fewer choices).
    """
    where = path or key
    value = reader.field(document, key, where, required=default is None)
    if value is MISSING:
        return default
    names = list(allowed) if allowed is not None else [c.value for c in choices]
    chosen = reader.choice(value, where, names, code)
    return None if chosen is None else choices(chosen)


def read_non_negative_decimal(reader: InputReader, document: Mapping[str, Any], key: str,
                              code: str, *, path: str | None = None, required: bool = False,
                              default: Decimal | None = Decimal(0)) -> Decimal | None:
    """Read a decimal >= 0; when absent, report if ``required``, else return ``default``."""
    where = path or key
    value = reader.field(document, key, where, required=required)
    if value is MISSING:
        return default
    parsed = reader.decimal(value, where)
    if parsed is not None and parsed < 0:
        reader.report(where, code, value=value)
        return None
    return parsed


def read_non_negative_integer(reader: InputReader, document: Mapping[str, Any], key: str,
                              code: str) -> int | None:
    """Read an optional integer >= 0 (default 0), e.g. ``baseline_net_kg_co2e``."""
    value = reader.field(document, key, key, required=False)
    if value is MISSING:
        return 0
    parsed = reader.integer(value, key)
    if parsed is not None and parsed < 0:
        reader.report(key, code, value=value)
        return None
    return parsed


def read_percent(reader: InputReader, document: Mapping[str, Any], key: str, *,
                 path: str | None = None, required: bool = True) -> Decimal | None:
    """Read a percentage in [0, 100] (returned as given, in %)."""
    where = path or key
    value = reader.field(document, key, where, required=required)
    if value is MISSING:
        return None
    parsed = reader.decimal(value, where)
    if parsed is not None and not 0 <= parsed <= HUNDRED:
        reader.report(where, "percent_must_be_between_0_and_100", value=value)
        return None
    return parsed


def read_boolean(reader: InputReader, document: Mapping[str, Any], key: str) -> bool | None:
    """Read a required JSON ``true``/``false`` (no 0/1, no strings: the field is a statement)."""
    value = reader.field(document, key, key, required=True)
    if value is MISSING:
        return None
    if isinstance(value, bool):
        return value
    reader.report(key, "value_must_be_a_boolean", value=repr(value))
    return None


def reject_fields_of_other_methods(reader: InputReader, document: Mapping[str, Any],
                                   fields_by_method: Mapping[Any, frozenset[str]],
                                   method: enum.StrEnum) -> None:
    """Report every field that belongs to another method than ``method`` (never ignore one)."""
    for other, fields in fields_by_method.items():
        for key in sorted(fields - fields_by_method[method]):
            if other is not method and key in document:
                reader.report(key, "field_does_not_apply_to_method", value=method.value)


@dataclass(frozen=True, kw_only=True)
class StockEvent:
    """A stock density at a date, e.g. ``carbon_t_c_per_ha`` or ``biomass_t_per_ha``."""

    date: datetime.date
    quantity: str  # The field name, which carries the unit (t C/ha or t d.m./ha).
    value: Decimal
    # Where the value comes from, e.g. a raster's zonal rule (issue 21); shown in the trace.
    source: str | None = None

    def normalised(self) -> dict[str, str]:
        """Return the canonical JSON-native form (date ISO, value as a canonical string)."""
        document = {"date": self.date.isoformat(), self.quantity: canonical_decimal(self.value)}
        if self.source is not None:
            document["source"] = self.source
        return document

    def note(self, text: str) -> str:
        """A trace note with the event's source appended."""
        return text if self.source is None else f"{text}; {self.source}"


def read_stock_events(reader: InputReader, document: Mapping[str, Any], key: str, *,
                      required: bool, quantities: Sequence[str] = ("carbon_t_c_per_ha",)
                      ) -> tuple[StockEvent, ...] | None:
    """Read ``[{"date": ..., <quantity>: decimal >= 0}, ...]``.

    At least two events, dates strictly increasing, each with exactly one of ``quantities``
    and all events with the same one (a stock difference of carbon against biomass would mix
    units).
    """
    items = reader.monitoring_events(document, key, required=required)
    if items is None:
        return None
    events = [_read_stock_event(reader, item, f"{key}[{i}]", quantities)
              for i, item in enumerate(items)]
    if any(event is None for event in events) or len(events) < MINIMUM_MONITORING_EVENTS:
        return None
    checked: list[StockEvent] = events  # type: ignore[assignment]
    if len({event.quantity for event in checked}) > 1:
        reader.report(key, "stock_events_must_use_one_quantity", allowed=", ".join(quantities))
        return None
    for index in range(1, len(checked)):
        previous, current = checked[index - 1].date, checked[index].date
        if current <= previous:
            reader.report(f"{key}[{index}].date", "monitoring_events_must_be_ordered",
                          value=current.isoformat(), previous=previous.isoformat())
            return None
    return tuple(checked)


def _read_stock_event(reader: InputReader, item: Any, path: str,
                      quantities: Sequence[str]) -> StockEvent | None:
    event = reader.mapping(item, path)
    if event is None:
        return None
    reader.reject_unknown_fields(event, ("date", "source", *quantities), prefix=f"{path}.")
    date_value = reader.field(event, "date", f"{path}.date", required=True)
    date = None if date_value is MISSING else reader.date(date_value, f"{path}.date")
    given = [quantity for quantity in quantities if quantity in event]
    if len(given) != 1:
        reader.report(path, "stock_event_needs_one_quantity", allowed=", ".join(quantities))
        return None
    density = read_non_negative_decimal(reader, event, given[0], "value_must_not_be_negative",
                                        path=f"{path}.{given[0]}", required=True)
    source = read_event_source(reader, event, path)
    if date is None or density is None or source is False:
        return None
    return StockEvent(date=date, quantity=given[0], value=density,
                      source=None if source is True else source)


def read_event_source(reader: InputReader, event: Mapping[str, Any], path: str
                      ) -> str | bool:
    """An event's optional ``source`` text: the text, ``True`` when absent, ``False`` (with a
    problem) when not a text of at most 300 characters."""
    if "source" not in event:
        return True
    value = event["source"]
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        reader.report(f"{path}.source", "stock_event_source_invalid")
        return False
    return value
