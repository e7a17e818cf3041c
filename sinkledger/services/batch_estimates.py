"""Estimates outside a single recorded parcel set: dry estimates and batches with I/O.

:func:`estimate_dry` runs one methodology on one input document and records nothing (what
``sinkledger estimate --inputs FILE`` without ``--parcel`` prints). The rest gathers parcels,
monitoring files and dated rasters for a batch.

The estimating itself is :func:`methodologies.batch.estimate_batch` (pure); this module only
gathers each parcel's input document:

- parcels come from a vector layer (``gis_data/demo_parcels.gpkg``) or from the registry
  (``Service.parcels()``), filtered to the methodology's sink type and optional codes;
- ``area_ha`` is always the parcel's true area in EPSG:4549, rounded to 0.0001 ha (the same
  rounding ``ledger.estimates.record_estimate`` applies to registered parcels);
- per-parcel fields (monitoring events, fertiliser...) come from a monitoring JSON in the
  shape of ``gis_data/demo_monitoring.json`` (``{"parcels": {code: {...}}}``);
- with two or more dated rasters, the stock events come from coverage-weighted zonal statistics
  (:func:`methodologies.raster.stock_events`) and replace the methodology's stock-difference
  events (:meth:`~methodologies.base.Methodology.inputs_with_stock_events`);
- the period is ``--period`` if given, else the first and last raster dates, else each
  parcel's first and last monitoring event.

:func:`record_batch` stores one estimate per parcel through the existing
``Service.record_estimate``, with request ids ``<batch request id>/<parcel code>`` so a retried
batch records nothing twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely

from ledger.estimates import methodology_refusal
from methodologies.base import Methodology
from methodologies.batch import BatchResult, Progress, estimate_batch, parcel_documents
from methodologies.errors import MethodologyError, MethodologyNotFound, Problem
from methodologies.raster import RASTER_QUANTITIES, RasterLayer, parcel_areas_ha, stock_events
from methodologies.registry import get_methodology
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound, SinkLedgerError
from sinkledger_base.jsondoc import load_json_object

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

AREA_QUANTUM = Decimal("0.0001")
STORAGE_CRS = "EPSG:4490"


@dataclass(frozen=True, kw_only=True)
class BatchRequest:
    """Everything a batch needs besides the parcels themselves."""

    methodology_id: str
    base_inputs: Mapping[str, Any]
    monitoring: Mapping[str, Mapping[str, Any]]
    rasters: Sequence[RasterLayer] = ()
    period: tuple[str, str] | None = None
    gwp_profile: str = "AR5"
    parcel_codes: Sequence[str] = ()
    min_valid_fraction: float = 0.95
    zonal_rule: str = "coverage_weighted"  # or "pixel_centre" (methodologies.raster.ZONAL_RULES)


def estimate_dry(methodology_id: str, inputs: Any, gwp_profile: str = "AR5") -> dict[str, Any]:
    """One estimate, not recorded: the full record (``Estimate.to_dict()``).

    Raises
    ------
    sinkledger_base.errors.NotFound
        ``methodology_unknown``.
    sinkledger_base.errors.InvalidInput
        ``methodology_input_invalid`` with every problem's code in ``problem_codes``.
    """
    try:
        methodology = get_methodology(methodology_id)
    except MethodologyNotFound:
        raise NotFound("methodology_unknown", methodology=methodology_id) from None
    try:
        return methodology.estimate(inputs, gwp_profile=gwp_profile).to_dict()
    except MethodologyError as error:
        raise methodology_refusal(error) from None


def parse_raster_option(text: str) -> RasterLayer:
    """Parse ``DATE=PATH`` or ``DATE=PATH@QUANTITY`` (quantity default ``carbon_t_c_per_ha``).

    Raises
    ------
    ValueError
        For a malformed option, a bad date or an unknown quantity.
    """
    date_text, separator, rest = text.partition("=")
    if not separator or not rest:
        raise ValueError(f"expected DATE=PATH[@QUANTITY], got {text!r}")
    path, _, quantity = rest.partition("@")
    quantity = quantity or "carbon_t_c_per_ha"
    if quantity not in RASTER_QUANTITIES:
        raise ValueError(f"quantity must be one of {RASTER_QUANTITIES}, got {quantity!r}")
    return RasterLayer(path=Path(path), date=checks.date_in_range(datetime.date.fromisoformat(date_text), "--raster"),
                       quantity=quantity)


def parse_period(text: str) -> tuple[str, str]:
    """Parse ``START..END`` (ISO dates) into a pair of ISO strings."""
    start, separator, end = text.partition("..")
    if not separator:
        raise ValueError(f"expected START..END, got {text!r}")
    return (checks.date_in_range(datetime.date.fromisoformat(start), "--period").isoformat(),
            checks.date_in_range(datetime.date.fromisoformat(end), "--period").isoformat())


def load_monitoring(path: Path | None) -> dict[str, dict[str, Any]]:
    """Per-parcel fields from ``{"parcels": {code: {...}}}`` (or a bare ``{code: {...}}``)."""
    if path is None:
        return {}

    document = load_json_object(path, "monitoring")
    parcels = document.get("parcels", document)
    if not isinstance(parcels, dict) or not all(isinstance(f, dict) for f in parcels.values()):
        raise InvalidInput("value_invalid", field="monitoring", value="expected {parcel_code: {field: value}}")
    return {str(code): dict(fields) for code, fields in parcels.items()}


def load_parcels_file(path: Path, *, layer: str | None = "parcels") -> gpd.GeoDataFrame:
    """A parcel layer with ``parcel_code`` and ``sink_type`` columns, any CRS."""
    try:
        return gpd.read_file(path, layer=layer)
    except Exception as exc:  # noqa: BLE001 - GDAL's errors (DataSourceError, ...) are not one type
        raise InvalidInput("file_unreadable", reason=f"{Path(path).name}: {exc}"[:200]) from None


def parcels_from_records(records: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Registered parcels (``Service.parcels()``: GeoJSON in EPSG:4490) as a GeoDataFrame."""
    return gpd.GeoDataFrame(
        {"parcel_code": [r["parcel_code"] for r in records],
         "sink_type": [r["sink_type"] for r in records]},
        geometry=[shapely.geometry.shape(r["geometry"]) for r in records], crs=STORAGE_CRS)


