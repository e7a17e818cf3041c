"""``sinkledger parcels``: list, show, import and export parcels (a thin shell over the service).

Conventions of :mod:`sinkledger.cli.common`: ``--json`` prints exactly one JSON document; a refusal
exits with status 2 (with ``--json``: ``{"error": {...}}``, whose ``details.problems`` is the
per-row report of an import); commands that change the registry take ``--actor`` and
``--request-id``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click

from sinkledger import catalogue
from sinkledger.cli.common import Ctx, emit, err_console, print_table, progress_bar, reads, writes
from sinkledger_base.errors import InvalidInput, SinkLedgerError

LIST_COLUMNS = ("parcel_code", "sink_type", "holder_name", "area_ha", "area_mu", "status", "version")


@click.group()
def parcels() -> None:
    """Registered parcels (地块): list, show, import from files, export."""


@parcels.command("list")
@click.option("--status", default=None, help="Only parcels with this status (active, retired, split, merged, deleted).")
@reads
def parcels_list(obj: Ctx, status: str | None, as_json: bool) -> None:
    """List parcels with sink type, holder, area (ha, mu), status and version."""
    rows = [{k: v for k, v in p.items() if k != "geometry"} for p in obj.service.parcels(status=status)]
    emit({"parcels": rows}, as_json, lambda d: print_table(d["parcels"], LIST_COLUMNS))


@parcels.command("show")
@click.argument("parcel_code")
@click.option("--history", "with_history", is_flag=True, help="Also print every version with its hash.")
@reads
def parcels_show(obj: Ctx, parcel_code: str, with_history: bool, as_json: bool) -> None:
    """One parcel: tenure, household shares, attributes, flags, version (and history)."""
    svc = obj.service
    data: dict[str, Any] = {"parcel": svc.parcel(parcel_code)}
    if with_history:
        data["history"] = [{k: v for k, v in h.items() if k != "geometry"} for h in svc.parcel_history(parcel_code)]
    emit(data, as_json, _render_parcel)


def _render_parcel(d: dict[str, Any]) -> None:
    p = d["parcel"]
    click.echo(f"{p['parcel_code']}  {p['sink_type_zh']} / {p['sink_type_en']}  {p['status']}  version {p['version']}")
    click.echo(f"holder {p['holder_party_id']} ({p['holder_name']})  {p['area_ha']} ha = {p['area_mu']} mu "
               f"(EPSG:{p['area_epsg']})")
    click.echo(f"tenure {p['tenure_cert_no'] or '-'} ({p['tenure_cert_kind'] or '-'}), shares {p['household_shares_bp']}")
    click.echo(f"attributes {json.dumps(p['attributes'], ensure_ascii=False)}")
    for f in p["flags"]:
        click.echo(f"flag {f['code']} {f['params']}")
    for h in d.get("history", []):
        click.echo(f"  v{h['version']} {h['change']:<18} entry {h['seq']}  {h['version_hash']}")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key:
            raise InvalidInput("value_invalid", field=option, value=value[:60])
        out[key] = target
    return out


@parcels.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--map", "mapping", multiple=True, help="COLUMN=FIELD, overriding the default mapping (FIELD '-' ignores).")
@click.option("--default", "defaults", multiple=True, help="FIELD=VALUE for a field the file lacks or leaves blank.")
@click.option("--keep", "keep_columns", multiple=True, help="Keep this column as an extra attribute.")
@click.option("--prefix", "parcel_code_prefix", default="", help="Put before every parcel code from the file.")
@click.option("--layer", default=None, help="Layer of a multi-layer file.")
@click.option("--encoding", default=None, help="DBF encoding (default: .cpg, LDID, strict UTF-8, GB18030).")
@click.option("--crs", default=None, help="CRS of the coordinates (EPSG:4549, ...); required if the file has none.")
@click.option("--gcj02", "from_gcj02", is_flag=True, help="Coordinates were traced on Gaode/Tencent maps (GCJ-02).")
@click.option("--swap-axes", is_flag=True, help="The file has latitude in x and longitude in y.")
@click.option("--allow-legacy-datum", is_flag=True, help="Accept Xian 1980 / Beijing 1954 (ballpark conversion, flagged).")
@click.option("--repair", is_flag=True, help="Accept make_valid repairs of invalid geometries (see --dry-run).")
@click.option("--linearise-curves", is_flag=True, help="Accept GDAL's linear approximation of curves.")
@click.option("--dry-run", is_flag=True, help="Check and report every row; register nothing.")
@writes
def parcels_import(obj: Ctx, file: Path, mapping: tuple[str, ...], defaults: tuple[str, ...],
                   keep_columns: tuple[str, ...], dry_run: bool, actor: str, request_id: str | None,
                   as_json: bool, **flags: Any) -> None:
    """Register every row of a GeoJSON, GeoPackage, zipped Shapefile or KML/KMZ file, or none.

    The request id defaults to a hash of the file and the options, so running the same import
    twice registers it once. A ``--dry-run`` registers nothing and exits 0 only if the import
    would register every row (2 with ``parcel_import_has_problems`` otherwise).
    """
    options = {"mapping": _pairs(mapping, "--map"), "defaults": _pairs(defaults, "--default"),
               "keep_columns": keep_columns, **flags}
    svc = obj.service
    who = svc.actor(actor)
    with progress_bar() as bar:
        task = bar.add_task(f"checking {file.name}", total=None)

        def progress(done: int, total: int, label: str) -> None:
            stage = {"rows": "checking", "geometries": "checking", "overlaps": "checking",
                     "registry": "checking against the registry"}.get(label, "registering")
            bar.update(task, description=f"{stage} {file.name}", total=total, completed=done)

        try:
            if dry_run:
                out = svc.preview_parcels(who, path=file, options=options, progress=progress)
            else:
                out = svc.import_parcels(who, request_id or default_request_id(file, options), path=file,
                                         options=options, progress=progress)
        except SinkLedgerError as exc:
            bar.stop()
            if not as_json:
                _print_problems(exc.params.get("problems", []))
            raise
        bar.update(task, total=1, completed=1)
    if dry_run and not out["ok"]:
        # a dry run that finds problems is refused like the import it rehearses: exit status 2,
        # the per-row report in the refusal's details (with --json) or printed (without)
        if not as_json:
            _render_preview(out)
        raise InvalidInput("parcel_import_has_problems", source=out["source"]["name"], count=len(out["problems"]),
                           rows=len({p["row"] for p in out["problems"]}), problems=out["problems"],
                           notices=out["notices"], dry_run=True)
    emit(out, as_json, _render_preview if dry_run else _render_import)


def default_request_id(file: Path, options: dict[str, Any]) -> str:
    digest = hashlib.sha256(file.read_bytes())
    digest.update(json.dumps(options, sort_keys=True, ensure_ascii=False, default=list).encode())
    return f"parcels-import:{digest.hexdigest()[:32]}"


def _print_problems(problems: list[dict[str, Any]]) -> None:
    for p in catalogue.localise(problems):
        where = "file" if p["row"] is None else f"row {p['row']}"
        field = f" {p['field']}" if p.get("field") else ""
        err_console.print(f"{where}{field} [yellow]{p['code']}[/] {p['message_zh']}\n  {p['message_en']}")


def _render_preview(r: dict[str, Any]) -> None:
    _print_problems(r["problems"])
    for n in catalogue.localise(r["notices"]):
        click.echo(f"notice {n['code']}: {n['message_en']}")
    for rep in r["repairs"]:
        click.echo(f"repair row {rep['row']}: {rep['reason']} at {rep['location']} "
                   f"({rep['parts_before']} → {rep['parts_after']} parts){' accepted' if rep['accepted'] else ''}")
    state = "would register" if r["ok"] else "would be REFUSED"
    click.echo(f"{r['source']['name']}: {r['rows']} rows, {len(r['problems'])} problem(s); {state}")


def _render_import(r: dict[str, Any]) -> None:
    for f in r["flags"]:
        click.echo(f"flag row {f['row']} {f['parcel_code']}: {f['code']}")
    click.echo(f"{r['source']}: {r['parcels_registered']} parcels, {r['area_ha']} ha ({r['area_mu']} mu); "
               f"entry {r['seq']}{' (replayed)' if r['replayed'] else ''}")


@parcels.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(["gpkg", "geojson", "shp"]), default=None,
              help="Default: from the suffix (.gpkg, .geojson, .zip = zipped Shapefile).")
@click.option("--status", default="active", show_default=True, help="Parcels of this status, or 'all'.")
@reads
def parcels_export(obj: Ctx, path: Path, file_format: str | None, status: str, as_json: bool) -> None:
    """Write parcels to a GeoPackage, GeoJSON or zipped Shapefile (EPSG:4490)."""
    out = obj.service.export_parcels(path, file_format=file_format, status=None if status == "all" else status)
    emit(out, as_json, lambda r: click.echo(f"{r['parcels']} parcels → {r['path']} ({r['format']}, {r['crs']})"))
