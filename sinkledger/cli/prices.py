"""``sinkledger prices ...``: the carbon-sink price index, price index insurance and pricing
factors (issue 22; docs/prices.md), a thin shell over ``service.prices``.

The index commands (``markets``, ``index``, ``trace``, ``check``) are public: no ``--actor``.
Every command takes ``--json``; refusals exit 2 with the JSON error document; ``check`` and
``policy check`` exit 1 when the journal does not bear the trace out. Money is given in fen
(``--strike-fen``, ``--premium-fen``) or in yuan (``--strike-yuan``, ``--premium-yuan``, exact to
the fen).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sinkledger.cli.common import (
    EXIT_CHECK_FAILED,
    WHOLE,
    Ctx,
    acts,
    emit,
    new_request_id,
    print_table,
    reads,
    to_fen,
    writes,
)
from sinkledger_base.errors import InvalidInput
from sinkledger_base.jsondoc import load_json

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, path_type=Path)
SINK_TYPES = click.Choice(["bamboo_forest", "wetland", "tea_garden"])
FREQUENCIES = click.Choice(["monthly", "daily"])
FACTORS = ("biodiversity", "ecological_product_value", "co_benefits")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024  # the service's limit; checked before a file is read


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:.2f}"


@click.group()
def prices() -> None:
    """Carbon-sink price index (碳汇价格指数), price index insurance and pricing factors."""


# -- the index (public) -----------------------------------------------------------------------------

@prices.command("markets")
@reads
def markets_cmd(obj: Ctx, as_json: bool) -> None:
    """Markets (sink type and county) with recorded trades: their number and first and last day."""
    emit(obj.service.prices.markets(), as_json, lambda rows: print_table(
        rows, ("sink_type", "county_code", "trades", "first_trade_date", "last_trade_date")))


@prices.command("index")
@click.option("--sink-type", required=True, type=SINK_TYPES)
@click.option("--county", "county_code", required=True, help="GB/T 2260 county code, e.g. 330523.")
@click.option("--frequency", type=FREQUENCIES, default="monthly", show_default=True)
@click.option("--from", "date_from", default=None, help="First day (YYYY-MM-DD); default 24 months / 60 days back.")
@click.option("--to", "date_to", default=None, help="Last day (YYYY-MM-DD); default today.")
@reads
def index_cmd(obj: Ctx, sink_type: str, county_code: str, frequency: str, date_from: str | None,
              date_to: str | None, as_json: bool) -> None:
    """The index of one market, window by window (rule sinkledger-price-index/1): a window that
    is not published shows its number of trades and why, no price."""
    out = obj.service.prices.index(sink_type=sink_type, county_code=county_code, frequency=frequency,
                                   date_from=date_from, date_to=date_to)
    emit(out, as_json, _index_text)


def _index_text(out: dict[str, Any]) -> None:
    click.echo(f"{out['sink_type']} {out['county_code']} {out['frequency']} {out['date_from']}..{out['date_to']} "
               f"(as of entry {out['as_of_seq']})")
    rows = [{"window": w["window"], "index_yuan_per_t": _yuan(w["index_fen_per_t"]), "trades": w["trades"],
             "sellers": w["sellers"] if w["published"] else "", "volume_t": w["volume_t"] if w["published"] else "",
             "outliers": w["outliers"] if w["published"] else "", "not_published": w["reason"] or ""}
            for w in out["windows"] if w["trades"] or w["published"]]
    if rows:
        print_table(rows, ("window", "index_yuan_per_t", "trades", "sellers", "volume_t", "outliers", "not_published"))
    else:
        click.echo("no trades in the range / 该区间无成交")


@prices.command("trace")
@click.option("--sink-type", required=True, type=SINK_TYPES)
@click.option("--county", "county_code", required=True, help="GB/T 2260 county code.")
@click.option("--frequency", type=FREQUENCIES, default="monthly", show_default=True)
@click.option("--window", required=True, help="YYYY-MM (monthly) or YYYY-MM-DD (daily).")
@click.option("--out", "out_path", type=OUT, default=None, help="Write the trace document (JSON) here.")
@reads
def trace_cmd(obj: Ctx, sink_type: str, county_code: str, frequency: str, window: str, out_path: Path | None,
              as_json: bool) -> None:
    """One window's trace: the rule, every input sale by entry seq and hash, the result;
    ``prices check`` recomputes it from the journal."""
    out = obj.service.prices.trace(sink_type=sink_type, county_code=county_code, frequency=frequency, window=window)
    if out_path is not None:
        out_path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    emit(out, as_json, _trace_text)


def _trace_text(out: dict[str, Any]) -> None:
    r = out["result"]
    head = f"{out['sink_type']} {out['county_code']} {out['window']} as of entry {out['as_of_seq']}: "
    click.echo(head + (f"index {_yuan(r['index_fen_per_t'])} yuan/t from {r['trades_used']} trades"
                       if r["published"] else f"not published ({r['reason']}, {r['trades']} trades)"))
    for i in out["inputs"]:
        more = (f"  {i['trade_date']}  {i['seller_account']}  {i['quantity_t']} t  {_yuan(i['price_fen_per_t'])}"
                f"{'  outlier' if i['outlier'] else ''}") if "trade_date" in i else ""
        click.echo(f"#{i['seq']} {i['entry_hash'][:16]}{more}")


@prices.command("check")
@click.argument("trace_file", type=FILE)
@reads
def check_cmd(obj: Ctx, trace_file: Path, as_json: bool) -> None:
    """Recompute a trace document (``prices trace --out``, or a settlement's) from the journal;
    exit 1 when it does not hold."""
    out = obj.service.prices.check_trace(load_json(trace_file, trace_file.name))
    emit(out, as_json, lambda r: click.echo("trace holds / 可复现" if r["ok"] else
                                           "TRACE FAILS / 不可复现:\n" + "\n".join(r["problems"])))
    if not out["ok"]:
        sys.exit(EXIT_CHECK_FAILED)


@prices.command("reference")
@click.option("--from", "seller_account", required=True, help="Seller's holding account (e.g. COL-0044-H).")
@click.option("--quantity", required=True, type=WHOLE, help="Tonnes the sale would take.")
@click.option("--date", "sale_date", default=None, help="Sale date (YYYY-MM-DD); default today.")
@acts
def reference_cmd(obj: Ctx, seller_account: str, quantity: int, sale_date: str | None, actor: str,
                  as_json: bool) -> None:
    """What the sale form shows beside the price: per project and market of the credits the sale
    would take, the reference index and, with pricing factors, the reference price (nothing recorded)."""
    out = obj.service.prices.reference_price(obj.service.actor(actor), seller_account=seller_account,
                                             quantity=quantity, sale_date=sale_date)
    emit(out, as_json, lambda r: print_table(
        [{"project": line["project_code"], "market": f"{line['sink_type']} {line['county_code']}",
          "t": line["quantity_t"], "index_window": line["reference_index"]["window"] or "—",
          "index_yuan_per_t": _yuan(line["reference_index"]["index_fen_per_t"]), "factors": line["product"] or "—",
          "reference_yuan_per_t": _yuan(line["reference_price_fen_per_t"])} for line in r["lines"]],
        ("project", "market", "t", "index_window", "index_yuan_per_t", "factors", "reference_yuan_per_t")))


# -- pricing factors -----------------------------------------------------------------------------------

@prices.group("factors")
def factors() -> None:
    """A project's pricing factors (定价因子) with their evidence documents."""


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    """``NAME=VALUE`` items by factor name; an unknown name, a missing ``=`` or a name twice is refused."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in FACTORS or name in out or not value:
            raise InvalidInput("value_invalid", field=option, value=item[:80])
        out[name] = value
    return out


@factors.command("set")
@click.argument("project_code")
@click.option("--factor", "factor_values", multiple=True, required=True,
              help="NAME=VALUE, NAME one of biodiversity, ecological_product_value, co_benefits (repeatable).")
@click.option("--evidence", "evidence_files", multiple=True, required=True,
              help="NAME=FILE: the factor's evidence document (repeatable; recorded by SHA-256).")
@click.option("--title", "titles", multiple=True, help="NAME=TITLE of the evidence (default: the file's name).")
@writes
def factors_set_cmd(obj: Ctx, project_code: str, factor_values: tuple[str, ...], evidence_files: tuple[str, ...],
                    titles: tuple[str, ...], actor: str, request_id: str | None, as_json: bool) -> None:
    """Replace a project's pricing factors (the centre its own bundle's, an administrator any)."""
    values = _pairs(factor_values, "--factor")
    files, named = _pairs(evidence_files, "--evidence"), _pairs(titles, "--title")
    if set(files) != set(values):
        missing = sorted(set(values) ^ set(files))[0]
        raise InvalidInput("field_required", field=f"--evidence {missing}=FILE")
    if set(named) - set(values):
        raise InvalidInput("value_invalid", field="--title", value=sorted(set(named) - set(values))[0])
    items = []
    for name, value in values.items():
        path = Path(files[name])
        if not path.is_file():
            raise InvalidInput("path_unusable", path=files[name][:200], reason="not a file")
        if path.stat().st_size > EVIDENCE_MAX_BYTES:
            raise InvalidInput("upload_too_large", max_mb=EVIDENCE_MAX_BYTES // (1024 * 1024))
        items.append({"factor": name, "value": value, "evidence_title": named.get(name, path.name),
                      "evidence_file_name": path.name, "evidence_content": path.read_bytes()})
    out = obj.service.prices.set_factors(obj.service.actor(actor), new_request_id(request_id),
                                         project_code=project_code, factors=items)
    emit(out, as_json, lambda r: click.echo(f"#{r['seq']} {r['project_code']}: " + ", ".join(
        f"{f['factor']} {f['value']}" for f in r["factors"])))


@factors.command("show")
@click.argument("project_code")
@reads
def factors_show_cmd(obj: Ctx, project_code: str, as_json: bool) -> None:
    """A project's pricing factors, their evidence (title, SHA-256) and their product (public)."""
    out = obj.service.prices.project_factors(project_code=project_code)

    def text(r: dict[str, Any]) -> None:
        if not r["factors"]:
            click.echo(f"{r['project_code']}: no pricing factors / 未设定定价因子")
            return
        print_table([{"factor": f["factor"], "value": f["value"], "evidence": f["evidence_title"],
                      "sha256": f["evidence_sha256"][:16], "entry": f["seq"]} for f in r["factors"]],
                    ("factor", "value", "evidence", "sha256", "entry"))
        click.echo(f"product / 乘积: {r['product']}")

    emit(out, as_json, text)


