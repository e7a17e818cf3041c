"""``sinkledger court ...`` and ``sinkledger certificate ...``: a thin shell over the court API.

Every command takes ``--json``; refusals exit 2 with the JSON error document (as in
:mod:`sinkledger.cli.main`); ``certificate verify`` exits 1 when a check fails. Money is given in
fen (``--amount-fen``, ``--price-fen``) or in yuan (``--amount-yuan``, ``--price-yuan``, exact
to the fen).
"""

from __future__ import annotations

import sys
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sinkledger.cli.common import (
    EXIT_CHECK_FAILED,
    WHOLE,
    Ctx,
    acts,
    emit,
    print_table,
    reads,
    to_fen,
    with_options,
    writes,
)
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput
from sinkledger_base.jsondoc import load_json

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.court import CourtService

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def court_api(obj: Ctx) -> CourtService:
    """The court API of the command line's service."""
    return obj.service.court



def _json_file(path: Path | None) -> Any:
    if path is None:
        return None
    return load_json(path, path.name)


def _calculation(years: int | None, estimate_id: str | None, methodology: str | None,
                 inputs: Path | None) -> dict[str, Any] | None:
    if years is None:
        return None
    calc: dict[str, Any] = {"years_to_recovery": years}
    if estimate_id:
        calc["estimate_id"] = estimate_id
    if methodology:
        calc |= {"methodology_id": methodology, "inputs": _json_file(inputs) or {}}
    return calc


calc_options = [
    click.option("--years", "years", type=WHOLE, default=None, help="Years to recovery: run the tonnage calculator."),
    click.option("--estimate", "estimate_id", default=None, help="Calculator rate from a recorded estimate (EST-...)."),
    click.option("--methodology", default=None, help="Calculator rate from this methodology run on --inputs."),
    click.option("--inputs", "inputs_file", type=FILE, default=None, help="Methodology input document (JSON)."),
]



def _rid(request_id: str | None) -> str:
    return request_id or str(uuid.uuid4())


@click.group()
def court() -> None:
    """Judicial carbon-sink compensation (司法碳汇补偿): cases, orders, fulfilment, reports."""


@court.command("case")
@click.option("--case-no", required=True, help="Case number (案号).")
@click.option("--judgment-date", required=True, help="YYYY-MM-DD")
@click.option("--defendant", "defendants", multiple=True, required=True, help="Defendant party id (repeatable).")
@click.option("--sink-type", required=True, type=click.Choice(["bamboo_forest", "wetland", "tea_garden"]))
@click.option("--county", "county_code", required=True, help="GB/T 2260 county code of the damaged ecosystem.")
@click.option("--ecosystem", "ecosystem_name", required=True, help="The damaged ecosystem: the retirements' beneficiary.")
@click.option("--area-ha", "damaged_area_ha", required=True, help="Damaged area in hectares (decimal).")
@click.option("--description", required=True)
@click.option("--parcel", "parcel_code", default=None, help="Registered parcel of the damaged area, if any.")
@click.option("--geometry", "geometry_file", type=FILE, default=None, help="GeoJSON polygon of the damaged area.")
@writes
def case_cmd(obj: Ctx, case_no: str, judgment_date: str, defendants: tuple[str, ...], sink_type: str, county_code: str,
             ecosystem_name: str, damaged_area_ha: str, description: str, parcel_code: str | None,
             geometry_file: Path | None, actor: str, request_id: str | None, as_json: bool) -> None:
    """Register a case (案件) and its damaged ecosystem (court)."""
    api = court_api(obj)
    emit(api.register_case(obj.service.actor(actor), _rid(request_id), case_no=case_no, judgment_date=judgment_date,
                           defendants=list(defendants), sink_type=sink_type, county_code=county_code,
                           ecosystem_name=ecosystem_name, damaged_area_ha=damaged_area_ha, description=description,
                           parcel_code=parcel_code, geometry=_json_file(geometry_file)), as_json)


