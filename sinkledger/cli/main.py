"""The ``sinkledger`` command line: a thin shell over :class:`sinkledger.services.registry.Service`.

Every command that reports data takes ``--json`` and then prints exactly one JSON document on
stdout. A refusal exits with status 2 and, with ``--json``, prints
``{"error": {"code": ..., "message_zh": ..., "message_en": ...}}``. The CLI is an operator's
tool: whoever can reach the database acts as the user named by ``--actor``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sinkledger import catalogue
from sinkledger.cli.common import (
    EXIT_CHECK_FAILED,
    WHOLE,
    Ctx,
    RefusingGroup,
    WholeRange,
    _redact,
    command,
    emit,
    entry_kind_text,
    err_console,
    json_option,
    new_request_id,
    print_table,
    progress_bar,
    reads,
    serial_option,
    writes,
)
from sinkledger.config import REPO_ROOT
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, SinkLedgerError
from sinkledger_base.jsondoc import load_json


@click.group(cls=RefusingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database-url", envvar=None, default=None,
              help="SQLAlchemy URL; overrides DATABASE_URL. Default: SQLite under $SINKLEDGER_HOME.")
@click.version_option(package_name="sinkledger")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """sinkledger: carbon-sink parcels, estimates and an append-only credit ledger."""
    ctx.obj = Ctx(database_url)  # the settings are read, and a bad one refused, by the first command to use them


@main.command()
@reads
def init(obj: Ctx, as_json: bool) -> None:
    """Create the schema and the registry's system accounts (no demo data)."""
    result = obj.open_service(initialised=False).initialise()
    emit({"database_url": _redact(obj.settings.database_url), **result}, as_json)


@main.command()
@click.option("--reset", is_flag=True, help="Drop every table first (destroys all data in the database).")
@click.option("--scale", type=click.Choice(["demo", "county"]), default="demo", show_default=True,
              help="demo: the small worked demo (idempotent). county: the county-scale synthetic dataset "
                   "(about 100,000 parcels, 50,000 households, 1,000,000 entries; an empty database only).")
@click.option("--parcels", type=WholeRange(min=10), default=None,
              help="County scale: parcels to build (default 100,000; villages of 100, a household per 2 parcels).")
@click.option("--entries", type=WholeRange(min=1), default=None,
              help="County scale: journal entries to reach, about (default 1,000,000).")
@click.option("--seed", type=WHOLE, default=None, help="County scale: the random seed (default 2021).")
@reads
def demo(obj: Ctx, reset: bool, scale: str, parcels: int | None, entries: int | None, seed: int | None,
         as_json: bool) -> None:
    """Create the database and seed it with synthetic data: the demo (idempotent) or, with
    ``--scale county``, the county-scale dataset (docs/county-demo.md)."""
    if scale == "demo" and (parcels, entries, seed) != (None, None, None):
        raise InvalidInput("value_invalid", field="--parcels/--entries/--seed", value="only with --scale county")
    svc = obj.open_service(initialised=False)
    if reset and svc.db.has_schema():
        svc.db.drop_schema()
    with progress_bar() as bar:
        task = bar.add_task("seeding", total=None)

        def report(i: int, n: int, label: str) -> None:
            bar.update(task, completed=i, total=n, description=label)

        if scale == "county":
            summary = _seed_county(svc, parcels, entries, seed, report)
        else:
            # deferred on purpose: only the command that runs pays for this import
            from sinkledger.demo.seed import seed_demo

            summary = seed_demo(svc, progress=report)
    svc.checkpoint()
    summary["database_url"] = _redact(obj.settings.database_url)
    emit(summary, as_json, _render_demo)


def _seed_county(svc: Any, parcels: int | None, entries: int | None, seed: int | None, report: Any) -> dict[str, Any]:
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.demo.county import CountySize, seed_county

    given = {k: v for k, v in (("parcels", parcels), ("entries", entries), ("seed", seed)) if v is not None}
    return seed_county(svc, CountySize(**given), progress=report)


def _render_demo(s: dict[str, Any]) -> None:
    if s.get("scale") == "county":
        click.echo(f"county dataset ready (synthetic): {s['parcels']} parcels, {s['villages']} villages, "
                   f"{s['households']} households, {s['entries']} journal entries "
                   f"({s['first_recorded_at'][:10]} to {s['last_recorded_at'][:10]}) in {s['timings_s']['total']} s\n"
                   f"head {s['head_hash']}\nrun `sinkledger verify` to check it\ndatabase: {s['database_url']}")
        return
    click.echo(f"demo ready: {s['parcels']} parcels, {s['entries']} journal entries, ledger "
               f"{'intact' if s['ledger_ok'] else 'BROKEN'}\ndatabase: {s['database_url']}")


