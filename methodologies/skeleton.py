"""The methodology skeleton: one way to run an estimate, which each methodology fills in.

Every methodology (bamboo, wetland, tea garden) estimates the same way; this module holds that
way once, so that a methodology module states only its own science (citation, parameters,
equations, input fields and checks):

1. **validate** (stateless checks first, all problems at once): parse the input document with
   the methodology's parser, check the GWP profile, then check that every parameter the parsed
   inputs need is present and within its physical range
   (:func:`~methodologies.parameter_checks.parameter_problems`);
2. **compute** in the 34-digit decimal context with a fresh
   :class:`~methodologies.trace.CalculationRecorder`: the methodology's own equations, each
   recorded as a trace step, netted by :func:`~methodologies.netting.net_removals` (or the
   methodology's own netting) and returned as :class:`Computed`;
3. **build** the :class:`~methodologies.base.Estimate`: round each reported field once to
   integer kg CO2e and hash what the result depends on.

A methodology subclasses :class:`MethodologySkeleton`, sets its identity, parameter set,
ranges and input schema as class attributes, and implements :meth:`~MethodologySkeleton.parse`,
:meth:`~MethodologySkeleton.required_keys` and :meth:`~MethodologySkeleton.compute`.
"""

import abc
import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from methodologies.accounting import (
    DEFAULT_GWP_PROFILE,
    GWP_PARAMETERS,
    GWP_PROFILE_NAMES,
    UNCERTAINTY_PARAMETERS,
    to_kg_co2e,
)
from methodologies.base import Estimate, ParameterSet, load_parameter_csv, reproducibility_hash
from methodologies.errors import InvalidInput, Problem, make_problem
from methodologies.input_units import convert_units
from methodologies.netting import NetResult
from methodologies.parameter_checks import parameter_problems
from methodologies.plausibility import input_problems, warn_inputs, warn_net
from methodologies.trace import CalculationRecorder
from methodologies.uncertainty import UncertaintyInput
from methodologies.units import decimal_context, nearest_whole_years, years_between


class ParsedInputs(Protocol):
    """What every methodology's validated inputs offer to the skeleton."""

    @property
    def area_ha(self) -> Decimal: ...
    @property
    def period_start(self) -> datetime.date: ...
    @property
    def period_end(self) -> datetime.date: ...
    @property
    def uncertainty(self) -> UncertaintyInput | None: ...

    def normalised(self) -> dict[str, Any]:
        """The canonical input document (defaults resolved) that the estimate records."""
        ...


InputsT = TypeVar("InputsT", bound=ParsedInputs)


@dataclass(frozen=True, kw_only=True)
class Computed:
    """What a methodology's :meth:`~MethodologySkeleton.compute` hands back: full-precision
    results, the display-only figures and the one-off claims (kg CO2e by claim code)."""

    result: NetResult
    informational: Mapping[str, Decimal]
    one_off_claims: Mapping[str, int] = field(default_factory=dict)
    sampling: Mapping[str, Any] = field(default_factory=dict)  # methodologies.plots summary


def default_parameter_set(file_name: str) -> ParameterSet:
    """The shipped parameters of a methodology: its CSV rows, GWP-100 and uncertainty rows."""
    return load_parameter_csv(file_name) | GWP_PARAMETERS | UNCERTAINTY_PARAMETERS


