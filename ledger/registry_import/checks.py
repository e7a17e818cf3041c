"""Anomalies in another registry's history: figures that do not add up, dates out of order.

An anomaly never refuses a row: the row is booked as the registry states it (the books never go
negative, :mod:`.pools`), and the anomaly is recorded in the import's journal entry and shown in
its reconciliation report (:mod:`.report`). Checks, each returning every anomaly found:

- ``registry_dates_out_of_order``: a retirement or cancellation dated before its issuance (the
  row's own issuance date, or the first issuance of its pool), or a period ending before it
  starts;
- ``registry_vintage_quantity_exceeded``: the rows of one vintage issue more than the registry's
  own total for that vintage (Verra's "Total Vintage Quantity");
- ``registry_retired_exceeds_issued`` (from :mod:`.pools`): a pool's retirements and
  cancellations exceed what it issued; the excess is held as a discrepancy;
- ``registry_parts_do_not_add_up`` (from the reader): an issuance's project and buffer parts do
  not sum to its total.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Iterable

from ledger.registry_import.model import CreditStatus, ImportProblem, RegistryRecord
from ledger.registry_import.plan import problem_for

ANOMALY = "anomaly"


def date_anomalies(records: Iterable[RegistryRecord]) -> list[ImportProblem]:
    """Events dated before their issuance; periods that end before they start."""
    records = list(records)
    first_issue: dict[str, date] = {}
    for r in records:
        if r.pool and r.status is CreditStatus.issued and r.issued_on is not None:
            key = f"{r.pool}|{r.account_part}"
            first_issue[key] = min(first_issue.get(key, r.issued_on), r.issued_on)
    out = []
    for r in records:
        if r.period_start and r.period_end and r.period_end < r.period_start:
            out.append(problem_for(r, "registry_dates_out_of_order", severity=ANOMALY, field="period",
                                   earlier=r.period_start.isoformat(), later=r.period_end.isoformat()))
        if r.status is CreditStatus.issued or r.status_on is None:
            continue
        issued = r.issued_on or first_issue.get(f"{r.pool}|{r.account_part}") if r.pool else r.issued_on
        if issued is not None and r.status_on < issued:
            out.append(problem_for(r, "registry_dates_out_of_order", severity=ANOMALY, field="status_on",
                                   earlier=issued.isoformat(), later=r.status_on.isoformat()))
    return out


def vintage_anomalies(records: Iterable[RegistryRecord]) -> list[ImportProblem]:
    """Vintages whose rows add up to more than the registry's published total for them."""
    issued: dict[tuple, int] = defaultdict(int)
    published: dict[tuple, int] = {}
    first_row: dict[tuple, RegistryRecord] = {}
    for r in records:
        if "vintage_kg" not in r.published:
            continue
        key = (r.project_id, r.vintage_year, r.period_start, r.period_end)
        issued[key] += r.amount_kg
        published[key] = max(published.get(key, 0), r.published["vintage_kg"])
        first_row.setdefault(key, r)
    return [problem_for(first_row[key], "registry_vintage_quantity_exceeded", severity=ANOMALY,
                        project_id=key[0], vintage_year=key[1], rows_t=issued[key] // 1000,
                        published_t=published[key] // 1000)
            for key in sorted(issued, key=str) if issued[key] > published[key]]