@main.command()
@click.option("--full", is_flag=True, help="Replay the whole journal (default: from the last verified checkpoint).")
@click.option("--against", "against", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A published checkpoint file: also fail unless the ledger still extends its root.")
@click.option("--public-key", default=None, help="With --against: the operator's public key (base64, PEM or file).")
@click.option("--jobs", type=click.IntRange(1, 2), default=2, show_default=True,
              help="Processes for a full run: 2 audits the tables beside the replay; 1 does all in one.")
@reads
def verify(obj: Ctx, full: bool, against: Path | None, public_key: str | None, jobs: int, as_json: bool) -> None:
    """Recompute the hash chain and replay the journal; exit 0 only if the ledger is intact.

    From the last verified checkpoint unless --full (in full when there is none); a passing run
    is recorded as the new verified checkpoint. With --against, the ledger must also still extend
    a root published earlier."""
    with progress_bar(refresh_thread=False) as bar:  # (no thread: the second process is forked, not started anew)
        task = bar.add_task("verify", total=None)
        report = obj.service.verify(full=full, record=True, against=against, public_key=public_key, jobs=jobs,
                                    progress=lambda i, n: bar.update(task, completed=i, total=n, refresh=True))
    emit(report.to_dict(), as_json, _render_verify)
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)


def _render_verify(r: dict[str, Any]) -> None:
    if r["ok"]:
        click.echo(f"ledger intact: {r['entries']} entries, {r['batches']} batches, "
                   f"{r['credits_issued']} credits issued\nhead  {r['head_hash']}\nmerkle root {r['merkle_root']}\n"
                   f"mode: {r['mode']}, from_seq {r['from_seq']}")
    else:
        click.echo(f"LEDGER BROKEN at entry {r['first_bad_seq']} (mode: {r['mode']}, from_seq {r['from_seq']})", err=True)
        for p in r["problems"]:
            click.echo(f"  entry {p['seq']}: {p['problem']}", err=True)
    if r.get("against"):
        a = r["against"]
        click.echo(f"published root at tree size {a['tree_size']} ({a['file']}): "
                   f"{'the ledger extends it' if a['ok'] else 'NOT extended'}"
                   f"{'' if a['key_pinned'] else ' (signature checked with the key in the file only)'}")


@main.command()
@reads
def balances(obj: Ctx, as_json: bool) -> None:
    """Credit balances (tCO2e) by account and by sink type and vintage."""
    # deferred on purpose: two plain queries through the bare driver when the database is current
    # and initialised (sinkledger.db.light); the service otherwise (it migrates or refuses)
    from ledger.balances import balances as read_balances
    from sinkledger.db import light

    result = light.read(obj.database_url, read_balances)
    emit(result if result is not None else obj.service.balances(), as_json, _render_balances)


def _render_balances(b: dict[str, Any]) -> None:
    # deferred on purpose: rich loads only when a command prints for a person
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="by account (tCO2e)")
    for col in ("account", "party", "held", "pledged", "retired"):
        t.add_column(col, justify="right" if col in ("held", "pledged", "retired") else "left")
    for r in b["by_account"]:
        t.add_row(r["account_id"], r["party_name"] or "", str(r["held_t"]), str(r["pledged_t"]), str(r["retired_t"]))
    console.print(t)
    t = Table(title="by sink type and vintage (tCO2e)")
    for col in ("sink type", "vintage", "issued", "held", "pledged", "retired", "cancelled"):
        t.add_column(col)
    for r in b["by_sink_type"]:
        t.add_row(r["sink_type"], str(r["vintage_year"]), *(str(r[k]) for k in
                  ("issued_t", "held_t", "pledged_t", "retired_t", "cancelled_t")))
    console.print(t)


@main.command()
@click.option("--limit", type=WHOLE, default=50, show_default=True, help="How many of the latest entries.")
@click.option("--kind", default=None, help="Only entries of this kind (e.g. sale, issuance).")
@reads
def history(obj: Ctx, limit: int, kind: str | None, as_json: bool) -> None:
    """The latest journal entries with their hashes."""
    rows = obj.service.journal(limit=limit, kind=kind)
    emit({"entries": rows}, as_json, lambda d: print_table(
        [{**e, "kind": entry_kind_text(e["kind"])} for e in d["entries"]],
        ("seq", "kind", "actor", "recorded_at", "request_id")))


