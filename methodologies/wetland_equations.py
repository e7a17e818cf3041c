"""Equations of the lake and marsh wetland methodology, one small pure function each.

Labels W1...W6 are those of :mod:`methodologies.wetland`; ``METHODOLOGIES.md`` §3.3 gives the
structure. Every function takes and returns :class:`~decimal.Decimal` in the units named in its
signature and computes in the 34-digit context.
"""

from decimal import Decimal

from methodologies.accounting import carbon_to_co2, ch4_c_to_ch4, gas_to_t_co2e, n2o_n_to_n2o
from methodologies.units import M2_PER_HA, decimal_context

KG_PER_M2_TO_T_PER_HA = M2_PER_HA / 1000  # 1 kg/m² = 10 t/ha (definitional).


def herbaceous_default_t_c_per_ha(*, peak_biomass_kg_per_m2: Decimal, carbon_fraction: Decimal,
                                  peak_to_mean_factor: Decimal) -> Decimal:
    """W1 derivation: VM0033 footnote 32, ``AGB_peak × CF × factor × 10`` in t C/ha.

    The published default (3 t C/ha) rounds this product; the methodology uses the published
    value, this function only reproduces its derivation (case W1 of ``METHODOLOGIES.md`` §6).

    Examples
    --------
    Median peak AGB 1.3 kg d.m./m² (20 sites), 0.45 C in organic matter, 0.5 to average peak
    and minimum:

    >>> herbaceous_default_t_c_per_ha(peak_biomass_kg_per_m2=Decimal("1.3"),
    ...     carbon_fraction=Decimal("0.45"), peak_to_mean_factor=Decimal("0.5"))
    Decimal('2.9250')
    """
    with decimal_context():
        return (peak_biomass_kg_per_m2 * carbon_fraction * peak_to_mean_factor
                * KG_PER_M2_TO_T_PER_HA)


def herbaceous_carbon_t_c_per_ha(*, cover_pct: Decimal,
                                 full_cover_carbon_t_c_per_ha: Decimal) -> Decimal:
    """W1: herbaceous carbon pro rata to cover, ``C_herb × cover / 100`` in t C/ha (VM0033)."""
    with decimal_context():
        return full_cover_carbon_t_c_per_ha * cover_pct / 100


def vegetation_credit_t_co2e(*, carbon_t_c_per_ha: Decimal, area_ha: Decimal) -> Decimal:
    """W1: the one-off herbaceous credit, ``C × A × 44/12`` in t CO2e.

    Examples
    --------
    >>> vegetation_credit_t_co2e(carbon_t_c_per_ha=Decimal(3), area_ha=Decimal(1))
    Decimal('11')
    """
    with decimal_context():
        return carbon_to_co2(carbon_t_c_per_ha * area_ha)


def woody_stock_change_t_co2e(*, first_t_c_per_ha: Decimal, last_t_c_per_ha: Decimal,
                              area_ha: Decimal) -> Decimal:
    """W2: woody vegetation stock difference, ``(C_last − C_first) × A × 44/12`` in t CO2e."""
    with decimal_context():
        return carbon_to_co2((last_t_c_per_ha - first_t_c_per_ha) * area_ha)


def sediment_burial_t_co2e(*, rate_t_c_per_ha_yr: Decimal, area_ha: Decimal,
                           period_yr: Decimal) -> Decimal:
    """W3: soil/sediment carbon burial, ``A × R_acc × Δt × 44/12`` in t CO2e (§3.3).

    Examples
    --------
    The Chinese-lake mean 0.22 t C/ha/yr is 0.81 t CO2/ha/yr (§3.5):

    >>> round(sediment_burial_t_co2e(rate_t_c_per_ha_yr=Decimal("0.22"), area_ha=Decimal(1),
    ...                              period_yr=Decimal(1)), 2)
    Decimal('0.81')
    """
    with decimal_context():
        return carbon_to_co2(area_ha * rate_t_c_per_ha_yr * period_yr)


def ch4_flux_kg_ch4_per_ha_yr(*, flux_kg_per_ha_yr: Decimal, as_carbon: bool) -> Decimal:
    """W4a: a CH4 flux in kg CH4/ha/yr; a CH4-C flux is converted × 16/12 (§1)."""
    return ch4_c_to_ch4(flux_kg_per_ha_yr) if as_carbon else flux_kg_per_ha_yr


def ch4_emissions_t_co2e(*, ch4_kg_per_ha_yr: Decimal, area_ha: Decimal, period_yr: Decimal,
                         gwp_ch4: Decimal) -> Decimal:
    """W4: ``A × EF_CH4 × Δt × GWP_CH4 / 1000`` in t CO2e (§3.3).

    Examples
    --------
    Case M1 (193.7 kg CH4/ha/yr, AR6 non-fossil 27.0):

    >>> round(ch4_emissions_t_co2e(ch4_kg_per_ha_yr=Decimal("193.7"), area_ha=Decimal(1),
    ...                            period_yr=Decimal(1), gwp_ch4=Decimal("27.0")), 3)
    Decimal('5.230')
    """
    with decimal_context():
        return gas_to_t_co2e(mass_kg=area_ha * ch4_kg_per_ha_yr * period_yr, gwp=gwp_ch4)


def n2o_emissions_t_co2e(*, n2o_n_kg_per_ha_yr: Decimal, area_ha: Decimal, period_yr: Decimal,
                         gwp_n2o: Decimal) -> Decimal:
    """W5: ``A × EF_N2O × Δt × 44/28 × GWP_N2O / 1000`` in t CO2e (§3.3)."""
    with decimal_context():
        n2o_kg = n2o_n_to_n2o(area_ha * n2o_n_kg_per_ha_yr * period_yr)
        return gas_to_t_co2e(mass_kg=n2o_kg, gwp=gwp_n2o)
