"""Anomalies and partial histories in another registry's files, one rule per scenario (issue 20),
on small synthetic exports in the registries' own layouts, on SQLite and PostgreSQL.

Rule: an anomaly never refuses a row and the books never go negative: more retired than issued
is booked up to what was issued and the excess is held aside as a flagged discrepancy; dates out
of order, a vintage's published total exceeded and parts that do not add up are flagged; a
retirement whose issuance is not in the files is held aside pending (not booked) and its
history reported as incomplete, until a later import brings the issuance and takes it up. Each
import's reconciliation report says all of it, in --json and in a workbook.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ledger.domain import Role
from ledger.permissions import Actor
from ledger.registry_import.mapping import mappings
from sinkledger import catalogue
from sinkledger_base.errors import Conflict

ADMIN = Actor(username="admin", role=Role.admin, party_id="REGISTRY")


def _columns(registry: str, layout: str) -> list[str]:
    found = next(f for f in mappings()[registry].files if f.name == layout)
    return sorted(found.columns() | set(found.match))


def write_csv(path: Path, registry: str, layout: str, rows: list[dict[str, str]]) -> Path:
    """A file in the registry's layout (every column its mapping reads), with ``rows``."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=_columns(registry, layout), lineterminator="\r\n", restval="",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def acr_issuance(project: str, vintage: str, total: int, buffer: int = 0, *, project_part: int | None = None,
                 issued: str = "1/15/2025 10:00:00 AM") -> dict[str, str]:
    return {"Project ID": project, "Project Name": f"Project {project}", "Project Type": "Forest Carbon",
            "Project Methodology/Protocol": "Improved Forest Management (IFM) on Non-Federal U.S. Forestlands",
            "Project Site Country": "US", "Vintage": vintage, "Date Issued (GMT)": issued,
            "Total Credits Issued": f"{total:,}", "Credits Issued to Buffer Pool": str(buffer),
            "Credits Issued to Project": str(total - buffer if project_part is None else project_part)}


def acr_event(project: str, vintage: str, first: int, last: int, when: str = "3/1/2025 9:00:00 AM",
              issued: str = "1/15/2025 10:00:00 AM", beneficiary: str = "示例企业") -> dict[str, str]:
    number = project.removeprefix("ACR")
    return {"Project ID": project, "Project Name": f"Project {project}", "Vintage": vintage,
            "Credit Serial Numbers": f"ACR-US-{number}-{vintage}-77-{first} to {last}",
            "Quantity of Credits": str(last - first + 1), "Date Issued (GMT)": issued,
            "Status Effective (GMT)": when, "Status Effective  (GMT)": when, "Retired on Behalf of": beneficiary,
            "Retirement Reason": "Environmental Benefit", "Cancellation Type": "Convert to ARB offset credits"}


def acr_files(tmp_path: Path, issuances: list[dict[str, str]], retirements: list[dict[str, str]],
              cancellations: list[dict[str, str]] = (), projects: list[dict[str, str]] = ()) -> list[Path]:
    paths = [write_csv(tmp_path / "issuances.csv", "acr", "issuances", issuances),
             write_csv(tmp_path / "retirements.csv", "acr", "retirements", retirements)]
    if cancellations:
        paths.append(write_csv(tmp_path / "cancellations.csv", "acr", "cancellations", list(cancellations)))
    if projects:
        paths.append(write_csv(tmp_path / "projects.csv", "acr", "projects", list(projects)))
    return paths


def codes(report: dict[str, Any], key: str = "anomalies") -> list[tuple[str, int, str]]:
    return sorted((a["code"], a["row_number"], a["source"]) for a in report[key])


def held(service: Any, account: str) -> int:
    rows = {b["account_id"]: b for b in service.balances()["by_account"]}
    return rows.get(account, {}).get("held_t", 0)


# --- more retired than issued -----------------------------------------------------------------------

