"""Issue 20: importing one registry's files in any order gives the same held history and report,
on SQLite and PostgreSQL, over the real files in ../shared/data/registry.

One import, files in any order: the orders of a registry's files (every permutation of three
files; every rotation of four, forwards and backwards, so each file comes first and last) give
the same report (files, totals, projects, anomalies, notices) and the same held history (per
registry, project, vintage, account and state) as the files in their listed order. Before the
reader put the files in one order, the Climate Action Reserve's projects depended on it.

One import per file, in any order: each file alone, one import after the other (every order of
up to four files), gives the same held history, projects and summed report as one import of
all the files, and a ledger that verifies (docs/registry-import.md, "Import order").
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.ledger.test_registry_files import ADMIN, FILES, _paths

pytestmark = pytest.mark.shared_data


def held_history(service: Any) -> list[tuple]:
    """Credits per registry, project, vintage, account and state."""
    with service.db.read() as s:
        return [tuple(r) for r in s.execute(text(
            "SELECT b.methodology_version, b.project_code, b.vintage_year, l.account_id, l.state, SUM(l.quantity) "
            "FROM balance l JOIN batch b ON b.id = l.batch_id GROUP BY b.methodology_version, b.project_code, "
            "b.vintage_year, l.account_id, l.state HAVING SUM(l.quantity) <> 0 "
            "ORDER BY b.methodology_version, b.project_code, b.vintage_year, l.account_id, l.state")).all()]


def projects(service: Any) -> list[dict[str, Any]]:
    return service.imported_projects()["projects"]


def fresh(service: Any) -> None:
    """An empty ledger on the same database."""
    service.db.drop_schema()
    service.db.create_schema()
    service.initialise()


def _orders(paths: list[Path], every_up_to: int = 3) -> list[tuple[Path, ...]]:
    """Every order of up to ``every_up_to`` files; of more, every rotation both ways."""
    if len(paths) <= every_up_to:
        return list(itertools.permutations(paths))
    rotations = [tuple(paths[i:] + paths[:i]) for i in range(len(paths))]
    return rotations + [tuple(reversed(r)) for r in rotations]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "files": sorted(report["files"], key=lambda f: f["source"])}


@pytest.mark.parametrize("registry", sorted(r for r in FILES if len(FILES[r]) > 1))
def test_one_import_gives_the_same_history_and_report_whatever_the_order_of_its_files(
        service: Any, shared_data: Path, registry: str) -> None:
    paths = _paths(shared_data, registry)
    want = service.import_registry(ADMIN, "order:0", registry=registry, paths=paths)["report"]
    want_held, want_projects = held_history(service), projects(service)
    for n, order in enumerate(_orders(paths)):
        if list(order) == paths:
            continue
        fresh(service)
        got = service.import_registry(ADMIN, f"order:{n}", registry=registry, paths=list(order))["report"]
        assert comparable(got) == comparable(want), [p.name for p in order]
        assert held_history(service) == want_held and projects(service) == want_projects


# --- one import per file ------------------------------------------------------------------------

ADDITIVE = ("rows", "rows_booked", "rows_projects", "rows_without_credits", "rows_unaccounted", "rows_refused",
            "credits_in_t", "credits_in_kg", "created_t", "created_buffer_t", "retired_t", "cancelled_t",
            "ended_t", "discrepancy_t", "below_a_tonne_kg")


def summed(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """What a registry's imports say together: the additive totals summed, what the imported
    accounts hold after the last, what is still held aside (pending) after the last."""
    totals = [r["totals"] for r in reports]
    return {**{k: sum(t[k] for t in totals) for k in ADDITIVE},
            "account_held_t": totals[-1]["account_held_t"], "account_buffer_held_t": totals[-1]["account_buffer_held_t"],
            "pending_t": totals[-1]["pending_t"],
            "files": sorted((f["source"], f["rows"], f["rows_booked"], f["rows_projects"], f["rows_refused"])
                            for r in reports for f in r["files"])}


@pytest.mark.parametrize("registry", sorted(r for r in FILES if len(FILES[r]) > 1))
def test_one_import_per_file_gives_the_same_history_projects_and_totals_in_any_order(
        service: Any, shared_data: Path, registry: str) -> None:
    """Each file alone, one import after the other, in every order (up to four files; see below
    for PostgreSQL): the same
    held history, projects and summed report as one import of all the files. Later events nest
    into batches earlier imports made; a later issuance takes up the credits an earlier import
    held pending; projects merge by registry id."""
    paths = _paths(shared_data, registry)
    want_report = service.import_registry(ADMIN, "sep:all", registry=registry, paths=paths)["report"]
    want = (held_history(service), projects(service), summed([want_report]))
    # every order of up to four files on SQLite; on PostgreSQL, whose schema costs seconds to make
    # again for each order, the rotations both ways (each file first and last, each neighbour
    # before and after): the same code, the backend's part checked without repeating it 24 times
    for n, order in enumerate(_orders(paths, every_up_to=4 if service.db.is_sqlite else 2)):
        fresh(service)
        reports = [service.import_registry(ADMIN, f"sep:{n}:{i}", registry=registry, paths=[p])["report"]
                   for i, p in enumerate(order)]
        got = (held_history(service), projects(service), summed(reports))
        assert got[0] == want[0], ("held", [p.name for p in order])
        assert got[1] == want[1], ("projects", [p.name for p in order])
        assert got[2] == want[2], ("report", [p.name for p in order])
        assert service.verify().ok, [p.name for p in order]
