"""Registry-neutral records parsed from another registry's export, and the problems found.

The reader (:mod:`.reader`) turns each registry's layout, as its mapping file states it
(:mod:`.mapping`), into :class:`RegistryRecord` values: one serial block ``first..last`` under an
original serial prefix (or, for a registry whose issuances carry no serials, an amount in a pool
of credits, :mod:`.pools`), with its vintage, project, status (issued / retired / cancelled /
ended), beneficiary and reason kept verbatim; and :class:`ProjectRecord` values: the projects
with their type, methodology, country, sink category and published totals. Parsing is pure and
never stops at the first bad row: it returns every problem found, in the style of beancount's
loader, and every notice (a row kept, with something the user should know).

A row with any problem yields no record. Guessing is never done: a row whose serial, quantity,
vintage or status cannot be read unambiguously becomes an :class:`ImportProblem` carrying the
source file, the row number (the header is row 1, as a spreadsheet shows it), the physical
line on which the row starts (multi-line quoted cells make the two differ), a stable code and
the message in Chinese and English.

Reading CSV lives here too: byte-order marks, quoted cells spanning several lines (a row's
spreadsheet number and its physical line differ). Cell values are read by :mod:`.values`.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from ledger.registry_import.values import parse_dmy_compact, parse_iso_date, parse_quantity  # noqa: F401

MAX_SERIAL_NUMBER = 2**31 - 1  # credit_block.first/last are 32-bit integers on PostgreSQL
MAX_PREFIX_CHARS = 60  # batch.serial_prefix
MAX_PROJECT_CODE_CHARS = 12  # batch.project_code
MAX_BENEFICIARY_CHARS = 200  # retirement.beneficiary
MAX_PURPOSE_CHARS = 500  # retirement.purpose
HEADER_ROW = 1


class CreditStatus(str, enum.Enum):
    """Where a serial block stands in the source registry."""

    issued = "issued"  # still active (held by someone) in the source registry
    retired = "retired"  # used for a claim, with a beneficiary and/or reason
    cancelled = "cancelled"  # taken out of circulation without a claim
    ended = "ended"  # retired or cancelled: the registry does not say which (Verra, no claim)


ACCOUNT_PARTS = ("project", "buffer")


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One serial block (or pooled amount) of another registry, as its export states it.

    Attributes
    ----------
    registry : str
        Registry key, e.g. ``"verra"`` or ``"gold-standard"``.
    source : str
        File name the row came from.
    row_number : int
        Spreadsheet row (the header is row 1); for JSON, the position in the list from 1.
    line_number : int
        Physical line on which the row starts.
    serial : str
        The serial cell verbatim ("" when the row has none).
    serial_prefix : str
        The serial with the running number(s) taken out; the numbers count within it. For a
        pooled issuance, the pool's prefix (``<LETTERS>:<pool key>``) once planned.
    first, last : int
        Serial numbers of the block, inclusive (0 when the row has no numbers of its own).
    quantity : int
        Credits (whole tCO2e) in the block.
    vintage_year : int
        The vintage as the registry counts it.
    period_start, period_end : date or None
        Vintage, monitoring or reporting period as given.
    project_id : str
        The registry's project id, verbatim.
    project_code : str
        Short code for our batch table (at most 12 characters; :func:`project_code_for`).
    project_name : str
        Project name, verbatim.
    status : CreditStatus
        Issued (active), retired, cancelled, or ended (one of the two; the registry does not say).
    issued_on, status_on : date or None
        Issuance date; retirement or cancellation date.
    beneficiary, reason, details : str
        Retirement beneficiary, reason (use case) and free-text note, verbatim.
    part : str
        Which record of its row this is ("" for a row's only record; "buffer" for an issuance's
        buffer part; the column of an event kept as a column, e.g. ARB's "Retired Voluntarily").
    account_part : str
        ``project`` or ``buffer``: whose credits (the buffer account's, for buffer issuances).
    pool : str
        The pool of credits the row belongs to ("" when its serials place it; :mod:`.pools`).
    quantity_kg : int or None
        The exact amount in kilograms, for registries that count in kg (Isometric).
    row_key : str
        What identifies the row across imports (its serial, its id, or its content).
    published : dict
        Figures the row publishes besides its own amount (``vintage_kg``: Verra's total vintage
        quantity; ``cancelled_kg``: CAR's cancelled for compliance).
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
    part: str = ""
    account_part: str = "project"
    pool: str = ""
    quantity_kg: int | None = None
    row_key: str = ""
    published: Mapping[str, int] = field(default_factory=dict)

    @property
    def purpose(self) -> str:
        """What our retirement table records as the purpose: the reason, else the note."""
        return self.reason or self.details

    @property
    def has_serials(self) -> bool:
        """Whether the row's own serial numbers place it (else it is taken from its pool)."""
        return not self.pool

    @property
    def amount_kg(self) -> int:
        """The row's amount in kilograms (exact for kg registries)."""
        return self.quantity_kg if self.quantity_kg is not None else self.quantity * 1000

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
            "part": self.part, "account_part": self.account_part, "pool": self.pool,
            "quantity_kg": self.quantity_kg, "row_key": self.row_key, "published": dict(self.published),
        }


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    """A project of another registry: what it is, where, and the totals the registry publishes.

    Amounts are kilograms CO2e (exact for registries counting in kg; tonnes times 1000 otherwise),
    areas square metres, coordinates WGS84 degrees. ``None`` where the registry does not say.
    """

    registry: str
    project_id: str
    project_code: str
    name: str = ""
    project_type: str = ""
    activities: str = ""
    methodology: str = ""
    country: str = ""
    status: str = ""
    proponent: str = ""
    related_id: str = ""
    sink_category: str = "other"
    published_issued_kg: int | None = None
    published_retired_kg: int | None = None
    published_buffer_kg: int | None = None
    published_registered_kg: int | None = None
    estimated_annual_kg: int | None = None
    area_m2: int | None = None
    latitude_microdeg: int | None = None
    longitude_microdeg: int | None = None
    crediting_start: str = ""
    crediting_end: str = ""
    sources: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The project as canonical-JSON-ready values."""
        return {name: (list(getattr(self, name)) if name == "sources" else getattr(self, name))
                for name in self.__slots__}


@dataclass(frozen=True)
class ImportProblem:
    """A row (or file) that cannot be reconciled, with a stable code and its parameters.

    A *notice* (``severity="notice"``) keeps its row: it says something the user should know
    (a status the registry leaves open, a row without credits, an anomaly in the figures).
    """

    registry: str
    source: str
    row_number: int
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    line_number: int | None = None
    severity: str = "problem"

    def to_record(self) -> dict[str, Any]:
        """The problem as canonical-JSON-ready values (messages are rendered at the edges).

        Request fingerprints and stored records never carry wording, so a retry stays identical
        when the catalogue's wording changes.
        """
        out: dict[str, Any] = {"registry": self.registry, "source": self.source,
                               "row_number": self.row_number, "line_number": self.line_number,
                               "code": self.code, "params": dict(self.params)}
        if self.severity != "problem":
            out["severity"] = self.severity
        return out


@dataclass
class ParsedImport:
    """Everything read from one registry's files: records, projects, problems and notices."""

    registry: str
    records: list[RegistryRecord] = field(default_factory=list)
    projects: list[ProjectRecord] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    notices: list[ImportProblem] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: layout, rows, amounts
    project_inputs: list[dict[str, Any]] = field(default_factory=list)  # what each row said of its project


