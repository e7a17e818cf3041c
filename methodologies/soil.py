"""Soil organic carbon stocks: measured layered profiles and IPCC Tier 1 stock-change factors.

- :func:`layered_soc_t_c_per_ha`: ``SOC = Σ_i BD_i × C_i × (1 − G_i) × H_i / 10`` (t C/ha),
  Li Y. et al. 2016, 植物生态学报 40, doi:10.17521/cjpe.2015.0193, §1.2.4 [V]
  (``METHODOLOGIES.md`` §1; case S1).
- :func:`ipcc_soc_t_c_per_ha`: ``SOC = SOC_REF × F_LU × F_MG × F_I`` (t C/ha, 0-30 cm) and
  :func:`ipcc_soc_change_t_c_per_ha`, the linear transition over ``D`` years, IPCC 2006 Vol.4
  Ch.2 eq. 2.25 style (``METHODOLOGIES.md`` §4.2; factors [V2]).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from methodologies.units import decimal_context

SOIL_LAYER_DIVISOR = Decimal(10)  # g/cm³ × g/kg × cm → t/ha needs ÷ 10 (definitional).


@dataclass(frozen=True, kw_only=True)
class SoilLayer:
    """One sampled soil layer."""

    bulk_density_g_per_cm3: Decimal
    organic_carbon_g_per_kg: Decimal
    gravel_fraction: Decimal  # Volume share of particles > 2 mm, 0-1.
    thickness_cm: Decimal


def layered_soc_t_c_per_ha(layers: Sequence[SoilLayer]) -> Decimal:
    """Soil organic carbon of a profile, ``Σ BD × C × (1 − G) × H / 10`` in t C/ha.

    Examples
    --------
    Case S1: BD 1.2 g/cm³, C 20 g/kg, H 20 cm, no gravel → 48 t C/ha.

    >>> layered_soc_t_c_per_ha([SoilLayer(bulk_density_g_per_cm3=Decimal("1.2"),
    ...     organic_carbon_g_per_kg=Decimal(20), gravel_fraction=Decimal(0),
    ...     thickness_cm=Decimal(20))])
    Decimal('48.0')
    """
    with decimal_context():
        total = sum((layer.bulk_density_g_per_cm3 * layer.organic_carbon_g_per_kg
                     * (1 - layer.gravel_fraction) * layer.thickness_cm
                     for layer in layers), Decimal(0))
        return total / SOIL_LAYER_DIVISOR


def ipcc_soc_t_c_per_ha(*, soc_ref_t_c_per_ha: Decimal, land_use_factor: Decimal,
                        management_factor: Decimal, input_factor: Decimal) -> Decimal:
    """``SOC = SOC_REF × F_LU × F_MG × F_I`` in t C/ha (IPCC 2006 Vol.4 eq. 2.25 style).

    Examples
    --------
    Warm temperate moist LAC (63) under long-term cultivation (0.69), full tillage, medium input:

    >>> ipcc_soc_t_c_per_ha(soc_ref_t_c_per_ha=Decimal(63), land_use_factor=Decimal("0.69"),
    ...     management_factor=Decimal(1), input_factor=Decimal(1))
    Decimal('43.47')
    """
    with decimal_context():
        return soc_ref_t_c_per_ha * land_use_factor * management_factor * input_factor


def ipcc_transition_share(*, years_since_change: Decimal, transition_yr: Decimal) -> Decimal:
    """Share of a Tier 1 stock change reached after ``years_since_change``: ``min(t, D) / D``.

    The change is linear over ``D`` years (default 20) and complete afterwards; before the
    change (negative years) the share is 0.
    """
    with decimal_context():
        return min(max(years_since_change, Decimal(0)), transition_yr) / transition_yr