@main.command()
@click.option("--estimate", "estimate_id", required=True, help="Estimate id (EST-...).")
@click.option("--verified-kg", "verified_kg_co2e", type=WHOLE, required=True, help="Verified quantity, kg CO2e.")
@click.option("--project", "project_code", required=True, help="Project code in serials (A-Z, 0-9).")
@click.option("--buffer-bp", "buffer_share_bp", type=WHOLE, default=1000, show_default=True,
              help="Buffer share of the stock component, in basis points (1000 = 10 %).")
@click.option("--to-account", default=None, help="Holding account to receive the credits (default: the parcels' holder).")
@click.option("--acknowledge", "acknowledged", multiple=True,
              help="A match with an imported registry's project the verifier acknowledges (its id, "
                   "REGISTRY:PROJECT, as the refusal lists it); repeat for each.")
@writes
def issue(obj: Ctx, estimate_id: str, verified_kg_co2e: int, project_code: str, buffer_share_bp: int,
          to_account: str | None, acknowledged: tuple[str, ...], actor: str, request_id: str | None,
          as_json: bool) -> None:
    """Verify an estimate and issue credits (verifier only).

    A parcel or project that matches a project imported from another registry (by id, name or
    geometry) is refused as possible double counting until each match is acknowledged.
    """
    svc = obj.service
    emit(svc.issue(svc.actor(actor), new_request_id(request_id), estimate_id=estimate_id,
                   verified_kg_co2e=verified_kg_co2e, project_code=project_code,
                   buffer_share_bp=buffer_share_bp, to_account=to_account,
                   acknowledged_matches=list(acknowledged) if acknowledged else None), as_json)


@main.command()
@click.option("--from", "seller_account", required=True, help="Seller's holding account.")
@click.option("--to", "buyer_account", required=True, help="Buyer's holding account.")
@click.option("--quantity", type=WHOLE, required=True, help="Whole tCO2e.")
@click.option("--price-fen", "price_fen_per_t", type=WHOLE, required=True, help="Unit price in fen per tCO2e.")
@click.option("--contract", "contract_no", required=True, help="Contract number.")
@click.option("--sale-date", default=None, help="The day the sale was made (YYYY-MM-DD; default: the day recorded).")
@click.option("--contract-date", default=None, help="The day the contract was signed (YYYY-MM-DD).")
@serial_option
@writes
def sell(obj: Ctx, seller_account: str, buyer_account: str, quantity: int, price_fen_per_t: int,
         contract_no: str, sale_date: str | None, contract_date: str | None, serials: tuple[str, ...], actor: str,
         request_id: str | None, as_json: bool) -> None:
    """Record a sale: credits move from seller to buyer, oldest vintage first unless --serial.
    The sale and contract dates, when given, are kept in the entry and on the receipt; neither
    may lie after the day the sale is recorded."""
    svc = obj.service
    emit(svc.sell(svc.actor(actor), new_request_id(request_id), seller_account=seller_account,
                  buyer_account=buyer_account, quantity=quantity, price_fen_per_t=price_fen_per_t,
                  contract_no=contract_no, serials=list(serials), sale_date=sale_date, contract_date=contract_date),
         as_json)


@main.command()
@click.option("--account", "account_id", required=True, help="Holding account to retire from.")
@click.option("--quantity", type=WHOLE, required=True, help="Whole tCO2e.")
@click.option("--beneficiary", required=True, help="Who the retirement is for.")
@click.option("--purpose", required=True, help="What the retirement is for.")
@serial_option
@writes
def retire(obj: Ctx, account_id: str, quantity: int, beneficiary: str, purpose: str, serials: tuple[str, ...],
           actor: str, request_id: str | None, as_json: bool) -> None:
    """Retire credits for a named beneficiary and purpose (final)."""
    svc = obj.service
    emit(svc.retire(svc.actor(actor), new_request_id(request_id), account_id=account_id,
                    quantity=quantity, beneficiary=beneficiary, purpose=purpose, serials=list(serials)), as_json)


