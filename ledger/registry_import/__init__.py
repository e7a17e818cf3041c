"""Importing another registry's history (issue 3, item 10).

Parsing (:mod:`.verra`, :mod:`.gold_standard`) is pure and registry-specific; it yields
registry-neutral :class:`~ledger.registry_import.model.RegistryRecord` values and every
problem at once. :func:`ledger.registry_import.apply.import_registry_history` records the
records in one journal entry (kind ``registry_import``), all or nothing, into the
imported-programme account ``IMPORT-<REGISTRY>``.

Usage::

    records, problems = parse_files("gold-standard", [issuances_csv, retirements_csv])
    content = import_content("gold-standard", records, problems, allow_partial=False)
    run_command(db, actor=admin, command="import_registry", request_id="import:gs:2026-04",
                content=content, handler=lambda ctx: import_registry_history(
                    ctx, registry="gold-standard", records=records, parse_problems=problems))

All files of one registry's history go into one command: a retirement row is reconciled
against the issuance row that holds its serials only within the same import.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterable

from ledger.registry_import import gold_standard, verra
from ledger.registry_import.apply import import_content, import_registry_history
from ledger.registry_import.model import ImportProblem, ParseResult, RegistryRecord, sort_problems
from sinkledger_base.errors import InvalidInput

PARSERS: dict[str, Callable[[Path], ParseResult]] = {
    verra.REGISTRY: verra.parse_file,
    gold_standard.REGISTRY: gold_standard.parse_file,
}


def parse_files(registry: str, paths: Iterable[Path]) -> ParseResult:
    """Parse every file of one registry's export; all records and all problems.

    Raises
    ------
    InvalidInput
        ``value_invalid`` when the registry is not one of :data:`PARSERS`.
    """
    parse = PARSERS.get(registry)
    if parse is None:
        raise InvalidInput("value_invalid", field="registry", value=str(registry)[:40])
    records: list[RegistryRecord] = []
    problems: list[ImportProblem] = []
    for path in paths:
        found_records, found_problems = parse(Path(path))
        records.extend(found_records)
        problems.extend(found_problems)
    return records, sort_problems(problems)


def default_request_id(registry: str, paths: Iterable[Path]) -> str:
    """A request id derived from the files' bytes, so that re-running an import is harmless.

    ``import:<registry>:<SHA-256 over each file's SHA-256, in order>``.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    return f"import:{registry}:{digest.hexdigest()}"


__all__ = ["PARSERS", "parse_files", "default_request_id", "import_content", "import_registry_history",
           "ImportProblem", "RegistryRecord"]
