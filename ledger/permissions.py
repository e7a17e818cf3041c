"""Who may run which command. The service layer checks this on every call; the UI only hides."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain import Role
from sinkledger_base.errors import InvalidInput, NotPermitted


@dataclass(frozen=True)
class Actor:
    """An authenticated user acting for a party."""

    username: str
    role: Role
    party_id: str


R = Role
PERMISSIONS: dict[str, frozenset[Role]] = {
    "initialise_registry": frozenset({R.admin}),
    "register_party": frozenset({R.admin}),
    "register_parcel": frozenset({R.cooperative, R.collection_centre, R.admin}),
    "record_estimate": frozenset({R.cooperative, R.collection_centre, R.verifier, R.admin}),
    "issue": frozenset({R.verifier}),
    "sell": frozenset({R.trading_clerk, R.collection_centre, R.cooperative, R.enterprise}),
    "retire": frozenset({R.trading_clerk, R.collection_centre, R.cooperative, R.enterprise}),
    "pledge": frozenset({R.bank}),
    "release": frozenset({R.bank}),
    "pledge_default": frozenset({R.bank}),
    "reverse": frozenset({R.insurer, R.collection_centre, R.admin}),
    "correct": frozenset({R.admin, R.trading_clerk}),  # a clerk corrects sales only (ledger/correction.py)
    "import_registry": frozenset({R.admin}),
    # Court compensation: only a court acts on cases and orders (and only its own: ledger/court).
    "court_case": frozenset({R.court}),
    "court_document": frozenset({R.court}),
    "court_order": frozenset({R.court}),
    "court_amend": frozenset({R.court}),
    "court_withdraw": frozenset({R.court}),
    "court_fulfil": frozenset({R.trading_clerk, R.court, R.collection_centre, R.cooperative, R.enterprise}),
    "court_certificate": frozenset({R.court, R.trading_clerk}),
    "court_view": frozenset({R.court, R.procurator, R.trading_clerk, R.admin}),
    # Households' personal data (ledger/people): reads and writes of the person register, never
    # journal entries. Full ID numbers and accounts also need a payment-officer designation.
    "people_register": frozenset({R.collection_centre, R.admin}),
    "people_correct": frozenset({R.collection_centre, R.admin}),
    "people_erase": frozenset({R.admin}),
    "people_view": frozenset({R.household, R.collection_centre, R.cooperative, R.admin}),
    "people_export": frozenset({R.household, R.collection_centre, R.cooperative, R.admin}),
    "people_lookup": frozenset({R.collection_centre, R.admin}),
    "people_access_log": frozenset({R.admin, R.household}),
    "people_designate": frozenset({R.admin}),
    "people_anchor": frozenset({R.admin}),  # the one people command that is a journal entry (heads only)
    # Administration and review (sinkledger/services/admin.py): entries user_changed / estimate_returned.
    "manage_users": frozenset({R.admin}),
    "return_estimate": frozenset({R.verifier}),
    "collect": frozenset({R.collection_centre}),
    # From collection to farmers' income (ledger/income): record-level rules live there.
    "collection_document": frozenset({R.collection_centre}),
    "project_register": frozenset({R.collection_centre}),
    "project_add_parcels": frozenset({R.collection_centre}),
    "distribute": frozenset({R.collection_centre}),
    "schedule_payments": frozenset({R.collection_centre}),
    "record_payment": frozenset({R.collection_centre, R.cooperative}),
    "lien_register": frozenset({R.bank}),
    "lien_release": frozenset({R.bank}),
    "lien_default": frozenset({R.bank}),
    "loss_record": frozenset({R.insurer, R.collection_centre, R.admin}),
    "insurance_claim": frozenset({R.insurer}),
    # issue 22 (helper h7): price index insurance and pricing factors (ledger/prices)
    "index_policy_issue": frozenset({R.insurer}),
    "index_policy_settle": frozenset({R.insurer}),
    "index_policy_view": frozenset({R.insurer, R.cooperative, R.admin}),
    "pricing_factors": frozenset({R.collection_centre, R.admin}),
    # The ledger's records (sales, retirements, pledges, balances, blocks) as an institution reads
    # them over the HTTP API (sinkledger/services/ledger_reads.py): everyone but households and
    # the public; ACTS_FOR_OTHERS names the roles that read every account, the others their own.
    "ledger_read": frozenset({R.cooperative, R.collection_centre, R.trading_clerk, R.enterprise, R.verifier,
                              R.court, R.procurator, R.bank, R.insurer, R.admin}),
    "income_view": frozenset({R.household, R.cooperative, R.collection_centre, R.admin, R.bank, R.insurer,
                              R.trading_clerk, R.verifier}),
    # Recorded estimates and their state (waiting, returned, issued), as the parcels and verify
    # pages show them: the roles that record, verify or bundle estimates.
    "estimate_view": frozenset({R.cooperative, R.collection_centre, R.verifier, R.admin}),
    # issue 22 (helper h8): an authority's compensation programmes and quota obligations
    # (ledger/compensation, ledger/quota); an authority acts on its own programmes and obligations only.
    "compensation_programme": frozenset({R.authority}),
    "compensation_pay": frozenset({R.authority}),
    "compensation_view": frozenset({R.authority, R.collection_centre, R.cooperative, R.trading_clerk, R.admin}),
    "obligation_set": frozenset({R.authority}),
    "obligation_surrender": frozenset({R.trading_clerk, R.enterprise}),
    "obligation_claim": frozenset({R.trading_clerk, R.enterprise, R.authority}),
    "obligation_certificate": frozenset({R.authority, R.trading_clerk}),
    "obligation_view": frozenset({R.authority, R.enterprise, R.trading_clerk, R.admin}),
}

# Roles that act for others: a trading-centre clerk records sales between any holders.
ACTS_FOR_OTHERS: dict[str, frozenset[Role]] = {
    "sell": frozenset({R.trading_clerk}),
    "retire": frozenset({R.trading_clerk}),
    "register_parcel": frozenset({R.collection_centre, R.admin}),
    # A cooperative estimates its own parcels; the centre (bundled projects), verifiers and admins any.
    "record_estimate": frozenset({R.collection_centre, R.verifier, R.admin}),
    "ledger_read": frozenset({R.collection_centre, R.trading_clerk, R.verifier, R.court, R.procurator, R.bank,
                              R.insurer, R.admin}),
    # issue 22 (helper h8): the clerk records for any enterprise; an authority counts a retirement
    # for its own obligations; enterprises read and act on their own obligations only.
    "obligation_surrender": frozenset({R.trading_clerk}),
    "obligation_claim": frozenset({R.trading_clerk, R.authority}),
    "obligation_view": frozenset({R.authority, R.trading_clerk, R.admin}),
    "compensation_view": frozenset({R.authority, R.trading_clerk, R.admin}),
}


def require(actor: Actor, command: str) -> None:
    """Refuse unless ``actor`` is an :class:`Actor` (``actor_required``) whose role may run ``command``."""
    if not isinstance(actor, Actor) or not isinstance(actor.role, Role):
        raise InvalidInput("actor_required")
    if actor.role not in PERMISSIONS.get(command, frozenset()):
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)


def require_owner(actor: Actor, command: str, owner_party_id: str | None) -> None:
    """Refuse unless the actor acts for the owner, or its role acts for others in ``command``."""
    if actor.role in ACTS_FOR_OTHERS.get(command, frozenset()):
        return
    if owner_party_id != actor.party_id:
        raise NotPermitted("not_permitted", role=actor.role.value, command=command)