@court.command("document")
@click.argument("case_no")
@click.argument("file", type=FILE)
@click.option("--title", required=True, help="What the document is (judgment, appraisal report...).")
@writes
def document_cmd(obj: Ctx, case_no: str, file: Path, title: str, actor: str, request_id: str | None,
                 as_json: bool) -> None:
    """Attach a document to a case; the journal keeps its SHA-256 (court)."""
    api = court_api(obj)
    emit(api.register_document_file(obj.service.actor(actor), _rid(request_id), case_no=case_no, title=title,
                                    path=file), as_json)


@court.command("propose")
@click.argument("case_no")
@with_options(calc_options)
@acts
def propose_cmd(obj: Ctx, case_no: str, years: int | None, estimate_id: str | None, methodology: str | None,
                inputs_file: Path | None, actor: str, as_json: bool) -> None:
    """Preview the tonnage calculator for a case (area × rate × years, with its trace)."""
    calc = _calculation(years, estimate_id, methodology, inputs_file)
    if calc is None:
        raise InvalidInput("field_required", field="--years")
    out = court_api(obj).propose(obj.service.actor(actor), case_no=case_no, calculation=calc)
    emit(out, as_json, lambda p: click.echo("\n".join(
        [f"{s['name']} = {s['value']} {s['unit']}   [{s['equation']}] {s['note']}" for s in p["steps"]]
        + [f"proposed: {p['proposed_t']} tCO2e"] + [f"warning {w['code']}: {w['message_zh']}" for w in p["warnings"]])))


@court.command("order")
@click.argument("case_no")
@click.option("--item", required=True, help="The judgment's item, e.g. 判决第二项.")
@click.option("--kind", required=True, type=click.Choice(["quantity", "money"]))
@click.option("--quantity", "quantity_t", type=WHOLE, default=None, help="tCO2e (quantity orders).")
@click.option("--amount-fen", type=WHOLE, default=None, help="Amount in fen (money orders).")
@click.option("--amount-yuan", default=None, help="Amount in yuan, exact to the fen (money orders).")
@click.option("--due", "due_date", required=True, help="Due date, YYYY-MM-DD.")
@click.option("--same-sink-type", is_flag=True, help="Require credits of the damaged ecosystem's sink type.")
@click.option("--same-county", is_flag=True, help="Require credits of the damaged ecosystem's county.")
@with_options(calc_options)
@click.option("--override-reason", default=None, help="Why --quantity differs from the calculator's proposal.")
@writes
def order_cmd(obj: Ctx, case_no: str, item: str, kind: str, quantity_t: int | None, amount_fen: int | None,
              amount_yuan: str | None, due_date: str, same_sink_type: bool, same_county: bool, years: int | None,
              estimate_id: str | None, methodology: str | None, inputs_file: Path | None,
              override_reason: str | None, actor: str, request_id: str | None, as_json: bool) -> None:
    """Order (判令) a quantity or an amount of money to buy and retire credits (court)."""
    api = court_api(obj)
    emit(api.issue_order(obj.service.actor(actor), _rid(request_id), case_no=case_no, item=item, kind=kind,
                         due_date=due_date, quantity_t=quantity_t,
                         amount_fen=to_fen(amount_yuan, amount_fen, "amount"), same_sink_type=same_sink_type,
                         same_county=same_county, calculation=_calculation(years, estimate_id, methodology, inputs_file),
                         override_reason=override_reason), as_json)


@court.command("amend")
@click.argument("order_id")
@click.option("--reason", required=True)
@click.option("--quantity", "quantity_t", type=WHOLE, default=None)
@click.option("--amount-fen", type=WHOLE, default=None)
@click.option("--amount-yuan", default=None)
@click.option("--due", "due_date", default=None)
@click.option("--same-sink-type/--any-sink-type", default=None)
@click.option("--same-county/--any-county", default=None)
@writes
def amend_cmd(obj: Ctx, order_id: str, reason: str, quantity_t: int | None, amount_fen: int | None,
              amount_yuan: str | None, due_date: str | None, same_sink_type: bool | None, same_county: bool | None,
              actor: str, request_id: str | None, as_json: bool) -> None:
    """Amend an order by a new entry (court)."""
    changes = {"quantity_t": quantity_t, "amount_fen": to_fen(amount_yuan, amount_fen, "amount"), "due_date": due_date,
               "same_sink_type": same_sink_type, "same_county": same_county}
    emit(court_api(obj).amend_order(obj.service.actor(actor), _rid(request_id), order_id=order_id, reason=reason,
                                    **{k: v for k, v in changes.items() if v is not None}), as_json)