# -- price index insurance ----------------------------------------------------------------------------

@prices.group("policy")
def policy() -> None:
    """Price index insurance (碳汇价格指数保险): issue, settle, list, show, check."""


@policy.command("issue")
@click.option("--policy-no", required=True)
@click.option("--insured", "insured_party_id", required=True, help="The insured collective's party id.")
@click.option("--contract", "contract_no", required=True, help="The collective's collection contract.")
@click.option("--sink-type", required=True, type=SINK_TYPES, help="Market of the index.")
@click.option("--county", "county_code", required=True, help="Market of the index: county code.")
@click.option("--start", "period_start", required=True, help="Period start (YYYY-MM-DD, not before today).")
@click.option("--end", "period_end", required=True, help="Period end (YYYY-MM-DD).")
@click.option("--strike-fen", "strike_fen", type=WHOLE, default=None, help="Strike index, fen per tonne.")
@click.option("--strike-yuan", "strike_yuan", default=None, help="Strike index, yuan per tonne (exact to the fen).")
@click.option("--insured-t", "insured_t", required=True, type=WHOLE, help="Insured tonnes.")
@click.option("--premium-fen", "premium_fen", type=WHOLE, default=None, help="Premium in fen.")
@click.option("--premium-yuan", "premium_yuan", default=None, help="Premium in yuan (exact to the fen).")
@click.option("--product", default=None, help="Product name (default: 竹林碳汇富余价格指数保险).")
@writes
def policy_issue_cmd(obj: Ctx, policy_no: str, insured_party_id: str, contract_no: str, sink_type: str,
                     county_code: str, period_start: str, period_end: str, strike_fen: int | None,
                     strike_yuan: str | None, insured_t: int, premium_fen: int | None, premium_yuan: str | None,
                     product: str | None, actor: str, request_id: str | None, as_json: bool) -> None:
    """Issue a policy to a collective on its contract (insurer): strike, period, tonnes, premium."""
    strike = to_fen(strike_yuan, strike_fen, "--strike-yuan")
    premium = to_fen(premium_yuan, premium_fen, "--premium-yuan")
    if strike is None:
        raise InvalidInput("field_required", field="--strike-fen")
    if premium is None:
        raise InvalidInput("field_required", field="--premium-fen")
    out = obj.service.prices.issue_policy(
        obj.service.actor(actor), new_request_id(request_id), policy_no=policy_no, insured_party_id=insured_party_id,
        contract_no=contract_no, sink_type=sink_type, county_code=county_code, period_start=period_start,
        period_end=period_end, strike_fen_per_t=strike, insured_t=insured_t, premium_fen=premium, product=product)
    emit(out, as_json, lambda r: click.echo(
        f"#{r['seq']} {r['policy_no']}: {r['insured_party_id']} {r['period_start']}..{r['period_end']} strike "
        f"{_yuan(r['strike_fen_per_t'])} yuan/t × {r['insured_t']} t, premium {_yuan(r['premium_fen'])}, "
        f"at most {_yuan(r['max_payout_fen'])} yuan"))


