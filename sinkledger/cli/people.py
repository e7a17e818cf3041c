"""``sinkledger people ...``: households' personal data, a thin shell over the person-register API.

Every command takes ``--json``; refusals exit 2 with the JSON error document. Personal values
can be given as options or, better, in a JSON file (``--input person.json``, or ``-`` for
stdin): options end up in shell history and process lists. What a command prints is exactly
what the acting user may see (masked per docs/personal-data.md), and every read is logged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sinkledger.cli.common import (EXIT_CHECK_FAILED, WHOLE, Ctx, acts, command, emit, json_option, print_table,
                                   with_options)
from sinkledger_base.jsondoc import load_json, load_json_object

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.people import PeopleService

PERSONAL_OPTIONS = ("name", "resident_id", "phone", "bank_account", "bank_name")
PURPOSES = ["display", "revenue_payment", "data_correction", "self_access", "erasure_request", "audit"]


def people_api(obj: Ctx) -> PeopleService:
    return obj.service.people


def _input(stream: Any) -> dict[str, Any]:
    if stream is None:
        return {}
    return load_json_object(stream, "input", parse_float=None)


def _given(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _render_person(d: dict[str, Any]) -> None:
    rows = [{"field": k, "value": d.get(k), "visibility": d.get("visibility", {}).get(k, "")}
            for k in PERSONAL_OPTIONS]
    click.echo(f"{d['party_id']}  {d.get('pseudonym') or ''}  (viewer: {d['viewer']}, purpose: {d['purpose']})")
    if d.get("erased"):
        click.echo(f"erased at {d['erased_at']}")
    print_table(rows, ("field", "value", "visibility"))


personal_options = [
    click.option("--name", default=None, help="Name (姓名)."),
    click.option("--resident-id", default=None, help="Resident ID number (居民身份证号码, 18 characters)."),
    click.option("--phone", default=None, help="Mobile or landline with area code."),
    click.option("--bank-account", default=None, help="Bank account or card number."),
    click.option("--bank-name", default=None, help="The account's bank (开户行)."),
    click.option("--input", "input_file", type=click.File("r", encoding="utf-8"), default=None,
                 help="JSON object with the fields (name, resident_id, phone, bank_account, bank_name, purpose, "
                      "consent_date); '-' reads stdin. Preferred: options leak into shell history."),
]



@click.group()
def people() -> None:
    """Households' personal data (个人信息): register, show, correct, erase, export, access log."""


@people.command("add")
@click.option("--party", "party_id", required=True, help="Household party id (e.g. HH-0001).")
@with_options(personal_options)
@click.option("--purpose", default=None, help="Purpose of collection, as told to the household.")
@click.option("--consent-date", default=None, help="Date of the household's consent, YYYY-MM-DD.")
@click.option("--handler", "handler_party_id", default=None,
              help="Collecting centre's party id (administrators; a centre user collects for its own centre).")
@acts
def add_cmd(obj: Ctx, party_id: str, input_file: Any, actor: str, as_json: bool, **values: Any) -> None:
    """Register a household's details, collected with its consent (collection centre, admin)."""
    fields = _input(input_file) | _given(values)
    result = people_api(obj).register(obj.service.actor(actor), party_id=party_id, **fields)
    emit(result, as_json, lambda r: click.echo(
        f"{r['party_id']}: registered, version {r['version']}" + ("" if not r["replayed"] else " (already)")
        + "".join(f"\nwarning: {w}" for w in r["warnings"])))


@people.command("show")
@click.option("--party", "party_id", required=True)
@click.option("--purpose", type=click.Choice(PURPOSES), default="display", show_default=True,
              help="Why you read it; recorded in the access log. Full values need a purpose that calls for them.")
@click.option("--note", default=None, help="A note for the access log (no personal data).")
@click.option("--history", is_flag=True, help="Also the replaced versions (the household itself, payment officer).")
@acts
def show_cmd(obj: Ctx, party_id: str, purpose: str, note: str | None, history: bool, actor: str,
             as_json: bool) -> None:
    """Show a household's details as you may see them (logged)."""
    result = people_api(obj).view(obj.service.actor(actor), party_id, purpose, note=note, history=history)
    emit(result, as_json, _render_person)


