"""Equations of the tea garden methodology, one small pure function each.

Labels T1...T7 are those of :mod:`methodologies.tea_garden`; ``METHODOLOGIES.md`` §4.2 and
§4.4 give the sources. Decimal in, Decimal out, 34-digit context, no globals.
"""

from decimal import Decimal

from methodologies.accounting import carbon_to_co2, gas_to_t_co2e, n2o_n_to_n2o
from methodologies.units import decimal_context


def biomass_carbon_t_c_per_ha(*, biomass_t_per_ha: Decimal, carbon_fraction: Decimal) -> Decimal:
    """T1: tea-bush carbon, ``B × CF`` in t C/ha (CF 0.47 [V2])."""
    with decimal_context():
        return biomass_t_per_ha * carbon_fraction


def stock_difference_t_co2e(*, first_t_c_per_ha: Decimal, last_t_c_per_ha: Decimal,
                            area_ha: Decimal) -> Decimal:
    """T2: ``(C_last − C_first) × A × 44/12`` in t CO2e (Tier 2 stock difference, §4.2)."""
    with decimal_context():
        return carbon_to_co2((last_t_c_per_ha - first_t_c_per_ha) * area_ha)


def tier1_biomass_carbon_t_c_per_ha(*, age_yr: Decimal, rate_t_c_per_ha_yr: Decimal,
                                    plateau_t_c_per_ha: Decimal) -> Decimal:
    """T3: Tier 1 tea-bush carbon at a given age, ``min(G × age, plateau)`` in t C/ha.

    IPCC 2006 Table 5.1 gives ``G`` = 2.1 t C/ha/yr for temperate perennial woody crops
    [V2]; a pruned tea hedge plateaus within a few years, so the accumulation stops at the
    measured plateau (§4.2 caution) and is 0 before planting.

    Examples
    --------
    >>> tier1_biomass_carbon_t_c_per_ha(age_yr=Decimal(3), rate_t_c_per_ha_yr=Decimal("2.1"),
    ...                                 plateau_t_c_per_ha=Decimal(20))
    Decimal('6.3')
    """
    with decimal_context():
        return min(max(age_yr, Decimal(0)) * rate_t_c_per_ha_yr, plateau_t_c_per_ha)


def carbon_change_t_co2e(*, change_t_c_per_ha: Decimal, area_ha: Decimal) -> Decimal:
    """T3/T4: a per-hectare carbon change over the area, ``ΔC × A × 44/12`` in t CO2e.

    Examples
    --------
    Case T3: 20 ha × 2.1 t C/ha/yr × 3 yr = 126 t C = 462 t CO2.

    >>> carbon_change_t_co2e(change_t_c_per_ha=Decimal("6.3"), area_ha=Decimal(20))
    Decimal('462.0')
    """
    with decimal_context():
        return carbon_to_co2(change_t_c_per_ha * area_ha)


def n2o_n_kg(*, n_applied_kg_per_ha_yr: Decimal, area_ha: Decimal, period_yr: Decimal,
             emission_factor: Decimal) -> Decimal:
    """T5/T6: ``F_SN × A × T × EF`` in kg N2O-N (direct: EF1; leaching: Frac_LEACH × EF5)."""
    with decimal_context():
        return n_applied_kg_per_ha_yr * area_ha * period_yr * emission_factor


def n2o_t_co2e(*, n2o_n_kg_total: Decimal, gwp_n2o: Decimal) -> Decimal:
    """T7: ``N2O-N × 44/28 × GWP_N2O / 1000`` in t CO2e (§4.4).

    Examples
    --------
    Case N1: 300 kg N × 0.01 = 3 kg N2O-N → 4.714 kg N2O → 1.287 t CO2e at AR6 (273).

    >>> round(n2o_t_co2e(n2o_n_kg_total=Decimal(3), gwp_n2o=Decimal(273)), 3)
    Decimal('1.287')
    """
    return gas_to_t_co2e(mass_kg=n2o_n_to_n2o(n2o_n_kg_total), gwp=gwp_n2o)