def test_more_retired_than_issued_is_booked_up_to_the_issuance_and_the_excess_flagged(service: Any,
                                                                                     tmp_path: Path) -> None:
    """Given ACR731 vintage 2024 issued 100 credits, when the files retire 60 and then 70 of it,
    then 100 are retired in the books, the second row's 30 beyond the issuance are held aside as
    a flagged discrepancy, and no balance is negative."""
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100)],
                      [acr_event("ACR731", "2024", 1, 60, when="3/1/2025 9:00:00 AM"),
                       acr_event("ACR731", "2024", 61, 130, when="4/1/2025 9:00:00 AM")])
    out = service.import_registry(ADMIN, "i:over", registry="acr", paths=paths)
    totals, report = out["report"]["totals"], out["report"]
    assert (totals["created_t"], totals["retired_t"], totals["held_t"], totals["discrepancy_t"]) == (100, 100, 0, 30)
    assert codes(report) == [("registry_retired_exceeds_issued", 3, "retirements.csv")]
    zh, en = catalogue.problem_messages(report["anomalies"][0])
    assert "30 吨" in zh and "excess of 30 t is held aside" in en
    project = next(p for p in report["projects"] if p["project_id"] == "ACR731")
    assert (project["retired_t"], project["discrepancy_t"], project["held_t"]) == (100, 30, 0)
    assert held(service, "IMPORT-ACR") == 0 and service.verify().ok
    records = {r["row_number"]: r for r in _payload(service)["records"] if r["source"] == "retirements.csv"}
    assert (records[3]["quantity"], records[3]["booked_t"], records[3]["excess_t"]) == (70, 40, 30)


def test_a_retirement_dated_before_its_issuance_is_flagged_and_booked(service: Any, tmp_path: Path) -> None:
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100, issued="6/30/2025 7:43:26 PM")],
                      [acr_event("ACR731", "2024", 1, 10, when="6/1/2025 9:00:00 AM", issued="6/30/2025 7:43:26 PM")])
    out = service.import_registry(ADMIN, "i:dates", registry="acr", paths=paths)
    assert codes(out["report"]) == [("registry_dates_out_of_order", 2, "retirements.csv")]
    anomaly = out["report"]["anomalies"][0]
    assert anomaly["params"] == {"field": "status_on", "earlier": "2025-06-30", "later": "2025-06-01"}
    assert out["report"]["totals"]["retired_t"] == 10 and service.verify().ok


def test_parts_that_do_not_add_up_are_flagged(service: Any, tmp_path: Path) -> None:
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100, 10, project_part=80)], [])
    out = service.import_registry(ADMIN, "i:parts", registry="acr", paths=paths)
    assert codes(out["report"]) == [("registry_parts_do_not_add_up", 2, "issuances.csv")]
    assert out["report"]["anomalies"][0]["params"] == {"total_kg": 100_000, "project_kg": 80_000, "buffer_kg": 10_000}
    assert (held(service, "IMPORT-ACR"), held(service, "IMPORT-ACR-BUFFER")) == (80, 10)


def test_an_issuance_whose_buffer_exceeds_it_is_refused_with_the_import(service: Any, tmp_path: Path) -> None:
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100, 150, project_part=0)], [])
    with pytest.raises(Conflict) as exc:
        service.import_registry(ADMIN, "i:buffer", registry="acr", paths=paths)
    assert [p["code"] for p in exc.value.params["problems"]] == ["registry_buffer_exceeds_total"]


# --- partial histories -------------------------------------------------------------------------------

def test_retirements_without_their_issuance_are_held_aside_and_reported_incomplete(service: Any, tmp_path: Path) -> None:
    """Given retirements of ACR900 vintage 2023 whose issuance is not in the files, then nothing of
    them is booked (no credit is made up): they are held aside pending, a notice names the pool,
    and the project's history is reported as incomplete, not as a discrepancy."""
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100)],
                      [acr_event("ACR900", "2023", 5, 14), acr_event("ACR900", "2023", 20, 24)])
    out = service.import_registry(ADMIN, "i:partial", registry="acr", paths=paths)
    report = out["report"]
    assert codes(report, "notices") == [("registry_history_incomplete", 2, "retirements.csv")]
    assert report["notices"][0]["params"] == {"pool": "ACR:ACR900/2023", "rows": 2, "quantity_t": 15}
    assert report["anomalies"] == [] and report["totals"]["discrepancy_t"] == 0
    states = {p["project_id"]: p["reconciliation"] for p in report["projects"]}
    assert states == {"ACR731": "unpublished", "ACR900": "incomplete"}
    totals = report["totals"]
    assert (totals["created_t"], totals["retired_t"], totals["incomplete_t"], totals["pending_t"]) == (100, 0, 15, 15)
    assert totals["discrepancy_t"] == 0 and service.verify().ok


