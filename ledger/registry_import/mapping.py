"""Each registry's export layout as data: one TOML file per registry in ``mappings/``.

Adding a registry means adding ``mappings/<key>.toml`` and its tests; the reader
(:mod:`.reader`) is the same for every registry. A mapping names:

- ``registry`` (the key: account ``IMPORT-<KEY>``, batch ids ``IMPORT:<KEY>:...``), ``name``,
  ``project_letters`` (our short project code is the letters and the registry's project id),
  ``aliases`` (other names the command line accepts, e.g. OffsetsDB's folder name);
- ``[serial_formats.<name>]``: the serial layouts (:mod:`.serials`);
- ``[pools]`` (optional): for registries whose issuance rows carry no serials, the fields that
  identify a pool of credits (``["project_id", "vintage"]``); their credits are numbered in the
  pool and their retirements and cancellations are taken from it (:mod:`.pools`);
- ``[[files]]``: one table per file layout, recognised by the columns in ``match`` (CSV) or by
  ``format = "json"``; ``kind`` is ``events`` (issuances, retirements, cancellations, or serial
  blocks of any status) or ``projects``; ``status`` is a constant, ``{column, values}`` or
  ``{rule = "dated", date, claim}``; ``dates`` is ``iso`` or ``us``; ``[files.fields]`` maps our
  field names (:data:`EVENT_FIELDS`, :data:`PROJECT_FIELDS`) to a column, or to a table
  ``{column, literal, path, reduce, unit, split, part, pattern, value, values}`` (:class:`FieldSpec`);
  ``[[files.events]]`` lists columns of an issuance row that are themselves events (the ARB
  sheet's retired amounts); ``empty_quantity = "notice"`` keeps a row without credits as a notice.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ledger.registry_import.serials import MappingInvalid, SerialFormat
from ledger.registry_import.values import DATE_FORMATS, UNITS_KG

MAPPINGS_DIR = Path(__file__).with_name("mappings")
STATUSES = ("issued", "retired", "cancelled", "ended")
ACCOUNT_PARTS = ("project", "buffer")
AMOUNT_FIELDS = ("quantity", "buffer", "buffer_added", "project_part", "published_vintage",
                 "published_cancelled", "reversal")
EVENT_FIELDS = ("project_id", "project_name", "project_type", "activities", "methodology", "country",
                "proponent", "vintage", "period", "period_start", "period_end", "issued_on", "status_on",
                "serial", "first", "last", "beneficiary", "reason", "details", "holder", "row_id",
                "related_id", "account", *AMOUNT_FIELDS)
PROJECT_AMOUNTS = ("published_issued", "published_retired", "published_buffer", "published_registered",
                   "estimated_annual")
PROJECT_FIELDS = ("project_id", "project_name", "project_type", "activities", "methodology", "country",
                  "status", "proponent", "area", "latitude", "longitude", "crediting_start",
                  "crediting_end", "related_id", *PROJECT_AMOUNTS)
DATE_FIELDS = ("period_start", "period_end", "issued_on", "status_on", "crediting_start", "crediting_end")


@dataclass(frozen=True)
class FieldSpec:
    """Where one field's value is: a column (a dotted path in JSON), read as given."""

    column: str = ""
    literal: str = ""  # "python" or "json": the cell holds a literal, read at ``path``
    path: str = ""
    reduce: str = ""  # "sum" or "first" for a path through "*"
    unit: str = ""  # t / kg for amounts, ha / acre for areas
    split: str = ""  # a cell holding two values ("2010-01-01 / 2018-09-30")
    part: int = 0
    value: str | None = None  # a constant
    values: Mapping[str, str] = field(default_factory=dict)  # cell text -> value (e.g. is_buffer)
    pattern: str = ""  # a regular expression whose first group is the value (an id inside a serial)

    @classmethod
    def from_toml(cls, name: str, spec: Any) -> "FieldSpec":
        if isinstance(spec, str):
            return cls(column=spec)
        if not isinstance(spec, dict):
            raise MappingInvalid(f"field {name}: a column name or a table")
        unknown = set(spec) - {"column", "literal", "path", "reduce", "unit", "split", "part", "value", "values",
                               "pattern"}
        if unknown:
            raise MappingInvalid(f"field {name}: unknown keys {sorted(unknown)}")
        out = cls(**spec)
        if out.literal not in ("", "python", "json") or out.reduce not in ("", "sum", "first"):
            raise MappingInvalid(f"field {name}: literal must be python/json, reduce sum/first")
        if not out.column and out.value is None:
            raise MappingInvalid(f"field {name}: a column or a value is required")
        return out


