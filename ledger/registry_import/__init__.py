"""Importing another registry's history (issue 3, item 10; issue 20).

Each registry's export layout is data: ``mappings/<registry>.toml`` (:mod:`.mapping`), read by
one general reader (:mod:`.reader`) into registry-neutral records (:mod:`.model`): credit rows
and projects, with every problem and notice at once. :func:`ledger.registry_import.apply.
import_registry_history` records them in one journal entry (kind ``registry_import``), all or
nothing, into the imported-programme accounts ``IMPORT-<REGISTRY>`` (and ``-BUFFER``), keeps the
projects (type, methodology, country, sink category; :mod:`.store`) and returns the
reconciliation report (:mod:`.report`).

Usage::

    parsed = parse_files("gold-standard", [issuances_csv, retirements_csv, projects_csv])
    content = import_content(parsed, allow_partial=False)
    run_command(db, actor=admin, command="import_registry", request_id="import:gs:2026-04",
                content=content, handler=lambda ctx: import_registry_history(ctx, parsed))

All files of one registry's history go into one command: a retirement is reconciled against
the issuance that holds its credits only within the same import (or one recorded before).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from ledger.registry_import.mapping import registry_keys, resolve
from ledger.registry_import.model import ImportProblem, ParsedImport, ProjectRecord, RegistryRecord
from ledger.registry_import.reader import detect_registry, parse_files, parse_text


def default_request_id(registry: str, paths: Iterable[Path]) -> str:
    """A request id derived from the files' bytes, so that re-running an import is harmless.

    ``import:<registry>:<SHA-256 over each file's SHA-256, in order>``.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
    mapping = resolve(registry)
    return f"import:{mapping.registry if mapping else registry}:{digest.hexdigest()}"


__all__ = ["detect_registry", "parse_files", "parse_text", "default_request_id", "registry_keys", "resolve",
           "ImportProblem", "ParsedImport", "ProjectRecord", "RegistryRecord"]
