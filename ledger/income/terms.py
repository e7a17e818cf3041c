"""Payment terms of a collection contract (收储合同), with the stated costs.

Two kinds (:mod:`ledger.collection`):

- ``fixed_per_mu_year``: ``fen_per_mu_per_year``, paid per contract year by schedule
  (:mod:`ledger.income.obligations`);
- ``proceeds_share``: ``share_bp`` of the **net** proceeds of each sale of the parcels' credits.

Net proceeds = gross proceeds − stated costs, where the contract states its costs as
``cost_share_bp`` (a share of gross proceeds: trading fees, management) and/or
``cost_fen_per_t`` (per tonne sold: monitoring and verification), plus the free-text
``costs_note``. Costs are rounded down to the fen (in the villages' favour) and never exceed the
gross proceeds. Both cost fields are optional (0); they exist only for ``proceeds_share``.

The ledger's :func:`ledger.collection.check_payment_terms` keeps only ``kind``, the amount and
``costs_note``; it adds :func:`check_cost_terms` to what it returns (a one-line change in
``ledger/collection.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledger.allocation import BASIS_POINTS
from ledger.income.domain import shown
from sinkledger_base.errors import InvalidInput

FIXED, PROCEEDS = "fixed_per_mu_year", "proceeds_share"
COST_FIELDS = ("cost_share_bp", "cost_fen_per_t")
MAX_COST_FEN_PER_T = 10**9


@dataclass(frozen=True, kw_only=True)
class PaymentTerms:
    """Parsed payment terms; amounts in whole fen or basis points."""

    kind: str
    share_bp: int = 0
    fen_per_mu_per_year: int = 0
    cost_share_bp: int = 0
    cost_fen_per_t: int = 0
    costs_note: str = ""

    @classmethod
    def from_json(cls, text: str) -> PaymentTerms:
        data = json.loads(text)
        return cls(kind=data["kind"], share_bp=data.get("share_bp", 0),
                   fen_per_mu_per_year=data.get("fen_per_mu_per_year", 0),
                   cost_share_bp=data.get("cost_share_bp", 0), cost_fen_per_t=data.get("cost_fen_per_t", 0),
                   costs_note=data.get("costs_note", ""))

    def stated_costs_fen(self, gross_fen: int, tonnes: int) -> int:
        """C1: costs = min(gross, floor(gross × cost_share_bp / 10,000) + cost_fen_per_t × tonnes).

        >>> PaymentTerms(kind=PROCEEDS, share_bp=8000, cost_share_bp=500).stated_costs_fen(1_468_200, 200)
        73410
        """
        return min(gross_fen, gross_fen * self.cost_share_bp // BASIS_POINTS + self.cost_fen_per_t * tonnes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == PROCEEDS:
            out |= {"share_bp": self.share_bp, "cost_share_bp": self.cost_share_bp,
                    "cost_fen_per_t": self.cost_fen_per_t}
        else:
            out["fen_per_mu_per_year"] = self.fen_per_mu_per_year
        return out | ({"costs_note": self.costs_note} if self.costs_note else {})


def check_cost_terms(terms: Any) -> dict[str, int]:
    """The stated cost fields of ``terms`` (only those given), checked.

    Raises
    ------
    InvalidInput
        ``value_invalid``: a cost field that is not a whole number in range, or cost fields on a
        fixed-payment contract.
    """
    given = {k: terms[k] for k in COST_FIELDS if isinstance(terms, dict) and terms.get(k) is not None}
    if given and terms.get("kind") != PROCEEDS:
        raise InvalidInput("value_invalid", field="payment_terms.cost_share_bp",
                           value="stated costs apply to proceeds_share contracts only")
    limits = {"cost_share_bp": BASIS_POINTS, "cost_fen_per_t": MAX_COST_FEN_PER_T}
    for key, value in given.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limits[key]:
            raise InvalidInput("value_invalid", field=f"payment_terms.{key}", value=shown(value, 40))
    return given