def test_published_totals_reconcile_projects_as_complete_incomplete_or_exceeded(service: Any, tmp_path: Path) -> None:
    projects = [{"Project ID": pid, "Project Name": f"Project {pid}", "Project Type": "Forest Carbon",
                 "ACR Project Validation": "", "Total Number of Credits Registered": registered}
                for pid, registered in (("ACR1", "100.0"), ("ACR2", "250.0"), ("ACR3", "90.0"), ("ACR4", ""))]
    paths = acr_files(tmp_path, [acr_issuance("ACR1", "2024", 100), acr_issuance("ACR2", "2024", 100),
                                 acr_issuance("ACR3", "2024", 100), acr_issuance("ACR4", "2024", 100)],
                      [], projects=projects)
    out = service.import_registry(ADMIN, "i:published", registry="acr", paths=paths)
    states = {p["project_id"]: p["reconciliation"] for p in out["report"]["projects"]}
    assert states == {"ACR1": "complete", "ACR2": "incomplete", "ACR3": "exceeds", "ACR4": "unpublished"}
    assert [(a["code"], a["params"]["project_id"]) for a in out["report"]["anomalies"]] == [
        ("registry_issued_exceeds_published", "ACR3")]
    assert out["report"]["project_states"] == {"complete": 1, "exceeds": 1, "incomplete": 1, "unpublished": 1}


def test_vintage_quantity_exceeded_is_flagged(service: Any, tmp_path: Path) -> None:
    header = ["Issuance Date", "Vintage Start", "Vintage End", "ID", "Name", "Country/Area", "Project Type",
              "Methodology", "Total Vintage Quantity", "Quantity Issued", "Serial Number",
              "Retirement/Cancellation Date", "Retirement Beneficiary", "Retirement Reason", "Retirement Details"]
    rows = [["2026-03-17", "2021-01-01", "2021-12-31", "9999", "Synthetic", "China", "AFOLU", "VM0047", "150",
             "100", f"1-{a}-{a + 99}-VCS-VCU-1-VER-CN-14-9999-01012021-31122021-0", "", "", "", ""] for a in (1, 101)]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    path = tmp_path / "transactions.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    result = service.import_registry(ADMIN, "i:tvq", registry=None, paths=[path])
    assert codes(result["report"]) == [("registry_vintage_quantity_exceeded", 2, "transactions.csv")]
    assert result["report"]["anomalies"][0]["params"] == {"project_id": "9999", "vintage_year": 2021,
                                                          "rows_t": 200, "published_t": 150}
    assert result["report"]["projects"][0]["reconciliation"] == "exceeds"


# --- across imports ---------------------------------------------------------------------------------

