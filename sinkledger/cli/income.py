"""``sinkledger income ...``: a thin shell over the income API (收储 → 收益分配).

Every command takes ``--json``; refusals exit 2 with the JSON error document (as in
:mod:`sinkledger.cli.main`). Money is given in fen (``--*-fen``) or in yuan (``--*-yuan``, exact to
the fen). Groups: contracts and documents, ``project``, ``trace``, ``distribute``, ``schedule``,
``dues``, ``pay``, ``lien``, ``loss``, ``claim``, ``statement``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sinkledger.cli.common import WHOLE, Ctx, acts, emit, print_table, to_fen, writes
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.income import IncomeService

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, path_type=Path)


def income_api(obj: Ctx) -> IncomeService:
    """The income API of the command line's service."""
    return obj.service.income


def _rid(request_id: str | None) -> str:
    return request_id or str(uuid.uuid4())



def _out_file(path: Path, suffix: str, field: str) -> Path:
    """An output file: its name ends in ``suffix``, prints as UTF-8, and its folder exists."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services.income import _file_path

    path = _file_path(path, field)
    if path.suffix.lower() != suffix or not path.parent.is_dir() or path.is_dir():
        raise InvalidInput("value_invalid", field=field, value=str(path)[:80])
    return path


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=str)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested 100,000 deep
        raise InvalidInput("value_invalid", field="--inputs", value=str(exc)[:80]) from None


@click.group()
def income() -> None:
    """From collection to farmers' income (收储 → 收益分配): contracts, bundles, distribution, loans, losses."""


# -- contracts ------------------------------------------------------------------------------------

@income.command("contracts")
@click.option("--collective", "collective_party_id", default=None, help="Only this collective's contracts.")
@acts
def contracts_cmd(obj: Ctx, collective_party_id: str | None, actor: str, as_json: bool) -> None:
    """Collection contracts with parcels, payment terms (and stated costs) and documents."""
    out = income_api(obj).contracts(obj.service.actor(actor), collective_party_id=collective_party_id)
    emit(out, as_json, lambda rows: print_table(
        [r | {"parcels": len(r["parcel_codes"]), "documents": len(r["documents"]), "kind": r["payment_terms"]["kind"]}
         for r in rows], ("contract_no", "collective_party_id", "term_start", "term_end", "kind", "parcels", "documents")))


@income.command("contract-document")
@click.argument("contract_no")
@click.argument("file", type=FILE)
@click.option("--title", required=True, help="What the document is (signed contract, parcel list...).")
@writes
def document_cmd(obj: Ctx, contract_no: str, file: Path, title: str, actor: str, request_id: str | None,
                 as_json: bool) -> None:
    """Attach a document to a collection contract; the journal keeps its SHA-256 (centre)."""
    emit(income_api(obj).register_contract_document_file(obj.service.actor(actor), _rid(request_id),
                                                         contract_no=contract_no, title=title, path=file), as_json)


# -- bundled projects -----------------------------------------------------------------------------

@income.group("project")
def project() -> None:
    """Bundled projects (打捆开发): many small parcels, one methodology and monitoring schedule."""


@project.command("register")
@click.option("--code", "project_code", required=True, help="Project code (A-Z, 0-9; appears in serials).")
@click.option("--name", required=True)
@click.option("--sink-type", required=True, type=click.Choice(["bamboo_forest", "wetland", "tea_garden"]))
@click.option("--methodology", "methodology_id", required=True)
@click.option("--monitoring-start", required=True, help="First monitoring period's start, YYYY-MM-DD.")
@click.option("--interval-months", type=WHOLE, required=True, help="Length of each monitoring period, months.")
@click.option("--parcel", "parcel_codes", multiple=True, required=True, help="Parcel code (repeatable).")
@writes
def project_register_cmd(obj: Ctx, project_code: str, name: str, sink_type: str, methodology_id: str,
                         monitoring_start: str, interval_months: int, parcel_codes: tuple[str, ...], actor: str,
                         request_id: str | None, as_json: bool) -> None:
    """Bundle collected parcels into a project (centre)."""
    emit(income_api(obj).register_project(
        obj.service.actor(actor), _rid(request_id), project_code=project_code, name=name, sink_type=sink_type,
        methodology_id=methodology_id, monitoring_start=monitoring_start, interval_months=interval_months,
        parcel_codes=list(parcel_codes)), as_json)


