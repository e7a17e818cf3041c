"""Pledges of future issuances (收储贷): credits issued while a lien is active arrive pledged.

Rule: the lien's parcels' part of each issuance is pledged to the bank, in the same entry.
Rule: pledged credits cannot be sold or retired; only the pledgee bank ends the lien.
Rule: a release returns every credit the lien pledged; a default transfers them to the bank.
"""

from __future__ import annotations

import pytest

from sinkledger import catalogue
from tests.income.conftest import (
    CENTRE,
    PARCELS,
    assert_refused,
    bundle,
    contract_no,
    held,
    issue_bundle,
    pledged,
)

ACCOUNT = f"{CENTRE}-H"


def lien(income, request: str = "lien-1", actor: str = "bank", **kw):  # type: ignore[no-untyped-def]
    args = {"contract_no": contract_no("COL-A"), "loan_reference": "收储贷-2024-0001", "loan_amount_fen": 200_000_000,
            "term_end": "2027-12-31"} | kw
    return income.register_lien(income.service.actor(actor), request, **args)


def test_issuance_arrives_pledged_to_the_bank(contracted):  # type: ignore[no-untyped-def]
    """Given a lien of BANK-1 on COL-A's contract, when the bundle is issued, then COL-A's parcels'
    share of the centre's credits is pledged to BANK-1 and cannot be sold until released."""
    income = contracted
    svc = income.service
    out = lien(income)
    assert out["parcel_codes"] == ["HZ-BF-A01", "HZ-BF-A02"] and out["status"] == "active"
    bundle(income)
    issuance = issue_bundle(income)
    (made,) = issuance["lien_pledges"]
    assert made["bank_party_id"] == "BANK-1" and made["quantity"] == issuance["pledged_t"] > 0
    holder_t = issuance["issued_t"] - issuance["buffer_t"]
    a_share = (issuance["contributions_t"]["HZ-BF-A01"] + issuance["contributions_t"]["HZ-BF-A02"]) / issuance["issued_t"]
    assert abs(made["quantity"] - holder_t * a_share) <= len(issuance["batches"])
    assert (held(svc, ACCOUNT), pledged(svc, ACCOUNT)) == (holder_t - made["quantity"], made["quantity"])
    assert_refused("credits_short_pledged", lambda: svc.sell(svc.actor("clerk"), "s-all", seller_account=ACCOUNT,
                                                buyer_account="ENT-1-H", quantity=holder_t, price_fen_per_t=7341,
                                                contract_no="c"))
    assert svc.verify().ok
    released = income.release_lien(svc.actor("bank"), "rel-1", lien_id=out["lien_id"])
    assert released["status"] == "released" and released["quantity"] == made["quantity"]
    assert (held(svc, ACCOUNT), pledged(svc, ACCOUNT)) == (holder_t, 0)
    assert income.liens(svc.actor("bank"))[0]["pledges"][0]["status"] == "released"
    assert svc.verify().ok


def test_default_transfers_what_the_lien_pledged_to_the_bank(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    svc = income.service
    out = lien(income, parcel_codes=["HZ-BF-A01"])
    bundle(income)
    issuance = issue_bundle(income)
    quantity = issuance["pledged_t"]
    assert_refused("not_permitted", lambda: income.default_lien(svc.actor("bank2"), "def-0", lien_id=out["lien_id"]))
    done = income.default_lien(svc.actor("bank"), "def-1", lien_id=out["lien_id"])
    assert done["status"] == "defaulted" and done["to_account"] == "BANK-1-H"
    assert held(svc, "BANK-1-H") == quantity > 0 and pledged(svc, ACCOUNT) == 0
    assert_refused("lien_not_active", lambda: income.release_lien(svc.actor("bank"), "rel-x", lien_id=out["lien_id"]))
    assert svc.verify().ok


def test_a_pledge_made_by_a_lien_is_an_ordinary_pledge(contracted):  # type: ignore[no-untyped-def]
    """The bank may release one issuance's pledge by itself with the ordinary release."""
    income = contracted
    svc = income.service
    lien(income)
    bundle(income)
    made = issue_bundle(income)["lien_pledges"][0]
    svc.release(svc.actor("bank"), "rel-one", pledge_id=made["pledge_id"])
    assert pledged(svc, ACCOUNT) == 0 and svc.verify().ok


def test_after_the_lien_ends_issuances_arrive_free(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    svc = income.service
    out = lien(income)
    income.release_lien(svc.actor("bank"), "rel-1", lien_id=out["lien_id"])
    bundle(income)
    assert issue_bundle(income)["pledged_t"] == 0 and pledged(svc, ACCOUNT) == 0


@pytest.mark.parametrize("change, code", [
    ({"actor": "centre"}, "not_permitted"),
    ({"contract_no": "NO-SUCH"}, "contract_not_found"),
    ({"parcel_codes": ["HZ-BF-B01"]}, "parcel_not_in_contract"),
    ({"loan_amount_fen": 0}, "value_invalid"),
    ({"term_end": "soon"}, "value_invalid"),
    ({"loan_reference": ""}, "field_required"),
])
def test_lien_refusals(contracted, change, code):  # type: ignore[no-untyped-def]
    income = contracted
    head = income.service.verify().head_hash
    assert_refused(code, lambda: lien(income, "bad", **change))
    assert income.service.verify().head_hash == head


def test_a_parcel_is_under_one_active_lien(contracted):  # type: ignore[no-untyped-def]
    income = contracted
    first = lien(income)
    err = assert_refused("parcel_under_lien", lambda: lien(income, "lien-2", actor="bank2", parcel_codes=["HZ-BF-A02"]))
    assert first["lien_id"] in catalogue.messages(err)[1]
    assert_refused("lien_not_found", lambda: income.release_lien(income.service.actor("bank"), "r", lien_id="LN-404"))
    assert sorted(PARCELS)[:2] == first["parcel_codes"]
