"""``sinkledger sales``: a day's sales from a spreadsheet (a thin shell over the service).

Conventions of :mod:`sinkledger.cli.common`: ``--json`` prints exactly one JSON document; a refusal
exits with status 2 (with ``--json``: ``{"error": {...}}``, whose ``details.problems`` lists every
problem of every row); ``import`` takes ``--actor`` and ``--request-id``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sinkledger import catalogue
from sinkledger.cli.common import Ctx, emit, err_console, reads, writes
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, SinkLedgerError, encodes_utf8, printable

NOTE_KEYS = ("sales_tpl_seller", "sales_tpl_buyer", "sales_tpl_quantity", "sales_tpl_price", "sales_tpl_contract",
             "sales_tpl_sale_date", "sales_tpl_contract_date")


@click.group()
def sales() -> None:
    """Sales (交易) from a spreadsheet: the template, a dry run, an import that records all or nothing."""


@sales.command("template")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the column names (the importer reads either).")
@reads
def sales_template(obj: Ctx, path: Path, lang: str, as_json: bool) -> None:
    """Write an empty sales sheet (.xlsx) with the importer's columns and a sheet of notes."""
    # deferred on purpose: only this command reads the sheet's layout
    from sinkledger.services.sales_files import TEMPLATE_COLUMNS, template_xlsx

    path = checks.output_path(path, "path")
    if not encodes_utf8(str(path)):  # a name that could not even be shown back
        raise InvalidInput("value_invalid", field="path", value=printable(str(path), 60))
    notes = [(column, catalogue.ui_text(key, lang)) for column, key in zip(TEMPLATE_COLUMNS[lang], NOTE_KEYS)]
    path.write_bytes(template_xlsx(lang, notes, catalogue.ui_text("sales_tpl_sheet", lang),
                                   catalogue.ui_text("sales_tpl_notes", lang)))
    emit({"path": str(path), "columns": list(TEMPLATE_COLUMNS[lang])}, as_json,
         lambda d: click.echo(f"template → {d['path']}: {', '.join(d['columns'])}"))


@sales.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and show every row; record nothing.")
@writes
def sales_import(obj: Ctx, file: Path, dry_run: bool, actor: str, request_id: str | None, as_json: bool) -> None:
    """Record every sale of an Excel (.xlsx) or CSV file, or none.

    Columns (Chinese or English): 卖方账户/seller_account, 买方账户/buyer_account, 数量（吨）/quantity_t,
    单价（元/吨）/price_yuan_per_t or 单价（分/吨）/price_fen_per_t, 合同编号/contract_no, and, optional,
    成交日期/sale_date, 合同日期/contract_date (``sinkledger sales template`` writes them). Each row is
    checked by a sale's own rules; one refused row refuses the file. The request id defaults to
    a digest of the rows, so importing the same file twice records it once. ``--dry-run`` exits 0
    only if every row would be recorded (2 with ``sales_import_has_problems`` otherwise).
    """
    svc = obj.service
    who = svc.actor(actor)
    data = file.read_bytes()
    try:
        if dry_run:
            out = svc.preview_sales(who, data=data, file_name=file.name, request_id=request_id)
        else:
            out = svc.import_sales(who, request_id, data=data, file_name=file.name)
    except SinkLedgerError as exc:
        if not as_json:
            _print_problems(exc.params.get("problems", []))
        raise
    if dry_run and not out["ok"]:
        if not as_json:
            _render_preview(out)
        raise InvalidInput("sales_import_has_problems", source=out["source"]["name"], count=len(out["problems"]),
                           rows=len({p["row"] for p in out["problems"] if p["row"] is not None}),
                           problems=out["problems"], dry_run=True)
    emit(out, as_json, _render_preview if dry_run else _render_import)


def _print_problems(problems: list[dict[str, Any]]) -> None:
    for p in catalogue.localise(problems):
        where = "file" if p["row"] is None else f"row {p['row']}"
        column = f" [{p['field']}]" if p.get("field") else ""
        err_console.print(f"{where}{column} [yellow]{p['code']}[/] {p['message_zh']}\n  {p['message_en']}")


def _money(fen: int | None) -> str:
    return "-" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _render_preview(r: dict[str, Any]) -> None:
    _print_problems(r["problems"])
    unit = {"yuan": "CNY/t (元/吨)", "fen": "fen/t (分/吨)"}.get(r["source"]["price_unit"], "?")
    click.echo(f"prices read in {unit}")
    for row in r["rows"]:
        state = ("PROBLEM" if row["problems"] else f"recorded before (entry {row['recorded_seq']})"
                 if row["recorded_seq"] is not None else "ok")
        warnings = "".join(f"; {catalogue.ui_text(key, 'en', **_plain(params))}" for key, params in row["warnings"])
        click.echo(f"row {row['row']}: {row['seller_account'] or row['seller']} → {row['buyer_account'] or row['buyer']} "
                   f"{row['quantity'] if row['quantity'] is not None else '-'} t × "
                   f"{_money(row['price_fen_per_t'])} CNY/t = {_money(row['amount_fen'])} CNY "
                   f"{row['contract_no'] or '-'}  {state}{warnings}")
    verdict = "would be recorded" if r["ok"] else "would be REFUSED (nothing recorded)"
    click.echo(f"{r['source']['name']}: {r['count']} rows, {r['quantity']} t, {_money(r['amount_fen'])} CNY; {verdict}")


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """A warning's parameters as text (fen as yuan, a UTC time as its day)."""
    out = dict(params)
    if "median_fen" in out:
        out["median"] = f"{_money(out.pop('median_fen'))} CNY/t"
    if "recorded_at" in out:
        out["date"] = str(out.pop("recorded_at"))[:10]
    return out


def _render_import(r: dict[str, Any]) -> None:
    for s in r["sales"]:
        click.echo(f"entry {s['seq']}: {s['seller_account']} → {s['buyer_account']} {s['quantity']} t "
                   f"{s['contract_no']}{' (replayed)' if s['replayed'] else ''}")
    click.echo(f"{r['source']['name']}: {r['count']} sales, {r['quantity']} t, {_money(r['amount_fen'])} CNY"
               f"{'; recorded before, nothing recorded twice' if r['replayed'] else ''}")
