"""Verra (VCS) transactions export: one row per serial block, issued or retired/cancelled.

Layout (``transactions.csv`` from Verra's registry, as OffsetsDB stores it)::

    Issuance Date, Sustainable Development Goals, Vintage Start, Vintage End, ID, Name,
    Country/Area, Project Type, Methodology, Total Vintage Quantity, Quantity Issued,
    Serial Number, Additional Certifications, Retirement/Cancellation Date,
    Retirement Beneficiary, Retirement Reason, Retirement Details

Serial numbers put the running numbers *before* the prefix::

    19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1
    │     │         │         └ prefix: VCS-VCU-<n>-VER-<country>-<scope>-<project>-<vintage
    │     │         │           start DDMMYYYY>-<vintage end DDMMYYYY>-<flag>
    │     │         └ last serial
    │     └ first serial
    └ transaction block id (repeats across rows; not part of the prefix)

Quirks handled: quantities with thousands separators in quoted cells (``"28,571"``), the
vintage dates written twice (ISO columns and DDMMYYYY in the serial; they must agree), the
project id written twice (``ID`` column and serial), beneficiaries in Chinese and Portuguese.

Status: a row without a retirement/cancellation date is still active (``issued``). Verra's
export does **not** say whether a dated row was retired or cancelled. A dated row that names a
beneficiary, a reason or details states a claim, so it is a retirement. A dated row with none
of them is reported as ``registry_status_ambiguous`` rather than guessed.
The vintage year is the year of the vintage start (as OffsetsDB counts it).
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
    parse_csv,
    parse_dmy_compact,
    parse_export,
    parse_iso_date,
    parse_quantity,
    record_problems,
    row_problems,
)

REGISTRY = "verra"
PROJECT_LETTERS = "VCS"
COLUMNS = ("Issuance Date", "Vintage Start", "Vintage End", "ID", "Name", "Quantity Issued",
           "Serial Number", "Retirement/Cancellation Date", "Retirement Beneficiary",
           "Retirement Reason", "Retirement Details")
SERIAL = re.compile(
    r"^(?P<block>\d+)-(?P<first>\d+)-(?P<last>\d+)-"
    r"(?P<prefix>[A-Z]+-[A-Z]+-\d+-[A-Z]+-[A-Z]{2}-\d+-(?P<project>\d+)-"
    r"(?P<vintage_start>\d{8})-(?P<vintage_end>\d{8})-\d+)$", re.ASCII)



def parse_text(text: str, *, source: str = "transactions.csv") -> ParseResult:
    """A Verra transactions export, as decoded text: the records of its sound rows
    and every problem of the others, naming ``source`` and the row (``model.parse_csv``)."""
    return parse_csv(text, registry=REGISTRY, source=source, columns=COLUMNS,
                     parse_row=lambda row, header: parse_row(row, source))


def parse_row(row: CsvRow, source: str) -> tuple[RegistryRecord | None, list[ImportProblem]]:
    """One row: a record when it is sound, else ``None`` and all its problems."""
    cells, check = row.cells, row_problems(REGISTRY, source, row)
    serial = cells["Serial Number"].strip()
    match = SERIAL.match(serial)
    if match is None:
        check.add("registry_serial_unrecognised", serial=serial[:120])
    quantity = parse_quantity(cells["Quantity Issued"])
    if quantity is None:
        check.add("registry_quantity_invalid", value=cells["Quantity Issued"][:40])
    dates = {name: _date(cells, name, check, required=name != "Retirement/Cancellation Date")
             for name in ("Issuance Date", "Vintage Start", "Vintage End", "Retirement/Cancellation Date")}
    if match is not None:
        _cross_check(match, cells, dates, check)
    status = _status(cells, check)
    if check.found or match is None or quantity is None or status is None:
        return None, check.found
    record = RegistryRecord(
        registry=REGISTRY, source=source, row_number=row.row_number, line_number=row.line_number,
        serial=serial, serial_prefix=match["prefix"], first=int(match["first"]),
        last=int(match["last"]), quantity=quantity, vintage_year=dates["Vintage Start"].year,
        period_start=dates["Vintage Start"], period_end=dates["Vintage End"],
        project_id=cells["ID"].strip(), project_code=PROJECT_LETTERS + cells["ID"].strip(),
        project_name=cells["Name"], status=status, issued_on=dates["Issuance Date"],
        status_on=dates["Retirement/Cancellation Date"], beneficiary=cells["Retirement Beneficiary"],
        reason=cells["Retirement Reason"], details=cells["Retirement Details"])
    found = record_problems(record)
    return (None, found) if found else (record, [])


def _date(cells: dict[str, str], name: str, check: RowProblems, *, required: bool) -> date | None:
    value = cells[name].strip()
    if not value and not required:
        return None
    parsed = parse_iso_date(value)
    if parsed is None:
        check.add("registry_date_invalid", field=name, value=value[:40])
    return parsed


def _cross_check(match: re.Match[str], cells: dict[str, str], dates: dict[str, date | None],
                 check: RowProblems) -> None:
    """The serial repeats the project id and the vintage dates; they must agree."""
    if match["project"] != cells["ID"].strip():
        check.add("registry_field_mismatch", field="project id", serial_value=match["project"],
                  value=cells["ID"].strip()[:40])
    for part, column in (("vintage_start", "Vintage Start"), ("vintage_end", "Vintage End")):
        in_serial = parse_dmy_compact(match[part])
        if dates[column] is not None and in_serial != dates[column]:
            check.add("registry_field_mismatch", field=column, serial_value=match[part],
                      value=cells[column].strip()[:40])


def _status(cells: dict[str, str], check: RowProblems) -> CreditStatus | None:
    """Issued without a date; retired with a date and a stated claim; else ambiguous."""
    dated = bool(cells["Retirement/Cancellation Date"].strip())
    claim = any(cells[c].strip() for c in ("Retirement Beneficiary", "Retirement Reason", "Retirement Details"))
    if not dated and not claim:
        return CreditStatus.issued
    if dated and claim:
        return CreditStatus.retired
    check.add("registry_status_ambiguous")
    return None


def parse_file(path: Path) -> ParseResult:
    """The export in the file ``path`` (encoding and byte-order mark handled by ``parse_export``)."""
    return parse_export(path, REGISTRY, parse_text)
