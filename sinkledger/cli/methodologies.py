"""CLI for methodologies, estimates and calculation reports (a thin shell, like ``cli.py``).

- ``sinkledger methodologies list [--json]``: ids, versions, sink types, parameters and sources.
- ``sinkledger methodologies show ID [--version V] [--example] [--json]``: input schema with
  units, parameters, the example input document (``--example`` prints only that, ready to edit).
- ``sinkledger methodologies report ESTIMATE_ID --format md|html|pdf --lang zh|en --out FILE``:
  the readable calculation report of a recorded estimate; ``--estimate-file`` renders a dry
  estimate's JSON instead.
- :data:`estimate_command`: the proposed replacement of ``sinkledger estimate`` with three
  modes: a dry estimate from ``--inputs`` alone (nothing recorded); the recorded estimate of
  ``--parcel`` codes (as today); and a batch for all parcels of a project and period
  (``--project``/``--period`` with ``--monitoring`` and/or ``--raster``), recorded, or dry from
  a parcel layer with ``--parcels-file``.

Every command prints exactly one JSON document with ``--json``; refusals exit with status 2
through :func:`sinkledger.cli.main.command`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click

from sinkledger.cli.common import DecimalRange, WholeRange, Ctx, command, emit, json_option, progress_bar, reads
from sinkledger_base.errors import InvalidInput, NotFound
from sinkledger_base.jsondoc import load_json

GWP_HELP = "GWP-100 profile: SAR, AR4, AR5, AR6 or AR6_NON_FOSSIL (recorded on the estimate)."


def _methodology(methodology_id: str, version: str | None = None) -> Any:
    # deferred on purpose: only the command that runs pays for this import
    from methodologies.errors import MethodologyNotFound
    from methodologies.registry import get_methodology

    try:
        return get_methodology(methodology_id, version)
    except MethodologyNotFound:
        raise NotFound("methodology_unknown", methodology=methodology_id) from None


def _finite(param: click.Parameter, value: float) -> float:
    """click.FloatRange lets NaN through (every comparison with NaN is false)."""
    if value != value:  # NaN
        raise click.BadParameter("not a number", param=param)
    return value


def _read_json(path: Path, field: str) -> Any:
    return load_json(path, field)


def _refusal(error: Exception) -> InvalidInput:
    # deferred on purpose: only the command that runs pays for this import
    from ledger.estimates import methodology_refusal

    return methodology_refusal(error)


# --- methodologies group -------------------------------------------------------------------------

@click.group("methodologies")
def methodologies() -> None:
    """Registered methodologies (方法学): parameters, inputs, reports."""


def _summary(methodology: Any, latest: bool) -> dict[str, Any]:
    return {"id": methodology.id, "version": methodology.version, "latest": latest,
            "sink_type": methodology.sink_type, "title_zh": methodology.title_zh,
            "title_en": methodology.title_en,
            "parameters": [p.to_dict() for p in methodology.default_parameters().values()]}


@methodologies.command("list")
@json_option
@command
def list_command(as_json: bool) -> None:
    """List methodologies with versions and their parameters (value, unit, status, source)."""
    # deferred on purpose: only the command that runs pays for this import
    from methodologies.registry import list_methodologies

    every = list_methodologies()
    latest = {m.id: m.version for m in every}  # Sorted by version: the last one wins.
    rows = [_summary(m, latest[m.id] == m.version) for m in every]
    emit({"methodologies": rows}, as_json, _render_list)


def _render_list(data: dict[str, Any]) -> None:
    for row in data["methodologies"]:
        flag = " (latest)" if row["latest"] else ""
        click.echo(f"{row['id']} {row['version']}{flag}  [{row['sink_type']}]  "
                   f"{row['title_zh']} / {row['title_en']}")
        unverified = [p["key"] for p in row["parameters"] if p["status"] == "unverified"]
        click.echo(f"  {len(row['parameters'])} parameters; unverified: "
                   f"{', '.join(unverified) or 'none'}")


@methodologies.command("show")
@click.argument("methodology_id")
@click.option("--version", default=None, help="Version (default: the latest).")
@click.option("--example", "example_only", is_flag=True,
              help="Print only the example input document (JSON), ready to edit.")
@json_option
@command
def show_command(methodology_id: str, version: str | None, example_only: bool,
                 as_json: bool) -> None:
    """Show a methodology: input schema with units, parameters, example input document."""
    methodology = _methodology(methodology_id, version)
    if example_only:
        emit(methodology.example_inputs(), True)
        return
    data = {**_summary(methodology, True), "input_schema": {
        key: dict(entry) for key, entry in methodology.input_schema.items()},
        "stock_events_field": methodology.stock_events_field,
        "example_inputs": methodology.example_inputs()}
    del data["latest"]
    emit(data, as_json, _render_show)


def _render_show(data: dict[str, Any]) -> None:
    click.echo(f"{data['id']} {data['version']}: {data['title_zh']} / {data['title_en']}")
    click.echo("inputs:")
    for key, entry in data["input_schema"].items():
        required = "required" if entry["required"] else "optional"
        unit = f" [{entry['unit']}]" if entry["unit"] else ""
        click.echo(f"  {key}{unit} {entry['type']} ({required}): {entry['description']}")
    click.echo("parameters:")
    for p in data["parameters"]:
        click.echo(f"  {p['key']} = {p['value']} {p['unit']} [{p['status']}] {p['source']}")


@methodologies.command("report")
@click.argument("estimate_id", required=False)
@click.option("--estimate-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Render this estimate JSON (e.g. a dry estimate) instead.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), default="md",
              show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: stdout).")
@click.pass_obj
@command
def report_command(obj: Ctx, estimate_id: str | None, estimate_file: Path | None, fmt: str,
                   lang: str, out: Path | None) -> None:
    """Render an estimate's calculation report (计算报告) as Markdown, HTML or PDF."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.documents.reports import render

    if (estimate_id is None) == (estimate_file is None):
        raise InvalidInput("value_invalid", field="estimate",
                           value="give an ESTIMATE_ID or --estimate-file, not both")
    document = (_read_json(estimate_file, "estimate_file") if estimate_file
                else obj.service.estimate(estimate_id))
    data = render(document, fmt, lang)  # type: ignore[arg-type]
    if out is None:
        click.get_binary_stream("stdout").write(data)
    else:
        out.write_bytes(data)
        click.echo(str(out), err=True)


