"""The methodology interface: parameters with provenance, estimates with a full trace.

A *methodology* (方法学) is a versioned, pure estimator. It turns a JSON input document and a
:class:`ParameterSet` into an :class:`Estimate`: net removals in integer kg CO2e for one
monitoring period, with every parameter used (value, unit, source, verification status), every
equation evaluated (:class:`TraceStep`), every warning, and a reproducibility hash that lets a
verifier rerun the calculation and get the same bytes.

Parameter statuses mirror the tags of ``METHODOLOGIES.md`` §0: ``verified`` [V],
``needs_primary_check`` [V2], ``unverified`` [M] and ``derived`` [D].
"""

import csv
import datetime
import enum
import hashlib
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, Protocol, get_args

from methodologies.canonical import canonical_json, freeze, thaw
from methodologies.errors import InvalidInput, MethodologyError, make_problem
from methodologies.messages import ERROR_MESSAGES, format_message
from methodologies.units import canonical_decimal, decimal_context

SinkType = Literal["bamboo_forest", "wetland", "tea_garden"]
SINK_TYPES: tuple[str, ...] = get_args(SinkType)

PARAMETER_CSV_COLUMNS = ("key", "value", "unit", "status", "source")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class ParameterStatus(enum.StrEnum):
    """How far a parameter value has been checked (``METHODOLOGIES.md`` §0)."""

    VERIFIED = "verified"  # [V] read in the source; locator given.
    NEEDS_PRIMARY_CHECK = "needs_primary_check"  # [V2] secondary transcription only.
    UNVERIFIED = "unverified"  # [M] not confirmed; check before any real issuance.
    DERIVED = "derived"  # [D] our arithmetic on [V]/[V2] inputs.


@dataclass(frozen=True, kw_only=True)
class Parameter:
    """One coefficient with its unit and provenance.

    Attributes
    ----------
    key : str
        Stable identifier, e.g. ``root_shoot_ratio`` or ``gwp100.AR5.n2o``.
    value : Decimal
        Finite value.
    unit : str
        Unit of ``value`` (``1`` for dimensionless ratios).
    source : str
        Citation with locator (paper, table, section).
    status : ParameterStatus
    note : str
        Free text; :meth:`ParameterSet.override` records the replaced default here.
    """

    key: str
    value: Decimal
    unit: str
    source: str
    status: ParameterStatus
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise TypeError(f"Parameter {self.key!r}: value must be a finite Decimal")
        if not isinstance(self.status, ParameterStatus):
            raise TypeError(f"Parameter {self.key!r}: status must be a ParameterStatus")

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict; the value is a canonical decimal string."""
        return {"key": self.key, "value": canonical_decimal(self.value), "unit": self.unit,
                "source": self.source, "status": self.status.value, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> "Parameter":
        """Inverse of :meth:`to_dict`."""
        return cls(key=data["key"], value=Decimal(data["value"]), unit=data["unit"],
                   source=data["source"], status=ParameterStatus(data["status"]),
                   note=data.get("note", ""))


class ParameterSet(Mapping[str, Parameter]):
    """An immutable mapping of parameter key to :class:`Parameter`.

    Parameters
    ----------
    parameters : Iterable[Parameter]
        Keys must be unique.

    Raises
    ------
    InvalidInput
        ``parameter_key_is_duplicated`` if a key appears twice.
    """

    __slots__ = ("_parameters",)

    def __init__(self, parameters: Iterable[Parameter] = ()) -> None:
        by_key: dict[str, Parameter] = {}
        for parameter in parameters:
            if parameter.key in by_key:
                raise InvalidInput.single(f"parameters.{parameter.key}",
                                          "parameter_key_is_duplicated", value=parameter.key)
            by_key[parameter.key] = parameter
        self._parameters = MappingProxyType(dict(sorted(by_key.items())))

    def __getitem__(self, key: str) -> Parameter:
        return self._parameters[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __len__(self) -> int:
        return len(self._parameters)

    def __repr__(self) -> str:
        return f"ParameterSet({list(self._parameters)!r})"

    def __or__(self, other: "ParameterSet") -> "ParameterSet":
        """Union of two sets with disjoint keys."""
        return ParameterSet([*self.values(), *other.values()])

    def override(self, key: str, value: Decimal | int | str, source: str, *,
                 status: ParameterStatus = ParameterStatus.UNVERIFIED) -> "ParameterSet":
        """Return a new set in which ``key`` has a new value, source and status.

        The replaced default is kept in the new parameter's ``note``. The status defaults to
        ``unverified``: a registry has not checked an override's source until someone says so,
        so an estimate using it reports ``uses_unverified``.

        Parameters
        ----------
        key : str
            An existing key.
        value : Decimal | int | str
            New value; strings are parsed as decimals. Floats are refused (binary rounding).
        source : str
            Citation for the new value.
        status : ParameterStatus, optional

        Returns
        -------
        ParameterSet

        Raises
        ------
        InvalidInput
            ``parameter_key_unknown`` or ``value_must_be_a_number``/``value_must_be_finite``.
        """
        if key not in self._parameters:
            raise InvalidInput.single(f"parameters.{key}", "parameter_key_unknown", value=key)
        new_value = _parameter_value(key, value)
        old = self._parameters[key]
        note = (f"overrides default {canonical_decimal(old.value)} {old.unit} "
                f"({old.status.value}; {old.source})")
        new = replace(old, value=new_value, source=source, status=status, note=note)
        return ParameterSet([*(p for p in self.values() if p.key != key), new])


def _parameter_value(key: str, value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a finite Decimal or raise :class:`InvalidInput`."""
    path = f"parameters.{key}"
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise InvalidInput.single(path, "value_must_be_a_number", value=repr(value))
    try:
        with decimal_context():
            parsed = Decimal(value)
    except ArithmeticError:
        raise InvalidInput.single(path, "value_must_be_a_number", value=repr(value)) from None
    if not parsed.is_finite():
        raise InvalidInput.single(path, "value_must_be_finite", value=repr(value))
    return parsed


