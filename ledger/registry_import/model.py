"""Registry-neutral records parsed from another registry's export, and the problems found.

Each registry module (:mod:`.verra`, :mod:`.gold_standard`) turns its own CSV layout into
:class:`RegistryRecord` values: one serial block ``first..last`` under an original serial
prefix, with its vintage, project, status (issued / retired / cancelled), beneficiary and
reason kept verbatim. Parsing is pure and never stops at the first bad row: it returns
``(records, problems)`` with every problem found, in the style of beancount's loader.

A row with any problem yields no record. Guessing is never done: a row whose serial, quantity,
vintage or status cannot be read unambiguously becomes an :class:`ImportProblem` carrying the
source file, the row number (the header is row 1, as a spreadsheet shows it), the physical
line on which the row starts (multi-line quoted cells make the two differ), a stable code and
the message in Chinese and English.

Helpers for the quirks shared by the exports live here too: byte-order marks, quoted cells
spanning several lines, thousands separators in quantities, ISO dates with or without a time.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

from sinkledger_base.checks import in_date_range

MAX_SERIAL_NUMBER = 2**31 - 1  # credit_block.first/last are 32-bit integers on PostgreSQL
MAX_PREFIX_CHARS = 60  # batch.serial_prefix
MAX_PROJECT_CODE_CHARS = 12  # batch.project_code
MAX_BENEFICIARY_CHARS = 200  # retirement.beneficiary
MAX_PURPOSE_CHARS = 500  # retirement.purpose
HEADER_ROW = 1

_INTEGER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$", re.ASCII)  # "１０" is not a quantity


class CreditStatus(str, enum.Enum):
    """Where a serial block stands in the source registry."""

    issued = "issued"  # still active (held by someone) in the source registry
    retired = "retired"  # used for a claim, with a beneficiary and/or reason
    cancelled = "cancelled"  # taken out of circulation without a claim


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One serial block of another registry, as its export states it.

    Attributes
    ----------
    registry : str
        Registry key, e.g. ``"verra"`` or ``"gold-standard"``.
    source : str
        File name the row came from.
    row_number : int
        Spreadsheet row (the header is row 1).
    line_number : int
        Physical line on which the row starts.
    serial : str
        The serial cell verbatim.
    serial_prefix : str
        The serial with the running number(s) taken out; the numbers count within it.
    first, last : int
        Serial numbers of the block, inclusive.
    quantity : int
        Credits (tCO2e) in the block; always ``last - first + 1``.
    vintage_year : int
        The vintage as the registry counts it.
    period_start, period_end : date or None
        Vintage (Verra) or monitoring (Gold Standard) period as given.
    project_id : str
        The registry's project id, verbatim.
    project_code : str
        Short code for our batch table (registry letters + id, at most 12 characters).
    project_name : str
        Project name, verbatim.
    status : CreditStatus
        Issued (active), retired or cancelled.
    issued_on, status_on : date or None
        Issuance date; retirement or cancellation date.
    beneficiary, reason, details : str
        Retirement beneficiary, reason (use case) and free-text note, verbatim.
    """

    registry: str
    source: str
    row_number: int
    line_number: int
    serial: str
    serial_prefix: str
    first: int
    last: int
    quantity: int
    vintage_year: int
    period_start: date | None
    period_end: date | None
    project_id: str
    project_code: str
    project_name: str
    status: CreditStatus
    issued_on: date | None = None
    status_on: date | None = None
    beneficiary: str = ""
    reason: str = ""
    details: str = ""

    @property
    def purpose(self) -> str:
        """What our retirement table records as the purpose: the reason, else the note."""
        return self.reason or self.details

    def to_record(self) -> dict[str, Any]:
        """The record as canonical-JSON-ready values (dates as ISO text)."""
        return {
            "registry": self.registry, "source": self.source, "row_number": self.row_number,
            "line_number": self.line_number, "serial": self.serial,
            "serial_prefix": self.serial_prefix, "first": self.first, "last": self.last,
            "quantity": self.quantity, "vintage_year": self.vintage_year,
            "period_start": _iso(self.period_start), "period_end": _iso(self.period_end),
            "project_id": self.project_id, "project_code": self.project_code,
            "project_name": self.project_name, "status": self.status.value,
            "issued_on": _iso(self.issued_on), "status_on": _iso(self.status_on),
            "beneficiary": self.beneficiary, "reason": self.reason, "details": self.details,
        }


@dataclass(frozen=True)
class ImportProblem:
    """A row (or file) that cannot be reconciled, with a stable code and its parameters."""

    registry: str
    source: str
    row_number: int
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    line_number: int | None = None

    def to_record(self) -> dict[str, Any]:
        """The problem as canonical-JSON-ready values (messages are rendered at the edges).

        Request fingerprints and stored records never carry wording, so a retry stays identical
        when the catalogue's wording changes.
        """
        out: dict[str, Any] = {"registry": self.registry, "source": self.source,
                               "row_number": self.row_number, "line_number": self.line_number,
                               "code": self.code, "params": dict(self.params)}
        return out




# --- registry-neutral checks -----------------------------------------------------------------

