"""The tonnage calculator against hand computations from METHODOLOGIES.md, and the court's decision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.court.calculator import propose_tonnage
from ledger.court.domain import money_to_tonnes
from tests.court.conftest import CASE_NO, assert_refused, register_case


def test_t3_tea_twenty_hectares_three_years():
    """METHODOLOGIES.md §6 T3: 20 ha × 2.1 t C/ha/yr × 3 yr = 126 t C = 462 t CO2 (exact)."""
    p = propose_tonnage(sink_type="tea_garden", damaged_area_ha=Decimal(20), years_to_recovery=3)
    assert p.exact_t_co2e == Decimal(462) and p.proposed_t == 462
    assert p.to_dict()["basis"]["parameter"]["value"] == "2.1"
    assert "tea_rate_establishment_only" in [w["code"] for w in p.warnings]


def test_chongqing_forest_area_with_the_bamboo_reference_rate():
    """623.55 m² = 0.062355 ha; Xu 2017: 2.95 Mg C/ha over 5 yr = 0.59 t C/ha/yr; 30 years to recovery.

    By hand: 0.062355 × 0.59 × 44/12 × 30 = 4.0468395 t CO2e → floor 4 t.
    """
    p = propose_tonnage(sink_type="bamboo_forest", damaged_area_ha=Decimal("0.062355"), years_to_recovery=30)
    assert p.exact_t_co2e == pytest.approx(Decimal("4.0468395"), abs=Decimal("1e-20"))
    assert p.proposed_t == 4
    assert [s.name for s in p.steps] == ["rate_t_co2e_per_ha_yr", "exact_t_co2e", "proposed_t"]


def test_wetland_reference_rate_is_burial_only_and_warns():
    """§3.4: 0.22 t C/ha/yr = 0.8066… t CO2/ha/yr; 150 ha × 10 yr = 1,210 t (floor of 1,210.0)."""
    p = propose_tonnage(sink_type="wetland", damaged_area_ha=Decimal(150), years_to_recovery=10)
    assert p.proposed_t == 1210 and "wetland_methane_not_deducted" in [w["code"] for w in p.warnings]


def test_rate_from_an_estimate():
    """An estimate of 34,499 kg over 12.5 ha and 2 yr is 1.37996 t/ha/yr; 10 ha × 5 yr = 68.998 → 68 t."""
    estimate = {"sink_type": "bamboo_forest", "period_start": "2021-11-15", "period_end": "2023-11-15",
                "area_ha": "12.5", "net_kg_co2e": 34_499, "methodology_id": "m", "steps": []}
    p = propose_tonnage(sink_type="bamboo_forest", damaged_area_ha=Decimal(10), years_to_recovery=5, estimate=estimate)
    assert p.rate_t_co2e_per_ha_yr == Decimal("1.37996") and p.proposed_t == 68


def test_c1_floor_and_round_differ():
    """§5.1 C1: 122,366 yuan at 58.83 yuan/t is 2,079 t (round would give 2,080), 58.43 yuan left."""
    assert money_to_tonnes(12_236_600, 5_883) == (2_079, 5_843)
    assert round(12_236_600 / 5_883) == 2_080


def test_court_confirms_or_overrides_the_proposal(court):  # type: ignore[no-untyped-def]
    """The order keeps the proposal and the decision; an override needs a reason."""
    register_case(court, area_ha="20", sink_type="tea_garden")
    judge = court.service.actor("judge")
    calc = {"years_to_recovery": 3}
    preview = court.propose(judge, case_no=CASE_NO, calculation=calc)
    assert preview["proposed_t"] == 462
    confirmed = court.issue_order(judge, "o:c", case_no=CASE_NO, item="第一项", kind="quantity", due_date="2025-01-31",
                                  calculation=calc)
    assert (confirmed["quantity_t"], confirmed["decision"], confirmed["proposed_t"]) == (462, "confirmed", 462)
    assert_refused("override_reason_required", lambda: court.issue_order(
        judge, "o:x", case_no=CASE_NO, item="第二项", kind="quantity", due_date="2025-01-31", calculation=calc,
        quantity_t=500))
    over = court.issue_order(judge, "o:o", case_no=CASE_NO, item="第二项", kind="quantity", due_date="2025-01-31",
                             calculation=calc, quantity_t=500, override_reason="鉴定意见另计生物多样性损失")
    assert (over["quantity_t"], over["decision"], over["proposed_t"]) == (500, "overridden", 462)
    status = court.status(judge, order_id=over["order_id"])
    (order,) = status["orders"]
    assert order["proposal"]["proposed_t"] == 462 and order["override_reason"].startswith("鉴定意见")


def test_calculator_with_a_recorded_estimate_of_another_sink_type_is_refused(stocked):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from ledger.store import EstimateRow

    register_case(stocked, sink_type="wetland")
    with stocked.service.db.read() as s:
        estimate_id = s.exec(select(EstimateRow.id)).first()
    assert_refused("estimate_sink_type_mismatch", lambda: stocked.propose(
        stocked.service.actor("judge"), case_no=CASE_NO,
        calculation={"years_to_recovery": 5, "estimate_id": estimate_id}))


def test_calculator_runs_the_methodology_and_keeps_its_trace(court):  # type: ignore[no-untyped-def]
    from methodologies.registry import get_methodology
    from tests.court.conftest import BAMBOO

    register_case(court, area_ha="10")
    inputs = get_methodology(BAMBOO).example_inputs()
    p = court.propose(court.service.actor("judge"), case_no=CASE_NO,
                      calculation={"years_to_recovery": 5, "methodology_id": BAMBOO, "inputs": inputs})
    assert p["basis"]["kind"] == "estimate" and p["basis"]["estimate"]["steps"]
    assert p["proposed_t"] == 68
