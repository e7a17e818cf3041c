"""The price index, price index insurance and pricing factors (issue 22), reached as
``service.prices``; docs/prices.md.

The index is public: :meth:`PriceService.index`, :meth:`~PriceService.markets`,
:meth:`~PriceService.trace` and :meth:`~PriceService.check_trace` take no actor (the public
registry's pages, ``/public/price-index``, ``sinkledger prices index``). Policies, settlements and
factors are commands (one journal entry each, through the registry's ``_run``); their reads check
the role and then whose policy it is. The rules live in :mod:`ledger.prices`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import select

import ledger.prices.store  # noqa: F401 - registers the price tables
from ledger.domain import BlockState, Role
from ledger.income.domain import check_whole
from ledger.permissions import Actor, require
from ledger.prices import factors as pricing_factors
from ledger.prices import insurance, method, reference
from ledger.prices.store import IndexSettlementRow, PricingFactorRow
from ledger.prices.trades import local_date
from ledger.projection import take_moves
from ledger.store import AccountRow
from sinkledger.services.area import AreaService
from sinkledger_base import checks
from sinkledger_base.canonical import canonical_json
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted

DEFAULT_MONTHS = 24
DEFAULT_DAYS = 60
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
INDEX_CACHE_SIZE = 64  # answers of markets() and index() kept per process, each for its journal head


def _text_or_none(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.isprintable() or len(value) > 120:
        raise InvalidInput("value_invalid", field=field, value=str(value)[:40])
    return value


class PriceService(AreaService):
    """The carbon-sink price index, index insurance and pricing factors (``service.prices``)."""

    def _require(self, actor: Actor, command: str) -> None:
        require(actor, command)

    def _check_request(self, content: Mapping[str, Any]) -> None:
        try:
            canonical_json(content).encode("utf-8")
        except (TypeError, ValueError, UnicodeError, RecursionError) as exc:
            raise InvalidInput("value_invalid", field="request", value=type(exc).__name__) from None

    def _local_today(self) -> date:
        return date.fromisoformat(local_date(self.service.clock()))

    # -- the index (public) ------------------------------------------------------------------------
    def _head(self, session: Any) -> tuple[int, str]:
        """The journal's head (seq and hash): what the index tables follow from."""
        row = session.execute(text("SELECT seq, entry_hash FROM journal_entry ORDER BY seq DESC LIMIT 1")).first()
        return (int(row[0]), row[1]) if row else (0, "")

    def _cached(self, key: tuple[Any, ...], head: tuple[int, str], compute: Callable[[], Any]) -> Any:
        """``compute()``'s answer, kept for the same journal head: the index tables change only
        with a journal entry, so an answer at an unchanged head is the same answer. Public pages
        and the API ask for the same markets again and again; a new entry recomputes."""
        cache: OrderedDict[tuple[Any, ...], tuple[tuple[int, str], Any]] = self.__dict__.setdefault(
            "_index_cache", OrderedDict())
        hit = cache.get(key)
        if hit is None or hit[0] != head:
            hit = (head, compute())
            cache[key] = hit
            while len(cache) > INDEX_CACHE_SIZE:
                cache.popitem(last=False)
        return copy.deepcopy(hit[1])

    def markets(self) -> list[dict[str, Any]]:
        """The markets (sink type, county) that have trades, with their count and first and last day."""
        with self.db.read() as s:
            return self._cached(("markets",), self._head(s), lambda: method.markets(s))

    def index(self, *, sink_type: str, county_code: str, frequency: str = "monthly", date_from: str | None = None,
              date_to: str | None = None) -> dict[str, Any]:
        """The index of one market, every window of the range in order (a window that is not
        published says why, with its number of trades only). Defaults: the last 24 months
        (monthly), the last 60 days (daily), to today (Asia/Shanghai)."""
        sink_type, county_code = method.check_market(sink_type, county_code)
        frequency = method.check_frequency(frequency)
        today = self._local_today()
        end = checks.iso_date(date_to, "date_to") if date_to not in (None, "") else today
        if date_from not in (None, ""):
            start = checks.iso_date(date_from, "date_from")
        elif frequency == "monthly":
            index = end.year * 12 + end.month - 1 - (DEFAULT_MONTHS - 1)
            start = date(index // 12, index % 12 + 1, 1)
        else:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise InvalidInput("price_index_dates_invalid", date_from=start.isoformat(), date_to=end.isoformat())
        with self.db.read() as s:
            head = self._head(s)
            key = ("index", sink_type, county_code, frequency, start.isoformat(), end.isoformat())
            windows = self._cached(key, head, lambda: method.series(
                s, sink_type=sink_type, county_code=county_code, frequency=frequency, date_from=start.isoformat(),
                date_to=end.isoformat(), as_of_seq=head[0]))
        return {"sink_type": sink_type, "county_code": county_code, "frequency": frequency,
                "date_from": start.isoformat(), "date_to": end.isoformat(), "as_of_seq": head[0],
                "rule": method.RULE, "windows": windows}

    def trace(self, *, sink_type: str, county_code: str, frequency: str, window: str) -> dict[str, Any]:
        """One window's trace: the rule, every input sale by entry seq and hash (outliers marked)
        and the result, as of the journal's head now; :meth:`check_trace` recomputes it."""
        sink_type, county_code = method.check_market(sink_type, county_code)
        frequency = method.check_frequency(frequency)
        if not isinstance(window, str):
            raise InvalidInput("value_invalid", field="window", value=str(window)[:40])
        d0, d1 = method.window_bounds(frequency, window)
        with self.db.read() as s:
            head = int(s.execute(text("SELECT COALESCE(MAX(seq), 0) FROM journal_entry")).scalar_one())
            out = method.trace(s, sink_type=sink_type, county_code=county_code, window=window, date_from=d0,
                               date_to=d1, as_of_seq=head)
        if not out["result"]["published"]:  # a thin window shows no prices: the trace would disclose them
            out["inputs"] = [{"seq": i["seq"], "entry_hash": i["entry_hash"]} for i in out["inputs"]]
        return out

    def check_trace(self, document: Any) -> dict[str, Any]:
        """Recompute a trace (:meth:`trace`, or a settlement's) from the journal's own entries:
        ``{"ok", "problems"}``."""
        document = _trace_document(document)
        with self.db.read() as s:
            problems = method.check_trace(s, document)
        return {"ok": not problems, "problems": problems, "window": document["window"],
                "result": document["result"]}

    # -- pricing factors ---------------------------------------------------------------------------
    def set_factors(self, actor: Actor, request_id: str, *, project_code: str,
                    factors: list[Mapping[str, Any]]) -> dict[str, Any]:
        """Replace a project's pricing factors; each item ``{factor, value, evidence_title,
        evidence_file_name, evidence_content (bytes)}``: the document is recorded by SHA-256."""
        if not isinstance(factors, list) or not factors:
            raise InvalidInput("field_required", field="factors")
        items, contents = [], {}
        for item in factors:
            if not isinstance(item, Mapping):
                raise InvalidInput("value_invalid", field="factors", value=str(item)[:40])
            unknown = set(item) - {"factor", "value", "evidence_title", "evidence_file_name", "evidence_content"}
            if unknown:
                raise InvalidInput("value_invalid", field="factors", value=str(sorted(map(str, unknown)))[:60])
            content = item.get("evidence_content")
            if not isinstance(content, (bytes, bytearray)) or not content:
                raise InvalidInput("field_required", field="evidence_content")
            if len(content) > EVIDENCE_MAX_BYTES:
                raise InvalidInput("upload_too_large", max_mb=EVIDENCE_MAX_BYTES // (1024 * 1024))
            sha = hashlib.sha256(bytes(content)).hexdigest()
            contents[sha] = bytes(content)
            items.append({"factor": item.get("factor"), "value": item.get("value"),
                          "evidence_title": item.get("evidence_title"),
                          "evidence_file_name": item.get("evidence_file_name"), "evidence_sha256": sha,
                          "evidence_size_bytes": len(content)})
        content = {"project_code": project_code, "factors": items}
        return self._run(actor, "pricing_factors", request_id, content,
                         lambda ctx: pricing_factors.set_factors(ctx, **content, contents=contents))

    def project_factors(self, *, project_code: str) -> dict[str, Any]:
        """A project's pricing factors with their evidence (title, file name, size, SHA-256) and
        their product: public, as the project's page shows them."""
        with self.db.read() as s:
            pricing_factors.known_project(s, project_code)
            rows = s.exec(select(PricingFactorRow).where(PricingFactorRow.project_code == project_code)).all()
        items = sorted((r.model_dump() for r in rows), key=lambda f: reference.FACTORS.index(f["factor"]))
        return {"project_code": project_code, "factors": items,
                "product": reference.decimal_text(reference.product_of(items)) if items else None}

    def reference_price(self, actor: Actor, *, seller_account: str, quantity: int,
                        sale_date: str | None = None) -> dict[str, Any]:
        """What the sale form shows beside the price before a sale: the credits the sale would
        take (oldest first), per project and market the reference index and, where the project
        has factors, the reference price (R1-R3); nothing is recorded."""
        require(actor, "sell")
        quantity = check_whole(quantity, "quantity", minimum=1)
        day = checks.iso_date(sale_date, "sale_date").isoformat() if sale_date not in (None, "") else \
            self._local_today().isoformat()
        if not isinstance(seller_account, str) or not seller_account.isprintable() or len(seller_account) > 40:
            raise NotFound("account_not_found", account=str(seller_account)[:40])
        with self.db.read() as s:
            account = s.get(AccountRow, seller_account)
            if account is None:
                raise NotFound("account_not_found", account=seller_account)
            if actor.role is not Role.trading_clerk and account.party_id != actor.party_id:
                raise NotPermitted("not_permitted", role=actor.role.value, command="sell")
            moves = [m.to_record() for m in take_moves(s, seller_account, quantity, None, to_account=seller_account,
                                                         to_state=BlockState.held)]
            markets: dict[tuple[str, str, str], int] = {}
            for move in moves:
                market, project = reference.market_of_batch(move["batch_id"]), reference.project_of_batch(move["batch_id"])
                if market:
                    key = (project, *market)
                    markets[key] = markets.get(key, 0) + move["last"] - move["first"] + 1
            factors = reference.factors_of_session(s, sorted({k[0] for k in markets}))
            lines = []
            for (project, sink, county), tonnes in sorted(markets.items()):
                index = reference.reference_index(s, sink, county, day)
                own = factors.get(project, [])
                lines.append({"project_code": project, "sink_type": sink, "county_code": county, "quantity_t": tonnes,
                              "reference_index": index, "factors": own,
                              "product": reference.decimal_text(reference.product_of(own)) if own else None,
                              "reference_price_fen_per_t": reference.reference_price(index["index_fen_per_t"], own)
                              if own else None})
        return {"seller_account": seller_account, "quantity": quantity, "trade_date": day, "lines": lines}

    # -- price index insurance -----------------------------------------------------------------------
    def issue_policy(self, actor: Actor, request_id: str, *, policy_no: str, insured_party_id: str, contract_no: str,
                     sink_type: str, county_code: str, period_start: str, period_end: str, strike_fen_per_t: int,
                     insured_t: int, premium_fen: int, product: str | None = None) -> dict[str, Any]:
        """The insurer issues a price index insurance policy to a collective (one entry)."""
        content = {"policy_no": policy_no, "insured_party_id": insured_party_id, "contract_no": contract_no,
                   "sink_type": sink_type, "county_code": county_code, "period_start": period_start,
                   "period_end": period_end, "strike_fen_per_t": strike_fen_per_t, "insured_t": insured_t,
                   "premium_fen": premium_fen, "product": product}
        return self._run(actor, "index_policy_issue", request_id, content,
                         lambda ctx: insurance.issue_policy(ctx, **content))

    def preview_settlement(self, actor: Actor, *, policy_no: str) -> dict[str, Any]:
        """What settling the policy now would record: the index (basis, trace), the payout, the lines."""
        require(actor, "index_policy_settle")
        with self.db.read() as s:
            policy = insurance.get_policy(s, policy_no)
            if policy.insurer_party_id != actor.party_id:
                raise NotPermitted("not_permitted", role=actor.role.value, command="index_policy_settle")
            if s.exec(select(IndexSettlementRow).where(IndexSettlementRow.policy_no == policy.policy_no)).first():
                raise Conflict("index_policy_already_settled", policy_no=policy.policy_no)
            head = int(s.execute(text("SELECT COALESCE(MAX(seq), 0) FROM journal_entry")).scalar_one())
            return insurance.plan_settlement(s, policy, today=self._local_today(), as_of_seq=head)

    def settle_policy(self, actor: Actor, request_id: str, *, policy_no: str, paid_date: str | None = None,
                      reference: str | None = None) -> dict[str, Any]:
        """The insurer settles the policy at its period's end: index, payout, the lines to households."""
        content = {"policy_no": policy_no, "paid_date": paid_date, "reference": reference}
        return self._run(actor, "index_policy_settle", request_id, content,
                         lambda ctx: insurance.settle_policy(ctx, **content))

    def policies(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """Policies newest first with their settlements and due items: an insurer's own, a
        collective's (it is insured), every policy for an administrator. ``{"items", "total"}``."""
        require(actor, "index_policy_view")
        limit, offset = checks.page_bounds(limit, offset)
        with self.db.read() as s:
            items, total = insurance.policies(s, party_id=None if actor.role is Role.admin else actor.party_id,
                                              limit=limit, offset=offset)
        return {"items": items, "total": total}

    def policy(self, actor: Actor, *, policy_no: str) -> dict[str, Any]:
        """One policy with its settlement (its insurer, its insured collective, an administrator)."""
        require(actor, "index_policy_view")
        with self.db.read() as s:
            row = insurance.get_policy(s, policy_no)
            if actor.role is not Role.admin and actor.party_id not in (row.insurer_party_id, row.insured_party_id):
                raise NotFound("index_policy_not_found", policy_no=str(policy_no)[:80])
            return insurance.policy_view(s, row)

    def check_settlement(self, actor: Actor, *, policy_no: str) -> dict[str, Any]:
        """Recompute a settled policy's index from the journal (its trace, :meth:`check_trace`)
        and its payout from the index: ``{"ok", "problems"}``."""
        view = self.policy(actor, policy_no=policy_no)
        if view["settlement"] is None:
            raise Conflict("index_policy_not_settled", policy_no=view["policy_no"])
        with self.db.read() as s:
            body = s.execute(text("SELECT body FROM journal_entry WHERE seq = :s"),
                             {"s": view["settlement"]["seq"]}).scalar_one()
            payload = json.loads(body)["payload"]
            problems = method.check_trace(s, payload["trace"])
        settled = payload["settlement"]
        if settled["payout_fen"] != insurance.payout_fen(settled["strike_fen_per_t"], settled["index_fen_per_t"],
                                                         settled["insured_t"]):
            problems.append("the payout does not follow from the index")
        return {"ok": not problems, "problems": problems, "policy_no": view["policy_no"],
                "index_fen_per_t": settled["index_fen_per_t"], "payout_fen": settled["payout_fen"]}


def _trace_document(document: Any) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise InvalidInput("value_invalid", field="trace", value=type(document).__name__)
    needed = ("rule", "sink_type", "county_code", "window", "date_from", "date_to", "as_of_seq", "inputs", "result")
    if any(k not in document for k in needed) or not isinstance(document["inputs"], list) \
            or not isinstance(document["rule"], Mapping) or not isinstance(document["result"], Mapping):
        raise InvalidInput("price_index_trace_invalid")
    for item in document["inputs"]:
        if not isinstance(item, Mapping) or not isinstance(item.get("seq"), int) or isinstance(item.get("seq"), bool) \
                or not isinstance(item.get("entry_hash"), str):
            raise InvalidInput("price_index_trace_invalid")
    method.check_market(document["sink_type"], document["county_code"])
    for field in ("date_from", "date_to"):
        checks.iso_date(document[field], field)
    if not isinstance(document["as_of_seq"], int) or isinstance(document["as_of_seq"], bool):
        raise InvalidInput("price_index_trace_invalid")
    return dict(document)
