"""Parcel versions: the canonical record of each version and its hash chain.

Every registration, boundary or attribute change, split, merge, retirement or deletion appends
one version per parcel it touches. The version's record is canonical JSON (the ledger's
:func:`~sinkledger_base.canonical.canonical_json`: sorted keys, no floats) naming the journal entry (``seq``)
and the previous version's hash; ``version_hash`` is its SHA-256. :func:`verify_parcel_history`
recomputes every chain and checks the stored geometry against the hash in its record.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import shapely
from sqlmodel import Session, select

from sinkledger_base.canonical import sha256_hex
from sinks.problems import Problem
from sinks.store import ParcelRow, ParcelVersionRow

GENESIS_VERSION_HASH = "0" * 64


def geometry_wkb(geometry: shapely.Geometry) -> bytes:
    return shapely.to_wkb(geometry, output_dimension=2, byte_order=1)


def flag_records(flags: list[Problem]) -> list[dict[str, Any]]:
    return [{"code": f.code, "params": json.loads(json.dumps(dict(f.params), default=str), parse_float=str)}
            for f in flags]


def area_text(area_m2: float) -> str:
    return f"{Decimal(repr(area_m2)).quantize(Decimal('0.01'))}"


def new_record(*, parcel_code: str, version: int, change: str, seq: int, prev_hash: str,
               fields: dict[str, Any], area_m2: float, area_epsg: int, wkb: bytes, status: str,
               parents: list[str], flags: list[Problem], retired_from: str | None = None,
               children: list[str] | None = None) -> dict[str, Any]:
    """The canonical record of one version (``fields``: sink type, holder, tenure, attributes...)."""
    return {"parcel_code": parcel_code, "version": version, "change": change, "seq": seq,
            "prev_version_hash": prev_hash, **fields, "area_m2": area_text(area_m2), "area_epsg": area_epsg,
            "geometry_sha256": hashlib.sha256(wkb).hexdigest(), "status": status, "parents": parents,
            "children": children or [], "retired_from": retired_from, "flags": flag_records(flags)}


def canonical_record(record: dict[str, Any]) -> str:
    """The ledger's canonical JSON of a version record, computed without its generic type checks.

    Records hold only dicts, lists, text, integers, booleans and ``None``; anything else (a float
    above all) is a programming error. The text equals :func:`sinkledger_base.canonical.canonical_json`'s.
    """
    _check_plain(record)
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _check_plain(value: Any) -> None:
    kind = type(value)
    if kind is dict:
        for v in value.values():
            _check_plain(v)
    elif kind is list:
        for v in value:
            _check_plain(v)
    elif kind not in (str, int, bool, type(None)):
        raise TypeError(f"a parcel version record cannot hold {kind.__name__}: {value!r}")


def version_hash(record: dict[str, Any]) -> str:
    return sha256_hex(canonical_record(record))


def record_fields(row: ParcelRow) -> dict[str, Any]:
    """The descriptive fields of a stored parcel, as a version record holds them."""
    return {"sink_type": row.sink_type, "holder_party_id": row.holder_party_id, "county_code": row.county_code,
            "tenure_cert_no": row.tenure_cert_no, "tenure_cert_kind": row.tenure_cert_kind,
            "tenure_ownership": row.tenure_ownership,
            "household_shares_bp": json.loads(row.household_shares),
            "declared_area_mu": None if row.declared_area_mu is None else _decimal_text(row.declared_area_mu),
            "attributes": json.loads(row.attributes)}


def _decimal_text(value: float) -> str:
    return f"{Decimal(repr(value)).normalize():f}"


def history(session: Session, parcel_code: str) -> list[dict[str, Any]]:
    """Every version of a parcel, oldest first, with its hash."""
    rows = session.exec(select(ParcelVersionRow).where(ParcelVersionRow.parcel_code == parcel_code)
                        .order_by(ParcelVersionRow.version)).all()
    return [{**json.loads(r.record), "version_hash": r.version_hash,
             "geometry": shapely.geometry.mapping(shapely.from_wkb(r.geometry_wkb))} for r in rows]


def verify_parcel_history(session: Session) -> list[dict[str, Any]]:
    """Problems in the parcel history: broken chains, changed records or geometries, stale projection."""
    problems, last = [], {}
    for r in session.exec(select(ParcelVersionRow).order_by(ParcelVersionRow.parcel_code,
                                                            ParcelVersionRow.version)):
        record = json.loads(r.record)
        expected_prev = last.get(r.parcel_code, GENESIS_VERSION_HASH)
        if version_hash(record) != r.version_hash or canonical_record(record) != r.record:
            problems.append({"parcel_code": r.parcel_code, "version": r.version, "problem": "record_hash_mismatch"})
        elif record["prev_version_hash"] != expected_prev:
            problems.append({"parcel_code": r.parcel_code, "version": r.version, "problem": "chain_broken"})
        elif hashlib.sha256(r.geometry_wkb).hexdigest() != record["geometry_sha256"]:
            problems.append({"parcel_code": r.parcel_code, "version": r.version, "problem": "geometry_changed"})
        last[r.parcel_code] = r.version_hash
    for p in session.exec(select(ParcelRow)):
        if last.get(p.parcel_code) != p.version_hash:
            problems.append({"parcel_code": p.parcel_code, "version": p.version, "problem": "projection_stale"})
    return problems