@court.command("withdraw")
@click.argument("order_id")
@click.option("--reason", required=True)
@writes
def withdraw_cmd(obj: Ctx, order_id: str, reason: str, actor: str, request_id: str | None, as_json: bool) -> None:
    """Withdraw an order by a new entry with a reason (court)."""
    emit(court_api(obj).withdraw_order(obj.service.actor(actor), _rid(request_id), order_id=order_id, reason=reason),
         as_json)


@court.command("fulfil")
@click.argument("order_id")
@click.option("--from", "seller_account", required=True, help="Seller's holding account.")
@click.option("--price-fen", type=WHOLE, default=None, help="Unit price at purchase, fen per tCO2e.")
@click.option("--price-yuan", default=None, help="Unit price at purchase, yuan per tCO2e (exact to the fen).")
@click.option("--contract", "contract_no", required=True, help="Purchase contract number.")
@click.option("--quantity", "quantity_t", type=WHOLE, default=None,
              help="tCO2e to buy (default: what remains; money orders: floor(remaining ÷ price)).")
@click.option("--buyer", "buyer_account", default=None, help="Defendant's or court's account (default: first defendant).")
@click.option("--date", "purchase_date", default=None, help="Purchase date, YYYY-MM-DD (default: today).")
@click.option("--serial", "serials", multiple=True, help="Serial range to buy (repeatable).")
@writes
def fulfil_cmd(obj: Ctx, order_id: str, seller_account: str, price_fen: int | None, price_yuan: str | None,
               contract_no: str, quantity_t: int | None, buyer_account: str | None, purchase_date: str | None,
               serials: tuple[str, ...], actor: str, request_id: str | None, as_json: bool) -> None:
    """Buy credits and retire them against the order's case in one entry (clerk, seller or court)."""
    price = to_fen(price_yuan, price_fen, "price")
    if price is None:
        raise InvalidInput("field_required", field="--price-fen")
    out = court_api(obj).fulfil(obj.service.actor(actor), _rid(request_id), order_id=order_id,
                                seller_account=seller_account, price_fen_per_t=price, contract_no=contract_no,
                                quantity_t=quantity_t, buyer_account=buyer_account, purchase_date=purchase_date,
                                serials=list(serials))
    emit(out, as_json, lambda r: click.echo(
        f"{r['fulfilment_id']}: {r['quantity_t']} t at {r['price_fen_per_t']} fen/t retired for {r['case_no']} "
        f"({r['retirement_id']}); order {r['status']}"
        + (f", remainder {r['remainder_fen']} fen" if r["remainder_fen"] is not None else "")))


@court.command("status")
@click.option("--case", "case_no", default=None, help="Case number.")
@click.option("--order", "order_id", default=None, help="Order id (CO-...).")
@click.option("--as-of", default=None, help="Date for the overdue check (default: today).")
@acts
def status_cmd(obj: Ctx, case_no: str | None, order_id: str | None, as_of: str | None, actor: str,
               as_json: bool) -> None:
    """A case's orders with status, history, fulfilments and certificates (court, procurator, clerk)."""
    if not case_no and not order_id:
        raise InvalidInput("field_required", field="--case or --order")
    out = court_api(obj).status(obj.service.actor(actor), case_no=case_no, order_id=order_id,
                                as_of=_date(as_of))
    emit(out, as_json, lambda d: print_table(d["orders"], ("order_id", "kind", "quantity_t", "amount_fen", "due_date",
                                                      "status", "retired_t", "spent_fen", "remaining")))