def record_problems(record: RegistryRecord) -> list[ImportProblem]:
    """Checks every record must pass, whichever registry it came from.

    The serial block must lie in 1..``MAX_SERIAL_NUMBER`` and hold ``quantity`` credits, and
    the texts must fit the ledger's columns (the journal keeps them verbatim, so nothing is
    ever cut short: a row that does not fit is refused).
    """
    check = RowProblems(record.registry, record.source, record.row_number, record.line_number)
    if not 1 <= record.first <= record.last <= MAX_SERIAL_NUMBER:
        check.add("registry_serial_out_of_range", first=record.first, last=record.last,
                    max_number=MAX_SERIAL_NUMBER)
    elif record.last - record.first + 1 != record.quantity:
        check.add("registry_quantity_mismatch", range_quantity=record.last - record.first + 1,
                    quantity=record.quantity)
    limits = [("serial_prefix", record.serial_prefix, MAX_PREFIX_CHARS),
              ("project_code", record.project_code, MAX_PROJECT_CODE_CHARS)]
    if record.status is CreditStatus.retired:
        limits += [("beneficiary", record.beneficiary, MAX_BENEFICIARY_CHARS),
                   ("purpose", record.purpose, MAX_PURPOSE_CHARS)]
    for name, value, max_chars in limits:
        if len(value) > max_chars:
            check.add("registry_value_too_long", field=name, chars=len(value), max_chars=max_chars)
    return check.found


class RowProblems:
    """Collects the problems of one row, so that every problem is reported at once."""

    def __init__(self, registry: str, source: str, row_number: int, line_number: int | None) -> None:
        self.registry, self.source = registry, source
        self.row_number, self.line_number = row_number, line_number
        self.found: list[ImportProblem] = []

    def add(self, code: str, **params: Any) -> None:
        """Record one problem of this row."""
        self.found.append(ImportProblem(self.registry, self.source, self.row_number, code, params,
                                        self.line_number))


def row_problems(registry: str, source: str, row: CsvRow) -> RowProblems:
    """A collector for the problems of ``row``."""
    return RowProblems(registry, source, row.row_number, row.line_number)


def file_problem(registry: str, source: str, code: str, **params: Any) -> ImportProblem:
    """A problem with the whole file (reported on the header row)."""
    return ImportProblem(registry, source, HEADER_ROW, code, params, HEADER_ROW)


# --- reading CSV ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row with its spreadsheet row number and starting physical line."""

    row_number: int
    line_number: int
    cells: dict[str, str]


def decode_export(data: bytes) -> str:
    """Decode an export as UTF-8, dropping a byte-order mark. Raises UnicodeDecodeError."""
    return data.decode("utf-8-sig")


def read_export(path: Path) -> tuple[str | None, str]:
    """Read a file; return ``(text, "")`` or ``(None, reason)`` when it cannot be read."""
    try:
        return decode_export(Path(path).read_bytes()), ""
    except OSError as exc:
        return None, exc.__class__.__name__
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 at byte {exc.start}"


def csv_rows(text: str) -> tuple[list[str], Iterator[CsvRow]]:
    """Split CSV text into a header and rows; quoted cells may span lines.

    Blank lines count as rows (as in a spreadsheet) but are not yielded. Cells beyond the
    header are dropped; missing trailing cells read as empty.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]

    def rows() -> Iterator[CsvRow]:
        row_number, line_after = HEADER_ROW, reader.line_num
        for cells in reader:
            row_number += 1
            start, line_after = line_after + 1, reader.line_num
            if any(c.strip() for c in cells):
                padded = cells + [""] * (len(header) - len(cells))
                yield CsvRow(row_number, start, dict(zip(header, padded)))

    return header, rows()


def missing_columns(header: list[str], required: tuple[str, ...]) -> list[str]:
    """The required columns the header lacks, in the order required."""
    return [c for c in required if c not in header]


# --- cell values -----------------------------------------------------------------------------

def parse_quantity(value: str) -> int | None:
    """A positive whole number, with or without comma thousands separators ("28,571")."""
    text = value.strip()
    if not _INTEGER.match(text):
        return None
    number = int(text.replace(",", ""))
    return number if number > 0 else None


def parse_iso_date(value: str) -> date | None:
    """``YYYY-MM-DD`` optionally followed by a time (``T12:35:58.842275``, ``Z``)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        else:
            day = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
    return day if in_date_range(day) else None


def parse_dmy_compact(value: str) -> date | None:
    """``DDMMYYYY`` as in Verra serial numbers (``01012020``)."""
    try:
        day = datetime.strptime(value, "%d%m%Y").date()
    except ValueError:
        return None
    return day if in_date_range(day) else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


ParseResult = tuple[list[RegistryRecord], list[ImportProblem]]


def parse_export(path: Path, registry: str, parse_text: Callable[..., ParseResult]) -> ParseResult:
    """Read ``path`` and parse it with ``parse_text(text, source=<file name>)``."""
    text, reason = read_export(path)
    if text is None:
        return [], [file_problem(registry, Path(path).name, "registry_file_unreadable", reason=reason)]
    return parse_text(text, source=Path(path).name)


def sort_problems(problems: Iterable[ImportProblem]) -> list[ImportProblem]:
    """Problems in file, row and code order."""
    return sorted(problems, key=lambda p: (p.source, p.row_number, p.code))


def parse_csv(text: str, *, registry: str, source: str, columns: tuple[str, ...],
              parse_row: Callable[[CsvRow, list[str]], tuple[RegistryRecord | None, list[ImportProblem]]]
              ) -> ParseResult:
    """Every row of a CSV export through ``parse_row(row, header)``: the sound rows' records and
    every problem of the others; a file without the required ``columns`` is one problem."""
    header, rows = csv_rows(text)
    missing = missing_columns(header, columns)
    if missing:
        return [], [file_problem(registry, source, "registry_columns_missing", columns=", ".join(missing))]
    records: list[RegistryRecord] = []
    problems: list[ImportProblem] = []
    for row in rows:
        record, found = parse_row(row, header)
        problems.extend(found)
        if record is not None:
            records.append(record)
    return records, problems
