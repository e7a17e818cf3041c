"""``sinkledger public ...``: the public registry's reads on the command line (no actor).

A thin shell over ``service.public`` (:mod:`sinkledger.services.public_registry`): every command
takes ``--json``; refusals exit 2 with the JSON error document. docs/public-registry.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sinkledger.cli.common import WHOLE, Ctx, emit, entry_kind_text, reads

OUT = click.Path(dir_okay=False, path_type=Path)


@click.group()
def public() -> None:
    """The public registry: credits by serial, retirements, entries, projects, parcels, exports."""


@public.command("serial")
@click.argument("serial")
@reads
def serial_cmd(obj: Ctx, serial: str, as_json: bool) -> None:
    """The credit with this serial number (any serial inside a block): block, state, holder, retirement."""
    emit(obj.service.public.serial(serial), as_json, _serial_text)


def _serial_text(out: dict[str, Any]) -> None:
    click.echo(f"{out['serial']}: {out['state']} in {out['block']['serials']} "
               f"(batch {out['batch']['batch_id']}, project {out['project_code']}, vintage {out['vintage_year']})")
    if out["retirement"]:
        r = out["retirement"]
        click.echo(f"retired {r['recorded_at']} for {r['beneficiary']} ({r['purpose']}), {r['retirement_id']}")


@public.command("retirements")
@click.option("--beneficiary", default=None, help="Beneficiary (prefix).")
@click.option("--purpose", default=None, help="Purpose (prefix).")
@click.option("--year", type=WHOLE, default=None, help="Year the retirement was recorded.")
@click.option("--limit", type=WHOLE, default=20, show_default=True)
@click.option("--offset", type=WHOLE, default=0, show_default=True)
@reads
def retirements_cmd(obj: Ctx, beneficiary: str | None, purpose: str | None, year: int | None, limit: int,
                    offset: int, as_json: bool) -> None:
    """Retirements, newest first, by beneficiary, purpose and year (one page)."""
    emit(obj.service.public.retirements(beneficiary=beneficiary, purpose=purpose, year=year, limit=limit,
                                        offset=offset), as_json,
         lambda page: [click.echo(f"{r['retirement_id']}  {r['recorded_at'][:10]}  {r['quantity']} t  "
                                  f"{r['beneficiary']}  {r['purpose']}") for r in page["items"]])


@public.command("entry")
@click.argument("ref")
@click.option("--out", "out_path", type=OUT, default=None, help="Write the inclusion proof (JSON) here.")
@reads
def entry_cmd(obj: Ctx, ref: str, out_path: Path | None, as_json: bool) -> None:
    """A journal entry by number or hash, with its inclusion proof (checked; --out writes it)."""
    out = obj.service.public.entry(ref)
    if out_path is not None:
        out_path.write_text(json.dumps(out["proof"], ensure_ascii=False, indent=2), encoding="utf-8")
    emit(out, as_json, lambda e: click.echo(f"#{e['seq']} {entry_kind_text(e['kind'])} {e['entry_hash']} proof "
                                            f"{'holds' if e['proof_ok'] else 'FAILS: ' + e['proof_reason']}"))


@public.command("retirement-certificate")
@click.argument("retirement_id")
@click.option("--out", "out_path", type=OUT, required=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--verify-url", default=None, help="Public certificate page; the QR code adds ?retirement=ID.")
@reads
def certificate_cmd(obj: Ctx, retirement_id: str, out_path: Path, lang: str, verify_url: str | None,
                    as_json: bool) -> None:
    """Write a retirement's certificate (PDF with QR code and Merkle proof)."""
    out_path.write_bytes(obj.service.public.retirement_certificate_pdf(retirement_id, lang=lang,
                                                                       verify_url=verify_url))
    emit({"retirement_id": retirement_id, "pdf": str(out_path)}, as_json, lambda r: click.echo(r["pdf"]))


@public.command("offsetsdb")
@click.argument("table", type=click.Choice(["projects", "credits"]))
@click.option("--out", "out_path", type=OUT, required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default=None,
              help="csv or json (default: json for a .json file, else csv).")
@reads
def offsetsdb_cmd(obj: Ctx, table: str, out_path: Path, fmt: str | None, as_json: bool) -> None:
    """Write the registry's projects or credits in CarbonPlan OffsetsDB's schema (streamed): its
    own and the imported registries' (flagged by their registry; docs/public-registry.md)."""
    fmt = fmt or ("json" if out_path.suffix.lower() == ".json" else "csv")
    public = obj.service.public
    if fmt == "json":
        chunks = public.offsetsdb_projects_json() if table == "projects" else public.offsetsdb_credits_json()
    else:
        chunks = public.offsetsdb_projects_csv() if table == "projects" else public.offsetsdb_credits_csv()
    with out_path.open("w", encoding="utf-8", newline="") as f:
        for chunk in chunks:
            f.write(chunk)
    emit({"table": table, "format": fmt, fmt: str(out_path)}, as_json, lambda r: click.echo(r[fmt]))