@main.command()
@click.option("--account", "account_id", required=True, help="Holding account whose credits are pledged.")
@click.option("--quantity", type=WHOLE, required=True, help="Whole tCO2e.")
@click.option("--loan", "loan_reference", required=True, help="Loan reference.")
@click.option("--loan-amount-fen", type=WHOLE, required=True, help="Loan amount in fen.")
@click.option("--term-end", required=True, help="Loan term end date (YYYY-MM-DD).")
@serial_option
@writes
def pledge(obj: Ctx, account_id: str, quantity: int, loan_reference: str, loan_amount_fen: int, term_end: str,
           serials: tuple[str, ...], actor: str, request_id: str | None, as_json: bool) -> None:
    """Pledge credits as loan collateral (bank only); they cannot be sold or retired until released."""
    svc = obj.service
    emit(svc.pledge(svc.actor(actor), new_request_id(request_id), account_id=account_id, quantity=quantity,
                    loan_reference=loan_reference, loan_amount_fen=loan_amount_fen, term_end=term_end,
                    serials=list(serials)), as_json)


@main.command()
@click.argument("pledge_id")
@click.option("--default", "on_default", is_flag=True,
              help="The loan defaulted: transfer the pledged credits to the bank instead of releasing them.")
@writes
def release(obj: Ctx, pledge_id: str, on_default: bool, actor: str, request_id: str | None, as_json: bool) -> None:
    """End a pledge: release the credits (repayment) or, with --default, transfer them to the bank."""
    svc = obj.service
    call = svc.default_pledge if on_default else svc.release
    emit(call(svc.actor(actor), new_request_id(request_id), pledge_id=pledge_id), as_json)


@main.command()
@click.option("--quantity", type=WHOLE, required=True, help="Buffer credits to cancel, whole tCO2e.")
@click.option("--reason", required=True, help="What was lost (snow, fire, pests, conversion...).")
@click.option("--loss-event", "loss_event_ref", required=True, help="Reference of the loss event.")
@writes
def reverse(obj: Ctx, quantity: int, reason: str, loss_event_ref: str, actor: str, request_id: str | None,
            as_json: bool) -> None:
    """Reversal: cancel buffer credits for a loss of stored carbon."""
    svc = obj.service
    emit(svc.reverse(svc.actor(actor), new_request_id(request_id), quantity=quantity, reason=reason,
                     loss_event_ref=loss_event_ref), as_json)


@main.command()
@click.argument("entry_seq", type=WHOLE)
@click.option("--reason", required=True, help="Why the entry is corrected.")
@writes
def correct(obj: Ctx, entry_seq: int, reason: str, actor: str, request_id: str | None, as_json: bool) -> None:
    """Correct a sale or issuance by a new reversing entry that names it (administrator)."""
    svc = obj.service
    emit(svc.correct(svc.actor(actor), new_request_id(request_id), entry_seq=entry_seq, reason=reason), as_json)


@main.command()
@click.option("--contract", "contract_no", required=True, help="Collection contract number.")
@click.option("--collective", "collective_party_id", required=True, help="Party id of the collective.")
@click.option("--parcel", "parcel_codes", multiple=True, required=True, help="Parcel code (repeatable).")
@click.option("--term-start", required=True, help="YYYY-MM-DD")
@click.option("--term-end", required=True, help="YYYY-MM-DD")
@click.option("--signed", "signed_date", required=True, help="Date signed, YYYY-MM-DD.")
@click.option("--fixed-fen-per-mu-year", type=WHOLE, default=None, help="Fixed payment, fen per mu per year.")
@click.option("--proceeds-share-bp", type=WHOLE, default=None, help="Share of net sale proceeds, basis points (8000 = 80 %).")
@click.option("--costs-note", default=None, help="Which costs are deducted before the share.")
@click.option("--cost-share-bp", type=WHOLE, default=None, help="Stated costs: share of gross proceeds, basis points.")
@click.option("--cost-fen-per-t", type=WHOLE, default=None, help="Stated costs: fen per tonne sold.")
@writes
def collect(obj: Ctx, contract_no: str, collective_party_id: str, parcel_codes: tuple[str, ...], term_start: str,
            term_end: str, signed_date: str, fixed_fen_per_mu_year: int | None, proceeds_share_bp: int | None,
            costs_note: str | None, cost_share_bp: int | None, cost_fen_per_t: int | None, actor: str,
            request_id: str | None, as_json: bool) -> None:
    """Collection (收储): the centre takes the sink rights of a collective's parcels for a term."""
    if (fixed_fen_per_mu_year is None) == (proceeds_share_bp is None):

        raise InvalidInput("value_invalid", field="payment_terms", value="give exactly one payment kind")
    terms: dict[str, Any] = ({"kind": "fixed_per_mu_year", "fen_per_mu_per_year": fixed_fen_per_mu_year}
                             if fixed_fen_per_mu_year is not None else
                             {"kind": "proceeds_share", "share_bp": proceeds_share_bp})
    if costs_note:
        terms["costs_note"] = costs_note
    for key, value in (("cost_share_bp", cost_share_bp), ("cost_fen_per_t", cost_fen_per_t)):
        if value is not None:
            terms[key] = value
    svc = obj.service
    emit(svc.collect(svc.actor(actor), new_request_id(request_id), contract_no=contract_no,
                     collective_party_id=collective_party_id, parcel_codes=list(parcel_codes), term_start=term_start,
                     term_end=term_end, signed_date=signed_date, payment_terms=terms), as_json)


