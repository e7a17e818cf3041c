"""Equations of the Moso bamboo management methodology, one small pure function each.

Labels B1...B8 and A1 are those of :mod:`methodologies.bamboo_forest`, whose docstring and
``docs/methodologies/bamboo-moso-management.md`` give the sources. Every function takes and
returns :class:`~decimal.Decimal` in the units named in its signature and computes in the
34-digit context; none reads a parameter file or any global state.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from methodologies.accounting import carbon_to_co2, gas_to_t_co2e, n2o_n_to_n2o
from methodologies.units import KG_PER_TONNE, decimal_context

ZHOU_KEYS: Final = ("scale_kg", "dbh_exponent", "age_coefficient", "age_offset_du",
                    "age_exponent", "intercept_kg")




def stand_biomass_t_per_ha(*, culms_per_ha_by_age_class: Mapping[str, int],
                           culm_biomass_kg_by_age_class: Mapping[str, Decimal]) -> Decimal:
    """B1: stand biomass, ``Σ_a N_a × m_a / 1000`` in t d.m./ha.

    Option B of ``METHODOLOGIES.md`` §2.3 [V] (Li Y. et al. 2016; Cao et al. 2017): culm
    density ``N_a`` (culms/ha) times mean dry biomass per culm ``m_a`` (kg) by age class.

    Examples
    --------
    >>> stand_biomass_t_per_ha(culms_per_ha_by_age_class={"I": 1250},
    ...                        culm_biomass_kg_by_age_class={"I": Decimal("16.204")})
    Decimal('20.255')
    """
    with decimal_context():
        total_kg = sum((Decimal(count) * culm_biomass_kg_by_age_class[age]
                        for age, count in culms_per_ha_by_age_class.items() if count),
                       Decimal(0))
        return total_kg / KG_PER_TONNE


def zhou_culm_biomass_kg(*, dbh_cm: Decimal, age_du: int,
                         coefficients: Mapping[str, Decimal]) -> Decimal:
    """A1: per-culm biomass from DBH and age, ``M = a·D^b·(c·A/(d + A))^e + f`` in kg.

    Option A of ``METHODOLOGIES.md`` §2.3, attributed to Zhou Guomo 2006 [M]: coefficients
    ``a..f`` (keys of :data:`ZHOU_KEYS`) are unverified, and whether M is above-ground or
    whole-culm is unknown. ``D`` is DBH in cm, ``A`` age in du.
    """
    with decimal_context():
        age = Decimal(age_du)
        age_term = coefficients["age_coefficient"] * age / (coefficients["age_offset_du"] + age)
        return (coefficients["scale_kg"] * dbh_cm ** coefficients["dbh_exponent"]
                * age_term ** coefficients["age_exponent"] + coefficients["intercept_kg"])


def total_biomass_t_per_ha(*, above_ground_biomass_t_per_ha: Decimal,
                           root_shoot_ratio: Decimal) -> Decimal:
    """B2: above- plus below-ground biomass, ``B × (1 + R)`` in t d.m./ha (§2.2, R §7 [V])."""
    with decimal_context():
        return above_ground_biomass_t_per_ha * (1 + root_shoot_ratio)


def carbon_stock_t_c_per_ha(*, biomass_t_per_ha: Decimal, carbon_fraction: Decimal) -> Decimal:
    """B3: carbon stock, ``B_total × CF`` in t C/ha (CF §7 [V2])."""
    with decimal_context():
        return biomass_t_per_ha * carbon_fraction


def co2_stock_t_co2_per_ha(*, carbon_t_c_per_ha: Decimal) -> Decimal:
    """B4: carbon as CO2, ``C × 44/12`` in t CO2/ha (§1, exact ratio)."""
    return carbon_to_co2(carbon_t_c_per_ha)


def stock_change_t_co2e(*, first_t_c_per_ha: Decimal, last_t_c_per_ha: Decimal,
                        area_ha: Decimal) -> Decimal:
    """B5: stock difference over the area, ``(C_last − C_first) × A × 44/12`` in t CO2e (§2.2).

    Equal to ``(S_last − S_first) × A`` with ``S = C × 44/12`` (B4); the ratio is applied last
    so that the only inexact operation is the single division by 12.
    """
    with decimal_context():
        return carbon_to_co2((last_t_c_per_ha - first_t_c_per_ha) * area_ha)


def direct_n2o_n_kg(*, n_applied_kg_per_ha_yr: Decimal, area_ha: Decimal, period_yr: Decimal,
                    ef1: Decimal) -> Decimal:
    """B6a: direct N2O-N from synthetic N, ``F_SN × A × T × EF1`` in kg N2O-N (§4.4)."""
    with decimal_context():
        return n_applied_kg_per_ha_yr * area_ha * period_yr * ef1


def fertiliser_n2o_t_co2e(*, n_applied_kg_per_ha_yr: Decimal, area_ha: Decimal,
                          period_yr: Decimal, ef1: Decimal, gwp_n2o: Decimal) -> Decimal:
    """B6: direct fertiliser N2O, ``F_SN × A × T × EF1 × 44/28 × GWP_N2O / 1000`` in t CO2e.

    Examples
    --------
    Case N1 of ``METHODOLOGIES.md`` §6 (300 kg N/ha, EF1 0.01, AR6 GWP 273):

    >>> round(fertiliser_n2o_t_co2e(
    ...     n_applied_kg_per_ha_yr=Decimal(300), area_ha=Decimal(1), period_yr=Decimal(1),
    ...     ef1=Decimal("0.01"), gwp_n2o=Decimal(273)), 3)
    Decimal('1.287')
    """
    n2o_n_kg = direct_n2o_n_kg(n_applied_kg_per_ha_yr=n_applied_kg_per_ha_yr, area_ha=area_ha,
                               period_yr=period_yr, ef1=ef1)
    return gas_to_t_co2e(mass_kg=n2o_n_to_n2o(n2o_n_kg), gwp=gwp_n2o)


def net_removals_t_co2e(*, stock_change_t_co2e: Decimal, emissions_t_co2e: Decimal,
                        baseline_t_co2e: Decimal, leakage_t_co2e: Decimal) -> Decimal:
    """B7: ``ΔC_NET = ΔC_P − GHG_E − ΔC_BSL − LK`` in t CO2e (§2.2 [M])."""
    with decimal_context():
        return stock_change_t_co2e - emissions_t_co2e - baseline_t_co2e - leakage_t_co2e


def gross_annual_fixation_t_c_per_ha_yr(*, carbon_stock_t_c_per_ha: Decimal,
                                        rotation_yr: Decimal) -> Decimal:
    """B8: gross annual fixation, ``stand C ÷ rotation`` in t C/ha/yr; display only (§2.5 [V]).

    Examples
    --------
    Case B2 (Zhang et al. 2014): 40.45 Mg C/ha over a 6-year rotation.

    >>> round(gross_annual_fixation_t_c_per_ha_yr(
    ...     carbon_stock_t_c_per_ha=Decimal("40.45"), rotation_yr=Decimal(6)), 3)
    Decimal('6.742')
    """
    with decimal_context():
        return carbon_stock_t_c_per_ha / rotation_yr
