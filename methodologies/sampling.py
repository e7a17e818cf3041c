"""Sampling statistics of plot inventories: stratified means, precision, plots needed.

Design-based estimators of stratified random sampling (Cochran W.G. 1977, *Sampling
Techniques*, 3rd ed., Wiley, ch. 5: eqs. 5.1, 5.6 without the finite-population correction,
5.25-5.26 for Neyman allocation, 5A.42 for the Satterthwaite effective degrees of freedom), as
used by the CDM A/R tool "Calculation of the number of sample plots for measurements within
A/R CDM project activities" (AR-TOOL03, v2.1.0; structure seen in its secondary renderings,
the Winrock sample-plot calculator and the EB 31 v01 text, [V2]) that the CCER forestry
methodologies cite, and the precision target of the CCER A/R convention and VM0033: the
half-width of the 90 % confidence interval within ±10 % of the mean (``METHODOLOGIES.md``
§2.2, §5.3).

For stratum ``h`` with area ``A_h`` (weight ``W_h = A_h / Σ A``), ``n_h`` plots with values
``y_hi`` (e.g. t C/ha):

- mean ``ȳ_h = Σ_i y_hi / n_h``; variance ``s_h² = Σ_i (y_hi − ȳ_h)² / (n_h − 1)``;
- stratified mean ``ȳ_st = Σ_h W_h ȳ_h``; its variance ``v = Σ_h W_h² s_h² / n_h`` (plots are a
  negligible share of a stratum's area, so no finite-population correction); ``SE = √v``;
- degrees of freedom (Satterthwaite): ``df = v² / Σ_h (W_h² s_h² / n_h)² / (n_h − 1)``;
- half-width ``t_{0.95, df} × SE`` (two-sided 90 %), precision ``half-width / |ȳ_st|``;
- plots needed for a relative half-width ``E`` (0.10): Neyman
  ``n = t² (Σ_h W_h s_h)² / (E ȳ_st)²``, ``n_h = n W_h s_h / Σ_h W_h s_h``; proportional
  ``n = t² Σ_h W_h s_h² / (E ȳ_st)²``, ``n_h = n W_h``; ``t`` is iterated at ``df = n − H``
  until it settles, and every ``n_h`` rounded up (at least 2 per stratum).

Everything is Decimal in the 34-digit context except Student's t quantile, computed in binary
floating point and rounded to 6 significant digits before use (:func:`student_t_quantile`).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Final

from methodologies.units import canonical_decimal, decimal_context

CONFIDENCE: Final = Decimal("0.90")  # Two-sided (CCER A/R convention, VM0033 §8.5.2).
TARGET_PRECISION: Final = Decimal("0.10")  # ±10 % of the mean.
MINIMUM_PLOTS_PER_STRATUM: Final = 2  # A variance needs two plots.
_Z_95: Final = 1.6448536269514722  # Standard normal 0.95 quantile (df → ∞).


# --- Student's t --------------------------------------------------------------------------------

def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _t_upper_tail(t: float, df: float) -> float:
    """``P(T > t)`` for ``t >= 0``."""
    return 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


def student_t_quantile(df: Decimal, confidence: Decimal = CONFIDENCE) -> Decimal:
    """Two-sided Student's t value: ``t`` with ``P(|T| ≤ t) = confidence`` at ``df`` (> 0).

    Bisection on the t distribution function (regularised incomplete beta), rounded to 6
    significant digits; ``df`` above 10⁶ gives the normal quantile.

    Examples
    --------
    Published table values (two-sided 90 %): 6.314 (df 1), 1.812 (df 10), 1.645 (∞).

    >>> student_t_quantile(Decimal(1)), student_t_quantile(Decimal(10))
    (Decimal('6.31375'), Decimal('1.81246'))
    """
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = (1.0 - float(confidence)) / 2.0
    nu = float(df)
    if nu > 1e6 and confidence == CONFIDENCE:
        value = _Z_95
    else:
        low, high = 0.0, 1.0
        while _t_upper_tail(high, nu) > tail:
            high *= 2.0
        for _ in range(200):
            middle = (low + high) / 2.0
            if _t_upper_tail(middle, nu) > tail:
                low = middle
            else:
                high = middle
        value = (low + high) / 2.0
    return Decimal(f"{value:.6g}")


# --- Estimates ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class StratumStatistics:
    """One stratum's plots summarised."""

    name: str
    weight: Decimal  # W_h = A_h / Σ A.
    plots: int  # n_h.
    mean: Decimal  # ȳ_h.
    variance: Decimal  # s_h².

    @property
    def standard_deviation(self) -> Decimal:
        with decimal_context():
            return self.variance.sqrt()


