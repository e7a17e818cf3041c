"""The ``uncertainty`` input and the VM0033 v2.1 §8.5.2 deduction inside an estimate.

Source: Verra VM0033 v2.1 (4 Sep 2023) §8.5.2, read in the parsed text of GitHub
``hashgraph/guardian`` ``docs/VM0033-methodology-pdf-parsed/VM0033-Methodology.md``
(``METHODOLOGIES.md`` §5.3 [V]):

- eq. 87/89: ``Uncertain_scenario = sqrt(Σ_k (U_k × E_k)²) / |Σ_k E_k|`` over the carbon pools
  and GHG sources ``k`` of a scenario (U_k = 90 % CI half-width as a percentage of the mean);
- eq. 91: ``NER_ERROR = sqrt((Uncertain_BSL × GHG_BSL)² + (Uncertain_WPS × GHG_WPS)²) /
  |GHG_BSL + GHG_WPS|``;
- eq. 92: ``adjusted_NER = NER × (100 % − NER_ERROR + allowable)`` when NER_ERROR exceeds the
  allowable (20 % at 90 % CI, 30 % at 95 % CI); no deduction otherwise.

The input gives either NER_ERROR itself (``ner_error_pct``) or ``U_k`` per component
(``component_u_pct``); in the second form each ``E_k`` is the estimate's own signed
contribution to net removals (stock changes positive, emissions and baseline negative), so
eqs. 89 and 91 compose into one sum whose denominator is ``|NER|`` (:func:`ner_error_fraction`).
Taking E from the estimate rather than from the user keeps E and NER consistent by
construction. A component with no U counts as 0 %, which VM0033 allows only for a value shown
to be conservative, so the estimate warns.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

from methodologies.accounting import UNCERTAINTY_PROFILE_NAMES, apply_uncertainty_deduction
from methodologies.inputs import MISSING, InputReader
from methodologies.trace import CalculationRecorder
from methodologies.units import canonical_decimal, decimal_context

UNCERTAINTY_FIELD: Final = "uncertainty"
HUNDRED: Final = Decimal(100)
UNCERTAINTY_SCHEMA_ENTRY: Final[Mapping[str, Any]] = MappingProxyType({
    "unit": "%", "type": "object {profile, ner_error_pct | component_u_pct}", "required": False,
    "description": "Uncertainty deduction, VM0033 v2.1 §8.5.2 eq. 92. profile: VCS (20 % at "
                   "90 % CI), VCS_95CI (30 % at 95 % CI) or CCER (10 % at 90 % CI, unverified). "
                   "Give ner_error_pct (NER_ERROR, %) or component_u_pct ({component: U %}, "
                   "E taken from this estimate). Absent: no deduction."})


@dataclass(frozen=True, kw_only=True)
class UncertaintyInput:
    """A validated ``uncertainty`` block: the profile and one of the two forms, in %."""

    profile: str
    ner_error_pct: Decimal | None
    component_u_pct: Mapping[str, Decimal] | None

    @property
    def ner_error_fraction(self) -> Decimal | None:
        """NER_ERROR as a fraction (0.25 for 25 %), or ``None`` in the component form."""
        return None if self.ner_error_pct is None else _fraction(self.ner_error_pct)

    @property
    def component_u_fractions(self) -> dict[str, Decimal] | None:
        """``U_k`` as fractions by component, or ``None`` in the NER_ERROR form."""
        if self.component_u_pct is None:
            return None
        return {name: _fraction(pct) for name, pct in self.component_u_pct.items()}

    def normalised(self) -> dict[str, Any]:
        """Return the canonical document (percentages as canonical strings)."""
        document: dict[str, Any] = {"profile": self.profile}
        if self.ner_error_pct is not None:
            document["ner_error_pct"] = canonical_decimal(self.ner_error_pct)
        else:
            assert self.component_u_pct is not None
            document["component_u_pct"] = {name: canonical_decimal(pct)
                                            for name, pct in self.component_u_pct.items()}
        return document


def _fraction(pct: Decimal) -> Decimal:
    with decimal_context():
        return pct / HUNDRED


def read_uncertainty(reader: InputReader, document: Mapping[str, Any],
                     components: Sequence[str]) -> UncertaintyInput | None:
    """Read the optional ``uncertainty`` block; ``components`` are the allowed names.

    Returns ``None`` when the block is absent or has a problem (the problem is reported).
    """
    block = reader.object_field(document, UNCERTAINTY_FIELD,
                                ("profile", "ner_error_pct", "component_u_pct"), required=False)
    if block is None:
        return None
    profile_value = reader.field(block, "profile", "uncertainty.profile", required=True)
    profile = (None if profile_value is MISSING else reader.choice(
        profile_value, "uncertainty.profile", UNCERTAINTY_PROFILE_NAMES,
        "uncertainty_profile_unknown"))
    if ("ner_error_pct" in block) == ("component_u_pct" in block):
        reader.report(UNCERTAINTY_FIELD, "uncertainty_must_be_given_one_way")
        return None
    if "ner_error_pct" in block:
        error = _read_pct(reader, block["ner_error_pct"], "uncertainty.ner_error_pct")
        if profile is None or error is None:
            return None
        return UncertaintyInput(profile=profile, ner_error_pct=error, component_u_pct=None)
    percentages = _read_components(reader, block["component_u_pct"], components)
    if profile is None or percentages is None:
        return None
    return UncertaintyInput(profile=profile, ner_error_pct=None,
                            component_u_pct=MappingProxyType(percentages))


def _read_pct(reader: InputReader, value: Any, path: str) -> Decimal | None:
    parsed = reader.decimal(value, path)
    if parsed is not None and parsed < 0:
        reader.report(path, "uncertainty_must_not_be_negative", value=value)
        return None
    return parsed


def _read_components(reader: InputReader, value: Any,
                     components: Sequence[str]) -> dict[str, Decimal] | None:
    mapping = reader.mapping(value, "uncertainty.component_u_pct")
    if mapping is None:
        return None
    percentages: dict[str, Decimal] = {}
    failed = False
    for name, item in mapping.items():
        path = f"uncertainty.component_u_pct.{name}"
        if name not in components:
            reader.report(path, "uncertainty_component_unknown", value=repr(name),
                          allowed=", ".join(components))
            failed = True
            continue
        pct = _read_pct(reader, item, path)
        failed = failed or pct is None
        if pct is not None:
            percentages[name] = pct
    return None if failed else {name: percentages[name] for name in components
                                if name in percentages}


def ner_error_fraction(*, contributions_t_co2e: Mapping[str, Decimal],
                       u_fractions: Mapping[str, Decimal]) -> Decimal | None:
    """VM0033 eqs. 87/89 and 91 composed: ``sqrt(Σ_k (U_k × E_k)²) / |Σ_k E_k|``.

    Parameters
    ----------
    contributions_t_co2e : Mapping[str, Decimal]
        Signed contribution ``E_k`` of each component to net removals, t CO2e.
    u_fractions : Mapping[str, Decimal]
        ``U_k`` as fractions (0.12 = 12 %); a component without one counts as 0.

    Returns
    -------
    Decimal | None
        NER_ERROR as a fraction, or ``None`` when ``Σ E_k`` is zero (no relative error exists).

    Examples
    --------
    One stock component of 100 t at U = 30 % and an emission of 20 t at U = 40 %:
    ``sqrt(30² + 8²) / 80``.

    >>> round(ner_error_fraction(
    ...     contributions_t_co2e={"stock": Decimal(100), "emissions": Decimal(-20)},
    ...     u_fractions={"stock": Decimal("0.3"), "emissions": Decimal("0.4")}), 6)
    Decimal('0.388104')
    """
    with decimal_context():
        total = sum(contributions_t_co2e.values(), Decimal(0))
        if total == 0:
            return None
        squares = sum(((u_fractions.get(name, Decimal(0)) * value) ** 2
                       for name, value in contributions_t_co2e.items()), Decimal(0))
        return squares.sqrt() / abs(total)


@dataclass(frozen=True, kw_only=True)
class UncertaintyResult:
    """Net removals before and after the deduction, t CO2e."""

    net_before_t_co2e: Decimal
    deduction_t_co2e: Decimal
    net_t_co2e: Decimal


def apply_uncertainty(recorder: CalculationRecorder, *, net_t_co2e: Decimal,
                      contributions_t_co2e: Mapping[str, Decimal],
                      uncertainty: UncertaintyInput | None) -> UncertaintyResult:
    """Apply VM0033 eq. 92 to ``net_t_co2e`` and record every step; no-op without input."""
    if uncertainty is None:
        return UncertaintyResult(net_before_t_co2e=net_t_co2e, deduction_t_co2e=Decimal(0),
                                 net_t_co2e=net_t_co2e)
    allowable = recorder.step(
        "allowable uncertainty", f"profile {uncertainty.profile}",
        recorder.parameter(f"uncertainty_allowable.{uncertainty.profile}"), "1",
        "VM0033 v2.1 §8.5.2 (VCS); CCER 10 % is unverified [M]")
    error = _record_ner_error(recorder, contributions_t_co2e, uncertainty)
    adjusted = apply_uncertainty_deduction(net_t_co2e, uncertainty_fraction=error,
                                           allowable_fraction=allowable)
    with decimal_context():
        deduction = net_t_co2e - adjusted
    recorder.step("uncertainty deduction",
                  f"NER × max(0, NER_ERROR − allowable) = {_d(net_t_co2e)} × max(0, {_d(error)} "
                  f"− {_d(allowable)})" if net_t_co2e > 0 else "0 (net ≤ 0: a loss is never "
                  "reduced by an uncertainty deduction)", deduction, "t CO2e", "VM0033 eq. 92")
    recorder.step("net removals after uncertainty deduction",
                  f"NER − deduction = {_d(net_t_co2e)} − {_d(deduction)}", adjusted, "t CO2e",
                  "VM0033 eq. 92: adjusted_NER")
    return UncertaintyResult(net_before_t_co2e=net_t_co2e, deduction_t_co2e=deduction,
                             net_t_co2e=adjusted)


def _record_ner_error(recorder: CalculationRecorder,
                      contributions_t_co2e: Mapping[str, Decimal],
                      uncertainty: UncertaintyInput) -> Decimal:
    if uncertainty.ner_error_fraction is not None:
        return recorder.step("NER_ERROR", "given (ner_error_pct / 100)",
                             uncertainty.ner_error_fraction, "1", "VM0033 eq. 91, as supplied")
    u_fractions = uncertainty.component_u_fractions or {}
    assumed_zero = [name for name, value in contributions_t_co2e.items()
                    if value != 0 and name not in u_fractions]
    if assumed_zero:
        recorder.warn("uncertainty_component_assumed_zero", keys=", ".join(assumed_zero))
    terms = " + ".join(f"({_d(u_fractions.get(name, Decimal(0)))} × {_d(value)})²"
                       for name, value in contributions_t_co2e.items() if value != 0) or "0"
    error = ner_error_fraction(contributions_t_co2e=contributions_t_co2e,
                               u_fractions=u_fractions)
    if error is None:
        return recorder.step("NER_ERROR", "Σ E_k = 0: no relative error; 0 used", Decimal(0),
                             "1", "VM0033 eqs. 87-91")
    with decimal_context():
        total = sum(contributions_t_co2e.values(), Decimal(0))
    return recorder.step("NER_ERROR", f"sqrt({terms}) / |{_d(total)}|", error, "1",
                         "VM0033 eqs. 87, 89, 91 composed; E_k = signed contributions "
                         f"({', '.join(contributions_t_co2e)}), t CO2e")


def _d(value: Decimal) -> str:
    return canonical_decimal(value)
