"""Registering parties and opening their accounts (one journal entry each)."""

from __future__ import annotations

import re
from typing import Any

from ledger.commands import CommandContext
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, EntryKind, PartyKind
from ledger.sale import check_text
from ledger.store import AccountRow, PartyRow
from sinkledger_base.errors import Conflict, InvalidInput

REGISTRY_PARTY_ID = "REGISTRY"
# ASCII letters, digits, '-' and '_' (as sinks.tenure.PARTY_ID), short enough for the "-H" account id.
PARTY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,35}")
COUNTY_CODE = re.compile(r"[0-9]{6}")  # GB/T 2260 county-level division code


def holding_account_id(party_id: str) -> str:
    return f"{party_id}-H"


def register_party(ctx: CommandContext, *, party_id: str, kind: str, name: str,
                   county_code: str | None) -> tuple[str, dict[str, Any]]:
    """Create a party and its holding account. Natural persons are named by a pseudonym only."""
    try:
        kind_enum = PartyKind(kind)
    except ValueError:
        raise InvalidInput("value_invalid", field="kind", value=repr(kind)[:40]) from None
    if not isinstance(party_id, str) or not PARTY_ID.fullmatch(party_id):
        raise InvalidInput("value_invalid", field="party_id", value=repr(party_id)[:40])
    name = check_text(name, "name", 200)
    if county_code is not None and (not isinstance(county_code, str) or not COUNTY_CODE.fullmatch(county_code)):
        raise InvalidInput("value_invalid", field="county_code", value=repr(county_code)[:40])
    if ctx.tx.one("SELECT 1 FROM party WHERE id = :id", {"id": party_id}) is not None:
        raise Conflict("party_id_taken", party=party_id)
    # plain statements (ledger.sql.Tx), no ORM session: 50,000 households register in minutes
    ctx.tx.insert(PartyRow(id=party_id, kind=kind_enum.value, name=name, county_code=county_code))
    account_id = holding_account_id(party_id)
    ctx.tx.insert(AccountRow(id=account_id, party_id=party_id, kind=AccountKind.holding.value, label=name))
    payload = {"party": {"id": party_id, "kind": kind_enum.value, "name": name,
                         "county_code": county_code},
               "accounts": [{"id": account_id, "kind": AccountKind.holding.value}],
               "result": {"party_id": party_id, "account_id": account_id}}
    return EntryKind.party_registered.value, payload


def open_system_accounts(ctx: CommandContext, *, registry_name: str) -> tuple[str, dict[str, Any]]:
    """Create the registry party with its buffer, retirement and cancellation accounts."""
    ctx.session.add(PartyRow(id=REGISTRY_PARTY_ID, kind=PartyKind.registry.value, name=registry_name))
    ctx.session.flush()
    accounts = []
    for kind, account_id in SYSTEM_ACCOUNTS.items():
        ctx.session.add(AccountRow(id=account_id, party_id=REGISTRY_PARTY_ID, kind=kind.value,
                                   label=kind.value))
        accounts.append({"id": account_id, "kind": kind.value})
    payload = {"party": {"id": REGISTRY_PARTY_ID, "kind": PartyKind.registry.value,
                         "name": registry_name}, "accounts": accounts,
               "result": {"accounts": [a["id"] for a in accounts]}}
    return EntryKind.account_opened.value, payload