@dataclass(frozen=True, kw_only=True)
class StratifiedEstimate:
    """A stratified mean with its standard error, 90 % interval and precision."""

    strata: tuple[StratumStatistics, ...]
    mean: Decimal
    standard_error: Decimal
    degrees_of_freedom: Decimal
    t_value: Decimal
    half_width: Decimal
    precision: Decimal | None  # half_width / |mean|; None when the mean is 0.

    @property
    def plots(self) -> int:
        return sum(s.plots for s in self.strata)

    @property
    def ci_low(self) -> Decimal:
        with decimal_context():
            return self.mean - self.half_width

    @property
    def ci_high(self) -> Decimal:
        with decimal_context():
            return self.mean + self.half_width

    def meets(self, target: Decimal = TARGET_PRECISION) -> bool:
        """Whether the precision is within ``target`` (a zero mean never meets it)."""
        return self.precision is not None and self.precision <= target

    def to_dict(self) -> dict[str, object]:
        """JSON-safe summary (decimals as canonical strings)."""
        return {
            "mean": canonical_decimal(self.mean),
            "standard_error": canonical_decimal(self.standard_error),
            "degrees_of_freedom": canonical_decimal(self.degrees_of_freedom),
            "t_value": canonical_decimal(self.t_value),
            "ci90_low": canonical_decimal(self.ci_low),
            "ci90_high": canonical_decimal(self.ci_high),
            "half_width": canonical_decimal(self.half_width),
            "precision": None if self.precision is None else canonical_decimal(self.precision),
            "plots": self.plots,
            "strata": [{"stratum": s.name, "weight": canonical_decimal(s.weight),
                        "plots": s.plots, "mean": canonical_decimal(s.mean),
                        "standard_deviation": canonical_decimal(s.standard_deviation)}
                       for s in self.strata],
        }


def stratum_statistics(name: str, weight: Decimal, values: Sequence[Decimal]
                       ) -> StratumStatistics:
    """Mean and sample variance of one stratum's plot values (``len(values) >= 2``)."""
    if len(values) < MINIMUM_PLOTS_PER_STRATUM:
        raise ValueError(f"stratum {name!r} needs at least {MINIMUM_PLOTS_PER_STRATUM} plots")
    with decimal_context():
        n = Decimal(len(values))
        mean = sum(values, Decimal(0)) / n
        variance = sum(((v - mean) ** 2 for v in values), Decimal(0)) / (n - 1)
    return StratumStatistics(name=name, weight=weight, plots=len(values), mean=mean,
                             variance=variance)


