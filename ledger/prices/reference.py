"""The reference price beside the index at sale time (R1-R3 of :mod:`ledger.prices.factors`).

Read by the sale handler (:func:`ledger.sale.sell`) in the sale's own transaction: one statement
finds whether a project sold has factors; only then is the index read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

from ledger.income.domain import decimal_text
from ledger.prices import method
from ledger.prices.trades import market_of_batch
from ledger.sql import Tx, in_list

FACTORS = ("biodiversity", "ecological_product_value", "co_benefits")
LOOKBACK_MONTHS = 12
REFERENCE_RULE = "sinkledger-reference-price/1"


def project_of_batch(batch_id: str) -> str | None:
    """``CN330523-BF-AJBF01-2024/1`` → ``AJBF01`` (None for an imported batch)."""
    return batch_id.split("/", 1)[0].split("-")[2] if market_of_batch(batch_id) else None


def product_of(factors: list[dict[str, Any]]) -> Decimal:
    """The product of the factors' values (exact: at most 4 decimals each, three factors)."""
    total = Decimal(1)
    for f in factors:
        total *= Decimal(f["value"])
    return total


def reference_price(index_fen_per_t: int | None, factors: list[dict[str, Any]]) -> int | None:
    """R2.

    >>> reference_price(7000, [{"value": "1.15"}, {"value": "1.08"}])
    8694
    >>> reference_price(None, [{"value": "1.15"}]) is None
    True
    """
    if index_fen_per_t is None:
        return None
    exact = Fraction(index_fen_per_t) * Fraction(product_of(factors))
    return int((exact * 2 + 1) // 2)


def months_before(trade_date: str, count: int) -> tuple[str, str]:
    """The first and last day of the ``count`` whole months before ``trade_date``'s month."""
    day = date.fromisoformat(trade_date)
    index = day.year * 12 + day.month - 1
    first = date((index - count) // 12, (index - count) % 12 + 1, 1)
    last_month = method.window_bounds("monthly", f"{(index - 1) // 12:04d}-{(index - 1) % 12 + 1:02d}")[1]
    return first.isoformat(), last_month


def reference_index(conn: Any, sink_type: str, county_code: str, trade_date: str,
                    as_of_seq: int = method.ALL) -> dict[str, Any]:
    """R1: ``{"window", "index_fen_per_t", "published"}`` (window None when none is published)."""
    d0, d1 = months_before(trade_date, LOOKBACK_MONTHS)
    found = method.latest_published_month(conn, sink_type=sink_type, county_code=county_code, date_from=d0,
                                          date_to=d1, as_of_seq=as_of_seq)
    if found is None:
        return {"window": None, "index_fen_per_t": None, "published": False, "looked_back_from": d0}
    return {"window": found[0], "index_fen_per_t": found[1]["index_fen_per_t"], "published": True,
            "looked_back_from": d0}


def factors_of(tx: Any, project_codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The factors of these projects, by project (one statement on the command's cursor)."""
    if not project_codes:
        return {}
    marks, params = in_list("p", project_codes)
    rows = tx.all("SELECT project_code, factor, seq, value, evidence_title, evidence_sha256 FROM pricing_factor "
                  f"WHERE project_code IN ({marks})", params)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r[0], FACTORS.index(r[1]) if r[1] in FACTORS else 99)):
        out.setdefault(r[0], []).append({"factor": r[1], "set_seq": int(r[2]), "value": r[3],
                                         "evidence_title": r[4], "evidence_sha256": r[5]})
    return out


def pricing(tx: Any, session_of: Callable[[], Any], moves: list[dict[str, Any]], trade_date: str,
            as_of_seq: int = method.ALL) -> dict[str, Any] | None:
    """R1-R3 for credits about to move (``moves`` as records): None when no project of theirs
    has factors (nothing more is read)."""
    tonnes: dict[tuple[str, str, str], int] = {}
    for move in moves:
        market, project = market_of_batch(move["batch_id"]), project_of_batch(move["batch_id"])
        if market is not None and project is not None:
            key = (project, *market)
            tonnes[key] = tonnes.get(key, 0) + int(move["last"]) - int(move["first"]) + 1
    factors = factors_of(tx, sorted({k[0] for k in tonnes}))
    if not factors:
        return None
    lines = []
    for (project, sink, county), quantity in sorted(tonnes.items()):
        if project not in factors:
            continue
        index = reference_index(session_of(), sink, county, trade_date, as_of_seq)
        lines.append({"project_code": project, "sink_type": sink, "county_code": county, "quantity_t": quantity,
                      "reference_index": index, "factors": factors[project],
                      "product": decimal_text(product_of(factors[project])),
                      "reference_price_fen_per_t": reference_price(index["index_fen_per_t"], factors[project])})
    return {"rule": REFERENCE_RULE, "index_rule": method.RULE_VERSION, "trade_date": trade_date,
            "lines": lines}


def factors_of_session(session: Any, project_codes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """:func:`factors_of` in a read session."""
    return factors_of(Tx.of(session), project_codes)
