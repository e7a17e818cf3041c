"""``sinkledger compensation ...`` and ``sinkledger obligations ...``: a thin shell over
``service.compensation`` and ``service.obligations`` (issue 22; docs/instruments.md).

Every command takes ``--json``; refusals exit 2 with the JSON error document; ``obligations
verify`` exits 1 when a check fails. Money in fen (``--rate-fen``, ``--budget-fen``, ``--price-fen``)
or yuan (``--rate-yuan``, ``--budget-yuan``, ``--price-yuan``, exact to the fen).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import click

from sinkledger.cli.common import EXIT_CHECK_FAILED, WHOLE, Ctx, acts, emit, print_table, reads, to_fen, writes
from sinkledger_base.errors import InvalidInput

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SINK_TYPES = click.Choice(["bamboo_forest", "wetland", "tea_garden"])


def _rid(request_id: str | None) -> str:
    return request_id or str(uuid.uuid4())


# --- compensation ------------------------------------------------------------------------------

@click.group()
def compensation() -> None:
    """Ecological protection compensation (碳汇生态保护补偿): programmes and payments."""


@compensation.command("programme")
@click.option("--code", required=True, help="Programme code.")
@click.option("--name", required=True)
@click.option("--reference", required=True, help="The policy document (文号).")
@click.option("--basis", required=True, type=click.Choice(["per_t", "per_ha"]),
              help="per_t: fen per tCO2e verified; per_ha: fen per hectare per year.")
@click.option("--rate-fen", type=WHOLE, default=None)
@click.option("--rate-yuan", default=None)
@click.option("--budget-fen", type=WHOLE, default=None)
@click.option("--budget-yuan", default=None)
@click.option("--sink-type", "sink_types", multiple=True, required=True, type=SINK_TYPES, help="Repeatable.")
@click.option("--county", "county_codes", multiple=True, help="Eligible county code (repeatable; none: every county).")
@click.option("--vintage-from", type=WHOLE, required=True)
@click.option("--vintage-to", type=WHOLE, required=True)
@click.option("--period-start", required=True, help="First payment date, YYYY-MM-DD.")
@click.option("--period-end", required=True, help="Last payment date, YYYY-MM-DD.")
@writes
def programme_cmd(obj: Ctx, code: str, name: str, reference: str, basis: str, rate_fen: int | None,
                  rate_yuan: str | None, budget_fen: int | None, budget_yuan: str | None, sink_types: tuple[str, ...],
                  county_codes: tuple[str, ...], vintage_from: int, vintage_to: int, period_start: str,
                  period_end: str, actor: str, request_id: str | None, as_json: bool) -> None:
    """Register a compensation programme (authority)."""
    emit(obj.service.compensation.register_programme(
        obj.service.actor(actor), _rid(request_id), code=code, name=name, reference=reference, basis=basis,
        rate_fen=to_fen(rate_yuan, rate_fen, "rate"), budget_fen=to_fen(budget_yuan, budget_fen, "budget"),
        sink_types=list(sink_types), county_codes=list(county_codes), vintage_from=vintage_from,
        vintage_to=vintage_to, period_start=period_start, period_end=period_end), as_json,
        lambda r: click.echo(f"programme {r['code']}: budget {r['budget_fen']} fen, {r['basis']} {r['rate_fen']} fen"))


@compensation.command("payable")
@click.argument("programme_code")
@acts
def payable_cmd(obj: Ctx, programme_code: str, actor: str, as_json: bool) -> None:
    """Verified estimates with vintages the programme accepts and has not paid (authority)."""
    rows = obj.service.compensation.payable_estimates(obj.service.actor(actor), programme_code=programme_code)
    emit(rows, as_json, lambda r: print_table(r, ("estimate_id", "sink_type", "county_code", "vintages",
                                                  "quantity_t")))


@compensation.command("pay")
@click.argument("programme_code")
@click.argument("estimate_id")
@click.option("--vintage", "vintages", multiple=True, type=WHOLE, help="Pay only these vintages (repeatable).")
@click.option("--date", "paid_date", required=True, help="Payment date, YYYY-MM-DD.")
@click.option("--reference", required=True, help="Treasury or bank reference.")
@click.option("--preview", is_flag=True, help="Show the units, amount and lines; record nothing.")
@writes
def pay_cmd(obj: Ctx, programme_code: str, estimate_id: str, vintages: tuple[int, ...], paid_date: str, reference: str,
            preview: bool, actor: str, request_id: str | None, as_json: bool) -> None:
    """Pay the holder of a verified estimate's sink from the programme (authority)."""
    api, who = obj.service.compensation, obj.service.actor(actor)
    chosen = list(vintages) or None
    if preview:
        out = api.preview_payment(who, programme_code=programme_code, estimate_id=estimate_id, vintages=chosen)
    else:
        out = api.pay(who, _rid(request_id), programme_code=programme_code, estimate_id=estimate_id,
                      paid_date=paid_date, reference=reference, vintages=chosen)
    emit(out, as_json, lambda r: click.echo(
        f"{r.get('payment_id', 'preview')}: {r['amount_fen']} fen for {r['quantity_t']} t "
        f"({', '.join(str(u['vintage_year']) for u in r['units'])}); to households and collectives "
        f"{r['totals']['villages_fen']} fen"))