@people.command("list")
@click.option("--purpose", type=click.Choice(PURPOSES), default="display", show_default=True)
@click.option("--note", default=None)
@acts
def list_cmd(obj: Ctx, purpose: str, note: str | None, actor: str, as_json: bool) -> None:
    """List the households you may see (logged)."""
    rows = people_api(obj).people(obj.service.actor(actor), purpose, note=note)
    emit(rows, as_json, lambda rs: print_table(rs, ("party_id", "pseudonym", *PERSONAL_OPTIONS)))


@people.command("correct")
@click.option("--party", "party_id", required=True)
@with_options(personal_options)
@click.option("--purpose", default=None)
@click.option("--consent-date", default=None)
@click.option("--clear", "cleared", multiple=True, type=click.Choice(["phone", "bank_account"]),
              help="Remove an optional field (repeatable).")
@click.option("--reason", required=True, help="Why (e.g. the household's request number); no personal data.")
@acts
def correct_cmd(obj: Ctx, party_id: str, input_file: Any, cleared: tuple[str, ...], reason: str, actor: str,
                as_json: bool, **values: Any) -> None:
    """Correct some of a household's details (collection centre, admin)."""
    changes = _input(input_file) | _given(values) | {f: None for f in cleared}
    if "bank_account" in cleared:
        changes["bank_name"] = None
    result = people_api(obj).correct(obj.service.actor(actor), party_id=party_id, changes=changes, reason=reason)
    emit(result, as_json, lambda r: click.echo(f"{r['party_id']}: version {r['version']}, changed {', '.join(r['changed'])}"))


@people.command("erase")
@click.option("--party", "party_id", required=True)
@click.option("--reason", required=True, help="Grounds, e.g. the erasure request's number and date.")
@acts
def erase_cmd(obj: Ctx, party_id: str, reason: str, actor: str, as_json: bool) -> None:
    """Erase a household's details on request, keeping its pseudonymous party (admin)."""
    result = people_api(obj).erase(obj.service.actor(actor), party_id=party_id, reason=reason)
    emit(result, as_json, lambda r: click.echo(
        f"{r['party_id']}: erased at {r['erased_at']}; {r['versions_destroyed']} earlier version(s) destroyed"))


@people.command("lookup")
@click.option("--resident-id", required=True, help="The number to find (compared through a keyed digest).")
@click.option("--purpose", type=click.Choice(PURPOSES), default="display", show_default=True)
@click.option("--note", default=None)
@acts
def lookup_cmd(obj: Ctx, resident_id: str, purpose: str, note: str | None, actor: str, as_json: bool) -> None:
    """Find the household registered with a resident ID number (collection centre, admin; logged)."""
    result = people_api(obj).lookup_resident_id(obj.service.actor(actor), resident_id, purpose, note=note)
    emit({"found": result is not None, "person": result}, as_json,
         lambda r: _render_person(r["person"]) if r["found"] else click.echo("not found"))


@people.command("log")
@click.option("--party", "party_id", default=None, help="Only rows about this household.")
@click.option("--user", default=None, help="Only rows by this user.")
@click.option("--unmasked-only", is_flag=True, help="Only reads that showed something in full.")
@click.option("--limit", type=WHOLE, default=200, show_default=True)
@click.option("--verify", "check", is_flag=True, help="Recompute the log's hash chain instead (admin).")
@acts
def log_cmd(obj: Ctx, party_id: str | None, user: str | None, unmasked_only: bool, limit: int, check: bool,
            actor: str, as_json: bool) -> None:
    """The access log: who read or changed whose personal data, when and why (admin; a household its own)."""
    api, who = people_api(obj), obj.service.actor(actor)
    if check:
        result = api.verify_access_log(who)
        emit(result, as_json, _render_check("access log"))
        if not result["ok"]:
            sys.exit(EXIT_CHECK_FAILED)
        return
    rows = api.access_log(who, party_id=party_id, user=user, unmasked_only=unmasked_only, limit=limit)
    emit(rows, as_json, lambda rs: print_table(
        [r | {"fields": ",".join(f"{k}={v}" for k, v in r["fields"].items())} for r in rs],
        ("seq", "at", "actor", "actor_role", "action", "party_id", "purpose", "fields", "note")))


@people.command("verify")
@click.option("--anchor", "anchor", is_flag=True,
              help="If intact, also record the chains' heads in the journal (a people_anchor entry).")