@dataclass(frozen=True)
class StatusRule:
    """How a row's status is told: a constant, a column's value, or Verra's dated rule."""

    constant: str = ""
    column: str = ""
    values: Mapping[str, str] = field(default_factory=dict)
    date_field: str = ""  # rule "dated": ended when this field holds a date...
    claim_fields: tuple[str, ...] = ()  # ...and retired when one of these says who or why

    @classmethod
    def from_toml(cls, spec: Any) -> "StatusRule":
        if isinstance(spec, str):
            if spec not in STATUSES:
                raise MappingInvalid(f"status {spec!r} is not one of {STATUSES}")
            return cls(constant=spec)
        if isinstance(spec, dict) and spec.get("rule") == "dated":
            return cls(date_field=spec["date"], claim_fields=tuple(spec["claim"]))
        if isinstance(spec, dict) and "column" in spec:
            bad = set(spec.get("values", {}).values()) - set(STATUSES)
            if bad:
                raise MappingInvalid(f"status values {sorted(bad)} are not statuses")
            return cls(column=spec["column"], values=dict(spec.get("values", {})))
        raise MappingInvalid("status: a status, {column, values} or {rule = 'dated', date, claim}")


@dataclass(frozen=True)
class EventColumn:
    """An amount in an issuance row that is an event on that issuance's credits."""

    amount: FieldSpec
    status: str
    reason: str
    account: str = "project"


@dataclass(frozen=True)
class FileLayout:
    """One file layout of a registry."""

    name: str
    kind: str  # "events" or "projects"
    format: str  # "csv" or "json"
    match: tuple[str, ...]
    dates: str
    status: StatusRule | None
    serial_formats: tuple[str, ...]
    fields: Mapping[str, FieldSpec]
    events: tuple[EventColumn, ...] = ()
    required: tuple[str, ...] = ()  # fields every row must give
    empty_quantity: str = "problem"  # or "notice": a row without credits is reported, not refused

    def columns(self) -> set[str]:
        """The CSV columns the layout reads (all must be in the header)."""
        cols = {f.column for f in self.fields.values() if f.column}
        cols |= {e.amount.column for e in self.events}
        if self.status is not None and self.status.column:
            cols.add(self.status.column)
        return cols


@dataclass(frozen=True)
class RegistryMapping:
    """A registry's mapping file, checked."""

    registry: str
    name: str
    project_letters: str
    aliases: tuple[str, ...]
    serial_formats: Mapping[str, SerialFormat]
    pool_key: tuple[str, ...]
    files: tuple[FileLayout, ...]
    path: Path
    serials_may_start_at_zero: bool = False  # Cercarbono numbers some issuances 0..n-1
    events_may_take_other_part: bool = False  # ACR: an event may take a pool's buffer part too

    def layout_for_header(self, header: list[str]) -> FileLayout | None:
        """The CSV layout whose ``match`` columns are all in ``header`` (the most specific one)."""
        fitting = [f for f in self.files if f.format == "csv" and set(f.match) <= set(header)]
        return max(fitting, key=lambda f: len(f.match), default=None)

    def json_layout(self) -> FileLayout | None:
        """The layout of a JSON export, if the registry has one."""
        return next((f for f in self.files if f.format == "json"), None)


