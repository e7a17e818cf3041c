"""Other registries' histories: import them, list their projects and credits, re-read the
reconciliation report of an import (docs/registry-import.md).

A :class:`~sinkledger.services.area.RegistryPart`: the registry Service inherits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.domain import check_project_code
from ledger.permissions import Actor, require
from ledger.registry_import import matching as double_counting
from ledger.sql import Tx
from sinkledger.services.area import RegistryPart
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound

# The sink categories of imported projects (ledger/registry_import/projects.py); repeated here so
# that the command line lists them without loading the importers.
SINK_CATEGORIES = ("afforestation_arr", "ifm", "redd", "wetland_blue_carbon", "bamboo", "agriculture", "other")


class RegistryImportCalls(RegistryPart):
    """The registry's calls for this area (``self`` is the registry :class:`Service`)."""

    def import_registry(self, actor: Actor, request_id: str, *, registry: str | None, paths: list[str | Path],
                        allow_partial: bool = False) -> dict[str, Any]:
        """Import another registry's history and projects (all its export files) in one entry.

        ``registry`` is a mapping key or alias (``ledger/registry_import/mappings``); ``None``
        names it from the files' layouts. Unreconcilable rows refuse the whole import
        (``registry_import_has_problems``, every problem listed) unless ``allow_partial``, which
        imports the sound rows and records the refused ones in the entry. The result carries
        the reconciliation report (``result["report"]``).
        """
        # deferred on purpose: the importers load their mappings on first use
        from ledger.registry_import import detect_registry, parse_files
        from ledger.registry_import.apply import import_content, import_registry_history

        if registry is not None and not isinstance(registry, str):
            raise InvalidInput("value_invalid", field="registry", value=repr(registry)[:40])
        if not isinstance(paths, (list, tuple)) or not paths:
            raise InvalidInput("value_invalid", field="paths", value=repr(paths)[:40])
        files = [checks.path_value(p, "paths") for p in paths]
        allow_partial = checks.flag(allow_partial, "allow_partial")
        self.require_initialised()
        parsed = parse_files(detect_registry(files) if registry is None else registry, files)
        content = import_content(parsed, allow_partial=allow_partial)
        done = self._run(actor, "import_registry", request_id, content,
                         lambda ctx: import_registry_history(ctx, parsed, allow_partial=allow_partial))
        self.db.refresh_statistics()
        return done

    def registry_mappings(self) -> list[dict[str, Any]]:
        """The registries that can be imported: key, name, aliases, file layouts, serial formats."""
        # deferred on purpose: the importers load their mappings on first use
        from ledger.registry_import.mapping import mappings

        return [{"registry": m.registry, "name": m.name, "aliases": list(m.aliases),
                 "mapping_file": m.path.name, "pooled": list(m.pool_key),
                 "layouts": [{"name": f.name, "kind": f.kind, "format": f.format, "match": list(f.match)}
                             for f in m.files],
                 "serial_formats": {k: f.examples[0] if f.examples else "" for k, f in m.serial_formats.items()}}
                for m in mappings().values()]

    def imported_projects(self, *, registry: str | None = None, sink_category: str | None = None,
                          country: str | None = None, project_type: str | None = None,
                          methodology: str | None = None) -> dict[str, Any]:
        """Imported projects and the credits held for them, filtered by registry, sink category,
        country, type or methodology (exact values; None: any)."""
        # deferred on purpose: the importers load their mappings on first use
        from ledger.registry_import.queries import imported_projects

        filters = {"registry": registry, "sink_category": sink_category, "country": country,
                   "project_type": project_type, "methodology": methodology}
        for name, value in filters.items():
            if value is not None and (not isinstance(value, str) or len(value) > 200 or not value.isprintable()):
                raise InvalidInput("value_invalid", field=name, value=repr(value)[:40])
        self.require_initialised()
        with self.db.read() as s:
            return imported_projects(s, **filters)

    def registry_import_report(self, seq: int) -> dict[str, Any]:
        """The reconciliation report an import entry recorded."""
        # deferred on purpose: the importers load their mappings on first use
        from ledger.registry_import.queries import import_report

        seq = checks.whole(seq, "seq")
        self.require_initialised()
        with self.db.read() as s:
            return import_report(s, seq)

    def registry_cross_sources(self) -> list[dict[str, Any]]:
        """Projects two or more imported sources describe (one's id is another's id or related
        id), each source's credits issued to the project side by side, ``agrees`` or ``differs``
        (``ledger/registry_import/crosscheck.py``)."""
        # deferred on purpose: the importers load their mappings on first use
        from ledger.registry_import.apply import METHODOLOGY_ID
        from ledger.registry_import.crosscheck import cross_sources

        self.require_initialised()
        with self.db.read() as s:
            return cross_sources(s, methodology_id=METHODOLOGY_ID)

    def double_counting_matches(self, actor: Actor, *, estimate_id: str, project_code: str) -> list[dict[str, Any]]:
        """The imported projects an issuance of ``estimate_id`` under ``project_code`` would match
        (by registry id, name or geometry), each with the id to acknowledge (``match_id``), its
        registry, project id and name, how it matched (``by``) and on what (``detail``): what the
        verifier is shown before issuing (docs/registry-import.md). Nothing is written."""
        require(actor, "issue")  # the verifier's read: another role learns nothing of the estimate
        if not isinstance(estimate_id, str) or not 0 < len(estimate_id) <= 80:
            raise InvalidInput("value_invalid", field="estimate_id", value=repr(estimate_id)[:40])
        if not isinstance(project_code, str) or not check_project_code(project_code):
            raise InvalidInput("value_invalid", field="project_code", value=repr(project_code)[:40])
        self.require_initialised()
        with self.db.read() as s:
            tx = Tx.of(s)
            est = tx.one("SELECT parcel_codes FROM estimate WHERE id = :id", {"id": estimate_id})
            if est is None:
                raise NotFound("estimate_not_found", estimate=estimate_id)
            return double_counting.find_matches(tx, parcel_codes=json.loads(est[0]), project_code=project_code)
