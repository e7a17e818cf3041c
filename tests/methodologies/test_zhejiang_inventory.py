"""Per-pool results of a plot inventory against a published Zhejiang moso stand inventory
(issue 21).

Published figures (Li Y. et al. 2016, Chinese Journal of Plant Ecology 40,
doi:10.17521/cjpe.2015.0193, Zhejiang provincial bamboo-forest inventory, n = 12 plots; read by
an earlier session and recorded in METHODOLOGIES.md §2.4 as [V]; not re-read for this test):

- Table 3, carbon density by pool: bamboo layer 23.78, litter 0.63, soil (0–100 cm) 71.63 t C/ha;
- Table 2, soil organic carbon by depth: 0–10 cm 28.76, 10–20 cm 14.42, 20–30 cm 9.97,
  30–50 cm 7.31, 50–100 cm 5.60 g/kg;
- stand biomass = culm count × 10.44 kg/culm (their option B figure, citing Zhang M. 2009).

What the paper does not give in what was read: the per-plot culm counts and the bulk density.
So this is a consistency check, not a reproduction: the soil pool is compared with the bulk
density their Tables 2 and 3 imply together (0.748 g/cm³, derived here), and the biomass pool
with the culm density their bamboo layer implies under this methodology's R (0.33) and CF (0.47),
about 3,650 culms/ha, which lies inside the 3,000–3,750 culms/ha recommended for Zhejiang timber
stands (METHODOLOGIES.md §2.4, a secondary source). The test fails if the plot path's per-pool
arithmetic, its stratified means or the units between them drift.
"""

from decimal import Decimal

import pytest

from methodologies.registry import get_methodology

BAMBOO = get_methodology("sinkledger.bamboo-moso-management")
LI_2016 = {"biomass": Decimal("23.78"), "litter": Decimal("0.63"), "soil": Decimal("71.63")}
DEPTHS_CM = (10, 10, 10, 20, 50)
SOC_G_PER_KG = (Decimal("28.76"), Decimal("14.42"), Decimal("9.97"), Decimal("7.31"),
                Decimal("5.60"))
IMPLIED_BULK_DENSITY = (LI_2016["soil"] * 10 / sum(
    c * h for c, h in zip(SOC_G_PER_KG, DEPTHS_CM))).quantize(Decimal("0.001"))
CULMS_PER_PLOT = 146  # per 400 m² = 3,650 culms/ha
SPREAD = (-9, 9, -6, 6, -4, 4, -2, 2, -1, 1, 0, 0)  # 12 plots, mean unchanged
LITTER_G_PER_M2 = Decimal("295.77")  # 0.63 t C/ha at the litter carbon fraction 0.213


def _plot(index: int, spread: int) -> dict:
    culms = [{"age_class": ("I", "II", "III")[i % 3]} for i in range(CULMS_PER_PLOT + spread)]
    soil = [{"thickness_cm": str(h), "bulk_density_g_per_cm3": str(IMPLIED_BULK_DENSITY),
             "organic_carbon_g_per_kg": str(c + Decimal(spread) / 10)}
            for h, c in zip(DEPTHS_CM, SOC_G_PER_KG)]
    return {"plot_id": f"ZJ{index:02d}", "stratum": "zhejiang", "area_m2": "400",
            "culms": culms, "litter_dry_mass_g_per_m2": str(LITTER_G_PER_M2 + spread),
            "soil_layers": soil}


def _inventory() -> dict:
    per_culm = {"I": "10.44", "II": "10.44", "III": "10.44"}
    plots = [_plot(i, s) for i, s in enumerate(SPREAD, start=1)]
    return {"area_ha": "100", "period_start": "2014-11-01", "period_end": "2016-11-01",
            "biomass_method": "mean_culm_biomass", "culm_biomass_basis": "above_ground",
            "plot_inventory": {"strata": {"zhejiang": "100"}, "events": [
                {"date": "2014-11-01", "mean_culm_biomass_kg_by_age_class": per_culm,
                 "plots": plots},
                {"date": "2016-11-01", "mean_culm_biomass_kg_by_age_class": per_culm,
                 "plots": plots}]}}


def test_the_implied_figures_are_realistic() -> None:
    assert Decimal("0.7") < IMPLIED_BULK_DENSITY < Decimal("0.8")
    assert 3_000 <= CULMS_PER_PLOT * 25 <= 3_750


@pytest.mark.parametrize(("pool", "tolerance"), [("biomass", Decimal("0.01")),
                                                 ("soil", Decimal("0.001")),
                                                 ("litter", Decimal("0.001"))])
def test_each_pool_of_the_plot_estimate_matches_the_published_zhejiang_density(
        pool: str, tolerance: Decimal) -> None:
    estimate = BAMBOO.estimate(_inventory())
    stock = Decimal(estimate.sampling["events"][0]["stock_by_pool"][pool])
    assert abs(stock - LI_2016[pool]) / LI_2016[pool] <= tolerance, (pool, stock)


def test_the_published_pools_add_up_through_the_plot_path() -> None:
    estimate = BAMBOO.estimate(_inventory())
    first = estimate.sampling["events"][0]
    total = Decimal(first["stock"]["mean"])
    assert total == sum(Decimal(v) for v in first["stock_by_pool"].values())
    # Li 2016's three pools sum to 96.04 t C/ha (their 96.98 also counts shrubs and herbs, 0.94).
    assert abs(total - sum(LI_2016.values())) / sum(LI_2016.values()) <= Decimal("0.005")
    # Twelve remeasured plots with no change: the change is zero, its precision undefined.
    assert Decimal(estimate.sampling["change"]["mean"]) == 0
