"""Insured loss and reversal: a loss event's carbon lost cancels buffer credits; a claim links it.

Rule: carbon lost = standing stock (t C/ha, from the parcel's estimate) × 44/12 × area × share.
Rule: whole tonnes are rounded up, never beyond what was credited for the parcel.
Rule: the event and its reversal are one entry; every ledger invariant holds after it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.income.conftest import BAMBOO, assert_refused, rectangle

BUFFER = "SYS-BUFFER"
STAND_T_C_PER_HA = Decimal("28.3814153")  # the example stand's carbon at its last event (B3)
SNOW = {"parcel_code": "HZ-BF-A01", "affected_area_ha": "5", "damage_share_bp": 3000}


def balance(svc, account: str) -> dict:  # type: ignore[no-untyped-def]
    return next((r for r in svc.balances()["by_account"] if r["account_id"] == account),
                {"held_t": 0, "cancelled_t": 0})


def record(income, request: str = "loss-1", parcels=(SNOW,), actor: str = "insurer", **kw):  # type: ignore[no-untyped-def]
    args = {"cause": "snow", "event_date": "2024-01-20", "parcels": list(parcels),
            "description": "2024年1月雪灾，毛竹雪压断梢", "policy_no": "PICC-AJ-2023-0088"} | kw
    return income.record_loss(income.service.actor(actor), request, **args)


def test_snow_damage_cancels_buffer_credits(issued):  # type: ignore[no-untyped-def]
    """Given the bundle issued with a buffer, when snow destroys 30 % of the stand on 5 ha of A01,
    then 5 × 0.3 × 28.38 t C/ha × 44/12 = 156.1 t CO2e is lost and 157 buffer credits are cancelled."""
    income = issued
    svc = income.service
    buffer_before = balance(svc, BUFFER)["held_t"]
    (preview,) = income.preview_loss(svc.actor("insurer"), event_date="2024-01-20", parcels=[SNOW])
    expected = STAND_T_C_PER_HA * 44 / 12 * 5 * Decimal("0.3")
    assert Decimal(preview["lost_t_co2e"]) == pytest.approx(expected)
    assert preview["reversed_t"] == 157 and preview["stock_t_c_per_ha"] == str(STAND_T_C_PER_HA)
    assert [s["name"] for s in preview["steps"]][-2:] == ["carbon lost", "tonnes to reverse"]
    out = record(income)
    assert out["reversed_t"] == 157 and out["reversal_id"].startswith("RV-")
    assert balance(svc, BUFFER)["held_t"] == buffer_before - 157
    assert balance(svc, "SYS-CANCELLED")["cancelled_t"] == 157
    report = svc.verify()
    assert report.ok and report.credits_issued == issued.issuance["issued_t"]
    (event,) = income.losses(svc.actor("insurer"))
    assert event["id"] == out["event_id"] and event["parcels"][0]["reversed_t"] == 157


def test_a_claim_links_the_event_the_policy_and_the_payout(issued):  # type: ignore[no-untyped-def]
    income = issued
    svc = income.service
    event = record(income)
    claim = income.record_claim(svc.actor("insurer"), "claim-1", claim_no="LP-2024-001", event_id=event["event_id"],
                                policy_no="PICC-AJ-2023-0088", product="毛竹碳汇价值恢复补偿保险",
                                insured_party_id="CENTRE-1", payout_fen=1_146_000, paid_date="2024-03-01",
                                reference="PICC-PAY-0001")
    assert claim["insurer_party_id"] == "INS-1" and claim["payout_fen"] == 1_146_000
    assert income.losses(svc.actor("centre"))[0]["claims"][0]["claim_no"] == "LP-2024-001"
    assert_refused("claim_no_taken", lambda: income.record_claim(
        svc.actor("insurer"), "claim-2", claim_no="LP-2024-001", event_id=event["event_id"], policy_no="x",
        product="y", insured_party_id="CENTRE-1", payout_fen=1))
    assert_refused("loss_event_not_found", lambda: income.record_claim(
        svc.actor("insurer"), "claim-3", claim_no="LP-2024-002", event_id="LE-404", policy_no="x", product="y",
        insured_party_id="CENTRE-1", payout_fen=1))
    assert_refused("not_permitted", lambda: income.record_claim(
        svc.actor("centre"), "claim-4", claim_no="LP-2024-003", event_id=event["event_id"], policy_no="x",
        product="y", insured_party_id="CENTRE-1", payout_fen=1))


def test_never_more_is_reversed_than_was_credited_for_the_parcel(issued):  # type: ignore[no-untyped-def]
    """A parcel estimated but never issued loses carbon but has nothing credited: nothing is
    reversed; a second event on a parcel counts what the first reversed."""
    income = issued
    svc = income.service
    from methodologies.registry import get_methodology

    svc.register_parcel(svc.actor("centre"), "reg:new", parcel_code="HZ-BF-N01", sink_type="bamboo_forest",
                        holder_party_id="COL-A", geometry=rectangle(119.30, 30.70, 0.01), county_code="330523")
    svc.record_estimate(svc.actor("centre"), "est:new", parcel_codes=["HZ-BF-N01"], methodology_id=BAMBOO,
                        inputs=get_methodology(BAMBOO).example_inputs())
    out = record(income, "loss-new", parcels=[{"parcel_code": "HZ-BF-N01", "affected_area_ha": "1"}], cause="fire")
    assert Decimal(out["lost_t_co2e"]) > 100 and out["reversed_t"] == 0 and out["reversal_id"] is None
    first = record(income, "loss-a1", parcels=[{"parcel_code": "HZ-BF-C02", "affected_area_ha": "0.5"}])
    issued_c02 = issued.issuance["contributions_t"]["HZ-BF-C02"]
    assert 0 < first["reversed_t"] < issued_c02
    (plan,) = income.preview_loss(svc.actor("insurer"), event_date="2024-02-01",
                                  parcels=[{"parcel_code": "HZ-BF-C02", "affected_area_ha": "0.5"}])
    assert plan["reversed_t"] == first["reversed_t"]  # room left: issued − already reversed
    assert plan["steps"][-1]["equation"].endswith(f"{issued_c02} − {first['reversed_t']})")
    assert svc.verify().ok


def test_a_buffer_too_small_refuses_the_event_and_changes_nothing(issued):  # type: ignore[no-untyped-def]
    income = issued
    svc = income.service
    head = svc.verify().head_hash
    everything = [{"parcel_code": c, "affected_area_ha": "50"} for c in ("HZ-BF-A01", "HZ-BF-C01")]
    assert_refused("buffer_insufficient", lambda: record(income, "loss-big", parcels=everything, cause="fire"))
    assert svc.verify().head_hash == head and not income.losses(svc.actor("insurer"))


@pytest.mark.parametrize("change, code", [
    ({"actor": "clerk"}, "not_permitted"),
    ({"cause": "meteor"}, "value_invalid"),
    ({"event_date": "last winter"}, "value_invalid"),
    ({"parcels": []}, "field_required"),
    ({"parcels": [{"parcel_code": "NO-SUCH", "affected_area_ha": "1"}]}, "parcel_not_found"),
    ({"parcels": [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "100000"}]}, "affected_area_exceeds_parcel"),
    ({"parcels": [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "-1"}]}, "value_invalid"),
    ({"parcels": [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "1", "damage_share_bp": 0}]}, "value_invalid"),
    ({"parcels": [SNOW, SNOW]}, "value_invalid"),
    ({"event_date": "2020-01-01"}, "loss_stock_unknown"),
])
def test_loss_refusals(issued, change, code):  # type: ignore[no-untyped-def]
    income = issued
    head = income.service.verify().head_hash
    assert_refused(code, lambda: record(income, "bad", **change))
    assert income.service.verify().head_hash == head