# --- plots: sample-plot inventories (每木检尺) -----------------------------------------------------

@methodologies.group("plots")
def plots() -> None:
    """Sample-plot inventories (每木检尺) from Excel or CSV: template and import."""


@plots.command("template")
@click.option("--kind", type=click.Choice(["bamboo", "tea"]), default="bamboo", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The template to write: .xlsx or .csv.")
@command
def plots_template_command(kind: str, lang: str, out: Path) -> None:
    """Write an empty plot-inventory template (header and one example row)."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services.plot_files import file_format, template_bytes

    out.write_bytes(template_bytes(kind, lang, file_format(out.name)))
    click.echo(str(out), err=True)


@plots.command("import")
@click.argument("plot_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--inputs", "inputs_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None,
              help="An input document to put the inventory into (its events and uncertainty "
                   "are replaced by the plots).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the inventory (or, with --inputs, the input document) as JSON here.")
@json_option
@command
def plots_import_command(plot_file: Path, inputs_file: Path | None, out: Path | None,
                         as_json: bool) -> None:
    """Read a plot inventory, every row checked; print its plots, strata and unit conversions."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services.plot_files import read_plot_file, with_plot_inventory

    result = read_plot_file(plot_file.read_bytes(), plot_file.name)
    if inputs_file is not None:
        result["inputs"] = with_plot_inventory(
            _read_json(inputs_file, "inputs"), result["plot_inventory"])
    if out is not None:
        document = result.get("inputs", result["plot_inventory"])
        out.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    emit(result, as_json, _render_plots)


def _render_plots(result: dict[str, Any]) -> None:
    inventory = result["plot_inventory"]
    click.echo(f"{result['source']}: {result['rows']} rows, strata "
               + ", ".join(f"{name} {area} ha" for name, area in inventory["strata"].items()))
    for event in inventory["events"]:
        culms = sum(len(p.get("culms", ())) + len(p.get("plants_dry_mass_kg", ()))
                    for p in event["plots"])
        click.echo(f"  {event['date']}: {len(event['plots'])} plots, {culms} culms or plants")
    for item in result["conversions"]:
        click.echo(f"  unit: {item['column']}: {item['conversion']}")


# --- estimate: dry, recorded, batch --------------------------------------------------------------

@click.command("estimate")
@click.option("--methodology", "methodology_id", required=True,
              help="Methodology id, e.g. sinkledger.wetland-lake-marsh.")
@click.option("--inputs", "inputs_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None, help="JSON input document (batch: shared fields).")
@click.option("--plots", "plot_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None,
              help="Sample-plot inventory (每木检尺, .xlsx or .csv) to estimate from: replaces "
                   "the inputs' events and uncertainty (see `methodologies plots`).")
@click.option("--parcel", "parcel_codes", multiple=True,
              help="Parcel code (repeatable): record for these parcels (batch: restrict to).")
@click.option("--project", "project_code", default=None,
              help="Batch: project code; estimates all parcels of the sink type (or --parcel).")
@click.option("--period", default=None, help="Batch: monitoring period START..END (ISO dates).")
@click.option("--monitoring", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Batch: per-parcel fields, {\"parcels\": {code: {...}}}.")
@click.option("--raster", "rasters", multiple=True,
              help="Batch: DATE=PATH[@carbon_t_c_per_ha|biomass_t_per_ha] (repeat per date).")
@click.option("--parcels-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Batch without the database: parcels from this layer (dry).")
@click.option("--min-valid-pct", type=DecimalRange(0, 100), default=95.0, show_default=True,
              callback=lambda _ctx, param, value: _finite(param, value),
              help="Batch with rasters: least share of a parcel covered by valid pixels.")
@click.option("--zonal-rule", type=click.Choice(["coverage_weighted", "pixel_centre"]),
              default="coverage_weighted", show_default=True,
              help="Batch with rasters: each pixel by the area of it the parcel covers, or "
                   "whole when its centre is in the parcel (written into the trace).")
@click.option("--gwp-profile", default="AR5", show_default=True, help=GWP_HELP)
@click.option("--actor", default=None, help="Acting user; needed to record.")
@click.option("--request-id", default=None,
              help="Idempotency key (default: a new UUID; a batch: a hash of the batch, so a rerun resumes).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Batch: also write every estimate document to this JSON file.")
@click.option("--commit-every", type=WholeRange(min=1), default=None,
              help="Batch: estimates recorded per commit (group commit; default 500, and at least "
                   "every quarter second). An interrupted batch keeps what was committed; rerun it.")
@reads
def estimate_command(obj: Ctx, methodology_id: str, inputs_file: Path | None,
                     plot_file: Path | None, parcel_codes: tuple[str, ...], project_code: str | None, period: str | None,
                     monitoring: Path | None, rasters: tuple[str, ...], parcels_file: Path | None,
                     min_valid_pct: float, zonal_rule: str, gwp_profile: str, actor: str | None,
                     request_id: str | None, out: Path | None, commit_every: int | None, as_json: bool) -> None:
    """Estimate: dry from --inputs, recorded for --parcel codes, or a batch (--project...)."""
    inputs = _read_json(inputs_file, "inputs") if inputs_file else None
    if plot_file is not None:
        # deferred on purpose: only the command that runs pays for this import
        from sinkledger.services.plot_files import read_plot_file, with_plot_inventory

        inventory = read_plot_file(plot_file.read_bytes(), plot_file.name)["plot_inventory"]
        inputs = with_plot_inventory(inputs if isinstance(inputs, dict) else {}, inventory)
    if project_code or rasters or monitoring or parcels_file or period:
        _batch(obj, methodology_id, inputs or {}, parcel_codes, project_code, period,
               monitoring, rasters, parcels_file, min_valid_pct / 100, gwp_profile, actor,
               request_id, out, as_json, commit_every, zonal_rule)
    elif inputs is None:
        raise InvalidInput("value_invalid", field="inputs", value="--inputs is required")
    elif parcel_codes:
        svc = obj.service
        emit(svc.record_estimate(svc.actor(actor), request_id or str(uuid.uuid4()),
                                 parcel_codes=list(parcel_codes), methodology_id=methodology_id,
                                 inputs=inputs, gwp_profile=gwp_profile), as_json)
    else:
        # deferred on purpose: only the command that runs pays for this import
        from sinkledger.services.batch_estimates import estimate_dry

        emit(estimate_dry(methodology_id, inputs, gwp_profile), as_json, _render_estimate)


def _render_estimate(document: dict[str, Any]) -> None:
    click.echo(f"{document['methodology_id']} {document['methodology_version']} "
               f"({document['gwp_profile']}), {document['period_start']} to "
               f"{document['period_end']}, {document['area_ha']} ha")
    for key in ("stock_change_kg_co2e", "emissions_kg_co2e", "uncertainty_deduction_kg_co2e",
                "net_kg_co2e"):
        click.echo(f"  {key:32} {document[key]:>14,}")
    for warning in document["warnings"]:
        click.echo(f"  warning {warning['code']}: {warning['message_en']}")
    click.echo(f"  uses_unverified {document['uses_unverified']}; hash "
               f"{document['reproducibility_hash']}")


def _batch(obj: Ctx, methodology_id: str, base: dict[str, Any], parcel_codes: tuple[str, ...],
           project_code: str | None, period: str | None, monitoring: Path | None,
           rasters: tuple[str, ...], parcels_file: Path | None, min_valid_fraction: float,
           gwp_profile: str, actor: str | None, request_id: str | None, out: Path | None,
           as_json: bool, commit_every: int | None = None,
           zonal_rule: str = "coverage_weighted") -> None:
    # deferred on purpose: only the command that runs pays for this import
    from methodologies.errors import MethodologyError
    from sinkledger.services import batch_estimates as batch

    _methodology(methodology_id)
    try:
        request = batch.BatchRequest(
            methodology_id=methodology_id, base_inputs=base,
            monitoring=batch.load_monitoring(monitoring),
            rasters=[batch.parse_raster_option(text) for text in rasters],
            period=batch.parse_period(period) if period else None, gwp_profile=gwp_profile,
            parcel_codes=parcel_codes, min_valid_fraction=min_valid_fraction,
            zonal_rule=zonal_rule)
    except InvalidInput:
        raise  # a refusal already (date_out_of_range)
    except ValueError as error:
        raise InvalidInput("value_invalid", field="batch", value=str(error)[:120]) from None
    with progress_bar() as bar:
        task = bar.add_task(f"estimate {methodology_id}", total=None)

        def report(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        try:
            result, full = _run_batch(obj, request, parcels_file, project_code, actor,
                                      request_id, report, commit_every)
        except MethodologyError as error:
            raise _refusal(error) from None
    if out is not None:
        out.write_text(json.dumps(full, ensure_ascii=False, indent=2), encoding="utf-8")
    emit(result, as_json, _render_batch)


def _run_batch(obj: Ctx, request: Any, parcels_file: Path | None, project_code: str | None,
               actor: str | None, request_id: str | None,
               report: Any, commit_every: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the batch; return (summary to print, full document for ``--out``)."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services import batch_estimates as batch

    if parcels_file is not None:
        dry = batch.dry_batch(request, batch.load_parcels_file(parcels_file), progress=report)
        summary = {**dry.summary(), "project_code": project_code, "recorded": [],
                   "refusals": {code: [p.to_dict() for p in problems]
                                for code, problems in dry.refusals.items()}}
        return summary, {**dry.to_dict(), "project_code": project_code}
    if not project_code:
        raise InvalidInput("value_invalid", field="project", value="--project is required")
    svc = obj.service
    recorded = batch.record_batch(svc, svc.actor(actor), request_id or default_batch_request_id(request, project_code),
                                  request, project_code=project_code, progress=report,
                                  commit_every=commit_every or batch.BATCH_COMMIT_EVERY)
    return recorded, recorded


def default_batch_request_id(request: Any, project_code: str) -> str:
    """The same batch gets the same request id, so running it again after a crash or an
    interruption records only the parcels still missing (``<id>/<parcel>``, one each).

    "The same batch": methodology and its latest version, project, period, shared and
    per-parcel inputs, parcel selection, options, and each raster's date, quantity, band and
    bytes (hashed). Any change makes a new batch; ``--request-id`` names one explicitly.
    """

    # deferred on purpose: only the command that runs pays for this import
    from methodologies.registry import get_methodology

    content = {"methodology_id": request.methodology_id, "project_code": project_code,
               "methodology_version": get_methodology(request.methodology_id).version,
               "base_inputs": request.base_inputs, "monitoring": request.monitoring, "period": request.period,
               "gwp_profile": request.gwp_profile, "parcel_codes": sorted(request.parcel_codes),
               "min_valid_fraction": request.min_valid_fraction,
               # Only when not the default, so that earlier batches keep their id (issue 21).
               **({"zonal_rule": request.zonal_rule}
                  if request.zonal_rule != "coverage_weighted" else {}),
               "rasters": [{"date": str(r.date), "quantity": r.quantity, "band": r.band} for r in request.rasters]}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode())
    for layer in request.rasters:
        with open(layer.path, "rb") as raster:
            while chunk := raster.read(1 << 24):
                digest.update(chunk)
    return f"estimate-batch:{digest.hexdigest()[:32]}"


def _render_batch(result: dict[str, Any]) -> None:
    click.echo(f"{result['methodology_id']} {result['methodology_version']}: "
               f"{result['estimated']} of {result['parcels']} parcels estimated, "
               f"{result['refused']} refused; net {result['net_kg_co2e_total']:,} kg CO2e")
    if result["reversals"]:
        click.echo(f"  reversals (net < 0): {', '.join(result['reversals'])}")
    for code, problems in result["refusals"].items():
        for problem in problems:
            click.echo(f"  refused {code}: {problem['code']}: {problem['message_en']}", err=True)
    for row in result.get("recorded", [])[:20]:
        click.echo(f"  {row['parcel_code']} → {row['estimate_id']} {row['net_kg_co2e']:,} kg")


if __name__ == "__main__":  # pragma: no cover - the entry point is sinkledger.cli.main:main
    methodologies(sys.argv[1:])
