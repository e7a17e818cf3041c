"""Imported projects: their short code, their sink category, and merging what the files say.

A project is known from a registry's projects file and from the attributes its credit rows
repeat (type, methodology, country...). The projects file is taken first; the credit rows fill
what it leaves empty (and are all there is when the import has no projects file).

The sink category (afforestation/ARR, IFM, REDD, wetland/blue carbon, bamboo, agriculture,
other) is told by the rules in ``sink_categories.toml``, kept as data with their sources, so
that imported credits can be filtered (``sinkledger registry-projects --sink-category ifm``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Iterable

from ledger.registry_import.model import MAX_PROJECT_CODE_CHARS, ProjectRecord

SINK_CATEGORIES = ("afforestation_arr", "ifm", "redd", "wetland_blue_carbon", "bamboo", "agriculture", "other")
RULES_FILE = Path(__file__).with_name("sink_categories.toml")
_CODE_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")


@functools.cache
def sink_category_rules() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The rules of ``sink_categories.toml``, in order."""
    rules = tomllib.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    out = []
    for rule in rules:
        if rule["category"] not in SINK_CATEGORIES:
            raise ValueError(f"sink_categories.toml: unknown category {rule['category']!r}")
        out.append((rule["category"], re.compile(rule["pattern"], re.IGNORECASE)))
    return tuple(out)


def sink_category(*texts: str) -> str:
    """The category of a project from its type, activities and methodology texts.

    Examples
    --------
    >>> sink_category("Agriculture Forestry and Other Land Use", "", "VM0015")
    'redd'
    >>> sink_category("Energy industries (renewable/non-renewable sources)", "", "ACM0002")
    'other'
    """
    for category, pattern in sink_category_rules():
        if any(pattern.search(t) for t in texts if t):
            return category
    return "other"


def project_code_for(letters: str, project_id: str) -> str:
    """Our short project code: the registry's letters and its id (``VCS1340``; ``ACR731`` as is).

    An id that would not fit in 12 characters, or holds other characters, becomes the letters
    and a base-32 digest of the id (Isometric's ``prj_1JYCV03BW1S0RTE5`` -> ``ISO`` + 9 chars);
    the full id is always kept beside it.
    """
    code = project_id if project_id.upper().startswith(letters.upper()) else letters + project_id
    if len(code) <= MAX_PROJECT_CODE_CHARS and _CODE_CHARS.match(code):
        return code
    digest = base64.b32encode(hashlib.sha256(project_id.encode("utf-8")).digest()).decode("ascii")
    return letters + digest[:MAX_PROJECT_CODE_CHARS - len(letters)]


class ProjectBook:
    """Collects what the files say of each project; :meth:`records` gives the merged projects."""

    def __init__(self, registry: str, letters: str) -> None:
        self.registry, self.letters = registry, letters
        self.from_projects: dict[str, dict[str, Any]] = {}
        self.from_rows: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, set[str]] = {}
        self._inputs: dict[tuple[str, str, bool], dict[str, Any]] = {}  # per file and project, in order

    @classmethod
    def replay(cls, registry: str, letters: str, inputs: Iterable[dict[str, Any]]) -> "ProjectBook":
        """A book from the inputs of several imports, read as one import reads its files: by file
        name (stable within a file), so that one import per file merges as one import of all."""
        book = cls(registry, letters)
        for i in sorted(inputs, key=lambda i: i["source"]):
            book.add(i["project_id"], i["values"], i["source"], from_projects_file=i["from_projects_file"])
        return book

    def add(self, project_id: str, values: dict[str, Any], source: str, *, from_projects_file: bool) -> None:
        """What one row says of ``project_id`` (the first non-empty value of each attribute wins)."""
        said = self._inputs.setdefault((source, project_id, from_projects_file), {})
        for name, value in values.items():
            if value not in (None, ""):
                said.setdefault(name, value)
        book = self.from_projects if from_projects_file else self.from_rows
        known = book.setdefault(project_id, {})
        for name, value in values.items():
            if value not in (None, "") and known.get(name) in (None, ""):
                known[name] = value
        self.sources.setdefault(project_id, set()).add(source)

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """What each file said of each project (its first non-empty values), in the order read:
        kept in the journal so that a later import merges with it (:meth:`replay`)."""
        return [{"project_id": pid, "source": source, "from_projects_file": flag, "values": values}
                for (source, pid, flag), values in self._inputs.items()]

    def records(self) -> list[ProjectRecord]:
        """Every project, sorted by id, with its sink category."""
        allowed = {f.name for f in fields(ProjectRecord)}
        out = []
        for project_id in sorted(set(self.from_projects) | set(self.from_rows)):
            values = dict(self.from_rows.get(project_id, {}))
            values.update({k: v for k, v in self.from_projects.get(project_id, {}).items() if v not in (None, "")})
            record = ProjectRecord(self.registry, project_id, project_code_for(self.letters, project_id),
                                   **{k: v for k, v in values.items() if k in allowed},
                                   sources=tuple(sorted(self.sources.get(project_id, ()))))
            out.append(replace(record, sink_category=sink_category(record.project_type, record.activities,
                                                                   record.methodology)))
        return out


def by_id(projects: Iterable[ProjectRecord]) -> dict[str, ProjectRecord]:
    """Projects by their registry id."""
    return {p.project_id: p for p in projects}
