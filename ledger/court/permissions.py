"""Who may run which court command (judicial carbon-sink compensation, 司法碳汇补偿).

Only a court registers cases and documents and issues, amends or withdraws orders, and only
for its own cases; a procurator may view; a trading-centre clerk, a selling holder (for its own
account) or the court records a purchase; a court or clerk issues a certificate; anyone
verifies one (no actor needed).

The role table is :data:`ledger.permissions.PERMISSIONS`; this module adds the rules that
depend on the case or the seller.
"""

from __future__ import annotations

from ledger.domain import Role
from ledger.permissions import Actor, require
from sinkledger_base.errors import NotPermitted

R = Role

# Roles that record a purchase for any seller; the others sell from their own account only.
FULFILS_FOR_OTHERS = frozenset({R.trading_clerk, R.court})


def require_court(actor: Actor, command: str) -> None:
    """Refuse unless ``actor``'s role may run ``command`` (for reads, which run no command)."""
    require(actor, command)


def require_case_court(actor: Actor, command: str, court_party_id: str) -> None:
    """A court acts only on its own cases."""
    if actor.role is R.court and actor.party_id != court_party_id:
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)