@acts
def verify_cmd(obj: Ctx, anchor: bool, actor: str, as_json: bool) -> None:
    """Check the register's own integrity (admin): its hash chains (changes, replaced versions,
    access log), their sealed heads and journal anchors, every record against its latest change,
    every version and erasure, the designations. Exit 0 only if nothing differs; otherwise 1
    with every finding (table, key, problem)."""
    api, who = people_api(obj), obj.service.actor(actor)
    result = api.verify(who)
    if anchor and result["ok"]:
        result["anchored"] = api.anchor(who)
    emit(result, as_json, _render_check("person register"))
    if not result["ok"]:
        sys.exit(EXIT_CHECK_FAILED)


@people.command("anchor")
@click.option("--request-id", default=None, help="Default: derived from the heads (the same heads: a replay).")
@acts
def anchor_cmd(obj: Ctx, request_id: str | None, actor: str, as_json: bool) -> None:
    """Record the heads of the register's chains in the journal, with a Merkle checkpoint (admin;
    run it daily: what is anchored is pinned even against someone holding the data key)."""
    result = people_api(obj).anchor(obj.service.actor(actor), request_id=request_id)
    emit(result, as_json, lambda r: click.echo(f"anchored in journal entry {r['seq']} ({r['entry_hash'][:16]}…)"
                                               + (" (already)" if r["replayed"] else "")))


def _render_check(what: str) -> Any:
    def render(r: dict[str, Any]) -> None:
        sizes = ", ".join(f"{name} {c['rows']}" for name, c in r["chains"].items())
        click.echo(f"{what} {'intact' if r['ok'] else 'BROKEN'} ({sizes} rows)")
        if r.get("last_anchor"):
            click.echo(f"  last anchored in journal entry {r['last_anchor']['seq']} at {r['last_anchor']['recorded_at']}")
        for p in r["problems"]:
            click.echo(f"  {p['table']} {json.dumps(p['key'], ensure_ascii=False)}: {p['problem']}")
        for w in r["warnings"]:
            click.echo(f"  note: {w['table']} {json.dumps(w['key'], ensure_ascii=False)}: {w['problem']}")

    return render


@people.command("designate")
@click.option("--user", "username", required=True, help="A collection-centre user.")
@click.option("--revoke", is_flag=True, help="Withdraw the designation instead.")
@acts
def designate_cmd(obj: Ctx, username: str, revoke: bool, actor: str, as_json: bool) -> None:
    """Designate a collection-centre user as payment officer, who sees accounts in full (admin)."""
    api, who = people_api(obj), obj.service.actor(actor)
    result = api.revoke(who, username=username) if revoke else api.designate(who, username=username)
    emit(result, as_json)


@people.command("export")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .xlsx or .pdf.")
@click.option("--items", "items_file", type=click.File("r", encoding="utf-8"), default=None,
              help="JSON list of payment lines ({party_id, amount_fen, due_id?, contract_no?}): a payment list. "
                   "Without it: every household you may see.")
@click.option("--purpose", type=click.Choice(PURPOSES), default=None,
              help="Default: revenue_payment for a payment list, display otherwise.")
@click.option("--note", default=None)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the written documents.")
@acts
def export_cmd(obj: Ctx, out_path: Path, items_file: Any, purpose: str | None, note: str | None, lang: str,
               actor: str, as_json: bool) -> None:
    """Export as Excel or PDF exactly what you may see (each person exported is logged)."""
    fmt = out_path.suffix.lower().lstrip(".")
    api, who = people_api(obj), obj.service.actor(actor)
    if items_file is not None:
        items = load_json(items_file, "items", parse_float=None)
        out = api.export_payment_list(who, items, fmt=fmt, path=out_path, purpose=purpose or "revenue_payment",
                                      note=note, lang=lang)
    else:
        out = api.export_people(who, fmt=fmt, path=out_path, purpose=purpose or "display", note=note, lang=lang)
    if isinstance(out, bytes):
        out_path.write_bytes(out)
    emit({"path": str(out_path), "format": fmt}, as_json, lambda r: click.echo(f"written: {r['path']}"))


@people.command("keygen")
@json_option
@command
def keygen_cmd(as_json: bool) -> None:
    """Print a new data key (base64) for SINKLEDGER_DATA_KEY. Keep it out of the repository."""
    # deferred on purpose: only the command that runs pays for this import
    from ledger.people.keys import generate_key_text

    key = generate_key_text()
    emit({"data_key": key}, as_json, lambda r: click.echo(r["data_key"]))
