"""The ``uncertainty`` input: VM0033 §8.5.2 inside every methodology, shown in the trace."""

from decimal import Decimal
from typing import Any

import pytest

from methodologies.errors import InvalidInput
from methodologies.registry import get_methodology, list_methodologies
from methodologies.uncertainty import ner_error_fraction

LATEST = sorted({m.id for m in list_methodologies()})


def example(methodology_id: str) -> dict[str, Any]:
    document = get_methodology(methodology_id).example_inputs()
    document.pop("uncertainty", None)
    return document


@pytest.mark.parametrize("methodology_id", LATEST)
def test_every_methodology_accepts_both_forms(methodology_id: str) -> None:
    """NER_ERROR in % or U per component; the deduction and the profile show in the trace."""
    methodology = get_methodology(methodology_id)
    plain = methodology.estimate(example(methodology_id))
    direct = methodology.estimate(dict(example(methodology_id),
                                       uncertainty={"profile": "VCS", "ner_error_pct": "30"}))
    assert plain.uncertainty_deduction_kg_co2e == 0
    expected = plain.net_kg_co2e * Decimal("0.9")  # 30 % − 20 % allowable.
    assert abs(direct.net_kg_co2e - expected) <= 2
    assert direct.uncertainty_deduction_kg_co2e == pytest.approx(plain.net_kg_co2e / 10, abs=2)
    names = [s.name for s in direct.steps]
    assert {"allowable uncertainty", "NER_ERROR", "uncertainty deduction",
            "net removals after uncertainty deduction"} <= set(names)
    assert "uncertainty_allowable.VCS" in {p.key for p in direct.parameters}
    assert direct.inputs["uncertainty"] == {"profile": "VCS", "ner_error_pct": "30"}


@pytest.mark.parametrize(("profile", "deducted_pct", "unverified"), [
    ("VCS", 5, False), ("VCS_95CI", 0, False), ("CCER", 15, True)])
def test_the_profile_sets_the_allowable(tea_example, profile: str, deducted_pct: int,
                                        unverified: bool) -> None:
    """25 % error: VCS 20 % → 5 % off; VCS 95 % CI 30 % → none; CCER 10 % [M] → 15 % off."""
    plain = get_methodology("sinkledger.tea-garden").estimate(tea_example)
    result = get_methodology("sinkledger.tea-garden").estimate(
        dict(tea_example, uncertainty={"profile": profile, "ner_error_pct": "25"}))
    assert result.uncertainty_deduction_kg_co2e == pytest.approx(
        plain.net_kg_co2e * deducted_pct / 100, abs=1)
    assert result.uses_unverified is unverified


def test_the_component_form_composes_eqs_89_and_91(wetland_example) -> None:
    """NER_ERROR = sqrt(Σ (U_k E_k)²) / |Σ E_k| with E from the estimate itself."""
    result = get_methodology("sinkledger.wetland-lake-marsh").estimate(wetland_example)
    contributions = {"herbaceous_vegetation": Decimal("121.275"),
                     "sediment_burial": Decimal("33.418"), "ch4": -Decimal("51.0384"),
                     "n2o": -Decimal("9.7944")}
    u = {"herbaceous_vegetation": Decimal("0.2"), "sediment_burial": Decimal("0.35"),
         "ch4": Decimal("0.4"), "n2o": Decimal("0.6")}
    expected = ner_error_fraction(contributions_t_co2e=contributions, u_fractions=u)
    step = next(s for s in result.steps if s.name == "NER_ERROR")
    assert Decimal(step.value) == expected
    assert abs(result.uncertainty_deduction_kg_co2e
               - Decimal("93.8602") * (expected - Decimal("0.2")) * 1000) <= 1


def test_a_component_without_u_counts_zero_and_warns(wetland_example) -> None:
    wetland_example["uncertainty"]["component_u_pct"].pop("ch4")
    result = get_methodology("sinkledger.wetland-lake-marsh").estimate(wetland_example)
    assert "uncertainty_component_assumed_zero" in result.warning_codes


def test_a_loss_is_never_reduced(wetland_example) -> None:
    """A negative net (a reversal) is kept whole: a deduction would shrink the reversal."""
    wetland_example.update(herbaceous_vegetation_credit_claimed_before=True,
                           ch4_kg_per_ha_yr="200")
    wetland_example["uncertainty"] = {"profile": "VCS", "ner_error_pct": "80"}
    result = get_methodology("sinkledger.wetland-lake-marsh").estimate(wetland_example)
    assert result.net_kg_co2e < 0 and result.uncertainty_deduction_kg_co2e == 0


@pytest.mark.parametrize(("block", "code"), [
    ({"profile": "VCS"}, "uncertainty_must_be_given_one_way"),
    ({"profile": "VCS", "ner_error_pct": "5", "component_u_pct": {}},
     "uncertainty_must_be_given_one_way"),
    ({"profile": "GS", "ner_error_pct": "5"}, "uncertainty_profile_unknown"),
    ({"ner_error_pct": "5"}, "field_is_required"),
    ({"profile": "VCS", "ner_error_pct": "-5"}, "uncertainty_must_not_be_negative"),
    ({"profile": "VCS", "component_u_pct": {"trees": "5"}}, "uncertainty_component_unknown"),
    ({"profile": "VCS", "ner_error_pct": "5", "confidence": "90"}, "field_is_unknown"),
    ("25 %", "value_must_be_an_object"),
])
def test_refusals(tea_example, block: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        get_methodology("sinkledger.tea-garden").estimate(dict(tea_example, uncertainty=block))
    assert code in raised.value.codes


def test_bamboo_1_0_0_has_no_uncertainty_input(example) -> None:
    """A released version never changes: 1.0.0 refuses the field that 1.1.0 added."""
    with pytest.raises(InvalidInput) as raised:
        get_methodology("sinkledger.bamboo-moso-management", "1.0.0").estimate(
            dict(example, uncertainty={"profile": "VCS", "ner_error_pct": "25"}))
    assert raised.value.codes == ("field_is_unknown",)


def test_bamboo_1_0_0_documents_rerun_identically_under_both_versions(example) -> None:
    """Same numbers and same normalised inputs; only the version (and so the hash) differs."""
    old = get_methodology("sinkledger.bamboo-moso-management", "1.0.0").estimate(example)
    new = get_methodology("sinkledger.bamboo-moso-management", "1.1.0").estimate(example)
    assert (old.net_kg_co2e, old.stock_change_kg_co2e, old.emissions_kg_co2e) == (
        new.net_kg_co2e, new.stock_change_kg_co2e, new.emissions_kg_co2e)
    assert old.inputs == new.inputs and old.steps == new.steps
    assert old.reproducibility_hash != new.reproducibility_hash
