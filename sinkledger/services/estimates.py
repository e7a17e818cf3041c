"""Estimates: record one (a methodology on parcels, the whole trace kept), dry runs, batches
over many parcels, the calculation report, one recorded estimate.

A :class:`~sinkledger.services.area.RegistryPart`: the registry Service inherits it."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from sqlmodel import select

from ledger.commands import check_request_id
from ledger.domain import check_content, check_project_code
from ledger.permissions import Actor, require
from ledger.store import EstimateRow
from sinkledger.services import queries
from sinkledger.services.area import RegistryPart
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput, NotFound
from sinks.store import ParcelRow


class EstimateCalls(RegistryPart):
    """The registry's calls for this area (``self`` is the registry :class:`Service`)."""

    def record_estimate(self, actor: Actor, request_id: str, *, parcel_codes: list[str],
                        methodology_id: str, inputs: Mapping[str, Any], gwp_profile: str = "AR5") -> dict[str, Any]:
        """Estimate a parcel set with a methodology; the registered area replaces any given one."""
        # deferred on purpose: the methodologies (and rasterio behind them) load on first use
        from ledger.estimates import record_estimate

        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        inputs = checks.mapping(inputs, "inputs")
        check_content(inputs, "inputs")  # before it is turned into JSON text below
        content = {"parcel_codes": parcel_codes, "methodology_id": methodology_id,
                   "inputs": json.loads(json.dumps(inputs, default=str), parse_float=str),
                   "gwp_profile": gwp_profile}
        return self._run(actor, "record_estimate", request_id, content,
                         lambda ctx: record_estimate(ctx, **content))

    def estimate_dry(self, methodology_id: str, inputs: Mapping[str, Any], gwp_profile: str = "AR5") -> dict[str, Any]:
        """One estimate, not recorded."""
        # deferred on purpose: the area's modules (and their libraries) load on first use
        from sinkledger.services.batch_estimates import estimate_dry

        return estimate_dry(methodology_id, inputs, gwp_profile)

    def read_plot_file(self, *, data: bytes, file_name: str,
                       inputs: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A sample-plot inventory (每木检尺, Excel or CSV, Chinese or English headers) read into
        the ``plot_inventory`` input, every row checked (:mod:`sinkledger.services.plot_files`);
        records nothing. With ``inputs``, also returns them with the inventory in place of
        ``events`` (and of a given ``uncertainty``, which the plots now give), ready for
        :meth:`estimate_dry` or :meth:`record_estimate`; the unit conversions of the file go
        into ``inputs.plot_inventory_conversions`` of the result, not into the inputs."""
        # deferred on purpose: openpyxl loads only when a spreadsheet is read
        from sinkledger.services.plot_files import read_plot_file, with_plot_inventory

        if not isinstance(data, (bytes, bytearray)):
            raise InvalidInput("value_invalid", field="data", value=type(data).__name__)
        if not isinstance(file_name, str) or not file_name.strip() or len(file_name) > 200:
            raise InvalidInput("field_required", field="file_name")
        base = None if inputs is None else checks.mapping(inputs, "inputs")
        result = read_plot_file(bytes(data), file_name)
        if base is not None:
            result["inputs"] = with_plot_inventory(base, result["plot_inventory"])
        return result

    def batch_estimate(self, actor: Actor, request_id: str, *, methodology_id: str, project_code: str,
                       period: tuple[str, str] | None = None, parcel_codes: list[str] = (),
                       base_inputs: Mapping[str, Any] | None = None, monitoring: Mapping[str, Any] | None = None,
                       rasters: list[str] = (), gwp_profile: str = "AR5", min_valid_fraction: float = 0.95,
                       zonal_rule: str = "coverage_weighted",
                       progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
        """Estimate all parcels of the sink type (or ``parcel_codes``): one recorded estimate each,
        with request id ``<request_id>/<parcel>``, from monitoring documents or carbon rasters
        (zonal means by ``zonal_rule``: ``coverage_weighted`` or ``pixel_centre``)."""
        # deferred on purpose: the methodologies (and rasterio behind them) load on first use
        from ledger.estimates import methodology_refusal
        from methodologies.errors import MethodologyError, MethodologyNotFound
        from methodologies.registry import get_methodology
        from sinkledger.services import batch_estimates as b

        require(actor, "record_estimate")
        check_request_id(request_id)
        if not isinstance(project_code, str) or not check_project_code(project_code):
            raise InvalidInput("value_invalid", field="project_code", value=repr(project_code)[:40])
        try:
            get_methodology(methodology_id)
        except (MethodologyNotFound, TypeError):
            raise NotFound("methodology_unknown", methodology=repr(methodology_id)[:60]) from None
        parcel_codes = checks.text_list(parcel_codes, "parcel_codes")
        with self.db.read() as s:
            for code in parcel_codes:
                if s.exec(select(ParcelRow.parcel_code).where(ParcelRow.parcel_code == code)).first() is None:
                    raise NotFound("parcel_not_found", parcel=code)
        base_inputs = checks.optional_mapping(base_inputs, "base_inputs")
        monitoring = checks.optional_mapping(monitoring, "monitoring")
        for code, fields in monitoring.items():
            checks.mapping(fields, f"monitoring.{code}")
        check_content({"base_inputs": base_inputs, "monitoring": monitoring}, "batch")
        fraction = min_valid_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise InvalidInput("value_invalid", field="min_valid_fraction", value=repr(fraction)[:40])
        rasters = checks.text_list(rasters, "rasters")
        if zonal_rule not in ("coverage_weighted", "pixel_centre"):
            raise InvalidInput("value_invalid", field="zonal_rule", value=repr(zonal_rule)[:40])
        try:
            layers = [b.parse_raster_option(r) for r in rasters]
        except ValueError as exc:
            raise InvalidInput("value_invalid", field="rasters", value=str(exc)[:60]) from None
        if period is not None:
            dates = checks.text_list(period, "period", max_items=2)
            try:
                period = b.parse_period("..".join(dates)) if len(dates) == 2 else None
            except ValueError:
                period = None
            if period is None or period[0] > period[1]:
                raise InvalidInput("value_invalid", field="period", value=repr(dates)[:60])
        request = b.BatchRequest(methodology_id=methodology_id, base_inputs=base_inputs, monitoring=monitoring,
                                 rasters=layers, period=period, gwp_profile=gwp_profile, parcel_codes=parcel_codes,
                                 min_valid_fraction=fraction, zonal_rule=zonal_rule)
        try:
            return b.record_batch(self, actor, request_id, request, project_code=project_code, progress=progress)
        except MethodologyError as error:
            raise methodology_refusal(error) from None

    def estimate_report(self, estimate_id: str, fmt: str = "pdf", lang: str = "zh") -> bytes:
        """The calculation trace of a recorded estimate as Markdown, HTML or PDF, in Chinese or English."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.reports import FORMATS, LANGS, render

        if fmt not in FORMATS:
            raise InvalidInput("value_invalid", field="format", value=repr(fmt)[:40])
        if lang not in LANGS:
            raise InvalidInput("value_invalid", field="lang", value=repr(lang)[:40])
        with self.db.read() as s:
            row = s.get(EstimateRow, estimate_id)
        if row is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        document = json.loads(row.document) | {"estimate_id": row.id, "parcel_codes": json.loads(row.parcel_codes)}
        return render(document, fmt, lang)

    def estimates_page(self, actor: Actor, *, parcel_code: str | None = None, state: str | None = None,
                       limit: int | None = 100, offset: int = 0) -> dict[str, Any]:
        """Recorded estimates, newest first, with their state, for the roles that record, verify
        or bundle them (``estimate_view``): one page read as a page by the database."""
        require(actor, "estimate_view")
        if parcel_code is not None and (not isinstance(parcel_code, str) or len(parcel_code) > 40):
            raise InvalidInput("value_invalid", field="parcel_code", value=repr(parcel_code)[:40])
        if state is not None and state not in queries.ESTIMATE_STATES:
            raise InvalidInput("value_invalid", field="state", value=repr(state)[:40])
        limit, offset = checks.page_bounds(limit, offset)
        self.require_initialised()
        return queries.estimates_page(self, parcel_code=parcel_code or None, state=state, limit=limit, offset=offset)

    def estimate_with_state(self, actor: Actor, estimate_id: str) -> dict[str, Any]:
        """A recorded estimate (inputs, result, trace) with its state and the verifier's returns,
        for the roles of :meth:`estimates_page`."""
        require(actor, "estimate_view")
        if not isinstance(estimate_id, str) or not 0 < len(estimate_id) <= 40:
            raise InvalidInput("value_invalid", field="estimate_id", value=repr(estimate_id)[:40])
        document = self.estimate(estimate_id)
        [summary] = queries.estimates_page(self, estimate_id=estimate_id, limit=1)["items"]
        return document | {"state": summary["state"], "returns": summary["returns"]}

    def estimate(self, estimate_id: str) -> dict[str, Any]:
        with self.db.read() as s:
            row = s.get(EstimateRow, estimate_id)
        if row is None:
            raise NotFound("estimate_not_found", estimate=estimate_id)
        return json.loads(row.document) | {"estimate_id": row.id}