@policy.command("settle")
@click.argument("policy_no")
@click.option("--paid-date", default=None, help="Day the insurer paid (after the period, not after today).")
@click.option("--reference", default=None, help="The insurer's transfer reference.")
@click.option("--preview", is_flag=True, help="Show what settling would record; record nothing.")
@writes
def policy_settle_cmd(obj: Ctx, policy_no: str, paid_date: str | None, reference: str | None, preview: bool,
                      actor: str, request_id: str | None, as_json: bool) -> None:
    """Settle a policy after its period (its insurer): the period's index, payout = max(0, strike −
    index) × tonnes, the lines owed on to households."""
    prices_api, who = obj.service.prices, obj.service.actor(actor)
    if preview:
        out = prices_api.preview_settlement(who, policy_no=policy_no)
    else:
        out = prices_api.settle_policy(who, new_request_id(request_id), policy_no=policy_no, paid_date=paid_date,
                                       reference=reference)
    emit(out, as_json, _settlement_text)


def _settlement_text(out: dict[str, Any]) -> None:
    s = out.get("settlement", out)
    index = s.get("index_fen_per_t")
    basis = f" ({s['basis']})" if s.get("basis") else ""
    click.echo(f"{s.get('policy_no', '')}: index {_yuan(index)} yuan/t{basis}, "
               f"payout {_yuan(s.get('payout_fen'))} yuan")
    lines = out.get("lines") or out.get("due_items") or []
    if lines:
        print_table(lines, tuple(k for k in ("party_id", "parcel_code", "share_bp", "amount_fen") if k in lines[0]))