@project.command("add")
@click.argument("project_code")
@click.option("--parcel", "parcel_codes", multiple=True, required=True)
@writes
def project_add_cmd(obj: Ctx, project_code: str, parcel_codes: tuple[str, ...], actor: str, request_id: str | None,
                    as_json: bool) -> None:
    """Add collected parcels to a project (centre)."""
    emit(income_api(obj).add_project_parcels(obj.service.actor(actor), _rid(request_id), project_code=project_code,
                                             parcel_codes=list(parcel_codes)), as_json)


@project.command("show")
@click.argument("project_code")
@acts
def project_show_cmd(obj: Ctx, project_code: str, actor: str, as_json: bool) -> None:
    """A project's parcels, monitoring schedule and batches."""
    emit(income_api(obj).project(obj.service.actor(actor), project_code), as_json)


@project.command("estimate")
@click.argument("project_code")
@click.option("--inputs", "inputs_file", type=FILE, required=True, help="Methodology input document (JSON).")
@click.option("--period-index", type=WHOLE, default=None, help="Use the schedule's k-th period (0 = first).")
@writes
def project_estimate_cmd(obj: Ctx, project_code: str, inputs_file: Path, period_index: int | None, actor: str,
                         request_id: str | None, as_json: bool) -> None:
    """Record one bundle estimate over all the project's parcels."""
    emit(income_api(obj).estimate_project(obj.service.actor(actor), _rid(request_id), project_code=project_code,
                                          inputs=_json_file(inputs_file), period_index=period_index), as_json)


@project.command("issue")
@click.argument("project_code")
@click.option("--estimate", "estimate_id", required=True)
@click.option("--verified-kg", "verified_kg_co2e", type=WHOLE, required=True)
@click.option("--buffer-bp", "buffer_share_bp", type=WHOLE, default=1000, show_default=True)
@writes
def project_issue_cmd(obj: Ctx, project_code: str, estimate_id: str, verified_kg_co2e: int, buffer_share_bp: int,
                      actor: str, request_id: str | None, as_json: bool) -> None:
    """Verify and issue a bundle estimate; each parcel's contribution is recorded (verifier)."""
    emit(income_api(obj).issue_project(obj.service.actor(actor), _rid(request_id), project_code=project_code,
                                       estimate_id=estimate_id, verified_kg_co2e=verified_kg_co2e,
                                       buffer_share_bp=buffer_share_bp), as_json)


@income.command("trace")
@click.argument("serial_or_batch")
@acts
def trace_cmd(obj: Ctx, serial_or_batch: str, actor: str, as_json: bool) -> None:
    """Where a credit comes from: batch → parcels (tonnes) → contract → collective → households."""
    api, who = income_api(obj), obj.service.actor(actor)
    out = api.trace_batch(who, serial_or_batch) if "/" in serial_or_batch else api.trace_serial(who, serial_or_batch)
    emit(out, as_json, lambda t: print_table(t["parcels"], ("parcel_code", "quantity_t", "kg_co2e", "holder_party_id",
                                                            "contract_no")))


# -- distribution and payments ---------------------------------------------------------------------

@income.command("distribute")
@click.argument("sale_seq", type=WHOLE)
@click.option("--preview", is_flag=True, help="Show the distribution without recording it.")
@writes
def distribute_cmd(obj: Ctx, sale_seq: int, preview: bool, actor: str, request_id: str | None, as_json: bool) -> None:
    """Distribute a sale's proceeds to contracts, collectives and households (the selling centre)."""
    api, who = income_api(obj), obj.service.actor(actor)
    out = (api.preview_distribution(who, sale_seq=sale_seq) if preview
           else api.distribute(who, sale_seq=sale_seq, request_id=request_id))
    emit(out, as_json, lambda d: print_table(d["contracts"], ("contract_no", "collective_party_id", "quantity_t",
                                                              "gross_fen", "costs_fen", "net_fen", "villages_fen",
                                                              "centre_fen")))