def load_parameter_csv(file_name: str) -> ParameterSet:
    """Load ``methodologies/parameters/<file_name>`` (package data) into a ParameterSet.

    The CSV has the header ``key,value,unit,status,source``; ``status`` is a
    :class:`ParameterStatus` value.

    Raises
    ------
    MethodologyError
        ``parameter_file_is_malformed`` for a wrong header, status or value.
    """
    text = resources.files("methodologies").joinpath("parameters", file_name).read_text(
        encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != PARAMETER_CSV_COLUMNS:
        raise _malformed(file_name, f"header must be {','.join(PARAMETER_CSV_COLUMNS)}")
    parameters = []
    for line_number, row in enumerate(reader, start=2):
        try:
            parameters.append(Parameter(
                key=row["key"], value=Decimal(row["value"]), unit=row["unit"],
                source=row["source"], status=ParameterStatus(row["status"])))
        except (ArithmeticError, ValueError, TypeError) as error:
            raise _malformed(file_name, f"line {line_number}: {error}") from None
    return ParameterSet(parameters)


def _malformed(file_name: str, detail: str) -> MethodologyError:
    message_zh, message_en = format_message(
        ERROR_MESSAGES, "parameter_file_is_malformed", value=file_name, detail=detail)
    return MethodologyError("parameter_file_is_malformed", message_zh, message_en)


@dataclass(frozen=True, kw_only=True)
class TraceStep:
    """One evaluated equation: what was computed, how, the value and its unit."""

    name: str
    equation: str
    value: str
    unit: str
    note: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict."""
        return {"name": self.name, "equation": self.equation, "value": self.value,
                "unit": self.unit, "note": self.note}


@dataclass(frozen=True, kw_only=True)
class EstimateWarning:
    """A result that is usable but suspicious, with a stable code and zh/en messages.

    Named ``EstimateWarning`` rather than ``Warning`` so that it does not shadow the builtin.
    """

    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict."""
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}


