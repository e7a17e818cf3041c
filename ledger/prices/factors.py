"""Pricing factors (定价因子) and the reference price shown beside the index at sale time.

A project's factors (docs/prices.md, "Pricing factors") raise (or lower) its credits' price for
what the index does not see: biodiversity (生物多样性价值), ecological-product value (生态产品价值)
and co-benefits (协同效益). Each is a decimal in [:data:`MIN_FACTOR`, :data:`MAX_FACTOR`] with at
most four decimals, and rests on an evidence document recorded by its SHA-256 (the bytes kept
beside the ledger). Setting a project's factors replaces the whole set (one entry).

R1. reference index: the market's (the batch's sink type and county) latest published monthly
    index of a whole month before the sale's trade month, looking back :data:`LOOKBACK_MONTHS`
    months (a month still running is not an index yet);
R2. reference price = reference index × the product of the project's factors, in fen per tonne,
    rounded half up (exactly, with fractions); none when no index is published;
R3. a sale of credits of a project that has factors records, in its own journal entry
    (``pricing``), for each project and market sold: the tonnes, the reference index (window,
    value), every factor with its value, evidence title and SHA-256 and the entry that set it, and
    the reference price. The price agreed stays the parties'; the reference is beside it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, Role
from ledger.income.domain import SHA256_HEX, check_decimal, decimal_text, is_key, shown
from ledger.income.permissions import require_party
from ledger.income.store import ProjectRow
from ledger.prices import method
from ledger.prices.store import PricingEvidenceContentRow, PricingFactorRow
from ledger.prices.reference import FACTORS, product_of
from ledger.sale import check_text
from sinkledger_base.errors import InvalidInput, NotFound

MIN_FACTOR, MAX_FACTOR = Decimal("0.5"), Decimal("3")
MAX_DECIMALS = 4
FACTOR_KEYS = frozenset({"factor", "value", "evidence_title", "evidence_file_name", "evidence_sha256",
                         "evidence_size_bytes"})


def check_factor_value(value: Any) -> Decimal:
    number = check_decimal(value, "value")
    if not MIN_FACTOR <= number <= MAX_FACTOR or -number.as_tuple().exponent > MAX_DECIMALS:
        raise InvalidInput("pricing_factor_out_of_range", value=shown(value, 20), minimum=str(MIN_FACTOR),
                           maximum=str(MAX_FACTOR), decimals=MAX_DECIMALS)
    return number


def check_factors(factors: Any) -> list[dict[str, Any]]:
    """The factor items of a request: each a known factor once, a value, an evidence document."""
    if not isinstance(factors, list) or not factors or len(factors) > len(FACTORS):
        raise InvalidInput("field_required", field="factors")
    out, seen = [], set()
    for item in factors:
        if not isinstance(item, dict) or set(item) - FACTOR_KEYS:
            raise InvalidInput("value_invalid", field="factors", value=shown(item, 60))
        name = item.get("factor")
        if not isinstance(name, str) or name not in FACTORS or name in seen:
            raise InvalidInput("value_invalid", field="factor", value=shown(name, 40))
        seen.add(name)
        sha = item.get("evidence_sha256")
        if not isinstance(sha, str) or not SHA256_HEX.fullmatch(sha):
            raise InvalidInput("value_invalid", field="evidence_sha256", value=shown(sha, 70))
        size = item.get("evidence_size_bytes")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise InvalidInput("value_invalid", field="evidence_size_bytes", value=shown(size, 20))
        out.append({"factor": name, "value": decimal_text(check_factor_value(item.get("value"))),
                    "evidence_title": check_text(item.get("evidence_title"), "evidence_title", 200),
                    "evidence_file_name": check_text(item.get("evidence_file_name"), "evidence_file_name", 200),
                    "evidence_sha256": sha, "evidence_size_bytes": size})
    return sorted(out, key=lambda f: FACTORS.index(f["factor"]))


def known_project(session: Session, project_code: Any) -> ProjectRow | None:
    """Refuse (``project_not_found``) a code that is neither a bundled project nor one credits were
    issued under; the bundle, if it is one."""
    if not is_key(project_code) or len(project_code) > 12:
        raise NotFound("project_not_found", project=shown(project_code, 40))
    bundle = session.get(ProjectRow, project_code)
    if bundle is None and session.execute(text("SELECT 1 FROM batch WHERE project_code = :p LIMIT 1"),
                                          {"p": project_code}).first() is None:
        raise NotFound("project_not_found", project=shown(project_code, 40))
    return bundle


def check_project(session: Session, actor: Any, project_code: Any) -> str:
    """A project credits were issued under, or a bundled one; the centre sets its own bundle's
    factors, an administrator any project's."""
    bundle = known_project(session, project_code)
    if actor.role is not Role.admin:
        require_party(actor, "pricing_factors", bundle.centre_party_id if bundle else "")
    return project_code


def set_factors(ctx: CommandContext, *, project_code: str, factors: list[dict[str, Any]],
                contents: dict[str, bytes] | None = None) -> tuple[str, dict[str, Any]]:
    """Replace a project's pricing factors (one entry); ``contents``: the evidence documents'
    bytes by SHA-256, kept beside the ledger."""
    factors = check_factors(factors)
    project_code = check_project(ctx.session, ctx.actor, project_code)
    for sha, content in (contents or {}).items():
        if ctx.session.get(PricingEvidenceContentRow, sha) is None:
            ctx.session.add(PricingEvidenceContentRow(sha256=sha, content=content))
    before = {r.factor for r in ctx.session.exec(select(PricingFactorRow).where(
        PricingFactorRow.project_code == project_code)).all()}
    for row in ctx.session.exec(select(PricingFactorRow).where(PricingFactorRow.project_code == project_code)).all():
        ctx.session.delete(row)
    ctx.session.flush()
    for f in factors:
        ctx.session.add(PricingFactorRow(project_code=project_code, seq=ctx.seq, **f))
    removed = sorted(before - {f["factor"] for f in factors})
    result = {"project_code": project_code, "factors": factors, "removed": removed,
              "product": decimal_text(product_of(factors))}
    return EntryKind.pricing_factors_set.value, {"project_code": project_code, "factors": factors,
                                                  "removed": removed, "result": result}