@income.command("distribution")
@click.argument("distribution_id")
@acts
def distribution_cmd(obj: Ctx, distribution_id: str, actor: str, as_json: bool) -> None:
    """A recorded distribution: its trace, contract figures and every line."""
    out = income_api(obj).distribution(obj.service.actor(actor), distribution_id)
    emit(out, as_json, lambda d: print_table(d["lines"], ("line_no", "role", "party_id", "contract_no", "parcel_code",
                                                          "parcel_tonnes", "share_bp", "amount_fen")))


@income.command("schedule")
@click.argument("contract_no")
@click.option("--through", default=None, help="Schedule contract years started by this date (default: today).")
@writes
def schedule_cmd(obj: Ctx, contract_no: str, through: str | None, actor: str, request_id: str | None,
                 as_json: bool) -> None:
    """Schedule the payments of a fixed-payment contract (centre)."""
    emit(income_api(obj).schedule_payments(obj.service.actor(actor), _rid(request_id), contract_no=contract_no,
                                           through=through), as_json)


@income.command("dues")
@click.option("--party", "party_id", default=None)
@click.option("--contract", "contract_no", default=None)
@click.option("--source", "source_id", default=None, help="A distribution (DS-...) or obligation (OB-...).")
@click.option("--outstanding", is_flag=True, help="Only items not paid in full.")
@acts
def dues_cmd(obj: Ctx, party_id: str | None, contract_no: str | None, source_id: str | None, outstanding: bool,
             actor: str, as_json: bool) -> None:
    """Due items the actor may see, with what is paid and outstanding."""
    out = income_api(obj).due_items(obj.service.actor(actor), party_id=party_id, contract_no=contract_no,
                                    source_id=source_id, outstanding_only=outstanding)
    emit(out, as_json, lambda rows: print_table(rows, ("id", "party_id", "role", "parcel_code", "due_date", "amount_fen",
                                                       "paid_fen", "status")))


