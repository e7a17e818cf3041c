"""Parcels as the service shows them, and the fields a user may change in a new version."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sinkledger_base.errors import InvalidInput
from sinks.importer import ImportOptions, check_fields
from sinks.mapping import all_targets
from sinks.problems import refusal
from sinks.store import ParcelRow

CHANGEABLE = ("holder_party_id", "county_code", "tenure_cert_no", "tenure_cert_kind", "tenure_ownership",
              "household_shares_bp", "declared_area_mu", "attributes")


def parcel_extras(row: ParcelRow) -> dict[str, Any]:
    """What the service adds to the basic parcel dict: tenure details, shares, flags, history links."""
    return {"tenure_cert_kind": row.tenure_cert_kind, "tenure_ownership": row.tenure_ownership,
            "household_shares_bp": json.loads(row.household_shares), "declared_area_mu": row.declared_area_mu,
            "retired_from": row.retired_from, "flags": json.loads(row.flags), "parents": json.loads(row.parents),
            "version": row.version, "version_hash": row.version_hash, "area_epsg": row.area_epsg}


def checked_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The record fields a change sets, checked like a file row's fields.

    ``attributes`` are merged into the current ones (a ``None`` value removes one).

    Raises
    ------
    SinkLedgerError
        ``value_invalid`` for a field that cannot be changed; the first field problem otherwise.
    """
    if not isinstance(changes, Mapping):
        raise InvalidInput("value_invalid", field="changes", value=type(changes).__name__)
    unknown = sorted(str(k) for k in set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidInput("value_invalid", field="changes",
                           value=", ".join(unknown)[:60].encode("utf-8", "backslashreplace").decode("utf-8"))
    if not isinstance(changes.get("attributes", {}), Mapping):
        raise InvalidInput("value_invalid", field="attributes", value=type(changes["attributes"]).__name__)
    attributes = {**current["attributes"], **changes.get("attributes", {})}
    attributes = {k: v for k, v in attributes.items() if v is not None}
    merged = {**{k: current.get(k) for k in CHANGEABLE}, **changes}
    fields = {"parcel_code": current["parcel_code"], "sink_type": current["sink_type"],
              "holder": merged["holder_party_id"], "county_code": merged["county_code"],
              "tenure_cert_no": merged["tenure_cert_no"], "tenure_ownership": merged["tenure_ownership"],
              "tenure_cert_kind": changes.get("tenure_cert_kind"), "declared_area_mu": merged["declared_area_mu"],
              "household_shares": merged["household_shares_bp"], **attributes}
    targets = set(all_targets())
    extras = {k: v for k, v in fields.items() if k not in targets}
    draft, problems = check_fields(1, {k: v for k, v in fields.items() if k in targets}, extras, ImportOptions())
    if problems:
        raise refusal(problems)
    record = {"holder_party_id": draft.holder, "county_code": draft.county_code,
              "tenure_cert_no": draft.tenure_cert_no, "tenure_cert_kind": draft.tenure_cert_kind,
              "tenure_ownership": draft.tenure_ownership,
              "household_shares_bp": dict(sorted(draft.household_shares_bp.items())),
              "declared_area_mu": draft.declared_area_mu, "attributes": draft.attributes}
    return {k: v for k, v in record.items() if k in changes or (k == "tenure_cert_kind" and "tenure_cert_no" in changes)}
