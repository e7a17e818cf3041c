"""Issue 20, point 4 of the follow-up: the same projects in two sources are reconciled against each
other, on SQLite and PostgreSQL.

CarbonPlan's crediting file and the ARB issuance sheet both describe California's forest projects:
CarbonPlan by registry id with the credits issued to the project ("arbocs"), the sheet by CARB id
with the registry id beside it ("OPR Project ID") and each issuance's credits and buffer share.
The projects in both, and each one's figures, are computed here from the files; the import's
report and ``registry_cross_sources`` must list exactly those, each source's figure, and whether
they agree (the two files are of different dates: differences are expected and reported).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.ledger.test_registry_files import ADMIN, _paths, t

pytestmark = pytest.mark.shared_data


def _from_files(shared_data: Path) -> dict[str, dict[str, int]]:
    """Registry id -> {source: credits issued to the project} for ids in both files."""
    crediting = {p["id"]: p["arbocs"] for p in json.loads(_paths(shared_data, "carbonplan")[0].read_text("utf-8"))}
    sheet: dict[str, int] = defaultdict(int)
    with _paths(shared_data, "arb")[0].open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            sheet[row["OPR Project ID"]] += t(row["ARB Offset Credits Issued"])
    return {pid: {"carbonplan": crediting[pid], "arb": sheet[pid]} for pid in sorted(set(crediting) & set(sheet))}


@pytest.mark.parametrize("first", ["carbonplan", "arb"])
def test_a_project_in_two_sources_is_reconciled_in_the_report(service: Any, shared_data: Path, first: str) -> None:
    """Whichever file comes first, the second import's report sets the two sources side by side."""
    want = _from_files(shared_data)
    assert want, "the reference files no longer share a project"
    second = "arb" if first == "carbonplan" else "carbonplan"
    service.import_registry(ADMIN, f"i:{first}", registry=first, paths=_paths(shared_data, first))
    report = service.import_registry(ADMIN, f"i:{second}", registry=second, paths=_paths(shared_data, second))["report"]
    for groups in (report["cross_sources"], service.registry_cross_sources()):
        got = {g["project"]: g for g in groups if {m["registry"] for m in g["sources"]} == {"carbonplan", "arb"}}
        assert set(got) == set(want)
        for pid, figures in want.items():
            g = got[pid]
            assert {m["registry"]: m["issued_t"] for m in g["sources"]} == figures
            assert {m["registry"]: m["basis"] for m in g["sources"]} == {"carbonplan": "published_issued",
                                                                           "arb": "history"}
            difference = abs(figures["carbonplan"] - figures["arb"])
            assert g["difference_t"] == difference
            assert g["state"] == ("agrees" if difference == 0 else "differs")


def test_projects_of_one_source_only_are_not_listed(service: Any, shared_data: Path) -> None:
    service.import_registry(ADMIN, "i:cp", registry="carbonplan", paths=_paths(shared_data, "carbonplan"))
    assert service.registry_cross_sources() == []