class MethodologySkeleton(abc.ABC, Generic[InputsT]):
    """A registered methodology (see :class:`methodologies.base.Methodology`).

    Subclasses set the class attributes below and implement :meth:`parse`,
    :meth:`required_keys` and :meth:`compute`; :meth:`estimate` runs them in order.
    """

    id: ClassVar[str]
    version: str
    sink_type: ClassVar[str]
    title_zh: ClassVar[str]
    title_en: ClassVar[str]
    input_schema: ClassVar[Mapping[str, Mapping[str, Any]]]
    stock_events_field: ClassVar[str]
    parameters: ClassVar[ParameterSet]  # The shipped defaults.
    parameter_ranges: ClassVar[Mapping[str, tuple[Decimal, Decimal]]]
    example_file: ClassVar[str]  # Under methodologies/examples/.

    def __repr__(self) -> str:
        return f"<methodology {self.id} {self.version}>"

    def default_parameters(self) -> ParameterSet:
        """Return the shipped parameters (the methodology's, GWP-100 and uncertainty rows)."""
        return self.parameters

    def example_inputs(self) -> dict[str, Any]:
        """Return the example document ``methodologies/examples/<example_file>``."""
        text = resources.files("methodologies").joinpath("examples", self.example_file
                                                         ).read_text(encoding="utf-8")
        document: dict[str, Any] = json.loads(text)
        return document

    def inputs_with_stock_events(self, inputs: Mapping[str, Any],
                                 events: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        """Return ``inputs`` with :attr:`stock_events_field` replaced by ``events``."""
        return {**inputs, self.stock_events_field: [dict(event) for event in events]}

    def estimate(self, inputs: Mapping[str, Any], parameters: ParameterSet | None = None, *,
                 gwp_profile: str = DEFAULT_GWP_PROFILE) -> Estimate:
        """Validate ``inputs`` and estimate net removals for one monitoring period.

        Pure: no I/O, no clock, nothing global changes.

        Parameters
        ----------
        inputs : Mapping
            Input document, see the methodology's :attr:`input_schema`.
        parameters : ParameterSet, optional
            Defaults to :attr:`parameters` (the shipped set).
        gwp_profile : str
            One of :data:`~methodologies.accounting.GWP_PROFILE_NAMES`; default ``"AR5"``.

        Returns
        -------
        Estimate

        Raises
        ------
        InvalidInput
            Every problem with the inputs, the GWP profile and the parameters, at once.
        """
        parameter_set = self.parameters if parameters is None else parameters
        parsed = self.validate(inputs, parameter_set, gwp_profile)
        recorder = CalculationRecorder(parameter_set)
        for conversion in convert_units(inputs)[1]:  # issue 21: inputs in their source's unit
            conversion.record(recorder)
        with decimal_context():
            computed = self.compute(recorder, parsed, gwp_profile)
            per_ha_yr = (computed.result.net_before_uncertainty_t_co2e / parsed.area_ha
                         / years_between(parsed.period_start, parsed.period_end))
        warn_net(recorder, self.id, per_ha_yr)  # a unit slip somewhere in the inputs (issue 21)
        warn_inputs(recorder, self.id, parsed.normalised())
        return self.build(recorder, parsed, gwp_profile, computed)

    def validate(self, inputs: Mapping[str, Any], parameters: ParameterSet,
                 gwp_profile: str) -> InputsT:
        """Parse ``inputs``, check the GWP profile and the parameters; raise every problem."""
        problems: list[Problem] = []
        parsed = None
        if isinstance(inputs, Mapping):
            inputs, _, unit_problems = convert_units(inputs)
            problems.extend(unit_problems)
        try:
            parsed = self.parse(inputs)
        except InvalidInput as error:
            problems.extend(error.problems)
        if gwp_profile not in GWP_PROFILE_NAMES:
            problems.append(make_problem("gwp_profile", "gwp_profile_unknown",
                                         value=repr(gwp_profile),
                                         allowed=", ".join(GWP_PROFILE_NAMES)))
        elif parsed is not None:
            keys = [*self.required_keys(parsed, gwp_profile)]
            if parsed.uncertainty is not None:
                keys.append(f"uncertainty_allowable.{parsed.uncertainty.profile}")
            problems.extend(parameter_problems(parameters, keys, self.parameter_ranges))
        if parsed is not None:
            problems.extend(input_problems(self.id, parsed.normalised()))
        if problems:
            raise InvalidInput(problems)
        assert parsed is not None
        return parsed

    @abc.abstractmethod
    def parse(self, inputs: Mapping[str, Any]) -> InputsT:
        """Return the validated inputs or raise :class:`InvalidInput` listing every problem."""

    @abc.abstractmethod
    def required_keys(self, inputs: InputsT, gwp_profile: str) -> Sequence[str]:
        """The parameter keys these inputs use (the uncertainty key is added by the skeleton)."""

    @abc.abstractmethod
    def compute(self, recorder: CalculationRecorder, inputs: InputsT,
                gwp_profile: str) -> Computed:
        """Evaluate the equations (in the decimal context), recording each step and warning."""

    def build(self, recorder: CalculationRecorder, inputs: InputsT, gwp_profile: str,
              computed: Computed) -> Estimate:
        """Round each field once to integer kg CO2e and assemble the :class:`Estimate`."""
        used = recorder.used_parameters
        normalised = inputs.normalised()
        result = computed.result
        return Estimate(
            methodology_id=self.id, methodology_version=self.version, sink_type=self.sink_type,
            period_start=inputs.period_start, period_end=inputs.period_end,
            area_ha=inputs.area_ha, net_kg_co2e=to_kg_co2e(result.net_t_co2e),
            stock_change_kg_co2e=to_kg_co2e(result.stock_change_t_co2e),
            emissions_kg_co2e=to_kg_co2e(result.emissions_t_co2e), gwp_profile=gwp_profile,
            inputs=normalised, parameters=used, steps=recorder.steps,
            warnings=recorder.warnings, uses_unverified=bool(recorder.unverified_keys),
            informational=computed.informational,
            uncertainty_deduction_kg_co2e=to_kg_co2e(result.uncertainty_deduction_t_co2e),
            one_off_claims=computed.one_off_claims, sampling=computed.sampling,
            reproducibility_hash=reproducibility_hash(
                methodology_id=self.id, methodology_version=self.version, inputs=normalised,
                parameters=used, gwp_profile=gwp_profile))


def period_length_yr(recorder: CalculationRecorder, inputs: ParsedInputs) -> Decimal:
    """Record and return the monitoring period in anniversary years (yr)."""
    return recorder.step(
        "period length", f"anniversary years from {inputs.period_start} to {inputs.period_end}",
        years_between(inputs.period_start, inputs.period_end), "yr")


def whole_years_apart(recorder: CalculationRecorder, first: datetime.date, last: datetime.date,
                      tolerance_days: int) -> int | None:
    """Whole years between two monitoring dates, or ``None`` with a warning when they are not
    a whole number of years apart (same season, within ``tolerance_days``)."""
    years, offset_days = nearest_whole_years(first, last)
    if years == 0 or offset_days > tolerance_days:
        recorder.warn("monitoring_interval_is_not_whole_years", days=(last - first).days,
                      offset_days=offset_days, tolerance_days=tolerance_days)
        return None
    return years