# --- registry-neutral checks -----------------------------------------------------------------

def record_problems(record: RegistryRecord) -> list[ImportProblem]:
    """Checks every record must pass, whichever registry it came from.

    A block placed by its own serials must lie in 1..``MAX_SERIAL_NUMBER`` and hold ``quantity``
    credits, and the texts must fit the ledger's columns (the journal keeps them verbatim, so
    nothing is ever cut short: a row that does not fit is refused).
    """
    check = RowProblems(record.registry, record.source, record.row_number, record.line_number)
    if record.has_serials and not 1 <= record.first <= record.last <= MAX_SERIAL_NUMBER:
        check.add("registry_serial_out_of_range", first=record.first, last=record.last,
                  max_number=MAX_SERIAL_NUMBER)
    elif record.has_serials and record.last - record.first + 1 != record.quantity:
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

    def notice(self, code: str, *, severity: str = "notice", **params: Any) -> ImportProblem:
        """A notice (or an anomaly) about this row; the row is kept."""
        return ImportProblem(self.registry, self.source, self.row_number, code, params, self.line_number,
                             severity=severity)


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
    header are dropped; missing trailing cells read as empty. Header names are stripped.
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


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def sort_problems(problems: Iterable[ImportProblem]) -> list[ImportProblem]:
    """Problems in file, row and code order."""
    return sorted(problems, key=lambda p: (p.source, p.row_number, p.code))
