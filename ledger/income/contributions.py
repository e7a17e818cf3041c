"""Each parcel's contribution to every issuance, so that every credit traces back to parcels.

An issuance issues one estimate over a parcel set (one parcel, or a bundled project's many).
A methodology applies per-hectare quantities to the set's total area, so each parcel
contributes in proportion to its area. At issuance each parcel's part is recorded, for every
batch (vintage) of the issuance, in whole tonnes and in kg CO2e:

- weights: each parcel's area in 0.01 m², as registered in the parcel version current at the
  issuance (``parcel_version.record.area_m2``, which has two decimals);
- E1: the verified kg CO2e over the batches in proportion to their credits (largest remainder);
- E2: each batch's credits over the parcels by weight (largest remainder): sums to the batch;
- E3: each batch's kg over the parcels by weight (largest remainder): sums to the batch's kg.

The issuance's journal payload carries the contributions (``contributions``) and the
``issuance_contribution`` table holds them as rows. For an issuance recorded before this
existed, :func:`batch_contributions` derives the same numbers from the issuance entry and the
parcel versions: the figures are a pure function of the journal either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import NoResultFound
from sqlmodel import Session, select

from ledger.allocation import allocate_largest_remainder
from ledger.sql import Tx, in_list
from ledger.store import BatchRow, IssuedPeriodRow


def split_contributions(verified_kg_co2e: int, batch_quantities: dict[str, int],
                        weights: dict[str, int]) -> list[dict[str, Any]]:
    """E1-E3: one row per (batch, parcel) with ``quantity_t`` and ``kg_co2e``; pure.

    Parameters
    ----------
    verified_kg_co2e : int
        The issuance's verified quantity, kg CO2e.
    batch_quantities : dict
        Credits of each batch (batch id → t), in issuance order.
    weights : dict
        Each parcel's weight (area in 0.01 m²), keys in a stable order (sorted codes).

    Examples
    --------
    >>> rows = split_contributions(2_750, {"B/1": 2}, {"P1": 300, "P2": 100})
    >>> [(r["parcel_code"], r["quantity_t"], r["kg_co2e"]) for r in rows]
    [('P1', 2, 2063), ('P2', 0, 687)]
    """
    batch_kg = allocate_largest_remainder(verified_kg_co2e, batch_quantities)
    rows = []
    for batch_id, quantity in batch_quantities.items():
        tonnes = allocate_largest_remainder(quantity, weights)
        kg = allocate_largest_remainder(batch_kg[batch_id], weights)
        rows += [{"batch_id": batch_id, "parcel_code": code, "quantity_t": tonnes[code], "kg_co2e": kg[code],
                  "weight": weights[code]} for code in weights]
    return rows


def area_weight(area_m2_text: str) -> int:
    """A parcel's weight: its area in 0.01 m² (``"12345.67"`` → 1234567)."""
    return int(Decimal(area_m2_text) * 100)


# each parcel's area as registered in its latest version before an entry (its record, as hashed),
# and its current area for a parcel without history (older databases)
WEIGHTS_SQL = ("SELECT p.parcel_code, p.area_m2, (SELECT v.record FROM parcel_version v "
               "WHERE v.parcel_code = p.parcel_code AND v.seq < :before ORDER BY v.version DESC LIMIT 1){extra} "
               "FROM parcel p WHERE p.parcel_code IN ({marks})")


def read_weights(tx: Tx, parcel_codes: Iterable[str], before_seq: int, extra: str = ""
                 ) -> tuple[dict[str, int], dict[str, tuple[Any, ...]]]:
    """Weights of the parcels as registered before journal entry ``before_seq`` (codes sorted),
    in one statement; and, by code, the ``extra`` columns (SQL over ``p``, each after a comma)."""
    codes = sorted(parcel_codes)
    if not codes:
        return {}, {}
    marks, params = in_list("pc", dict.fromkeys(codes))
    found = {r[0]: r for r in tx.all(WEIGHTS_SQL.format(extra=extra, marks=marks), {**params, "before": before_seq})}
    out = {}
    for code in codes:
        row = found.get(code)
        if row is None:
            raise NoResultFound(f"no parcel {code}")
        if row[2] is not None:
            out[code] = area_weight(json.loads(row[2])["area_m2"])
        else:  # a parcel without history (older databases): its current area
            out[code] = area_weight(f"{Decimal(repr(row[1])).quantize(Decimal('0.01'))}")
    return out, {code: r[3:] for code, r in found.items()}


def parcel_weights(session: Session | Tx, parcel_codes: Iterable[str], before_seq: int) -> dict[str, int]:
    """Weights of the parcels as registered before journal entry ``before_seq``, codes sorted."""
    return read_weights(Tx.of(session), parcel_codes, before_seq)[0]


def issuance_contributions(session: Session | Tx, seq: int, payload: dict[str, Any],
                           weights: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """The contribution rows of the issuance entry ``seq`` with ``payload`` (``weights``: the
    parcels' weights before ``seq``, if the caller read them already)."""
    if weights is None:
        weights = parcel_weights(session, payload["parcel_codes"], seq)
    quantities = {b["batch_id"]: b["quantity"] for b in payload["batches"]}
    return split_contributions(payload["verified_kg_co2e"], quantities, weights)


def record_contributions(session: Session | Tx, seq: int, payload: dict[str, Any],
                         weights: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Write the contribution rows of an issuance being recorded (one executemany); return them
    for its payload."""
    rows = issuance_contributions(session, seq, payload, weights)
    Tx.of(session).insert_rows("issuance_contribution", [{"issuance_seq": seq, **row} for row in rows])
    return rows


def batch_contributions(session: Session | Tx, batch_id: str) -> dict[str, int]:
    """Tonnes of the batch from each parcel (sorted codes); empty if the batch has no parcels
    (credits imported from another registry)."""
    tx = Tx.of(session)
    rows = tx.all("SELECT parcel_code, quantity_t FROM issuance_contribution WHERE batch_id = :b "
                  "ORDER BY parcel_code", {"b": batch_id})
    if rows:
        return dict(rows)
    entry = tx.one("SELECT j.seq, j.kind, j.body FROM batch b JOIN journal_entry j ON j.seq = b.issuance_seq "
                   "WHERE b.id = :b", {"b": batch_id})
    if entry is None or entry[1] != "issuance":
        return {}
    derived = issuance_contributions(tx, entry[0], json.loads(entry[2])["payload"])
    return {r["parcel_code"]: r["quantity_t"] for r in derived if r["batch_id"] == batch_id}


def parcel_issued_t(session: Session, parcel_code: str) -> int:
    """Credits ever issued for a parcel and not undone by a correction (its share of each batch)."""
    seqs = set(session.exec(select(IssuedPeriodRow.issuance_seq).where(
        IssuedPeriodRow.parcel_code == parcel_code)).all())
    batches = session.exec(select(BatchRow.id).where(BatchRow.issuance_seq.in_(seqs))).all() if seqs else []
    return sum(batch_contributions(session, b).get(parcel_code, 0) for b in batches)
