"""Gold Standard exports: issuances (``Credit Status`` Issued) and retirements (Retired/Canceled).

Both files carry serial ranges, so a Gold Standard history keeps the whole life of a block:
an issuance row creates ``first..last``; a retirement or cancellation row inside it is a later
event on part of those serials (the ledger splits the block). The two layouts are told apart
by their header: only the retirements file has ``Retirement Date``, ``Using Entity``,
``Use Case`` and ``Note``.

Serial formats (both seen in ``issuances.csv``)::

    GS1-1-KE-GS11603-16-2025-30256-110-5463
    └──────── prefix ─────────────┘ └ first-last; the prefix repeats the project (GS11603)
                                       and the vintage (2025), which must match the columns

    RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014
    a CDM CER block (Product Type CER): two whole serials joined by " - ", equal except for
    the number in third place; the prefix is ``RW-5-2-2-0-7014`` (party, unit type,
    commitment periods, LULUCF flag, CDM project number)

Quirks handled: ``Note`` cells spanning lines (quoted, with embedded newlines, kept verbatim),
issuance dates as ISO timestamps with microseconds, retirement dates as plain ISO dates,
Canceled rows without a date, ``POA GSID`` written as a float (``11191.0``; not used).
Beneficiary is ``Using Entity``, reason is ``Use Case``, details are ``Note``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ledger.registry_import.model import (
    CreditStatus,
    CsvRow,
    ImportProblem,
    ParseResult,
    RegistryRecord,
    RowProblems,
    missing_columns,
    parse_csv,
    parse_export,
    parse_iso_date,
    parse_quantity,
    record_problems,
    row_problems,
)

REGISTRY = "gold-standard"
PROJECT_LETTERS = "GS"
COLUMNS = ("Vintage", "Credit Status", "Quantity", "GSID", "Project Name", "Issuance Date",
           "Monitoring Period Start", "Monitoring Period End", "Serial Number")
RETIREMENT_COLUMNS = ("Retirement Date", "Using Entity", "Use Case", "Note")
STATUSES = {"Issued": CreditStatus.issued, "Retired": CreditStatus.retired,
            "Canceled": CreditStatus.cancelled, "Cancelled": CreditStatus.cancelled}
GS_SERIAL = re.compile(
    r"^(?P<prefix>GS\d+-\d+-[A-Z]{2}-GS(?P<project>\d+)-\d+-(?P<vintage>\d{4})-\d+)"
    r"-(?P<first>\d+)-(?P<last>\d+)$", re.ASCII)
CER_SERIAL = re.compile(
    r"^(?P<party>[A-Z]{2})-(?P<unit>\d+)-(?P<first>\d+)-(?P<tail>\d+-\d+-\d+-\d+)"
    r"\s+-\s+(?P=party)-(?P=unit)-(?P<last>\d+)-(?P=tail)$", re.ASCII)



def parse_text(text: str, *, source: str = "issuances.csv") -> ParseResult:
    """A Gold Standard issuances or retirements export, as decoded text: the records of its sound rows
    and every problem of the others, naming ``source`` and the row (``model.parse_csv``)."""
    def one_row(row: CsvRow, header: list[str]) -> tuple[RegistryRecord | None, list[ImportProblem]]:
        # Retirement columns are optional: an issuances export has none.
        return parse_row(row, source, with_retirements=not missing_columns(header, RETIREMENT_COLUMNS))

    return parse_csv(text, registry=REGISTRY, source=source, columns=COLUMNS, parse_row=one_row)


def parse_serial(serial: str) -> tuple[str, int, int, str | None, str | None] | None:
    """``(prefix, first, last, project, vintage)`` of a GS or CDM serial, else ``None``.

    ``project`` and ``vintage`` are ``None`` for CDM serials, which do not carry them.
    """
    if (m := GS_SERIAL.match(serial)) is not None:
        return m["prefix"], int(m["first"]), int(m["last"]), m["project"], m["vintage"]
    if (m := CER_SERIAL.match(serial)) is not None:
        return f"{m['party']}-{m['unit']}-{m['tail']}", int(m["first"]), int(m["last"]), None, None
    return None


def parse_row(row: CsvRow, source: str, *,
              with_retirements: bool) -> tuple[RegistryRecord | None, list[ImportProblem]]:
    """One row: a record when it is sound, else ``None`` and all its problems."""
    cells, check = row.cells, row_problems(REGISTRY, source, row)
    serial = cells["Serial Number"].strip()
    parsed = parse_serial(serial)
    if parsed is None:
        check.add("registry_serial_unrecognised", serial=serial[:120])
    quantity = _positive(cells, "Quantity", check)
    vintage = _vintage(cells, check)
    status = STATUSES.get(cells["Credit Status"].strip())
    if status is None:
        check.add("registry_status_unknown", value=cells["Credit Status"][:40])
    dates = _dates(cells, check, with_retirements=with_retirements)
    if parsed is not None:
        _cross_check(parsed, cells, check)
    if check.found or parsed is None or quantity is None or vintage is None or status is None:
        return None, check.found
    record = _record(row, source, cells, serial, parsed, quantity, vintage, status, dates)
    found = record_problems(record)
    return (None, found) if found else (record, [])


def _record(row: CsvRow, source: str, cells: dict[str, str], serial: str,
            parsed: tuple[str, int, int, str | None, str | None], quantity: int, vintage: int,
            status: CreditStatus, dates: dict[str, date | None]) -> RegistryRecord:
    prefix, first, last, _, _ = parsed
    gsid = cells["GSID"].strip()
    return RegistryRecord(
        registry=REGISTRY, source=source, row_number=row.row_number, line_number=row.line_number,
        serial=serial, serial_prefix=prefix, first=first, last=last, quantity=quantity,
        vintage_year=vintage, period_start=dates["Monitoring Period Start"],
        period_end=dates["Monitoring Period End"], project_id=gsid,
        project_code=PROJECT_LETTERS + gsid, project_name=cells["Project Name"], status=status,
        issued_on=dates["Issuance Date"], status_on=dates.get("Retirement Date"),
        beneficiary=cells.get("Using Entity", ""), reason=cells.get("Use Case", ""),
        details=cells.get("Note", ""))


def _positive(cells: dict[str, str], name: str, check: RowProblems) -> int | None:
    value = parse_quantity(cells[name])
    if value is None:
        check.add("registry_quantity_invalid", value=cells[name][:40])
    return value


def _vintage(cells: dict[str, str], check: RowProblems) -> int | None:
    value = cells["Vintage"].strip()
    if not re.fullmatch(r"\d{4}", value, re.ASCII):
        check.add("registry_field_invalid", field="Vintage", value=value[:40])
        return None
    return int(value)


def _dates(cells: dict[str, str], check: RowProblems, *, with_retirements: bool) -> dict[str, date | None]:
    """Issuance and monitoring dates are required; the retirement date may be blank."""
    names = ["Issuance Date", "Monitoring Period Start", "Monitoring Period End"]
    names += ["Retirement Date"] if with_retirements else []
    out: dict[str, date | None] = {}
    for name in names:
        value = cells[name].strip()
        out[name] = parse_iso_date(value) if value else None
        if out[name] is None and (value or name != "Retirement Date"):
            check.add("registry_date_invalid", field=name, value=value[:40])
    return out


def _cross_check(parsed: tuple[str, int, int, str | None, str | None], cells: dict[str, str],
                 check: RowProblems) -> None:
    """A GS serial repeats the project (GSID) and the vintage; they must agree."""
    _, _, _, project, vintage = parsed
    if project is not None and project != cells["GSID"].strip():
        check.add("registry_field_mismatch", field="GSID", serial_value=project,
                  value=cells["GSID"].strip()[:40])
    if vintage is not None and vintage != cells["Vintage"].strip():
        check.add("registry_field_mismatch", field="Vintage", serial_value=vintage,
                  value=cells["Vintage"].strip()[:40])


def parse_file(path: Path) -> ParseResult:
    """The export in the file ``path`` (encoding and byte-order mark handled by ``parse_export``)."""
    return parse_export(path, REGISTRY, parse_text)
