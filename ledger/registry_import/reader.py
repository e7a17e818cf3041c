"""The general reader: any registry's export files, as its mapping file describes them.

``parse_files(registry, paths)`` reads each file, recognises its layout by its header (CSV) or
its format (JSON), and turns every row into registry-neutral records (:mod:`.model`): credit
rows into :class:`RegistryRecord` values, project rows into :class:`ProjectRecord` values, with
every problem of every row at once, and notices for rows kept with something to know.

Per row of an ``events`` layout (the checks, in order):

1. the serial (when the layout has one) must be in one of the registry's formats, and what it
   repeats (project, vintage, vintage dates) must agree with the columns;
2. amounts must be plain decimals in their unit; tonnes must be whole (kilograms may leave a
   fraction of a tonne, which the ledger floors and the report counts);
3. required dates and the vintage must be readable;
4. the status must be told: a constant, a column's value, or Verra's dated rule, where a dated
   row without a claim is ``ended`` (retired or cancelled, unknown which) and kept with a notice.

An issuance row with a buffer part gives two records (project and buffer); an issuance row
whose columns say what became of its credits (the ARB sheet) gives one record per amount.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from ledger.registry_import.mapping import PROJECT_AMOUNTS, FieldSpec, FileLayout, RegistryMapping, mappings, resolve
from ledger.registry_import.model import (
    CreditStatus,
    ImportProblem,
    ParsedImport,
    RegistryRecord,
    RowProblems,
    csv_rows,
    decode_export,
    file_problem,
    record_problems,
    sort_problems,
)
from ledger.registry_import.projects import ProjectBook
from ledger.registry_import.rows import (
    EVENT_CELL,
    PROJECT_ATTRIBUTES,
    STATUS_CELL,
    EventRow,
    coordinate,
    field_text,
    text_of,
)
from ledger.registry_import.values import as_text, parse_amount_kg, parse_area_m2, parse_date, pick, token
from sinkledger_base.errors import InvalidInput

MAX_JSON_BYTES = 64 * 1024 * 1024


def parse_files(registry: str, paths: Iterable[Path]) -> ParsedImport:
    """Parse every file of one registry's export: records, projects, problems and notices.

    Raises
    ------
    InvalidInput
        ``value_invalid`` when no mapping has the registry key or alias.
    """
    mapping = resolve(registry) if isinstance(registry, str) else None
    if mapping is None:
        raise InvalidInput("value_invalid", field="registry", value=str(registry)[:40])
    out = ParsedImport(mapping.registry)
    book = ProjectBook(mapping.registry, mapping.project_letters)
    # in one order whatever the order given: what a project's rows say is merged file by file, so
    # the same files give the same projects, history and report in any order
    for path in sorted((Path(p) for p in paths), key=lambda p: (p.name, str(p))):
        FileReader(mapping, path.name, book, out).read_bytes(_read(path, mapping, out))
    return _finish(mapping, out, book)


def parse_text(registry: str, text: str, *, source: str) -> ParsedImport:
    """One export given as text (tests, uploads): as :func:`parse_files` for one file."""
    mapping = resolve(registry)
    if mapping is None:
        raise InvalidInput("value_invalid", field="registry", value=str(registry)[:40])
    out = ParsedImport(mapping.registry)
    book = ProjectBook(mapping.registry, mapping.project_letters)
    FileReader(mapping, source, book, out).read_text(text)
    return _finish(mapping, out, book)


def _finish(mapping: RegistryMapping, out: ParsedImport, book: ProjectBook) -> ParsedImport:
    """Shift zero-based numbering, run the registry-neutral checks, sort; a row with a problem
    in any of its records gives none."""
    if mapping.serials_may_start_at_zero:
        out.records, shifted = _shift_zero_based(out.records)
        out.notices += shifted
    found = [p for r in out.records for p in record_problems(r)]
    refused = {(p.source, p.row_number) for p in found}
    out.records = [r for r in out.records if (r.source, r.row_number) not in refused]
    out.projects = book.records()
    out.project_inputs = book.inputs
    out.problems = sort_problems([*out.problems, *found])
    out.notices = sort_problems(out.notices)
    return out


def _shift_zero_based(records: list[RegistryRecord]) -> tuple[list[RegistryRecord], list[ImportProblem]]:
    """Under a prefix where a row's numbers start at 0, every row's numbers from columns move up
    by one, so that the block 0..n-1 is recorded as 1..n (the ledger counts from 1); a notice
    names the prefix. A serial naming a whole issuance (numbers 1..quantity) is not moved."""
    zero = {r.serial_prefix for r in records if r.has_serials and r.first == 0}
    out, notices = [], []
    for r in records:
        if r.serial_prefix in zero and r.status is not CreditStatus.issued:
            r = replace(r, first=r.first + 1, last=r.last + 1)
        out.append(r)
    for prefix in sorted(zero):
        first = next(r for r in records if r.serial_prefix == prefix and r.first == 0)
        notices.append(ImportProblem(first.registry, first.source, first.row_number, "registry_serials_from_zero",
                                     {"prefix": prefix}, first.line_number, severity="notice"))
    return out, notices


def _read(path: Path, mapping: RegistryMapping, out: ParsedImport) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        out.problems.append(file_problem(mapping.registry, path.name, "registry_file_unreadable",
                                         reason=exc.__class__.__name__))
        return None


def detect_registry(paths: Iterable[Path]) -> str:
    """The one registry whose layouts fit every file (a CSV header, or a JSON list).

    Raises
    ------
    InvalidInput
        ``registry_not_recognised`` when no registry fits a file (or none fits them all),
        ``registry_ambiguous`` when more than one fits them all.
    """
    fitting: set[str] | None = None
    for path in paths:
        head = _head(Path(path))
        if head is None:
            found: set[str] = set()
        elif head.lstrip().startswith("["):
            found = {k for k, m in mappings().items() if m.json_layout() is not None}
        else:
            header = [h.strip() for h in next(csv.reader(io.StringIO(head)), [])]
            found = {k for k, m in mappings().items() if m.layout_for_header(header) is not None}
        fitting = found if fitting is None else fitting & found
        if not fitting:
            raise InvalidInput("registry_not_recognised", file=Path(path).name)
    if fitting is None or len(fitting) != 1:
        raise InvalidInput("registry_ambiguous", candidates=", ".join(sorted(fitting or ())))
    return fitting.pop()


def _head(path: Path) -> str | None:
    """The first 64 KiB of a file as text (enough for any header), or None if unreadable."""
    try:
        with path.open("rb") as f:
            return f.read(65536).decode("utf-8-sig", errors="replace")
    except OSError:
        return None


@dataclass
class FileReader:
    """Reads one file of one registry into ``out``."""

    mapping: RegistryMapping
    source: str
    book: ProjectBook
    out: ParsedImport
    occurrences: Counter[str] = field(default_factory=Counter)

    def read_bytes(self, data: bytes | None) -> None:
        if data is None:
            return
        try:
            text = decode_export(data)
        except UnicodeDecodeError as exc:
            self.out.problems.append(self._file_problem("registry_file_unreadable", reason=f"not UTF-8 at byte {exc.start}"))
            return
        self.read_text(text)

    def read_text(self, text: str) -> None:
        if text.lstrip().startswith(("[", "{")):
            self._read_json(text)
        else:
            self._read_csv(text)

    def _file_problem(self, code: str, **params: Any) -> ImportProblem:
        return file_problem(self.mapping.registry, self.source, code, **params)

    # --- CSV ----------------------------------------------------------------------------------

    def _read_csv(self, text: str) -> None:
        header, rows = csv_rows(text)
        layout = self.mapping.layout_for_header(header)
        if layout is None:
            expected = sorted({c for f in self.mapping.files for c in f.match})
            self.out.problems.append(self._file_problem(
                "registry_columns_missing", columns=", ".join(c for c in expected if c not in header)[:300]))
            return
        missing = sorted(layout.columns() - set(header))
        if missing:
            self.out.problems.append(self._file_problem("registry_columns_missing", columns=", ".join(missing)))
            return
        count = 0
        for row in rows:
            count += 1
            self._row(layout, row.row_number, row.line_number, lambda spec, cells=row.cells: cells.get(spec.column, ""))
        self.out.files.append({"source": self.source, "layout": layout.name, "kind": layout.kind, "rows": count})

    # --- JSON ---------------------------------------------------------------------------------

    def _read_json(self, text: str) -> None:
        layout = self.mapping.json_layout()
        try:
            data = json.loads(text) if len(text) <= MAX_JSON_BYTES else None
        except ValueError as exc:
            self.out.problems.append(self._file_problem("registry_file_unreadable", reason=f"JSON: {exc}"[:120]))
            return
        if layout is None or not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            self.out.problems.append(self._file_problem("registry_columns_missing", columns="JSON list of projects"))
            return
        for index, item in enumerate(data, start=1):
            self._row(layout, index, index, lambda spec, obj=item: as_text(pick(obj, spec.column)))
        self.out.files.append({"source": self.source, "layout": layout.name, "kind": layout.kind, "rows": len(data)})

    # --- one row ------------------------------------------------------------------------------

    def _row(self, layout: FileLayout, row_number: int, line_number: int, cell: Any) -> None:
        raw = {name: field_text(spec, cell(spec)) for name, spec in layout.fields.items()}
        if layout.status is not None and layout.status.column:
            raw[STATUS_CELL] = cell(FieldSpec(column=layout.status.column))
        for event in layout.events:
            raw[EVENT_CELL + event.amount.column] = field_text(event.amount, cell(event.amount))
        check = RowProblems(self.mapping.registry, self.source, row_number, line_number)
        if layout.kind == "projects":
            self._project_row(layout, raw, check)
        else:
            EventRow(self, layout, raw, check, row_number, line_number).read()
        self.out.problems.extend(check.found)

    def _project_row(self, layout: FileLayout, raw: dict[str, str], check: RowProblems) -> None:
        project_id = token(raw.get("project_id", ""))
        if not project_id:
            check.add("registry_field_invalid", field="project_id", value="")
            return
        values: dict[str, Any] = {n: text_of(n, raw[n]) for n in (*PROJECT_ATTRIBUTES, "status") if n in raw}
        values["name"] = values.pop("project_name", "")
        for name in PROJECT_AMOUNTS:
            if token(raw.get(name, "")):
                kg = parse_amount_kg(raw[name], layout.fields[name].unit or "t")
                if kg is None:
                    check.add("registry_quantity_invalid", value=raw[name][:40])
                values[name + "_kg"] = kg
        if token(raw.get("area", "")):
            values["area_m2"] = parse_area_m2(raw["area"], layout.fields["area"].unit or "ha")
        for name in ("latitude", "longitude"):
            values[name + "_microdeg"] = coordinate(raw.get(name, ""), 90 if name == "latitude" else 180)
        for name in ("crediting_start", "crediting_end"):
            day = parse_date(raw[name], layout.dates) if token(raw.get(name, "")) else None
            values[name] = day.isoformat() if day else ""
        if not check.found:
            self.book.add(project_id, values, self.source, from_projects_file=True)
