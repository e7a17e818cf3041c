"""Property tests (hypothesis) of the bamboo methodology and the common accounting."""

import copy
import datetime
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from methodologies.accounting import GWP_PROFILE_NAMES, apply_uncertainty_deduction
from methodologies.bamboo_forest import DEFAULT_PARAMETERS, estimate_bamboo_moso_management
from methodologies.bamboo_forest_inputs import AGE_CLASSES_DU
from methodologies.base import ParameterStatus
from methodologies.units import add_years

Document = dict[str, Any]
estimate = estimate_bamboo_moso_management

culm_counts = st.integers(min_value=0, max_value=5000)
culm_biomass_kg = st.decimals(min_value=Decimal("1"), max_value=Decimal("40"), places=3)
areas_ha = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
fertiliser_rates = st.one_of(
    st.just(Decimal(0)), st.decimals(min_value=Decimal(0), max_value=Decimal(400), places=1))


@st.composite
def events_pairs(draw: st.DrawFn, start: datetime.date, end: datetime.date) -> list[Document]:
    """Two monitoring events over the same non-empty set of age classes."""
    classes = draw(st.lists(st.sampled_from(list(AGE_CLASSES_DU)), min_size=1, max_size=6,
                            unique=True))
    return [{"date": day.isoformat(),
             "culms_per_ha_by_age_class": {age: draw(culm_counts) for age in classes},
             "mean_culm_biomass_kg_by_age_class": {age: str(draw(culm_biomass_kg))
                                                   for age in classes}}
            for day in (start, end)]


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Valid input documents for option B."""
    start = draw(st.dates(min_value=datetime.date(2000, 1, 1),
                          max_value=datetime.date(2040, 12, 31)))
    end = add_years(start, draw(st.integers(min_value=1, max_value=10)))
    return {
        "area_ha": str(draw(areas_ha)),
        "period_start": start.isoformat(), "period_end": end.isoformat(),
        "events": draw(events_pairs(start, end)),
        "fertiliser_n_kg_per_ha_yr": str(draw(fertiliser_rates)),
        "n2o_emission_factor_profile": draw(st.sampled_from(
            ["ipcc2019_wet_synthetic", "ipcc2019_aggregated", "ipcc2006_default"])),
    }


@given(document=documents(), factor=st.integers(min_value=2, max_value=50))
def test_result_scales_linearly_with_area(document: Document, factor: int) -> None:
    """k × area → k × result, within 1 kg of rounding per unit of k (baseline, leakage 0)."""
    single = estimate(document)
    document["area_ha"] = str(Decimal(document["area_ha"]) * factor)
    scaled = estimate(document)
    for field in ("net_kg_co2e", "stock_change_kg_co2e", "emissions_kg_co2e"):
        assert abs(getattr(scaled, field) - factor * getattr(single, field)) <= factor


@given(document=documents())
def test_zero_change_gives_zero(document: Document) -> None:
    """Identical inventories and no fertiliser → zero stock change, emissions and net."""
    first = document["events"][0]
    document["events"][1] = dict(copy.deepcopy(first), date=document["events"][1]["date"])
    document["fertiliser_n_kg_per_ha_yr"] = "0"
    result = estimate(document)
    assert (result.net_kg_co2e, result.stock_change_kg_co2e, result.emissions_kg_co2e) == (0, 0, 0)


@given(document=documents(), field=st.sampled_from(["baseline_net_kg_co2e", "leakage_kg_co2e",
                                                    "fertiliser_n_kg_per_ha_yr"]),
       smaller=st.integers(min_value=0, max_value=10**6),
       increase=st.integers(min_value=0, max_value=10**6))
def test_a_larger_deduction_never_raises_the_credited_amount(
        document: Document, field: str, smaller: int, increase: int) -> None:
    """More baseline, leakage or fertiliser never gives a larger net."""
    if field == "fertiliser_n_kg_per_ha_yr":  # within the physically possible (issue 21)
        smaller, increase = smaller % 1000, increase % 1000
    document[field] = smaller
    less = estimate(document).net_kg_co2e
    document[field] = smaller + increase
    assert estimate(document).net_kg_co2e <= less


@given(net=st.integers(min_value=-10**9, max_value=10**9),
       errors=st.lists(st.decimals(min_value=0, max_value=3, places=4), min_size=2, max_size=2),
       allowable=st.sampled_from([Decimal("0.10"), Decimal("0.20"), Decimal("0.30")]))
def test_a_larger_uncertainty_never_raises_the_credited_amount(
        net: int, errors: list[Decimal], allowable: Decimal) -> None:
    """VM0033 eq. 92 is monotone in the error and never exceeds |net| in its effect."""
    low, high = sorted(errors)
    adjusted_low = apply_uncertainty_deduction(net, uncertainty_fraction=low,
                                               allowable_fraction=allowable)
    adjusted_high = apply_uncertainty_deduction(net, uncertainty_fraction=high,
                                                allowable_fraction=allowable)
    assert adjusted_high <= adjusted_low
    if net > 0:
        assert 0 <= adjusted_high <= adjusted_low <= net
    else:
        assert adjusted_high == adjusted_low == net


@given(document=documents())
def test_components_add_up_to_net_within_one_kg(document: Document) -> None:
    result = estimate(document)
    recomposed = result.stock_change_kg_co2e - result.emissions_kg_co2e
    assert abs(recomposed - result.net_kg_co2e) <= 1


def _shift_end(document: Document) -> None:
    end = datetime.date.fromisoformat(document["period_end"]) + datetime.timedelta(days=1)
    document["period_end"] = document["events"][-1]["date"] = end.isoformat()


def _bump_first_count(document: Document) -> None:
    counts = document["events"][0]["culms_per_ha_by_age_class"]
    age = next(iter(counts))
    counts[age] += 1


def _bump_first_biomass(document: Document) -> None:
    per_culm = document["events"][-1]["mean_culm_biomass_kg_by_age_class"]
    age = next(iter(per_culm))
    per_culm[age] = str(Decimal(per_culm[age]) + Decimal("0.001"))


def _other_ef1_profile(document: Document) -> None:
    document["n2o_emission_factor_profile"] = (
        "ipcc2019_aggregated" if document["n2o_emission_factor_profile"] != "ipcc2019_aggregated"
        else "ipcc2006_default")


INPUT_MUTATIONS: dict[str, Callable[[Document], None]] = {
    "area": lambda d: d.__setitem__("area_ha", str(Decimal(d["area_ha"]) + Decimal("0.01"))),
    "period end and last event": _shift_end,
    "culm count": _bump_first_count,
    "culm biomass": _bump_first_biomass,
    "fertiliser": lambda d: d.__setitem__(
        "fertiliser_n_kg_per_ha_yr", str(Decimal(d["fertiliser_n_kg_per_ha_yr"]) + 1)),
    "EF1 profile": _other_ef1_profile,
    "baseline": lambda d: d.__setitem__("baseline_net_kg_co2e", 1),
    "leakage": lambda d: d.__setitem__("leakage_kg_co2e", 1),
    "biomass basis": lambda d: d.__setitem__("culm_biomass_basis", "whole_culm"),
}


@given(document=documents(), mutation=st.sampled_from(sorted(INPUT_MUTATIONS)))
def test_reproducibility_hash_changes_with_any_input(document: Document, mutation: str) -> None:
    before = estimate(document).reproducibility_hash
    INPUT_MUTATIONS[mutation](document)
    assert estimate(document).reproducibility_hash != before


@given(document=documents(), profiles=st.lists(st.sampled_from(GWP_PROFILE_NAMES), min_size=2,
                                                max_size=2, unique=True))
def test_reproducibility_hash_changes_with_the_gwp_profile(document: Document,
                                                           profiles: list[str]) -> None:
    first, second = (estimate(document, gwp_profile=p).reproducibility_hash for p in profiles)
    assert first != second


@given(document=documents(), key=st.sampled_from(["carbon_fraction", "root_shoot_ratio",
                                                  "gross_fixation_rotation_yr",
                                                  "net_removal_plausibility_limit"]),
       delta=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.5"), places=3))
def test_reproducibility_hash_changes_with_any_parameter_used(document: Document, key: str,
                                                              delta: Decimal) -> None:
    parameters = DEFAULT_PARAMETERS.override(
        key, DEFAULT_PARAMETERS[key].value + delta, "test", status=DEFAULT_PARAMETERS[key].status)
    assert (estimate(document, parameters).reproducibility_hash
            != estimate(document).reproducibility_hash)


@given(document=documents())
def test_reproducibility_hash_is_stable(document: Document) -> None:
    """Same document (also after a JSON round trip, or unused parameter changes) → same hash."""
    first = estimate(document)
    assert estimate(json.loads(json.dumps(document))).reproducibility_hash == (
        first.reproducibility_hash)
    unused = DEFAULT_PARAMETERS.override("zhou_allometry.scale_kg", "1", "unused in option B")
    assert estimate(document, unused).reproducibility_hash == first.reproducibility_hash
    assert len(first.reproducibility_hash) == 64


@settings(max_examples=50)
@given(document=documents(), key=st.sampled_from(["carbon_fraction", "root_shoot_ratio",
                                                  "gross_fixation_rotation_yr"]),
       status=st.sampled_from(list(ParameterStatus)))
def test_unverified_parameters_set_uses_unverified(document: Document, key: str,
                                                   status: ParameterStatus) -> None:
    """``uses_unverified`` is true exactly when a parameter used has status unverified."""
    parameters = DEFAULT_PARAMETERS.override(key, DEFAULT_PARAMETERS[key].value, "test",
                                             status=status)
    result = estimate(document, parameters)
    statuses = {p.status for p in result.parameters}
    assert result.uses_unverified == (ParameterStatus.UNVERIFIED in statuses)
    if status is ParameterStatus.UNVERIFIED:
        assert result.uses_unverified
        assert "parameters_are_unverified" in result.warning_codes
