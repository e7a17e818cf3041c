"""``sinkledger registries ...``: other registries whose history can be imported, the projects and
credits imported from them, and the reconciliation report of an import (docs/registry-import.md).

``sinkledger import-registry`` (in :mod:`sinkledger.cli.main`) runs an import; these read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sinkledger.cli.common import WHOLE, Ctx, emit, err_console, reads
from sinkledger.services.registry_imports import SINK_CATEGORIES
from sinkledger_base import checks

OUT = click.Path(dir_okay=False, path_type=Path)


@click.group()
def registries() -> None:
    """Other registries: what can be imported, what was, and how it reconciled."""


@registries.command("list")
@reads
def list_cmd(obj: Ctx, as_json: bool) -> None:
    """The registries that can be imported: key, name, aliases, file layouts (one mapping file each)."""
    emit(obj.service.registry_mappings(), as_json, _list_text)


def _list_text(rows: list[dict[str, Any]]) -> None:
    for m in rows:
        layouts = ", ".join(f"{x['name']} ({x['kind']})" for x in m["layouts"])
        aliases = f" [{', '.join(m['aliases'])}]" if m["aliases"] else ""
        click.echo(f"{m['registry']}{aliases}: {m['name']}; {layouts}")


@registries.command("report")
@click.argument("seq", type=WHOLE)
@click.option("--excel", type=OUT, default=None, help="Also write the report to this Excel workbook.")
@reads
def report_cmd(obj: Ctx, seq: int, excel: Path | None, as_json: bool) -> None:
    """The reconciliation report recorded by import entry SEQ."""
    if excel is not None:
        excel = checks.output_path(excel, "excel")
    report = obj.service.registry_import_report(seq)
    if excel is not None:
        write_excel(report, excel)
    emit(report, as_json, render_report)


@registries.command("projects")
@click.option("--registry", default=None, help="Only this registry (its key).")
@click.option("--sink-category", type=click.Choice(SINK_CATEGORIES), default=None,
              help="Only projects of this sink category.")
@click.option("--country", default=None, help="Only this country, as the registry writes it.")
@click.option("--project-type", default=None, help="Only this project type, as the registry writes it.")
@reads
def projects_cmd(obj: Ctx, registry: str | None, sink_category: str | None, country: str | None,
                 project_type: str | None, as_json: bool) -> None:
    """Imported projects with the credits the ledger holds for them (issued, held, retired, cancelled)."""
    out = obj.service.imported_projects(registry=registry, sink_category=sink_category, country=country,
                                        project_type=project_type)
    emit(out, as_json, _projects_text)


def _projects_text(out: dict[str, Any]) -> None:
    for p in out["projects"]:
        click.echo(f"{p['registry']} {p['project_id']} [{p['sink_category']}] {p['name'][:50]}: "
                   f"{p['issued_t']} t issued, {p['held_t']} held, {p['retired_t']} retired, "
                   f"{p['cancelled_t']} cancelled" + (f", {p['pending_t']} pending" if p.get("pending_t") else ""))
    t = out["totals"]
    click.echo(f"{t['projects']} projects: {t['issued_t']} t issued, {t['held_t']} held, {t['retired_t']} retired, "
               f"{t['cancelled_t']} cancelled" + (f", {t['pending_t']} pending" if t.get("pending_t") else ""))


def write_excel(report: dict[str, Any], path: Path) -> None:
    """Write the report's workbook and say where."""
    # deferred on purpose: openpyxl loads only when a workbook is written
    from sinkledger.documents.registry_reports import write_reconciliation_xlsx

    write_reconciliation_xlsx(report, path)
    err_console.print(f"reconciliation report: {path}")


def render_import(r: dict[str, Any]) -> None:
    """What an import did, for a person: refused rows, then the report's summary."""
    for p in r["problems"]:
        err_console.print(f"{p['source']}:{p['row_number']} [yellow]{p['code']}[/] {p['message_zh']}\n  {p['message_en']}")
    click.echo(f"{r['registry']} → {r['account_id']}: entry {r['seq']}{' (replayed)' if r['replayed'] else ''}")
    render_report(r["report"])


def render_report(report: dict[str, Any]) -> None:
    """The report's summary: rows, credits, projects, then every anomaly and notice."""
    t = report["totals"]
    click.echo(f"rows: {t['rows']} read = {t['rows_booked']} booked + {t['rows_projects']} projects + "
               f"{t['rows_without_credits']} issuing nothing + {t['rows_refused']} refused"
               f" ({t['rows_unaccounted']} unaccounted)")
    click.echo(f"credits: {t['credits_in_t']} t in; {t['created_t']} t created ({t['created_buffer_t']} buffer); "
               f"{t['held_t']} held + {t['buffer_held_t']} buffer; {t['retired_t']} retired, "
               f"{t['cancelled_t']} cancelled, {t['ended_t']} ended; discrepancy {t['discrepancy_t']} t; "
               f"{t['below_a_tonne_kg']} kg below a tonne")
    if t.get("pending_t") or t.get("incomplete_t") or t.get("taken_up_rows"):  # reports since pending was kept
        click.echo(f"pending: {t.get('incomplete_t', 0)} t of a partial history held aside by this import, "
                   f"{t.get('taken_up_rows', 0)} pending rows taken up; {t['pending_t']} t pending after it")
    states = ", ".join(f"{n} {state}" for state, n in report["project_states"].items())
    click.echo(f"projects: {len(report['projects'])} ({states})")
    for title, key in (("anomaly", "anomalies"), ("notice", "notices")):
        for item in report[key]:
            click.echo(f"{title} {item['source']}:{item['row_number']} {item['code']}: {item['message_en']}")
    _cross_text(report.get("cross_sources") or [])


@registries.command("cross-check")
@reads
def cross_check_cmd(obj: Ctx, as_json: bool) -> None:
    """Projects that two or more imported sources describe: each source's credits issued to the
    project, side by side, and whether they agree."""
    emit(obj.service.registry_cross_sources(), as_json, _cross_text)


def _cross_text(groups: list[dict[str, Any]]) -> None:
    for g in groups:
        said = "; ".join(f"{m['registry']}:{m['project_id']} {m['issued_t'] if m['issued_t'] is not None else '-'} t"
                         f" ({m['basis']})" for m in g["sources"])
        by = f" by {g['difference_t']} t" if g["state"] == "differs" else ""
        click.echo(f"same project {g['project']}: {g['state']}{by}: {said}")