def reproducibility_hash(*, methodology_id: str, methodology_version: str,
                         inputs: Mapping[str, Any], parameters: Iterable[Parameter],
                         gwp_profile: str) -> str:
    """Return the SHA-256 hex digest of the canonical JSON of everything the result depends on.

    The payload is the methodology id and version, the normalised inputs, the parameters used
    (every attribute, sorted by key) and the GWP profile name.
    """
    payload = {
        "methodology_id": methodology_id,
        "methodology_version": methodology_version,
        "inputs": thaw(inputs),
        "parameters": [p.to_dict() for p in sorted(parameters, key=lambda p: p.key)],
        "gwp_profile": gwp_profile,
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """Net removals of one parcel (set) for one monitoring period, with full provenance.

    Quantities are integer kg CO2e (asset scale 3 of a tonne), rounded toward zero once from
    full-precision Decimals. ``net_kg_co2e`` may be negative (a reversal). Because each field is
    rounded on its own, ``stock_change − emissions − baseline − leakage −
    uncertainty_deduction`` may differ from ``net_kg_co2e`` by at most 2 kg.

    ``uncertainty_deduction_kg_co2e`` is the VM0033 eq. 92 deduction already taken from
    ``net_kg_co2e`` (0 when no ``uncertainty`` input was given or the error is within the
    allowable). ``one_off_claims`` maps the code of a credit that may be claimed only once per
    parcel (e.g. ``wetland_herbaceous_vegetation``) to the kg CO2e it contributes here; the
    ledger refuses to issue the same claim twice for a parcel.

    ``inputs`` and ``informational`` are read-only (MappingProxyType, tuples).
    ``informational`` maps a unit-suffixed name to a Decimal shown for context only (for
    example gross annual fixation); it is never credited.
    """

    methodology_id: str
    methodology_version: str
    sink_type: str
    period_start: datetime.date
    period_end: datetime.date
    area_ha: Decimal
    net_kg_co2e: int
    stock_change_kg_co2e: int
    emissions_kg_co2e: int
    gwp_profile: str
    inputs: Mapping[str, Any]
    parameters: tuple[Parameter, ...]
    steps: tuple[TraceStep, ...]
    warnings: tuple[EstimateWarning, ...]
    uses_unverified: bool
    informational: Mapping[str, Decimal] = field(default_factory=dict)
    uncertainty_deduction_kg_co2e: int = 0
    one_off_claims: Mapping[str, int] = field(default_factory=dict)
    # Plot-inventory statistics (methodologies.plots): per event and for the change, the
    # stratified mean, SE, 90 % CI, precision and plots needed; empty without plots.
    sampling: Mapping[str, Any] = field(default_factory=dict)
    reproducibility_hash: str

    def __post_init__(self) -> None:
        if self.sink_type not in SINK_TYPES:
            raise ValueError(f"sink_type must be one of {SINK_TYPES}")
        for name in ("net_kg_co2e", "stock_change_kg_co2e", "emissions_kg_co2e",
                     "uncertainty_deduction_kg_co2e"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int (kg CO2e)")
        if any(isinstance(v, bool) or not isinstance(v, int) for v in self.one_off_claims.values()):
            raise TypeError("one_off_claims values must be ints (kg CO2e)")
        if not _SHA256_HEX.fullmatch(self.reproducibility_hash):
            raise ValueError("reproducibility_hash must be 64 lowercase hex digits")
        object.__setattr__(self, "inputs", freeze(self.inputs))
        object.__setattr__(self, "informational", freeze(self.informational))
        object.__setattr__(self, "one_off_claims", freeze(dict(sorted(self.one_off_claims.items()))))
        object.__setattr__(self, "sampling", freeze(self.sampling))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    def __hash__(self) -> int:
        return hash(self.reproducibility_hash)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        """The codes of :attr:`warnings`, in order."""
        return tuple(w.code for w in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict: Decimals and dates become strings, ints stay ints."""
        return {
            "methodology_id": self.methodology_id,
            "methodology_version": self.methodology_version,
            "sink_type": self.sink_type,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "area_ha": canonical_decimal(self.area_ha),
            "net_kg_co2e": self.net_kg_co2e,
            "stock_change_kg_co2e": self.stock_change_kg_co2e,
            "emissions_kg_co2e": self.emissions_kg_co2e,
            "gwp_profile": self.gwp_profile,
            "inputs": thaw(self.inputs),
            "parameters": [p.to_dict() for p in self.parameters],
            "steps": [s.to_dict() for s in self.steps],
            "warnings": [w.to_dict() for w in self.warnings],
            "uses_unverified": self.uses_unverified,
            "informational": thaw(self.informational),
            "uncertainty_deduction_kg_co2e": self.uncertainty_deduction_kg_co2e,
            "one_off_claims": thaw(self.one_off_claims),
            # Only estimates made from plots carry it, so older records keep their bytes.
            **({"sampling": thaw(self.sampling)} if self.sampling else {}),
            "reproducibility_hash": self.reproducibility_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Estimate":
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        InvalidInput
            ``estimate_record_is_malformed`` if a field is missing or has the wrong type.
        """
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise InvalidInput([make_problem(
                "estimate", "estimate_record_is_malformed", detail=repr(error))]) from None

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> "Estimate":
        return cls(
            methodology_id=data["methodology_id"],
            methodology_version=data["methodology_version"],
            sink_type=data["sink_type"],
            period_start=datetime.date.fromisoformat(data["period_start"]),
            period_end=datetime.date.fromisoformat(data["period_end"]),
            area_ha=Decimal(data["area_ha"]),
            net_kg_co2e=data["net_kg_co2e"],
            stock_change_kg_co2e=data["stock_change_kg_co2e"],
            emissions_kg_co2e=data["emissions_kg_co2e"],
            gwp_profile=data["gwp_profile"],
            inputs=data["inputs"],
            parameters=tuple(Parameter.from_dict(p) for p in data["parameters"]),
            steps=tuple(TraceStep(**s) for s in data["steps"]),
            warnings=tuple(EstimateWarning(**w) for w in data["warnings"]),
            uses_unverified=bool(data["uses_unverified"]),
            informational={k: Decimal(v) for k, v in data["informational"].items()},
            # Both fields arrived with methodology versions after 1.0.0; older records lack them.
            uncertainty_deduction_kg_co2e=data.get("uncertainty_deduction_kg_co2e", 0),
            one_off_claims=dict(data.get("one_off_claims", {})),
            sampling=dict(data.get("sampling", {})),
            reproducibility_hash=data["reproducibility_hash"],
        )


class Methodology(Protocol):
    """What every registered methodology offers (see :mod:`methodologies.registry`)."""

    id: str
    version: str
    sink_type: str
    title_zh: str
    title_en: str
    input_schema: Mapping[str, Mapping[str, Any]]
    stock_events_field: str  # The input field that holds stock-difference events.

    def default_parameters(self) -> ParameterSet:
        """Return the shipped parameter set (CSV rows with sources and statuses)."""
        ...

    def estimate(self, inputs: Mapping[str, Any], parameters: ParameterSet | None = None, *,
                 gwp_profile: str = "AR5") -> Estimate:
        """Validate ``inputs`` and return an :class:`Estimate`; pure (no I/O, no clock)."""
        ...

    def example_inputs(self) -> dict[str, Any]:
        """Return a valid example input document."""
        ...

    def inputs_with_stock_events(self, inputs: Mapping[str, Any],
                                 events: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        """Return a copy of ``inputs`` whose stock-difference events are ``events``.

        Each event is ``{"date": ISO date, "carbon_t_c_per_ha": decimal string}``: a per-parcel
        carbon density, for example from coverage-weighted zonal statistics of a carbon-density
        raster (:mod:`methodologies.raster`). Pure; ``inputs`` is not changed.
        """
        ...