@policy.command("list")
@click.option("--limit", type=WHOLE, default=100, show_default=True)
@click.option("--offset", type=WHOLE, default=0, show_default=True)
@acts
def policy_list_cmd(obj: Ctx, limit: int, offset: int, actor: str, as_json: bool) -> None:
    """Policies, newest first: an insurer's own, a collective's, all for an administrator."""
    out = obj.service.prices.policies(obj.service.actor(actor), limit=limit, offset=offset)
    emit(out, as_json, lambda r: print_table(
        [{"policy_no": p["policy_no"], "insured": p["insured_party_id"], "market": f"{p['sink_type']} {p['county_code']}",
          "period": f"{p['period_start']}..{p['period_end']}", "strike_yuan": _yuan(p["strike_fen_per_t"]),
          "t": p["insured_t"], "status": p["status"],
          "payout_yuan": _yuan(p["settlement"]["payout_fen"]) if p["settlement"] else ""} for p in r["items"]],
        ("policy_no", "insured", "market", "period", "strike_yuan", "t", "status", "payout_yuan")))


@policy.command("show")
@click.argument("policy_no")
@acts
def policy_show_cmd(obj: Ctx, policy_no: str, actor: str, as_json: bool) -> None:
    """One policy with its settlement and the households' lines (its insurer, its collective)."""
    out = obj.service.prices.policy(obj.service.actor(actor), policy_no=policy_no)

    def text(p: dict[str, Any]) -> None:
        click.echo(f"{p['policy_no']} {p['product']}: {p['insured_party_id']} ({p['contract_no']}), "
                   f"{p['sink_type']} {p['county_code']} {p['period_start']}..{p['period_end']}, strike "
                   f"{_yuan(p['strike_fen_per_t'])} yuan/t × {p['insured_t']} t, {p['status']}")
        if p["settlement"]:
            _settlement_text(p["settlement"] | {"due_items": p["settlement"]["due_items"]})

    emit(out, as_json, text)


@policy.command("check")
@click.argument("policy_no")
@acts
def policy_check_cmd(obj: Ctx, policy_no: str, actor: str, as_json: bool) -> None:
    """Recompute a settled policy's index from the journal and its payout from the index; exit 1
    when they do not hold."""
    out = obj.service.prices.check_settlement(obj.service.actor(actor), policy_no=policy_no)
    emit(out, as_json, lambda r: click.echo("settlement holds / 理赔可复现" if r["ok"] else
                                           "SETTLEMENT FAILS / 理赔不可复现:\n" + "\n".join(r["problems"])))
    if not out["ok"]:
        sys.exit(EXIT_CHECK_FAILED)
