"""What an issuance adds for income: parcel contributions and the pledges of active liens.

:func:`after_issuance` runs inside the issuance's command, after its batches and blocks are
written and before its journal entry is appended, so everything lands in the same entry and
transaction (all or nothing). ``ledger.issuance.issue`` calls it as its last step::

    from ledger.income.hooks import after_issuance
    return EntryKind.issuance.value, after_issuance(ctx, payload)

It adds to the payload ``contributions`` (one row per batch and parcel) and, when a lien
applies, ``lien_pledges`` and the pledge moves (appended to ``moves``, so ``verify`` replays
them); the result gains ``contributions`` per parcel and ``pledged_t``. It runs on plain
statements (``ctx.tx``): the parcels' weights and active liens in one read, the contribution rows
in one executemany.
"""

from __future__ import annotations

from typing import Any

from ledger.commands import CommandContext
from ledger.income.contributions import read_weights, record_contributions
from ledger.income.liens import ACTIVE_LIEN_SQL, pledge_issuance

_LIEN_COLUMN = f", ({ACTIVE_LIEN_SQL.format(code='p.parcel_code')})"


def after_issuance(ctx: CommandContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Record contributions and lien pledges of the issuance being recorded; return its payload.

    The parcels' weights and their active liens are read once, in one statement, for both."""
    weights, extra = read_weights(ctx.tx, payload["parcel_codes"], ctx.seq, _LIEN_COLUMN)
    contributions = record_contributions(ctx.tx, ctx.seq, payload, weights)
    moves, pledges = pledge_issuance(ctx, payload, weights, {code: row[0] for code, row in extra.items()})
    by_parcel: dict[str, int] = {}
    for row in contributions:
        by_parcel[row["parcel_code"]] = by_parcel.get(row["parcel_code"], 0) + row["quantity_t"]
    result = {**payload["result"], "contributions_t": by_parcel,
              "pledged_t": sum(p["quantity"] for p in pledges), "lien_pledges": pledges}
    return {**payload, "contributions": contributions, "lien_pledges": pledges,
            "moves": payload["moves"] + [m.to_record() for m in moves], "result": result}