@main.group(invoke_without_command=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also publish the signed checkpoint to this file (needs SINKLEDGER_CHECKPOINT_KEY).")
@reads
def checkpoint(obj: Ctx, out: Path | None, as_json: bool) -> None:
    """Record a Merkle checkpoint over the whole journal; with SINKLEDGER_CHECKPOINT_KEY, sign it
    and publish it (--out FILE, $SINKLEDGER_CHECKPOINT_DIR). Subcommands: keygen, check."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    emit(obj.service.publish_checkpoint(out), as_json, _render_checkpoint)


def _render_checkpoint(r: dict[str, Any]) -> None:
    click.echo(f"checkpoint at tree size {r['tree_size']}\nroot {r['root']}\nhead {r['head_hash']}")
    if not r["signed"]:
        click.echo("not signed: no SINKLEDGER_CHECKPOINT_KEY configured (sinkledger checkpoint keygen)", err=True)
    else:
        click.echo(f"signed by key {r['document']['key_id']}")
        for f in r["files"]:
            click.echo(f"published: {f}")


@checkpoint.command("keygen")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to create (mode 0600; never overwritten); the public key goes to FILE.pub.")
@json_option
@command
def checkpoint_keygen(out: Path, as_json: bool) -> None:
    """Create an Ed25519 checkpoint signing key; print its public key (publish that)."""
    # deferred on purpose: only the command that runs pays for this import
    from ledger.signing import generate_key_file

    emit(generate_key_file(out), as_json, lambda r: click.echo(
        f"private key: {r['private_key_file']} (set SINKLEDGER_CHECKPOINT_KEY to it; keep it out of the database)\n"
        f"public key:  {r['public_key_file']}\n{r['public_key']}\nkey id {r['key_id']}"))


@checkpoint.command("check")
@click.argument("checkpoint_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--public-key", required=True, help="The operator's public key: base64, PEM, or a file holding either.")
@json_option
@command
def checkpoint_check(checkpoint_file: Path, public_key: str, as_json: bool) -> None:
    """Check a published checkpoint file offline against the operator's public key."""
    # deferred on purpose: only the command that runs pays for this import
    from ledger.signing import check_checkpoint_document, parse_public_key, read_checkpoint_file

    key = parse_public_key(public_key)
    doc = read_checkpoint_file(checkpoint_file)
    ok, reason = check_checkpoint_document(doc, key)
    _emit_check({"ok": ok, "reason": reason, "tree_size": doc.get("tree_size") if isinstance(doc, dict) else None},
                 as_json, "checkpoint signature holds")


def _emit_check(result: dict[str, Any], as_json: bool, holds: str) -> None:
    emit(result, as_json, lambda r: click.echo(holds if r["ok"] else f"check FAILS: {r['reason']}"))
    if not result["ok"]:
        sys.exit(EXIT_CHECK_FAILED)


@main.command()
@click.argument("entry_seq", type=WHOLE)
@click.option("--tree-size", type=WHOLE, default=None, help="Prove against this tree size (default: latest checkpoint).")
@reads
def proof(obj: Ctx, entry_seq: int, tree_size: int | None, as_json: bool) -> None:
    """Print an inclusion proof for a journal entry (RFC 6962), checkable offline."""
    emit(obj.service.proof(entry_seq, tree_size), True)


def _load_doc(file: Any, name: str) -> Any:
    try:
        return load_json(file, name, parse_float=None)
    except InvalidInput:
        return {}  # not a document: the check says why


@main.command("proof-check")
@click.argument("proof_file", type=click.File("r", encoding="utf-8"))
@click.option("--root", "root_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A published checkpoint file: the proof must hold against its root.")
@click.option("--consistency", "consistency_file", type=click.File("r", encoding="utf-8"), default=None,
              help="With --root, when the sizes differ: a consistency proof between the two tree sizes.")
@click.option("--public-key", default=None, help="With --root: the operator's public key (base64, PEM or file).")
@json_option
@command
def proof_check(proof_file: Any, root_file: Path | None, consistency_file: Any, public_key: str | None,
                as_json: bool) -> None:
    """Check a proof document offline (no database needed); exit 0 when it holds."""
    # deferred on purpose: only the command that runs pays for this import
    from ledger.proofs import check_proof_document
    from ledger.published import check_inclusion_against
    from ledger.signing import parse_public_key, read_checkpoint_file

    doc = _load_doc(proof_file, "proof_file")
    if root_file is None:
        ok, reason = check_proof_document(doc)
    else:
        key = parse_public_key(public_key) if public_key is not None else None
        published = read_checkpoint_file(root_file)
        consistency = _load_doc(consistency_file, "consistency_file") if consistency_file else None
        ok, reason = check_inclusion_against(doc, published, consistency_doc=consistency, public_key=key)
    _emit_check({"ok": ok, "reason": reason}, as_json, "proof holds")


@main.command("consistency-proof")
@click.argument("old_size", type=WHOLE)
@click.argument("new_size", type=WHOLE)
@reads
def consistency_proof(obj: Ctx, old_size: int, new_size: int, as_json: bool) -> None:
    """Print the RFC 6962 consistency proof between two tree sizes (JSON), checkable offline."""
    emit(obj.service.consistency_proof(old_size, new_size), True)


@main.command("consistency-check")
@click.argument("old_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--proof", "proof_file", type=click.File("r", encoding="utf-8"), default=None,
              help="The consistency proof (from consistency-proof); default: computed from the database.")
@click.option("--public-key", default=None, help="The operator's public key (base64, PEM or file).")
@json_option
@click.pass_obj
@command
def consistency_check(obj: Ctx, old_file: Path, new_file: Path, proof_file: Any, public_key: str | None,
                      as_json: bool) -> None:
    """Check that published checkpoint NEW extends published checkpoint OLD (signatures, then the
    consistency proof); offline with --proof."""
    # deferred on purpose: only the command that runs pays for this import
    from ledger.published import check_consistency_between
    from ledger.signing import parse_public_key, read_checkpoint_file

    key = parse_public_key(public_key) if public_key is not None else None
    old, new = read_checkpoint_file(old_file), read_checkpoint_file(new_file)
    if proof_file is not None:
        proof_doc = _load_doc(proof_file, "proof_file")
    else:
        sizes = [d.get("tree_size") if isinstance(d, dict) else None for d in (old, new)]
        ok = all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes) and sizes[0] <= sizes[1]
        proof_doc = obj.service.consistency_proof(*sizes) if ok else None
    ok, reason = check_consistency_between(old, new, proof_doc, key)
    _emit_check({"ok": ok, "reason": reason, "key_pinned": key is not None}, as_json, "NEW extends OLD")