@court.command("report")
@click.option("--court", "court_party_id", default=None, help="Court party id (default: all courts).")
@click.option("--year", type=WHOLE, default=None, help="Judgment year (default: all years).")
@click.option("--as-of", default=None, help="Date for the overdue check (default: today).")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the report to this Excel file.")
@acts
def report_cmd(obj: Ctx, court_party_id: str | None, year: int | None, as_of: str | None, xlsx_path: Path | None,
               actor: str, as_json: bool) -> None:
    """Per court and year: orders, tonnes, money, fulfilment rate, overdue list (court, procurator)."""
    api, who = court_api(obj), obj.service.actor(actor)
    report = api.report(who, court_party_id=court_party_id, year=year, as_of=_date(as_of))
    if xlsx_path:
        # deferred on purpose: only the command that runs pays for this import
        from sinkledger.documents.court_reports import write_report_xlsx

        report["xlsx"] = str(write_report_xlsx(report, xlsx_path))
    emit(report, as_json, lambda r: print_table(r["summary"], ("court_name", "year", "orders", "fulfilled", "overdue",
                                                          "retired_t", "spent_fen", "fulfilment_rate_pct")))


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    return checks.iso_date(text, "--as-of")


@click.group()
def certificate() -> None:
    """Carbon-sink compensation certificates (碳汇补偿证明): issue, render, verify."""


@certificate.command("issue")
@click.argument("order_id")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the certificate PDF here.")
@click.option("--verify-url", default=None, help="Public verification page; the QR code adds ?cert=CODE.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the written documents.")
@acts
def issue_cmd(obj: Ctx, order_id: str, pdf_path: Path | None, verify_url: str | None, lang: str, actor: str,
              as_json: bool) -> None:
    """Issue the certificate of an order's fulfilments (court, clerk); the same facts give the same code."""
    api = court_api(obj)
    out = api.issue_certificate(obj.service.actor(actor), order_id=order_id)
    if pdf_path:
        pdf_path.write_bytes(api.certificate_pdf(out["code"], verify_url=verify_url, lang=lang))
        out["pdf"] = str(pdf_path)
    emit(out, as_json, lambda r: click.echo(f"certificate {r['code']} for {r['order_id']} ({r['status']})"))


@certificate.command("pdf")
@click.argument("code")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--verify-url", default=None, help="Public verification page; the QR code adds ?cert=CODE.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the written documents.")
@reads
def pdf_cmd(obj: Ctx, code: str, out_path: Path, verify_url: str | None, lang: str, as_json: bool) -> None:
    """Write the PDF of an issued certificate (anyone)."""
    out_path.write_bytes(court_api(obj).certificate_pdf(code, verify_url=verify_url, lang=lang))
    emit({"code": code, "pdf": str(out_path)}, as_json, lambda r: click.echo(r["pdf"]))


@certificate.command("verify")
@click.argument("code", required=False)
@click.option("--pdf", "pdf_file", type=FILE, default=None, help="Verify a certificate PDF (its embedded record).")
@reads
def verify_cmd(obj: Ctx, code: str | None, pdf_file: Path | None, as_json: bool) -> None:
    """Check a certificate against the ledger, by code or PDF (anyone); exit 0 only if it holds."""
    api = court_api(obj)
    if pdf_file is not None:
        result = api.verify_certificate_pdf(pdf_file.read_bytes())
    elif code:
        result = api.verify_certificate(code)
    else:
        raise InvalidInput("field_required", field="CODE or --pdf")
    emit(result, as_json, _render_verification)
    if not result["ok"]:
        sys.exit(EXIT_CHECK_FAILED)


def _render_verification(r: dict[str, Any]) -> None:
    record = r["record"]
    if not r["ok"]:
        click.echo(f"CERTIFICATE {r['code']} FAILS: " + "; ".join(r["problems"]), err=True)
        return
    totals, case = record["totals"], record["case"]
    click.echo(f"certificate {r['code']} holds: {totals['quantity_t']} tCO2e retired for case {case['case_no']} "
               f"({case['court_name']}), paid {totals['amount_fen']} fen, status {totals['status']}")
    for f in record["fulfilments"]:
        click.echo(f"  entry {f['seq']}: {f['quantity_t']} t at {f['price_fen_per_t']} fen/t on {f['purchase_date']}: "
                   + ", ".join(b["serials"] for b in f["blocks"]))
    point = r["proofs"][-1] if r["proofs"] else {}
    click.echo(f"  {len(r['proofs'])} Merkle inclusion proofs hold against tree size {point.get('tree_size')}, "
               f"root {point.get('root')}")


def attach(main: click.Group) -> None:
    """Add the ``court`` and ``certificate`` groups to the ``sinkledger`` command line."""
    main.add_command(court)
    main.add_command(certificate)