@compensation.command("list")
@acts
def list_cmd(obj: Ctx, actor: str, as_json: bool) -> None:
    """Programmes with what is paid and what remains."""
    rows = obj.service.compensation.programmes(obj.service.actor(actor))
    emit(rows, as_json, lambda r: print_table(r, ("code", "name", "basis", "rate_fen", "budget_fen", "paid_fen",
                                                  "remaining_fen", "payments")))


@compensation.command("payments")
@click.option("--programme", "programme_code", default=None)
@acts
def payments_cmd(obj: Ctx, programme_code: str | None, actor: str, as_json: bool) -> None:
    """Payments the actor may read (its programmes', or made to it)."""
    rows = obj.service.compensation.payments(obj.service.actor(actor), programme_code=programme_code)
    emit(rows, as_json, lambda r: print_table(r, ("id", "programme_code", "estimate_id", "payee_party_id",
                                                  "quantity_t", "amount_fen", "villages_fen", "paid_date")))


# --- obligations -------------------------------------------------------------------------------

@click.group()
def obligations() -> None:
    """Quota obligations (配额履约): set, surrender, claim, status, certificates."""


@obligations.command("set")
@click.option("--enterprise", "enterprise_party_id", required=True)
@click.option("--quantity", "quantity_t", type=WHOLE, required=True, help="tCO2e to surrender.")
@click.option("--deadline", required=True, help="YYYY-MM-DD")
@click.option("--start", "start_date", default=None, help="Retirements from this day count (default: today).")
@click.option("--sink-type", "sink_types", multiple=True, required=True, type=SINK_TYPES, help="Repeatable.")
@click.option("--vintage-from", type=WHOLE, required=True)
@click.option("--vintage-to", type=WHOLE, required=True)
@click.option("--county", "county_codes", multiple=True, help="Eligible county code (repeatable; none: every county).")
@click.option("--reference", required=True, help="The decision's document number (文号).")
@writes
def set_cmd(obj: Ctx, enterprise_party_id: str, quantity_t: int, deadline: str, start_date: str | None,
            sink_types: tuple[str, ...], vintage_from: int, vintage_to: int, county_codes: tuple[str, ...],
            reference: str, actor: str, request_id: str | None, as_json: bool) -> None:
    """Set an obligation on an enterprise (authority)."""
    emit(obj.service.obligations.set_obligation(
        obj.service.actor(actor), _rid(request_id), enterprise_party_id=enterprise_party_id, quantity_t=quantity_t,
        deadline=deadline, start_date=start_date, sink_types=list(sink_types), vintage_from=vintage_from,
        vintage_to=vintage_to, county_codes=list(county_codes), reference=reference), as_json,
        lambda r: click.echo(f"{r['obligation_id']}: {r['enterprise_party_id']} {r['quantity_t']} t by {r['deadline']}"))


@obligations.command("surrender")
@click.argument("obligation_id")
@click.option("--quantity", "quantity_t", type=WHOLE, required=True)
@click.option("--from", "seller_account", default=None, help="Buy from this account in the same entry (clerk).")
@click.option("--price-fen", type=WHOLE, default=None)
@click.option("--price-yuan", default=None)
@click.option("--contract", "contract_no", default=None, help="Purchase contract number (with --from).")
@writes
def surrender_cmd(obj: Ctx, obligation_id: str, quantity_t: int, seller_account: str | None, price_fen: int | None,
                  price_yuan: str | None, contract_no: str | None, actor: str, request_id: str | None,
                  as_json: bool) -> None:
    """Retire eligible credits against the obligation (enterprise; clerk, buying if --from)."""
    out = obj.service.obligations.surrender(obj.service.actor(actor), _rid(request_id), obligation_id=obligation_id,
                                            quantity_t=quantity_t, seller_account=seller_account,
                                            price_fen_per_t=to_fen(price_yuan, price_fen, "price"),
                                            contract_no=contract_no)
    emit(out, as_json, _render_count)