def select_parcels(parcels: gpd.GeoDataFrame, methodology: Methodology,
                   parcel_codes: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """The parcels of the methodology's sink type, restricted to ``parcel_codes`` if given."""
    chosen = parcels[parcels["sink_type"] == methodology.sink_type]
    if parcel_codes:
        chosen = chosen[chosen["parcel_code"].isin(list(parcel_codes))]
    return chosen.sort_values("parcel_code").reset_index(drop=True)


def build_parcel_inputs(methodology: Methodology, parcels: gpd.GeoDataFrame,
                        request: BatchRequest
                        ) -> tuple[dict[str, dict[str, Any]], dict[str, list[Problem]]]:
    """Each parcel's input document, and the parcels refused before estimating."""
    codes = [str(code) for code in parcels["parcel_code"]]
    areas = {code: str(Decimal(repr(float(area))).quantize(AREA_QUANTUM, ROUND_HALF_EVEN))
             for code, area in zip(codes, parcel_areas_ha(parcels))}
    refused: dict[str, list[Problem]] = {}
    per_parcel = {code: dict(request.monitoring.get(code, {})) for code in codes}
    period = request.period
    if request.rasters:
        found = stock_events(request.rasters, parcels, min_valid_fraction=request.min_valid_fraction,
                             zonal_rule=request.zonal_rule)
        refused.update(found.problems)
        per_parcel = {code: methodology.inputs_with_stock_events(fields, found.events[code])
                      for code, fields in per_parcel.items() if code in found.events}
        dates = sorted(layer.date for layer in request.rasters)
        period = period or (dates[0].isoformat(), dates[-1].isoformat())
    documents = parcel_documents(base=request.base_inputs, per_parcel=per_parcel,
                                 period=period, areas_ha=areas)
    for document in documents.values():
        if "period_start" not in document:
            _period_from_events(methodology, document)
    return documents, refused


def _period_from_events(methodology: Methodology, document: dict[str, Any]) -> None:
    """Default the period to the first and last stock event (as the demo seeding does)."""
    events = document.get(methodology.stock_events_field) or []
    dated = [event["date"] for event in events if isinstance(event, Mapping) and "date" in event]
    if dated:
        document.setdefault("period_start", dated[0])
        document.setdefault("period_end", dated[-1])


def prepare_batch(request: BatchRequest, parcels: gpd.GeoDataFrame
                  ) -> tuple[Methodology, dict[str, dict[str, Any]], dict[str, list[Problem]]]:
    """The methodology, each selected parcel's document, and the parcels refused up front."""
    methodology = get_methodology(request.methodology_id)
    chosen = select_parcels(parcels, methodology, request.parcel_codes)
    documents, refused = build_parcel_inputs(methodology, chosen, request)
    return methodology, documents, refused


def dry_batch(request: BatchRequest, parcels: gpd.GeoDataFrame, *,
              progress: Progress | None = None) -> BatchResult:
    """Estimate every selected parcel without recording anything."""
    methodology, documents, refused = prepare_batch(request, parcels)
    return estimate_batch(methodology, documents, gwp_profile=request.gwp_profile,
                          progress=progress, refused=refused)


BATCH_COMMIT_EVERY = 500  # estimates recorded per commit in record_batch, at most
BATCH_COMMIT_EVERY_S = 0.25  # and a commit at least this often (an estimate is slower than a sale)


def record_batch(service: Service, actor: Any, request_id: str, request: BatchRequest, *,
                 project_code: str, progress: Progress | None = None,
                 commit_every: int = BATCH_COMMIT_EVERY) -> dict[str, Any]:
    """Estimate every selected registered parcel and record the estimates that pass.

    A dry run first separates the refusals (recorded nowhere, returned with their problems);
    each passing parcel is then recorded through ``service.record_estimate`` with the request
    id ``<request_id>/<parcel_code>``, so a retried batch records nothing twice. The estimates are
    recorded with group commit (:meth:`Database.batch`: each its own savepoint, one commit per
    ``commit_every`` or :data:`BATCH_COMMIT_EVERY_S`); a batch cut short keeps every commit before the cut, and the retry
    records the rest. A refusal by
    the service (e.g. an unknown parcel) is returned with the others and never stops the batch.
    Returns the batch summary with the estimate ids, which verification and issuance
    (``sinkledger issue --estimate``) refer to.
    """
    methodology, documents, refused = prepare_batch(
        request, parcels_from_records(service.parcels()))
    dry = estimate_batch(methodology, documents, gwp_profile=request.gwp_profile,
                         refused=refused)
    report = progress or (lambda done, total, label: None)
    recorded, refusals = [], {code: [p.to_dict() for p in problems]
                              for code, problems in dry.refusals.items()}
    with service.db.batch(commit_every=commit_every, commit_every_s=BATCH_COMMIT_EVERY_S):
        for done, code in enumerate(dry.estimates, start=1):
            try:
                out = service.record_estimate(actor, f"{request_id}/{code}", parcel_codes=[code],
                                              methodology_id=request.methodology_id,
                                              inputs=documents[code], gwp_profile=request.gwp_profile)
            except SinkLedgerError as error:
                refusals[code] = [{"field": f"parcels.{code}", "code": error.code,
                                   "details": error.details()}]
            else:
                recorded.append({"parcel_code": code, **{key: out[key] for key in (
                    "estimate_id", "net_kg_co2e", "uses_unverified", "warnings")}})
            report(done, len(dry.estimates), code)
    return {**dry.summary(), "batch_request_id": request_id, "project_code": project_code,
            "period": list(request.period) if request.period else None,
            "recorded": recorded, "refused": len(refusals), "refusals": refusals}
