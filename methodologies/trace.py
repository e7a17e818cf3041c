"""A recorder for one estimate call: trace steps, parameters used and warnings.

A methodology creates one :class:`CalculationRecorder` per call (it is never shared or kept),
reads every coefficient through :meth:`CalculationRecorder.parameter` so that the estimate lists
exactly the parameters that shaped the result, and logs each evaluated equation as a
:class:`~methodologies.base.TraceStep`.
"""

from decimal import Decimal

from methodologies.base import EstimateWarning, Parameter, ParameterSet, ParameterStatus, TraceStep
from methodologies.messages import WARNING_MESSAGES, format_message
from methodologies.units import canonical_decimal


class CalculationRecorder:
    """Collects what one estimate used and computed.

    Parameters
    ----------
    parameters : ParameterSet
        The set the estimate reads from; every key the methodology asks for must be present
        (the methodology checks that before computing).
    """

    def __init__(self, parameters: ParameterSet) -> None:
        self._parameters = parameters
        self._used: dict[str, Parameter] = {}
        self._steps: list[TraceStep] = []
        self._warnings: list[EstimateWarning] = []

    def parameter(self, key: str) -> Decimal:
        """Return the value of parameter ``key`` and record it as used."""
        parameter = self._parameters[key]
        self._used[key] = parameter
        return parameter.value

    def step(self, name: str, equation: str, value: Decimal, unit: str,
             note: str = "") -> Decimal:
        """Record an evaluated equation and return ``value`` unchanged (for chaining)."""
        self._steps.append(TraceStep(name=name, equation=equation,
                                     value=canonical_decimal(value), unit=unit, note=note))
        return value

    def warn(self, code: str, **details: object) -> None:
        """Record a warning from :data:`~methodologies.messages.WARNING_MESSAGES`."""
        message_zh, message_en = format_message(WARNING_MESSAGES, code, **details)
        self._warnings.append(
            EstimateWarning(code=code, message_zh=message_zh, message_en=message_en))

    @property
    def used_parameters(self) -> tuple[Parameter, ...]:
        """Parameters read so far, sorted by key."""
        return tuple(sorted(self._used.values(), key=lambda p: p.key))

    @property
    def unverified_keys(self) -> tuple[str, ...]:
        """Keys of used parameters whose status is ``unverified``."""
        return tuple(p.key for p in self.used_parameters
                     if p.status is ParameterStatus.UNVERIFIED)

    @property
    def steps(self) -> tuple[TraceStep, ...]:
        """Trace steps in evaluation order."""
        return tuple(self._steps)

    @property
    def warnings(self) -> tuple[EstimateWarning, ...]:
        """Warnings in the order raised."""
        return tuple(self._warnings)
