"""Parcel registration (登记): checks against the registry, then one journal entry.

The geometry has already been parsed and normalised (:mod:`sinks.geometry`); here it is
measured, checked for double counting against active parcels, and stored. The journal entry
carries the parcel's identity, holder, area and the SHA-256 of its geometry, so a changed
boundary in the parcel table is detectable.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from decimal import Decimal
from typing import Any, Mapping

import shapely
from shapely.geometry.base import BaseGeometry
from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import EntryKind, PartyKind
from ledger.permissions import require_owner
from ledger.store import PartyRow
from sinkledger.config import Region
from sinkledger.errors import Conflict, InvalidInput, NotFound
from sinks import SinkType
from sinks.geometry import M2_PER_HA, M2_PER_MU, area_m2, find_overlaps
from sinks.store import ParcelRow

MIN_PARCEL_AREA_M2 = 100.0
PARCEL_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
HOLDER_KINDS = {PartyKind.collective.value, PartyKind.collection_centre.value}


def normalise_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe, canonical attributes: floats become decimal strings, NaN becomes null."""
    out: dict[str, Any] = {}
    for key, value in attributes.items():
        if isinstance(value, float):
            value = None if math.isnan(value) or math.isinf(value) else str(Decimal(repr(value)))
        elif hasattr(value, "item"):  # numpy scalars
            return normalise_attributes({**attributes, key: value.item()})
        elif isinstance(value, (dict, list)):
            value = json.loads(json.dumps(value, default=str), parse_float=str)
        elif value is not None and not isinstance(value, (str, int, bool)):
            value = str(value)
        out[str(key)] = value
    return out


def _check_identity(ctx: CommandContext, parcel_code: str, sink_type: str, holder_party_id: str) -> PartyRow:
    if not isinstance(parcel_code, str) or not PARCEL_CODE_PATTERN.match(parcel_code):
        raise InvalidInput("value_invalid", field="parcel_code", value=str(parcel_code)[:40])
    try:
        SinkType(sink_type)
    except ValueError:
        raise InvalidInput("sink_type_unknown", sink_type=str(sink_type)[:40]) from None
    holder = ctx.session.get(PartyRow, holder_party_id)
    if holder is None:
        raise NotFound("party_not_found", party=holder_party_id)
    if holder.kind not in HOLDER_KINDS:
        raise InvalidInput("value_invalid", field="holder_party_id", value=holder_party_id)
    require_owner(ctx.actor, "register_parcel", holder_party_id)
    taken = ctx.session.exec(select(ParcelRow.id).where(ParcelRow.parcel_code == parcel_code)).first()
    if taken is not None:
        raise Conflict("parcel_code_taken", parcel_code=parcel_code)
    return holder


def active_parcels_near(ctx: CommandContext, geom: BaseGeometry) -> list[tuple[str, BaseGeometry]]:
    x0, y0, x1, y1 = geom.bounds
    rows = ctx.session.exec(select(ParcelRow.parcel_code, ParcelRow.geometry_wkb).where(
        ParcelRow.status == "active", ParcelRow.min_lon <= x1, ParcelRow.max_lon >= x0,
        ParcelRow.min_lat <= y1, ParcelRow.max_lat >= y0)).all()
    return [(code, shapely.from_wkb(wkb)) for code, wkb in rows]


def register_parcel(ctx: CommandContext, *, parcel_code: str, sink_type: str, holder_party_id: str,
                    geometry: BaseGeometry, region: Region, county_code: str | None = None,
                    tenure_cert_no: str | None = None, declared_area_mu: float | None = None,
                    attributes: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    _check_identity(ctx, parcel_code, sink_type, holder_party_id)
    measured_m2 = area_m2(geometry, region.area_epsg, region.storage_epsg)
    if measured_m2 < MIN_PARCEL_AREA_M2:
        raise InvalidInput("area_too_small", area_m2=round(measured_m2, 1), min_area_m2=MIN_PARCEL_AREA_M2)
    overlaps = find_overlaps(geometry, active_parcels_near(ctx, geometry), area_epsg=region.area_epsg)
    if overlaps:
        raise Conflict("parcel_overlaps_existing", conflicts=", ".join(o.parcel_code for o in overlaps),
                       overlap_m2=round(sum(o.overlap_m2 for o in overlaps), 1),
                       overlaps=[{"parcel_code": o.parcel_code, "overlap_m2": o.overlap_m2} for o in overlaps])
    wkb = shapely.to_wkb(geometry, output_dimension=2)
    geometry_sha256 = hashlib.sha256(wkb).hexdigest()
    attrs = normalise_attributes(attributes or {})
    x0, y0, x1, y1 = geometry.bounds
    ctx.session.add(ParcelRow(
        parcel_code=parcel_code, sink_type=sink_type, holder_party_id=holder_party_id,
        county_code=county_code, tenure_cert_no=tenure_cert_no, area_m2=measured_m2,
        area_epsg=region.area_epsg, declared_area_mu=declared_area_mu, geometry_wkb=wkb,
        geometry_sha256=geometry_sha256, min_lon=x0, min_lat=y0, max_lon=x1, max_lat=y1,
        attributes=json.dumps(attrs, ensure_ascii=False, sort_keys=True), registered_seq=ctx.seq))
    ctx.session.flush()
    area_ha = Decimal(repr(measured_m2)) / M2_PER_HA
    result = {"parcel_code": parcel_code, "sink_type": sink_type, "holder_party_id": holder_party_id,
              "area_ha": f"{area_ha:.4f}", "area_mu": f"{Decimal(repr(measured_m2)) / Decimal(repr(M2_PER_MU)):.2f}",
              "area_epsg": region.area_epsg, "geometry_sha256": geometry_sha256}
    payload = {**result, "county_code": county_code, "tenure_cert_no": tenure_cert_no,
               "attributes": attrs, "result": result}
    return EntryKind.parcel_registered.value, payload