@main.command("import-registry")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--registry", default=None,
              help="Whose export: a mapping key or alias (`sinkledger registries list`); by default named from "
                   "the files' columns.")
@click.option("--allow-partial", is_flag=True,
              help="Import the sound rows even if some rows cannot be reconciled (they are listed and recorded).")
@click.option("--excel", "excel", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the reconciliation report to this Excel workbook.")
@writes
def import_registry(obj: Ctx, files: tuple[Path, ...], registry: str | None, allow_partial: bool,
                    excel: Path | None, actor: str, request_id: str | None, as_json: bool) -> None:
    """Import another registry's history and projects into IMPORT-<REGISTRY> (administrator).

    Give all files of one registry in one call (issuances, retirements, cancellations, projects).
    By default any unreconcilable row refuses the whole import and every problem is listed;
    anomalies and notices never refuse. The request id defaults to a hash of the files, so
    running the same import twice changes nothing. The reconciliation report is in the output
    (--json: result.report) and, with --excel, in a workbook.
    """
    # deferred on purpose: only the command that runs pays for this import
    from ledger.registry_import import default_request_id
    from sinkledger.cli.registries import render_import, write_excel

    svc = obj.service
    if excel is not None:
        excel = checks.output_path(excel, "excel")  # refused before anything is imported
    try:
        out = svc.import_registry(svc.actor(actor), request_id or default_request_id(registry or "auto", files),
                                  registry=registry, paths=list(files), allow_partial=allow_partial)
    except SinkLedgerError as exc:
        if not as_json:
            _print_problems(exc.params.get("problems", []))
        raise
    if excel is not None:
        write_excel({**out["report"], "seq": out["seq"]}, excel)
    emit(out, as_json, render_import)


def _print_problems(problems: list[dict[str, Any]]) -> None:
    for p in catalogue.localise(problems):
        err_console.print(f"{p['source']}:{p['row_number']} [yellow]{p['code']}[/] {p['message_zh']}\n  {p['message_en']}")


@main.command("export")
@click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
@reads
def export_cmd(obj: Ctx, backup_file: Path, as_json: bool) -> None:
    """Write the whole database (journal, registry, projections) to a portable backup file."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services.backup import export_backup

    svc = obj.service
    svc.require_initialised()
    with progress_bar() as bar:
        task = bar.add_task("export", total=None)
        manifest = export_backup(svc, backup_file,
                                 progress=lambda i, n, label: bar.update(task, completed=i, total=n, description=label))
    emit({"file": str(backup_file), **manifest}, as_json, lambda m: click.echo(
        f"{m['file']}: {sum(m['rows'].values())} rows in {len(m['tables'])} tables; "
        f"journal {m['journal_entries']} entries, head {m['head_hash'][:16]}…, root {m['merkle_root'][:16]}…"))


@main.command("import-backup")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@reads
def import_backup_cmd(obj: Ctx, backup_file: Path, as_json: bool) -> None:
    """Restore a backup into an empty database; exit 0 only if hashes and roots come out identical."""
    # deferred on purpose: only the command that runs pays for this import
    from sinkledger.services.backup import import_backup

    with progress_bar() as bar:
        task = bar.add_task("restore", total=None)
        result = import_backup(obj.open_service(initialised=False), backup_file,
                               progress=lambda i, n, label: bar.update(task, completed=i, total=n, description=label))
    emit(result, as_json, lambda r: click.echo(
        f"restored {r['rows']} rows; journal {r['journal_entries']} entries; "
        f"{'identical' if r['identical'] else 'NOT IDENTICAL'} head hash and Merkle root"))
    if not result["identical"]:
        sys.exit(EXIT_CHECK_FAILED)


@main.command()
@click.option("--port", default=8501, show_default=True)
def app(port: int) -> None:
    """Start the Streamlit app (creates and seeds the database on first start)."""
    import subprocess  # deferred on purpose: only the command that runs pays for this import

    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"), "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]
    sys.exit(subprocess.call(cmd))


def _attach_areas(group: click.Group) -> None:
    """The areas' command groups, imported when first needed (RefusingGroup.defer)."""
    # deferred on purpose: only a command of an area (or the list of commands) imports the area's module
    from sinkledger.cli.api import api, apikeys_group  # the HTTP API and its keys
    from sinkledger.cli.court import attach as attach_court  # the court and certificate groups
    from sinkledger.cli.income import attach as attach_income  # the income group
    from sinkledger.cli.instruments import attach as attach_instruments  # issue 22 (helper h8)
    from sinkledger.cli.methodologies import estimate_command, methodologies
    from sinkledger.cli.parcels import parcels
    from sinkledger.cli.people import people
    from sinkledger.cli.prices import prices  # the price index, index insurance, pricing factors (issue 22)
    from sinkledger.cli.public import public
    from sinkledger.cli.registries import registries  # other registries' imports (issue 20)
    from sinkledger.cli.sales import sales
    from sinkledger.cli.tiles import tiles
    from sinkledger.cli.users import users

    attach_court(group)
    attach_income(group)
    attach_instruments(group)  # compensation and obligations (issue 22, helper h8)
    group.add_command(methodologies)
    group.add_command(estimate_command)  # dry (--inputs only), recorded (--parcel), batch (--project/--period)
    group.add_command(parcels)
    group.add_command(people)
    group.add_command(prices)
    group.add_command(public)
    group.add_command(registries)
    group.add_command(sales)
    group.add_command(tiles)
    group.add_command(users)
    group.add_command(api)
    group.add_command(apikeys_group)


main.defer(_attach_areas)

if __name__ == "__main__":
    main()