def _layout(registry: str, index: int, table: Mapping[str, Any], formats: Mapping[str, SerialFormat]) -> FileLayout:
    where = f"{registry} files[{index}]"
    kind, fmt = table.get("kind"), table.get("format", "csv")
    if kind not in ("events", "projects") or fmt not in ("csv", "json"):
        raise MappingInvalid(f"{where}: kind must be events/projects and format csv/json")
    allowed = EVENT_FIELDS if kind == "events" else PROJECT_FIELDS
    fields = {}
    for name, spec in table.get("fields", {}).items():
        if name not in allowed:
            raise MappingInvalid(f"{where}: unknown field {name!r} (known: {', '.join(allowed)})")
        fields[name] = FieldSpec.from_toml(name, spec)
    if "project_id" not in fields:
        raise MappingInvalid(f"{where}: field project_id is required")
    dates = table.get("dates", "iso")
    if dates not in DATE_FORMATS:
        raise MappingInvalid(f"{where}: dates must be one of {sorted(DATE_FORMATS)}")
    serial_formats = tuple(table.get("serial_formats", ()))
    missing = [n for n in serial_formats if n not in formats]
    if missing:
        raise MappingInvalid(f"{where}: unknown serial formats {missing}")
    status = StatusRule.from_toml(table["status"]) if kind == "events" else None
    events = tuple(EventColumn(FieldSpec.from_toml("events", e["amount"]), e["status"], e.get("reason", ""),
                               e.get("account", "project")) for e in table.get("events", ()))
    for name, spec in fields.items():
        if spec.unit and spec.unit not in (*UNITS_KG, "ha", "acre", "m2"):
            raise MappingInvalid(f"{where}: field {name}: unknown unit {spec.unit!r}")
    if fmt == "csv" and not table.get("match"):
        raise MappingInvalid(f"{where}: a CSV layout needs 'match' columns")
    empty_quantity = table.get("empty_quantity", "problem")
    if empty_quantity not in ("problem", "notice"):
        raise MappingInvalid(f"{where}: empty_quantity must be problem or notice")
    return FileLayout(table.get("name", f"{kind}-{index}"), kind, fmt, tuple(table.get("match", ())), dates,
                      status, serial_formats, fields, events, tuple(table.get("required", ())), empty_quantity)


def load_mapping(path: Path) -> RegistryMapping:
    """Read and check one mapping file."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    registry = data.get("registry", "")
    if not registry or not registry.replace("-", "").isalnum() or registry != registry.lower() or len(registry) > 20:
        raise MappingInvalid(f"{path.name}: registry key must be 1-20 lower-case letters, digits or '-'")
    formats = {name: SerialFormat.from_table(name, t) for name, t in data.get("serial_formats", {}).items()}
    files = tuple(_layout(registry, i, t, formats) for i, t in enumerate(data.get("files", ())))
    pool_key = tuple(data.get("pools", {}).get("key", ()))
    return RegistryMapping(registry, data.get("name", registry), data.get("project_letters", ""),
                           tuple(data.get("aliases", ())), formats, pool_key, files, Path(path),
                           bool(data.get("serials_may_start_at_zero", False)),
                           bool(data.get("pools", {}).get("events_may_take_other_part", False)))


@functools.cache
def mappings() -> dict[str, RegistryMapping]:
    """Every registry mapping shipped, by key (read once)."""
    out = {}
    for path in sorted(MAPPINGS_DIR.glob("*.toml")):
        mapping = load_mapping(path)
        if mapping.registry in out:
            raise MappingInvalid(f"{path.name}: registry {mapping.registry} is mapped twice")
        out[mapping.registry] = mapping
    return out


def registry_keys() -> list[str]:
    """The registries that can be imported, and every alias."""
    found = mappings()
    return sorted([*found, *(a for m in found.values() for a in m.aliases)])


def resolve(registry: str) -> RegistryMapping | None:
    """The mapping for a registry key or alias."""
    found = mappings()
    if registry in found:
        return found[registry]
    return next((m for m in found.values() if registry in m.aliases), None)