@obligations.command("claim")
@click.argument("obligation_id")
@click.argument("retirement_id")
@writes
def claim_cmd(obj: Ctx, obligation_id: str, retirement_id: str, actor: str, request_id: str | None,
              as_json: bool) -> None:
    """Count an earlier voluntary retirement of the enterprise's own against the obligation."""
    emit(obj.service.obligations.claim(obj.service.actor(actor), _rid(request_id), obligation_id=obligation_id,
                                       retirement_id=retirement_id), as_json, _render_count)


def _render_count(r: dict[str, Any]) -> None:
    click.echo(f"{r['retirement_id']} counted for {r['obligation_id']}: {r['counted_t']} t counted, "
               f"{r['shortfall_t']} t short, {r['status']}")


@obligations.command("status")
@click.argument("obligation_id", required=False)
@click.option("--as-of", default=None, help="Status on this day (default: today).")
@acts
def status_cmd(obj: Ctx, obligation_id: str | None, as_of: str | None, actor: str, as_json: bool) -> None:
    """One obligation (with what counted and what could), or every one the actor may read."""
    api, who = obj.service.obligations, obj.service.actor(actor)
    if obligation_id:
        emit(api.obligation(who, obligation_id=obligation_id, as_of=as_of), as_json, lambda r: click.echo(
            f"{r['id']} {r['enterprise_name']}: {r['counted_t']}/{r['quantity_t']} t, short {r['shortfall_t']}, "
            f"{r['status']} (deadline {r['deadline']}); eligible held {r['eligible_held_t']} t"))
    else:
        emit(api.obligations(who, as_of=as_of), as_json, lambda r: print_table(
            r, ("id", "enterprise_party_id", "quantity_t", "counted_t", "shortfall_t", "deadline", "status")))


@obligations.command("certificate")
@click.argument("obligation_id")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--verify-url", default=None, help="Public verification page; the QR code adds ?cert=CODE.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@acts
def certificate_cmd(obj: Ctx, obligation_id: str, pdf_path: Path | None, verify_url: str | None, lang: str,
                    actor: str, as_json: bool) -> None:
    """Issue the compliance certificate of a met obligation (authority, clerk); the same facts give the same code."""
    api = obj.service.obligations
    out = api.issue_certificate(obj.service.actor(actor), obligation_id=obligation_id)
    if pdf_path:
        pdf_path.write_bytes(api.certificate_pdf(out["code"], verify_url=verify_url, lang=lang))
        out["pdf"] = str(pdf_path)
    emit(out, as_json, lambda r: click.echo(f"certificate {r['code']} for {r['obligation_id']}"))


@obligations.command("verify")
@click.argument("code", required=False)
@click.option("--pdf", "pdf_file", type=FILE, default=None, help="Verify a certificate PDF (its embedded record).")
@reads
def verify_cmd(obj: Ctx, code: str | None, pdf_file: Path | None, as_json: bool) -> None:
    """Check a compliance certificate against the ledger, by code or PDF (anyone); exit 0 only if it holds."""
    api = obj.service.obligations
    if pdf_file is not None:
        result = api.verify_certificate_pdf(pdf_file.read_bytes())
    elif code:
        result = api.verify_certificate(code)
    else:
        raise InvalidInput("field_required", field="CODE or --pdf")
    emit(result, as_json, lambda r: click.echo(
        f"certificate {r['code']} holds: {r['record']['totals']['counted_t']} t for "
        f"{r['record']['obligation']['obligation_id']}" if r["ok"] else
        f"CERTIFICATE {r['code']} FAILS: " + "; ".join(r["problems"])))
    if not result["ok"]:
        sys.exit(EXIT_CHECK_FAILED)


def attach(main: click.Group) -> None:
    """Add the ``compensation`` and ``obligations`` groups to the ``sinkledger`` command line."""
    main.add_command(compensation)
    main.add_command(obligations)