def stratum_weights(areas: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``W_h = A_h / Σ A`` (areas > 0)."""
    with decimal_context():
        total = sum(areas.values(), Decimal(0))
        return {name: area / total for name, area in areas.items()}


def stratified_estimate(strata: Sequence[StratumStatistics],
                        confidence: Decimal = CONFIDENCE) -> StratifiedEstimate:
    """Combine strata: ``ȳ_st = Σ W_h ȳ_h``, ``SE = √(Σ W_h² s_h² / n_h)``, Satterthwaite df."""
    with decimal_context():
        mean = sum((s.weight * s.mean for s in strata), Decimal(0))
        parts = [s.weight ** 2 * s.variance / s.plots for s in strata]
        variance = sum(parts, Decimal(0))
        denominator = sum((p ** 2 / (s.plots - 1) for p, s in zip(parts, strata, strict=True)),
                          Decimal(0))
        df = (variance ** 2 / denominator if denominator > 0
              else Decimal(sum(s.plots for s in strata) - len(strata)))
        standard_error = variance.sqrt()
    return _finish(tuple(strata), mean, standard_error, df, confidence)


def _finish(strata: tuple[StratumStatistics, ...], mean: Decimal, standard_error: Decimal,
            df: Decimal, confidence: Decimal) -> StratifiedEstimate:
    t_value = student_t_quantile(df, confidence)
    with decimal_context():
        half_width = t_value * standard_error
        precision = None if mean == 0 else half_width / abs(mean)
    return StratifiedEstimate(strata=strata, mean=mean, standard_error=standard_error,
                              degrees_of_freedom=df, t_value=t_value, half_width=half_width,
                              precision=precision)


def difference_of_independent(first: StratifiedEstimate, last: StratifiedEstimate,
                              confidence: Decimal = CONFIDENCE) -> StratifiedEstimate:
    """``ȳ_last − ȳ_first`` from two independent samples (temporary plots):
    ``SE = √(SE_1² + SE_2²)``, Satterthwaite df ``(v_1 + v_2)² / (v_1²/df_1 + v_2²/df_2)``.

    Ignoring the positive covariance of remeasured plots makes this SE larger than the paired
    one, so it is the conservative choice when plots were not all remeasured.
    """
    with decimal_context():
        v1, v2 = first.standard_error ** 2, last.standard_error ** 2
        denominator = (v1 ** 2 / first.degrees_of_freedom + v2 ** 2 / last.degrees_of_freedom)
        df = ((v1 + v2) ** 2 / denominator if denominator > 0
              else min(first.degrees_of_freedom, last.degrees_of_freedom))
        mean = last.mean - first.mean
        standard_error = (v1 + v2).sqrt()
    return _finish((), mean, standard_error, df, confidence)


# --- Plots needed -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class PlotsNeeded:
    """Plots needed to reach the target precision, by stratum, and how many more than now."""

    allocation: str  # "neyman" or "proportional".
    target: Decimal
    t_value: Decimal
    total: int
    by_stratum: Mapping[str, int]
    extra_by_stratum: Mapping[str, int]

    @property
    def extra(self) -> int:
        return sum(self.extra_by_stratum.values())

    def to_dict(self) -> dict[str, object]:
        return {"allocation": self.allocation, "target": canonical_decimal(self.target),
                "t_value": canonical_decimal(self.t_value), "total": self.total,
                "by_stratum": dict(self.by_stratum), "extra": self.extra,
                "extra_by_stratum": dict(self.extra_by_stratum)}


def _ceil(value: Decimal) -> int:
    with decimal_context():
        return int(value.to_integral_value(rounding=ROUND_CEILING))


def plots_needed(estimate: StratifiedEstimate, *, target: Decimal = TARGET_PRECISION,
                 allocation: str = "neyman", confidence: Decimal = CONFIDENCE
                 ) -> PlotsNeeded | None:
    """Plots needed for ``half-width ≤ target × |ȳ_st|`` (``None`` when ``ȳ_st`` is 0).

    Neyman: ``n = t² (Σ W_h s_h)² / E²``; proportional: ``n = t² Σ W_h s_h² / E²`` with
    ``E = target × |ȳ_st|`` (Cochran 1977 eqs. 5.25-5.26; AR-TOOL03 without the finite
    population term). ``t`` starts at ``df = ∞`` and is iterated at ``df = n − H``.
    """
    if allocation not in ("neyman", "proportional"):
        raise ValueError("allocation must be neyman or proportional")
    strata = estimate.strata
    if estimate.mean == 0 or not strata:
        return None
    with decimal_context():
        allowable = target * abs(estimate.mean)
        sum_ws = sum((s.weight * s.standard_deviation for s in strata), Decimal(0))
        sum_ws2 = sum((s.weight * s.variance for s in strata), Decimal(0))
        core = sum_ws ** 2 if allocation == "neyman" else sum_ws2
    # The smallest n (at least two plots a stratum) with t(df = n − H)² × core / E² ≤ n: the
    # left side falls and the right side grows with n, so a doubling then a bisection finds
    # it. (A fixed-point iteration on t oscillates when plots are few.)
    minimum = MINIMUM_PLOTS_PER_STRATUM * len(strata)

    def enough(n: int) -> bool:
        t = student_t_quantile(Decimal(max(n - len(strata), 1)), confidence)
        with decimal_context():
            return t ** 2 * core / allowable ** 2 <= n

    low, high = minimum, minimum
    while not enough(high):
        low, high = high + 1, high * 2
    while low < high:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle + 1
    total = high
    t_value = student_t_quantile(Decimal(max(total - len(strata), 1)), confidence)
    by_stratum = {}
    for s in strata:
        with decimal_context():
            share = (s.weight * s.standard_deviation / sum_ws if allocation == "neyman"
                     and sum_ws > 0 else s.weight)
            by_stratum[s.name] = max(_ceil(Decimal(total) * share), MINIMUM_PLOTS_PER_STRATUM)
    # A sample that already meets the target needs no more plots, whatever the allocation says.
    met = estimate.meets(target)
    extra = {s.name: 0 if met else max(0, by_stratum[s.name] - s.plots) for s in strata}
    return PlotsNeeded(allocation=allocation, target=target, t_value=t_value,
                       total=sum(by_stratum.values()), by_stratum=by_stratum,
                       extra_by_stratum=extra)


def plots_needed_from_cv(*, weights: Sequence[Decimal], cv_pct: Sequence[Decimal],
                         allowable_pct: Decimal, t_value: Decimal,
                         population_plots: int | None = None) -> Decimal:
    """Total plots from area-weighted coefficients of variation (USDA FSH 2409.12 form):
    ``n = 1 / (A² / (t² wCV²) + 1 / N)``, ``wCV = Σ W_h CV_h``.

    This is the Neyman formula above when every stratum has the same mean (then
    ``Σ W_h s_h / ȳ = Σ W_h CV_h``), with the finite-population term ``1/N`` kept.
    """
    with decimal_context():
        wcv = sum((w * cv for w, cv in zip(weights, cv_pct, strict=True)), Decimal(0))
        inverse = allowable_pct ** 2 / (t_value ** 2 * wcv ** 2)
        if population_plots:
            inverse += Decimal(1) / Decimal(population_plots)
        return 1 / inverse
