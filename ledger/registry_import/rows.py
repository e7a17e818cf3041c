"""One row of a registry export, as its mapping's layout reads it: the helpers that turn a cell
into a field's text, and :class:`EventRow`, the checks and records of one credit row (in the
order the reader's module docstring gives: serial, amounts, dates and vintage, status).

An issuance row with a buffer part gives two records (project and buffer); an issuance row
whose columns say what became of its credits (the ARB sheet) gives one record per amount.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.registry_import.mapping import AMOUNT_FIELDS, DATE_FIELDS, FieldSpec, FileLayout, RegistryMapping
from ledger.registry_import.model import CreditStatus, RegistryRecord, RowProblems
from ledger.registry_import.projects import project_code_for
from ledger.registry_import.serials import parse_serial
from ledger.registry_import.values import (
    as_text,
    clean,
    parse_amount_kg,
    parse_date,
    parse_literal,
    parse_year,
    pick,
    token,
    whole_tonnes,
)

VERBATIM_FIELDS = ("project_name", "beneficiary", "reason", "details", "holder", "proponent")
PROJECT_ATTRIBUTES = ("project_name", "project_type", "activities", "methodology", "country", "proponent",
                      "related_id")
STATUS_CELL = "\0status"  # the status column's cell, kept beside the fields
EVENT_CELL = "\0event:"  # an event column's cell


def field_text(spec: FieldSpec, cell: str) -> str:
    """The text of a field from its cell: a constant, a literal's path, a part, a pattern's group."""
    if spec.value is not None:
        return spec.value
    text = cell
    if spec.literal:
        picked = pick(parse_literal(text, spec.literal), spec.path)
        if spec.reduce == "sum" and isinstance(picked, list):
            numbers = [p for p in picked if isinstance(p, (int, float)) and not isinstance(p, bool)]
            picked = sum(numbers) if len(numbers) == len(picked) else None
        elif spec.reduce == "first" and isinstance(picked, list):
            picked = picked[0] if picked else None
        text = as_text(picked)
    if spec.split:
        parts = text.split(spec.split)
        text = parts[spec.part] if len(parts) > spec.part else ""
    if spec.pattern:
        match = re.search(spec.pattern, token(text))
        text = match.group(1) if match else ""
    if spec.values:
        text = spec.values.get(token(text), token(text))
    return text


def whole_number(value: str) -> int | None:
    """A serial number from a column: ASCII digits, zero allowed (the reader moves numbering from 0 up by one)."""
    text = token(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def text_of(name: str, value: str) -> str:
    return clean(value) if name in VERBATIM_FIELDS else token(value)


def coordinate(value: str, limit: int) -> int | None:
    """A coordinate in degrees as whole millionths of a degree (the journal holds no floats)."""
    try:
        number = Decimal(token(value))
    except ArithmeticError:
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        return None
    return int((number * 1_000_000).to_integral_value())


@dataclass
class EventRow:
    """One row of an events layout: its checks, then its records."""

    reader: Any  # the FileReader of the file (reader.py)
    layout: FileLayout
    raw: dict[str, str]
    check: RowProblems
    row_number: int
    line_number: int
    bad: set[str] = field(default_factory=set)

    @property
    def mapping(self) -> RegistryMapping:
        return self.reader.mapping

    def read(self) -> None:
        amounts = self._amounts()
        dates = self._dates()
        vintage = self._vintage(dates)
        status = self._status(dates)
        serial = self._serial(amounts, dates, vintage)
        self._required()
        quantity_kg = amounts.get("quantity")
        if not quantity_kg and "quantity" not in self.bad:
            if self.layout.empty_quantity == "notice":
                self._without_credits(amounts)
                return
            self.check.add("registry_quantity_invalid", value=self.raw.get("quantity", "")[:40])
        if self.check.found or status is None or vintage is None or not quantity_kg:
            return
        self._records(amounts, dates, vintage, status, serial)

    # --- values ---------------------------------------------------------------------------

    def _amounts(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for name in AMOUNT_FIELDS:
            if name not in self.raw:
                continue
            text = token(self.raw[name])
            unit = self.layout.fields[name].unit or "t"
            kg = parse_amount_kg(text.removeprefix("-") if name == "reversal" else text, unit) if text else None
            if text and (kg is None or (unit == "t" and kg % 1000)):
                self.bad.add(name)
                self.check.add("registry_quantity_invalid", value=self.raw[name][:40])
                kg = None
            out[name] = kg
        return out

    def _dates(self) -> dict[str, date | None]:
        out: dict[str, date | None] = {}
        for name in DATE_FIELDS:
            if name not in self.raw:
                continue
            text = token(self.raw[name])
            out[name] = parse_date(text, self.layout.dates) if text else None
            if out[name] is None and (text or name in self.layout.required):
                self.check.add("registry_date_invalid", field=self.layout.fields[name].column or name, value=text[:40])
        return out

    def _vintage(self, dates: dict[str, date | None]) -> int | None:
        """The vintage column, else the year of the period start, the issuance or the event."""
        if "vintage" in self.raw:
            year = parse_year(self.raw["vintage"])
            if year is None:
                self.check.add("registry_field_invalid", field=self.layout.fields["vintage"].column,
                               value=self.raw["vintage"][:40])
            return year
        for name in ("period_start", "issued_on", "status_on"):
            if dates.get(name) is not None:
                return dates[name].year
        if not self.check.found:  # an unreadable date already says why
            self.check.add("registry_field_invalid", field="vintage", value="")
        return None

    def _required(self) -> None:
        for name in ("project_id", "row_id"):
            if name in self.layout.required or name == "project_id":
                if name in self.raw and not token(self.raw[name]):
                    self.check.add("registry_field_invalid", field=self.layout.fields[name].column or name, value="")

    def _status(self, dates: dict[str, date | None]) -> CreditStatus | None:
        rule = self.layout.status
        assert rule is not None  # events layouts always have one (the mapping is checked)
        if rule.constant:
            return CreditStatus(rule.constant)
        if rule.column:
            value = token(self.raw.get(STATUS_CELL, ""))
            status = rule.values.get(value)
            if status is None:
                self.check.add("registry_status_unknown", value=value[:40])
                return None
            return CreditStatus(status)
        dated = bool(token(self.raw.get(rule.date_field, "")))
        claim = any(token(self.raw.get(c, "")) for c in rule.claim_fields)
        if dated and claim:
            return CreditStatus.retired
        if dated:
            self.reader.out.notices.append(self.check.notice("registry_status_ended"))
            return CreditStatus.ended
        if claim:
            self.check.add("registry_status_ambiguous")
            return None
        return CreditStatus.issued

    def _serial(self, amounts: dict[str, int | None], dates: dict[str, date | None],
                vintage: int | None) -> tuple[str, int, int] | None:
        """``(prefix, first, last)`` from the serial and its format, checked against the columns."""
        text = token(self.raw.get("serial", ""))
        if "serial" not in self.raw or (not text and "serial" not in self.layout.required):
            return None
        formats = tuple(self.mapping.serial_formats[n] for n in self.layout.serial_formats)
        found = parse_serial(formats, text)
        if found is None:
            self.check.add("registry_serial_unrecognised", serial=text[:120])
            return None
        fmt, parsed = found
        self._cross_check(fmt.check_values(parsed), dates, vintage)
        first, last = parsed.first, parsed.last
        if first is None:
            first, last = self._numbers(amounts)
        return (parsed.prefix, first, last) if first is not None and last is not None else None

    def _numbers(self, amounts: dict[str, int | None]) -> tuple[int | None, int | None]:
        """Numbers from the first/last columns, else 1..quantity (a serial naming a whole issuance)."""
        if "first" in self.raw:
            first, last = (whole_number(self.raw.get(n, "")) for n in ("first", "last"))
            if first is None or last is None:
                self.check.add("registry_field_invalid", field="first..last",
                               value=f"{self.raw.get('first', '')}..{self.raw.get('last', '')}"[:40])
            return first, last
        quantity_kg = amounts.get("quantity")
        return (1, quantity_kg // 1000) if quantity_kg and quantity_kg >= 1000 else (None, None)

    def _cross_check(self, said: dict[str, Any], dates: dict[str, date | None], vintage: int | None) -> None:
        for name, value in said.items():
            column = self.layout.fields[name].column if name in self.layout.fields else name
            if name in dates:
                mine: Any = dates[name]
            elif name == "vintage":
                mine = str(vintage) if vintage is not None else None
            else:
                mine = token(self.raw.get(name, ""))
            if mine not in (None, "") and value != mine:
                self.check.add("registry_field_mismatch", field=column, serial_value=str(value)[:40],
                               value=token(self.raw.get(name, ""))[:40])

    # --- records --------------------------------------------------------------------------

    def _records(self, amounts: dict[str, int | None], dates: dict[str, date | None], vintage: int,
                 status: CreditStatus, serial: tuple[str, int, int] | None) -> None:
        project_id = token(self.raw["project_id"])
        pooled = bool(self.mapping.pool_key)
        if not pooled and serial is None:
            self.check.add("registry_serial_unrecognised", serial=token(self.raw.get("serial", ""))[:120])
            return
        base = self._base(project_id, vintage, dates, status, serial, amounts,
                          self._pool(project_id, vintage) if pooled else "")
        parts = self._parts(amounts, status)
        if parts is None:
            return
        self.reader.out.records.extend(self._make(base, *part) for part in parts)
        self._note_project(project_id)

    def _pool(self, project_id: str, vintage: int) -> str:
        values = {"project_id": project_id, "vintage": str(vintage), "row_id": token(self.raw.get("row_id", ""))}
        return "/".join(values[k] for k in self.mapping.pool_key)

    def _base(self, project_id: str, vintage: int, dates: dict[str, date | None], status: CreditStatus,
              serial: tuple[str, int, int] | None, amounts: dict[str, int | None], pool: str) -> RegistryRecord:
        prefix, first, last = serial if serial is not None else ("", 0, 0)
        published = {key: amounts[name] for name, key in (("published_vintage", "vintage_kg"),
                                                          ("published_cancelled", "cancelled_kg"))
                     if amounts.get(name)}
        return RegistryRecord(
            registry=self.mapping.registry, source=self.reader.source, row_number=self.row_number,
            line_number=self.line_number, serial=token(self.raw.get("serial", "")), serial_prefix=prefix,
            first=first, last=last, quantity=0, vintage_year=vintage, period_start=dates.get("period_start"),
            period_end=dates.get("period_end"), project_id=project_id,
            project_code=project_code_for(self.mapping.project_letters, project_id),
            project_name=clean(self.raw.get("project_name", "")), status=status,
            issued_on=dates.get("issued_on"), status_on=dates.get("status_on"),
            beneficiary=clean(self.raw.get("beneficiary", "")), reason=clean(self.raw.get("reason", "")),
            details=clean(self.raw.get("details", "")), pool=pool, published=published)

    def _parts(self, amounts: dict[str, int | None], status: CreditStatus) -> list[Part] | None:
        """Each record the row gives: its project part, its buffer part, its event columns."""
        total = amounts["quantity"] or 0
        buffer_kg = amounts.get("buffer") or 0
        account = token(self.raw.get("account", "")) or "project"
        if account not in ("project", "buffer"):
            self.check.add("registry_field_invalid", field=self.layout.fields["account"].column, value=account[:40])
            return None
        if buffer_kg > total:
            self.check.add("registry_buffer_exceeds_total", buffer_kg=buffer_kg, total_kg=total)
            return None
        project_kg = amounts.get("project_part")
        if project_kg is None:
            project_kg = total - buffer_kg
        elif project_kg + buffer_kg != total:
            self.reader.out.notices.append(self.check.notice(
                "registry_parts_do_not_add_up", severity="anomaly", total_kg=total, project_kg=project_kg,
                buffer_kg=buffer_kg))
        parts = [Part("", account, project_kg, status)] if project_kg else []
        if buffer_kg or amounts.get("buffer_added"):
            parts.append(Part("buffer", "buffer", buffer_kg + (amounts.get("buffer_added") or 0), status))
        return parts + self._event_columns()

    def _event_columns(self) -> list[Part]:
        out = []
        for event in self.layout.events:
            text = token(self.raw.get(EVENT_CELL + event.amount.column, ""))
            kg = parse_amount_kg(text, event.amount.unit or "t") if text else 0
            if kg is None or kg % 1000:
                self.check.add("registry_quantity_invalid", value=text[:40])
            elif kg:
                out.append(Part(event.amount.column, event.account, kg, CreditStatus(event.status), event.reason))
        return out

    def _make(self, base: RegistryRecord, part: str, account: str, kg: int, status: CreditStatus,
              reason: str | None) -> RegistryRecord:
        record = base
        if part:  # a row's buffer part or event column: an amount of its pool, with no serial of its own
            record = replace(record, part=part, status=status, serial="", serial_prefix="", first=0, last=0,
                             published={})
        if reason is not None:
            record = replace(record, reason=reason, beneficiary="", details="", status_on=None)
        unit_kg = self.layout.fields["quantity"].unit == "kg"
        record = replace(record, quantity=whole_tonnes(kg)[0], account_part=account,
                         quantity_kg=kg if unit_kg else None)
        return replace(record, row_key=self._row_key(record))

    def _row_key(self, record: RegistryRecord) -> str:
        """What identifies the row across imports: its serial, its id, or its content."""
        if record.serial:
            key = f"serial:{record.serial}:{record.status.value}:{record.part}"
        elif token(self.raw.get("row_id", "")):
            key = f"id:{token(self.raw['row_id'])}:{record.status.value}:{record.part}"
        else:
            content = json.dumps(sorted(self.raw.items()), ensure_ascii=False)
            key = "row:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:32] + f":{record.part}"
        self.reader.occurrences[key] += 1
        n = self.reader.occurrences[key]
        return key if n == 1 else f"{key}#{n}"

    def _note_project(self, project_id: str) -> None:
        values = {n: text_of(n, self.raw[n]) for n in PROJECT_ATTRIBUTES if n in self.raw}
        values["name"] = values.pop("project_name", "")
        self.reader.book.add(project_id, values, self.reader.source, from_projects_file=False)

    def _without_credits(self, amounts: dict[str, int | None]) -> None:
        """A row that issued nothing (the ARB sheet's zero-credit periods and reversals): a notice."""
        params: dict[str, Any] = {"project_id": token(self.raw.get("project_id", "")),
                                  "details": clean(self.raw.get("details", ""))[:300]}
        self.check.found.clear()  # nothing to book, so nothing to refuse: the notice says it all
        if amounts.get("reversal"):
            params["reversal_t"] = amounts["reversal"] // 1000
            self.reader.out.notices.append(self.check.notice("registry_reversal_reported", **params))
        else:
            self.reader.out.notices.append(self.check.notice("registry_row_without_credits", **params))


@dataclass(frozen=True)
class Part:
    """One record an events row gives."""

    part: str
    account: str
    kg: int
    status: CreditStatus
    reason: str | None = None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.part, self.account, self.kg, self.status, self.reason))
