"""Reports per court and per year: orders, tonnes, money, fulfilment rate, overdue orders.

The year of an order is the year of its case's judgment. The fulfilment rate is fulfilled orders
over orders not withdrawn, in basis points (integer) and as a percentage string. The report is
a plain dict (for ``--json``); :mod:`sinkledger.documents.court_reports` writes it to Excel.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ledger.court.domain import STATUS_ZH, OrderStatus
from ledger.court.orders import current_status
from ledger.court.store import CourtCaseRow, CourtOrderRow


def order_line(order: CourtOrderRow, case: CourtCaseRow, as_of: date) -> dict[str, Any]:
    """One order as a report row, with its status on ``as_of``."""
    status = current_status(order, as_of)
    remaining = (f"{order.quantity_t - order.fulfilled_t} t" if order.kind == "quantity"
                 else f"{order.amount_fen - order.spent_fen} fen")
    return {"order_id": order.order_id, "case_no": order.case_no, "court_party_id": order.court_party_id,
            "court_name": case.court_name, "year": int(case.judgment_date[:4]), "kind": order.kind,
            "quantity_t": order.quantity_t, "amount_fen": order.amount_fen, "due_date": order.due_date,
            "status": status.value, "status_zh": STATUS_ZH[status], "retired_t": order.fulfilled_t,
            "spent_fen": order.spent_fen, "remaining": "0" if status is OrderStatus.fulfilled else remaining}


def _summarise(lines: list[dict[str, Any]]) -> dict[str, Any]:
    live = [line for line in lines if line["status"] != OrderStatus.withdrawn.value]
    fulfilled = sum(line["status"] == OrderStatus.fulfilled.value for line in live)
    rate_bp = fulfilled * 10_000 // len(live) if live else 0
    return {"court_party_id": lines[0]["court_party_id"], "court_name": lines[0]["court_name"],
            "year": lines[0]["year"], "orders": len(lines), "withdrawn": len(lines) - len(live),
            "fulfilled": fulfilled, "overdue": sum(line["status"] == OrderStatus.overdue.value for line in live),
            "ordered_t": sum(line["quantity_t"] or 0 for line in live),
            "ordered_fen": sum(line["amount_fen"] or 0 for line in live),
            "retired_t": sum(line["retired_t"] for line in lines), "spent_fen": sum(line["spent_fen"] for line in lines),
            "fulfilment_rate_bp": rate_bp, "fulfilment_rate_pct": f"{rate_bp / 100:.2f}%"}


def court_report(session: Session, *, as_of: date, court_party_id: str | None = None,
                 year: int | None = None) -> dict[str, Any]:
    """Summary rows per (court, year), every order line, and the overdue list."""
    query = select(CourtOrderRow, CourtCaseRow).join(CourtCaseRow, CourtCaseRow.case_no == CourtOrderRow.case_no)
    if court_party_id:
        query = query.where(CourtOrderRow.court_party_id == court_party_id)
    lines = [order_line(o, c, as_of) for o, c in session.exec(query.order_by(CourtOrderRow.seq)).all()]
    lines = [line for line in lines if year is None or line["year"] == year]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        groups[(line["court_party_id"], line["year"])].append(line)
    return {"as_of": as_of.isoformat(), "summary": [_summarise(groups[k]) for k in sorted(groups)], "orders": lines,
            "overdue": [line for line in lines if line["status"] == OrderStatus.overdue.value]}
