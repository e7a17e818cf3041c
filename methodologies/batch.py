"""Batch estimation: one methodology over many parcels of a project and monitoring period.

Pure (no I/O): it takes per-parcel input documents, calls the methodology's ``estimate`` for
each, and collects the estimates and, separately, the refusals, so that one bad parcel never
stops the batch. A progress callback ``progress(done, total, label)`` (the signature the CLI's
progress bar and ``sinkledger.demo.seed`` use) is called at most about 200 times, so that it costs
nothing next to the estimates. Storage and the raster I/O live in
:mod:`sinkledger.services.batch_estimates`.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from methodologies.base import Estimate, Methodology, ParameterSet
from methodologies.errors import MethodologyError, Problem, make_problem

Progress = Callable[[int, int, str], None]
PROGRESS_UPDATES: Final = 200


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    """Estimates by parcel code, refusals by parcel code, in input order."""

    methodology_id: str
    methodology_version: str
    gwp_profile: str
    estimates: Mapping[str, Estimate] = field(default_factory=dict)
    refusals: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Totals for display: counts, total net kg CO2e, reversals, unverified, warnings."""
        estimates = list(self.estimates.values())
        warnings = Counter(code for e in estimates for code in e.warning_codes)
        return {
            "methodology_id": self.methodology_id,
            "methodology_version": self.methodology_version,
            "gwp_profile": self.gwp_profile,
            "parcels": len(estimates) + len(self.refusals),
            "estimated": len(estimates),
            "refused": len(self.refusals),
            "net_kg_co2e_total": sum(e.net_kg_co2e for e in estimates),
            "stock_change_kg_co2e_total": sum(e.stock_change_kg_co2e for e in estimates),
            "emissions_kg_co2e_total": sum(e.emissions_kg_co2e for e in estimates),
            "reversals": sorted(code for code, e in self.estimates.items() if e.net_kg_co2e < 0),
            "uses_unverified": sum(e.uses_unverified for e in estimates),
            "warnings": dict(sorted(warnings.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The summary plus one row per parcel (estimate document or problems)."""
        return {**self.summary(),
                "estimates": {code: e.to_dict() for code, e in self.estimates.items()},
                "refusals": {code: [p.to_dict() for p in problems]
                             for code, problems in self.refusals.items()}}


def estimate_batch(methodology: Methodology, parcel_inputs: Mapping[str, Mapping[str, Any]], *,
                   parameters: ParameterSet | None = None, gwp_profile: str = "AR5",
                   progress: Progress | None = None,
                   refused: Mapping[str, Iterable[Problem]] | None = None) -> BatchResult:
    """Estimate every parcel; refusals are collected, never raised.

    Parameters
    ----------
    methodology : Methodology
    parcel_inputs : Mapping[str, Mapping]
        Input document by parcel code.
    parameters : ParameterSet, optional
        Defaults to the methodology's shipped parameters.
    gwp_profile : str
    progress : callable, optional
        ``progress(done, total, parcel_code)``.
    refused : Mapping[str, Iterable[Problem]], optional
        Parcels already refused upstream (e.g. insufficient raster coverage); kept as refusals.

    Returns
    -------
    BatchResult
    """
    report = progress or (lambda done, total, label: None)
    total = len(parcel_inputs)
    every = max(1, total // PROGRESS_UPDATES)
    estimates: dict[str, Estimate] = {}
    refusals = {code: tuple(problems) for code, problems in (refused or {}).items()}
    for done, (code, inputs) in enumerate(parcel_inputs.items(), start=1):
        try:
            estimates[code] = methodology.estimate(inputs, parameters, gwp_profile=gwp_profile)
        except MethodologyError as error:
            refusals[code] = tuple(getattr(error, "problems", ()) or (
                make_problem(f"parcels.{code}", error.code),))
        if done % every == 0 or done == total:
            report(done, total, code)
    return BatchResult(methodology_id=methodology.id, methodology_version=methodology.version,
                       gwp_profile=gwp_profile, estimates=estimates, refusals=refusals)


def parcel_documents(*, base: Mapping[str, Any], per_parcel: Mapping[str, Mapping[str, Any]],
                     period: tuple[str, str] | None = None,
                     areas_ha: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Assemble each parcel's input document: base fields, then its own, then period and area.

    Parameters
    ----------
    base : Mapping
        Fields shared by every parcel of the project (e.g. ``uncertainty``, EF1 profile).
    per_parcel : Mapping[str, Mapping]
        Each parcel's own fields (monitoring events, fertiliser...), by parcel code.
    period : tuple[str, str], optional
        ``(period_start, period_end)`` ISO dates for every parcel; otherwise each document
        must carry its own.
    areas_ha : Mapping[str, str], optional
        Registered or measured area by parcel code, as decimal strings; overrides any given.

    Returns
    -------
    dict[str, dict]
        New documents; nothing given is mutated.
    """
    documents = {}
    for code, own in per_parcel.items():
        document = {**base, **own}
        if period is not None:
            document["period_start"], document["period_end"] = period
        if areas_ha is not None and code in areas_ha:
            document["area_ha"] = areas_ha[code]
        documents[code] = document
    return documents