def test_a_later_import_takes_from_a_pool_an_earlier_one_issued_and_never_mints_a_row_twice(
        service: Any, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = acr_files(tmp_path / "a", [acr_issuance("ACR731", "2024", 100)], [])
    service.import_registry(ADMIN, "i:1", registry="acr", paths=first)
    (tmp_path / "b").mkdir()
    later = acr_files(tmp_path / "b", [acr_issuance("ACR731", "2024", 100)], [acr_event("ACR731", "2024", 1, 30)])
    with pytest.raises(Conflict) as exc:  # the issuance row is the same row: refused, nothing minted
        service.import_registry(ADMIN, "i:2", registry="acr", paths=later)
    assert [p["code"] for p in exc.value.params["problems"]] == ["registry_row_already_imported"]
    out = service.import_registry(ADMIN, "i:3", registry="acr", paths=later, allow_partial=True)
    assert (out["report"]["totals"]["created_t"], out["report"]["totals"]["retired_t"]) == (0, 30)
    assert held(service, "IMPORT-ACR") == 70 and service.verify().ok
    listed = service.imported_projects(registry="acr", sink_category="ifm")
    assert [(p["project_id"], p["issued_t"], p["held_t"], p["retired_t"]) for p in listed["projects"]] == [
        ("ACR731", 100, 70, 30)]


def test_retirements_held_aside_are_taken_up_once_by_the_issuance_a_later_import_brings(
        service: Any, tmp_path: Path) -> None:
    """Given ACR900's retirements imported alone (15 t, no issuance: held aside pending, nothing
    booked), when a later import brings its issuance of 12 t, then 12 t are booked retired from it
    and 3 t stay pending as a discrepancy; the retirements file again is refused; a newer export
    issuing 5 t more takes up the rest; verify checks the pending table against the journal."""
    from sqlalchemy import text

    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
    retirements = write_csv(tmp_path / "a" / "retirements.csv", "acr", "retirements",
                            [acr_event("ACR900", "2023", 5, 14), acr_event("ACR900", "2023", 20, 24)])
    first = service.import_registry(ADMIN, "p:1", registry="acr", paths=[retirements])["report"]["totals"]
    assert (first["created_t"], first["retired_t"], first["incomplete_t"], first["pending_t"]) == (0, 0, 15, 15)
    assert held(service, "IMPORT-ACR") == 0 and service.verify().ok
    issuance = write_csv(tmp_path / "b" / "issuances.csv", "acr", "issuances", [acr_issuance("ACR900", "2023", 12)])
    second = service.import_registry(ADMIN, "p:2", registry="acr", paths=[issuance])["report"]["totals"]
    assert (second["created_t"], second["retired_t"], second["discrepancy_t"], second["pending_t"]) == (12, 12, 3, 3)
    assert (second["rows_imported"], second["taken_up_rows"]) == (1, 2)
    assert held(service, "IMPORT-ACR") == 0 and service.verify().ok
    with service.db.read() as s:
        retired = s.execute(text("SELECT SUM(quantity) FROM retirement WHERE account_id = 'IMPORT-ACR'")).scalar_one()
    assert retired == 12
    with service.db.engine.begin() as conn:  # changed behind the journal: verify names the table
        conn.execute(text("UPDATE registry_pending SET pending_t = pending_t + 1"))
    assert any(p.get("table") == "registry_pending" for p in service.verify().problems)
    with service.db.engine.begin() as conn:
        conn.execute(text("UPDATE registry_pending SET pending_t = pending_t - 1"))
    assert service.verify().ok
    with pytest.raises(Conflict) as exc:  # the same retirements again: nothing booked twice
        service.import_registry(ADMIN, "p:3", registry="acr", paths=[retirements])
    assert {p["code"] for p in exc.value.params["problems"]} == {"registry_row_already_imported"}
    newer = write_csv(tmp_path / "c" / "issuances.csv", "acr", "issuances",
                      [acr_issuance("ACR900", "2023", 5, issued="6/1/2025 10:00:00 AM")])
    third = service.import_registry(ADMIN, "p:4", registry="acr", paths=[newer])["report"]["totals"]
    assert (third["created_t"], third["retired_t"], third["discrepancy_t"], third["pending_t"]) == (5, 3, 0, 0)
    assert held(service, "IMPORT-ACR") == 2 and service.verify().ok
    with service.db.read() as s:
        assert s.execute(text("SELECT COUNT(*) FROM registry_pending")).scalar_one() == 0
    listed = service.imported_projects(registry="acr")["projects"]
    assert [(p["project_id"], p["issued_t"], p["held_t"], p["retired_t"]) for p in listed] == [("ACR900", 17, 2, 15)]


def _payload(service: Any) -> dict[str, Any]:
    from ledger import journal

    with service.db.read() as s:
        return [journal.Entry.from_row(r).payload for r in journal.iter_rows(s) if r.kind == "registry_import"][-1]


# --- the report: JSON, workbook, command line -----------------------------------------------------

def test_the_report_is_kept_and_written_as_a_workbook_in_both_languages(service: Any, tmp_path: Path) -> None:
    from sinkledger.documents.registry_reports import write_reconciliation_xlsx

    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100)],
                      [acr_event("ACR731", "2024", 1, 60), acr_event("ACR731", "2024", 61, 130)])
    out = service.import_registry(ADMIN, "i:report", registry="acr", paths=paths)
    again = service.registry_import_report(out["seq"])
    assert {k: v for k, v in again.items() if k != "seq"} == out["report"] and again["seq"] == out["seq"]
    book = load_workbook(write_reconciliation_xlsx(again, tmp_path / "report.xlsx"))
    assert book.sheetnames == ["汇总 Summary", "文件 Files", "项目 Projects", "异常 Anomalies", "提示 Notices",
                               "问题 Problems"]
    summary = {row[0]: row[1] for row in book["汇总 Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["差异吨数 Discrepancy held aside (t)"] == 30 and summary["流水 Entry"] == out["seq"]
    anomalies = list(book["异常 Anomalies"].iter_rows(min_row=2, values_only=True))
    assert [(a[0], a[1], a[2]) for a in anomalies] == [("retirements.csv", 3, "registry_retired_exceeds_issued")]
    assert "差异" in anomalies[0][3] and "discrepancy" in anomalies[0][4]
    projects = list(book["项目 Projects"].iter_rows(min_row=2, values_only=True))
    assert [(p[0], p[3]) for p in projects] == [("ACR731", "ifm")]


def test_the_command_line_imports_prints_json_and_writes_the_workbook(backend_url: str, tmp_path: Path) -> None:
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    svc = Service.open(load_settings({"DATABASE_URL": backend_url}))
    svc.initialise()
    svc.create_user(username="admin", password="password-1", role="admin", party_id="REGISTRY", display_name="admin")
    svc.db.dispose()
    paths = acr_files(tmp_path, [acr_issuance("ACR731", "2024", 100)], [acr_event("ACR731", "2024", 1, 130)])
    env = {**os.environ, "DATABASE_URL": backend_url}
    book = tmp_path / "out.xlsx"
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "import-registry", *map(str, paths), "--actor", "admin",
                           "--json", "--excel", str(book)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["registry"] == "acr" and out["report"]["totals"]["discrepancy_t"] == 30
    assert out["report"]["anomalies"][0]["message_en"].startswith("retirements.csv row 2:")
    assert load_workbook(book)["异常 Anomalies"].max_row == 2
    text = subprocess.run([sys.executable, "-m", "sinkledger", "registries", "report", str(out["seq"])],
                          capture_output=True, text=True, env=env, timeout=300)
    assert text.returncode == 0 and "discrepancy 30 t" in text.stdout and "registry_retired_exceeds_issued" in text.stdout
    unknown = tmp_path / "other.csv"
    unknown.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "sinkledger", "import-registry", str(unknown), "--actor", "admin",
                              "--json"], capture_output=True, text=True, env=env, timeout=300)
    error = json.loads(refused.stdout)["error"]
    assert refused.returncode == 2 and error["code"] == "registry_not_recognised"
    assert "other.csv" in error["message_zh"] and "no known registry" in error["message_en"]


