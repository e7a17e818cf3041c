"""What a party keeps between visits: choices the app offers again next time, stored per party.

Not ledger facts (no journal entry, nothing hashed): a cooperative's field mapping of its last
parcel upload (issue 19, point 5: "reuse it next time"), kept for the party, so that every user
of the cooperative and every later session starts from it. One row per (party, setting), its
value canonical JSON, with who last changed it and when; a :class:`RegistryPart` the registry
Service inherits. The table comes with migration ``0014_party_settings`` (there was no
key-value store to reuse: the person register is for personal data only, and the journal for
facts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from ledger.permissions import Actor, require
from sinkledger.services.area import RegistryPart
from sinkledger_base.canonical import canonical_json
from sinkledger_base.errors import InvalidInput, printable
from sinkledger_base.rows import text_column

UPLOAD_MAPPING = "parcel_upload_mapping"
# the parcel fields a column can be mapped to on the upload's form, and the fields given defaults
MAPPED_FIELDS = ("parcel_code", "sink_type", "holder", "county_code", "tenure_cert_no", "declared_area_mu",
                 "declared_area_ha")
DEFAULT_FIELDS = ("sink_type", "holder")
MAX_COLUMN_CHARS = 200  # a column name (the file's header)
MAX_DEFAULT_CHARS = 60  # a sink type or a party id


class PartySettingRow(SQLModel, table=True):
    """One setting of one party: its value (canonical JSON), who changed it last and when (UTC)."""

    __tablename__ = "party_setting"
    party_id: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=60)
    value_json: str = Field(sa_column=text_column())
    updated_at: str = Field(max_length=40)
    updated_by: str = Field(max_length=60)


def _choices(value: Any, allowed: tuple[str, ...], max_chars: int, field: str) -> dict[str, str]:
    """``{field: text}`` with every key among ``allowed`` and every value printable text."""
    if not isinstance(value, Mapping):
        raise InvalidInput("value_invalid", field=field, value=printable(repr(value), 40))
    out = {}
    for key, text in value.items():
        if key not in allowed:
            raise InvalidInput("value_invalid", field=field, value=printable(repr(key), 40))
        if not isinstance(text, str) or not text.strip() or not text.isprintable() or len(text) > max_chars:
            raise InvalidInput("value_invalid", field=f"{field}.{key}", value=printable(repr(text), 40))
        out[key] = text
    return out


class PartySettingCalls(RegistryPart):
    """The registry's calls for settings kept per party (``self`` is the registry Service)."""

    def upload_mapping(self, actor: Actor) -> dict[str, dict[str, str]]:
        """The field mapping of the actor's party's last parcel upload: ``fields`` (field → the
        column it was read from) and ``defaults`` (field → value for files without it); empty
        when the party has none yet."""
        require(actor, "register_parcel")
        with self.db.read() as s:
            row = s.get(PartySettingRow, (actor.party_id, UPLOAD_MAPPING))
        saved = json.loads(row.value_json) if row else {}
        return {"fields": dict(saved.get("fields", {})), "defaults": dict(saved.get("defaults", {}))}

    def save_upload_mapping(self, actor: Actor, *, fields: Mapping[str, str],
                            defaults: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """Keep ``fields`` and ``defaults`` as the actor's party's upload mapping (offered again on
        its next upload, whoever of the party uploads). Writes only when it changed."""
        require(actor, "register_parcel")
        value = {"fields": _choices(fields, MAPPED_FIELDS, MAX_COLUMN_CHARS, "fields"),
                 "defaults": _choices(defaults, DEFAULT_FIELDS, MAX_DEFAULT_CHARS, "defaults")}
        text = canonical_json(value)
        with self.db.write() as s:
            row = s.get(PartySettingRow, (actor.party_id, UPLOAD_MAPPING))
            if row is not None and row.value_json == text:
                return value
            row = row or PartySettingRow(party_id=actor.party_id, name=UPLOAD_MAPPING, value_json=text,
                                         updated_at="", updated_by="")
            row.value_json, row.updated_by = text, actor.username
            row.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
            s.add(row)
        return value