def _due_pairs(pairs: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for pair in pairs:
        due_id, _, fen = pair.partition("=")
        if not (due_id and checks.ascii_digits(fen)):  # "１" (full-width) is a digit to str.isdigit
            raise InvalidInput("value_invalid", field="--due", value=pair)
        out.append({"due_id": due_id, "amount_fen": int(fen)})
    return out


@income.command("pay")
@click.option("--due", "dues", multiple=True, help="DUE_ID=AMOUNT_FEN (repeatable).")
@click.option("--all-of", "source_id", default=None, help="Pay in full every outstanding item of DS-/OB-...")
@click.option("--party", "party_id", default=None, help="With --all-of: only this party's items.")
@click.option("--date", "paid_date", required=True, help="Payment date, YYYY-MM-DD.")
@click.option("--reference", required=True, help="Bank transfer or receipt number.")
@writes
def pay_cmd(obj: Ctx, dues: tuple[str, ...], source_id: str | None, party_id: str | None, paid_date: str,
            reference: str, actor: str, request_id: str | None, as_json: bool) -> None:
    """Record a payment of due items (centre; a collective for its households)."""
    api, who = income_api(obj), obj.service.actor(actor)
    if source_id:
        out = api.pay_outstanding(who, _rid(request_id), source_id=source_id, party_id=party_id, paid_date=paid_date,
                                  reference=reference)
    else:
        out = api.record_payment(who, _rid(request_id), items=_due_pairs(dues), paid_date=paid_date,
                                 reference=reference)
    emit(out, as_json, lambda p: click.echo(f"{p['payment_id']}: {p['amount_fen']} fen in {len(p['items'])} items"))


# -- liens ---------------------------------------------------------------------------------------

@income.group("lien")
def lien() -> None:
    """Pledges of future issuances (收储贷 / 碳汇共富贷) on a collection contract's parcels."""


@lien.command("register")
@click.option("--contract", "contract_no", required=True)
@click.option("--loan", "loan_reference", required=True, help="Loan reference.")
@click.option("--loan-amount-fen", type=WHOLE, default=None)
@click.option("--loan-amount-yuan", default=None)
@click.option("--term-end", required=True, help="Loan term end, YYYY-MM-DD.")
@click.option("--parcel", "parcel_codes", multiple=True, help="Only these parcels of the contract (repeatable).")
@writes
def lien_register_cmd(obj: Ctx, contract_no: str, loan_reference: str, loan_amount_fen: int | None,
                      loan_amount_yuan: str | None, term_end: str, parcel_codes: tuple[str, ...], actor: str,
                      request_id: str | None, as_json: bool) -> None:
    """Pledge the future issuances of a contract's parcels against a loan (bank)."""
    emit(income_api(obj).register_lien(
        obj.service.actor(actor), _rid(request_id), contract_no=contract_no, loan_reference=loan_reference,
        loan_amount_fen=to_fen(loan_amount_yuan, loan_amount_fen, "loan_amount"), term_end=term_end,
        parcel_codes=list(parcel_codes) or None), as_json)


@lien.command("release")
@click.argument("lien_id")
@click.option("--default", "on_default", is_flag=True, help="Default: transfer the pledged credits to the bank.")
@writes
def lien_release_cmd(obj: Ctx, lien_id: str, on_default: bool, actor: str, request_id: str | None,
                     as_json: bool) -> None:
    """End a lien on repayment (or on default) with every pledge it made (the pledgee bank)."""
    api, who = income_api(obj), obj.service.actor(actor)
    end = api.default_lien if on_default else api.release_lien
    emit(end(who, _rid(request_id), lien_id=lien_id), as_json)


@lien.command("list")
@acts
def lien_list_cmd(obj: Ctx, actor: str, as_json: bool) -> None:
    """Liens with their parcels and pledges (a bank sees its own)."""
    emit(income_api(obj).liens(obj.service.actor(actor)), as_json, lambda rows: print_table(
        rows, ("id", "bank_party_id", "contract_no", "loan_reference", "loan_amount_fen", "term_end", "status")))


# -- losses and claims ---------------------------------------------------------------------------

def _loss_parcels(items: tuple[str, ...]) -> list[dict[str, Any]]:
    """``CODE=AREA_HA[:SHARE_BP]`` → ``{"parcel_code", "affected_area_ha", "damage_share_bp"}``."""
    out = []
    for item in items:
        code, _, rest = item.partition("=")
        area, _, share = rest.partition(":")
        if not code or not area or (share and not checks.ascii_digits(share)):
            raise InvalidInput("value_invalid", field="--parcel", value=item)
        out.append({"parcel_code": code, "affected_area_ha": area, "damage_share_bp": int(share) if share else 10_000})
    return out


@income.group("loss")
def loss() -> None:
    """Loss events (snow, fire, pests, conversion): the carbon lost cancels buffer credits."""


@loss.command("record")
@click.option("--cause", required=True, type=click.Choice(["snow", "fire", "pests", "conversion", "other"]))
@click.option("--date", "event_date", required=True, help="Date of the event, YYYY-MM-DD.")
@click.option("--parcel", "parcels", multiple=True, required=True,
              help="CODE=AFFECTED_HA[:DAMAGE_BP], e.g. HZ-BF-A01=5:3000 (30 % of 5 ha).")
@click.option("--description", required=True)
@click.option("--policy", "policy_no", default=None, help="Insurance policy number.")
@click.option("--preview", is_flag=True, help="Show the carbon lost and the reversal without recording.")
@writes
def loss_record_cmd(obj: Ctx, cause: str, event_date: str, parcels: tuple[str, ...], description: str,
                    policy_no: str | None, preview: bool, actor: str, request_id: str | None, as_json: bool) -> None:
    """Record a loss event and reverse buffer credits for it (insurer, centre, admin)."""
    api, who = income_api(obj), obj.service.actor(actor)
    if preview:
        out: Any = api.preview_loss(who, event_date=event_date, parcels=_loss_parcels(parcels))
    else:
        out = api.record_loss(who, _rid(request_id), cause=cause, event_date=event_date,
                              parcels=_loss_parcels(parcels), description=description, policy_no=policy_no)
    emit(out, as_json)


@loss.command("list")
@acts
def loss_list_cmd(obj: Ctx, actor: str, as_json: bool) -> None:
    """Loss events with their parcels, reversals and claims."""
    emit(income_api(obj).losses(obj.service.actor(actor)), as_json, lambda rows: print_table(
        rows, ("id", "cause", "event_date", "lost_t_co2e", "reversed_t", "reversal_id")))


@income.command("claim")
@click.option("--claim-no", required=True)
@click.option("--event", "event_id", required=True, help="Loss event id (LE-...).")
@click.option("--policy", "policy_no", required=True)
@click.option("--product", default="毛竹碳汇价值恢复补偿保险", show_default=True)
@click.option("--insured", "insured_party_id", required=True, help="Party id of the insured (centre, collective).")
@click.option("--payout-fen", type=WHOLE, default=None)
@click.option("--payout-yuan", default=None)
@click.option("--paid-date", default=None)
@click.option("--reference", default=None)
@writes
def claim_cmd(obj: Ctx, claim_no: str, event_id: str, policy_no: str, product: str, insured_party_id: str,
              payout_fen: int | None, payout_yuan: str | None, paid_date: str | None, reference: str | None,
              actor: str, request_id: str | None, as_json: bool) -> None:
    """Record an insurance claim on a loss event: policy, product, payout (insurer)."""
    payout = to_fen(payout_yuan, payout_fen, "payout")
    if payout is None:
        raise InvalidInput("field_required", field="--payout-fen")
    emit(income_api(obj).record_claim(
        obj.service.actor(actor), _rid(request_id), claim_no=claim_no, event_id=event_id, policy_no=policy_no,
        product=product, insured_party_id=insured_party_id, payout_fen=payout, paid_date=paid_date,
        reference=reference), as_json)


# -- statements ----------------------------------------------------------------------------------

@income.command("statement")
@click.argument("party_id")
@click.option("--from", "period_start", required=True, help="YYYY-MM-DD")
@click.option("--to", "period_end", required=True, help="YYYY-MM-DD")
@click.option("--pdf", "pdf_path", type=OUT, default=None, help="Also write the statement PDF here.")
@click.option("--xlsx", "xlsx_path", type=OUT, default=None, help="Also write an Excel workbook here.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the written documents.")
@acts
def statement_cmd(obj: Ctx, party_id: str, period_start: str, period_end: str, pdf_path: Path | None,
                  xlsx_path: Path | None, lang: str, actor: str, as_json: bool) -> None:
    """A household's or collective's statement for a period: parcels, tonnes, sales, due and paid."""
    api, who = income_api(obj), obj.service.actor(actor)
    period = {"party_id": party_id, "period_start": period_start, "period_end": period_end}
    if pdf_path is not None:
        pdf_path = _out_file(pdf_path, ".pdf", "--pdf")
    out = api.statement(who, **period)
    if pdf_path:
        data = api.statement_pdf(who, lang=lang, **period)
        try:
            pdf_path.write_bytes(data)
        except OSError as exc:
            raise InvalidInput("value_invalid", field="--pdf", value=exc.strerror or type(exc).__name__) from None
        out["pdf"] = str(pdf_path)
    if xlsx_path:
        out["xlsx"] = str(api.statement_xlsx(who, xlsx_path, lang=lang, **period))
    emit(out, as_json, lambda s: click.echo(
        f"{s['party_name']} ({s['party_id']}) {s['period_start']}..{s['period_end']}: due {s['totals']['due_fen']} fen, "
        f"paid {s['totals']['paid_fen']} fen, outstanding {s['totals']['outstanding_fen']} fen"))


def attach(main: click.Group) -> None:
    """Add the ``income`` group to the ``sinkledger`` command line."""
    main.add_command(income)