def test_a_project_row_changed_behind_the_journal_is_caught_by_verify(service: Any, tmp_path: Path) -> None:
    """Given an imported project, when its sink category is changed in the database, then verify
    names the table, the key and the entry; and a project updated by a later import verifies."""
    from sqlalchemy import text

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    project = {"Project ID": "ACR731", "Project Name": "Old name", "Project Type": "Forest Carbon",
               "ACR Project Validation": "", "Total Number of Credits Registered": "100.0"}
    first = service.import_registry(ADMIN, "i:p1", registry="acr", paths=acr_files(
        tmp_path / "a", [acr_issuance("ACR731", "2024", 100)], [], projects=[project]))
    service.import_registry(ADMIN, "i:p2", registry="acr", paths=acr_files(
        tmp_path / "b", [acr_issuance("ACR731", "2025", 50)], [], projects=[{**project, "Project Name": "New name"}]))
    assert service.verify().ok
    listed = service.imported_projects(registry="acr")["projects"]
    assert [(p["project_id"], p["name"], p["issued_t"]) for p in listed] == [("ACR731", "New name", 150)]
    with service.db.engine.begin() as conn:
        conn.execute(text("UPDATE registry_project SET sink_category = 'redd' WHERE project_id = 'ACR731'"))
    report = service.verify()
    found = [p for p in report.problems if p.get("table") == "registry_project"]
    assert not report.ok and found and found[0]["seq"] == first["seq"] + 1
