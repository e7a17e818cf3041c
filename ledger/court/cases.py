"""Cases (案件) and their documents: one journal entry each, registered by the court.

A case names the court, the case number (案号), the judgment date, the defendants (party ids
only: natural persons appear in the party register under a pseudonym, never in the journal by
name or ID number), the damaged ecosystem (sink type, county, optional parcel or geometry,
damaged area in ha) and a description. A document is registered by its SHA-256; its bytes stay
outside the journal (see :mod:`ledger.court.store`).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import select

from ledger.commands import CommandContext
from ledger.court.domain import case_entry_id
from ledger.court.permissions import require_case_court
from ledger.court.store import CourtCaseRow, CourtDocumentContentRow, CourtDocumentRow
from ledger.documents import add_document
from ledger.domain import EntryKind, PartyKind, check_date
from ledger.sale import check_text
from ledger.store import PartyRow, must_get
from sinkledger_base.checks import ascii_number_text
from sinkledger_base.errors import Conflict, InvalidInput, NotFound
from sinks import SinkType
from sinks.regions import Region
from sinks.store import ParcelRow

DEFENDANT_KINDS = frozenset({PartyKind.defendant.value, PartyKind.enterprise.value, PartyKind.collective.value,
                             PartyKind.collection_centre.value})
COUNTY_CODE = re.compile(r"^\d{6}$")
MAX_DESCRIPTION_CHARS = 2000


def get_case(session: Any, case_no: str) -> CourtCaseRow:
    return must_get(session, CourtCaseRow, case_no if isinstance(case_no, str) else None, "case_not_found",
                    case_no=str(case_no)[:80])


MAX_DAMAGED_AREA_HA = Decimal(1_000_000)  # 10,000 km²: more than a prefecture's forests


def check_area_ha(value: Any) -> str:
    """A positive decimal string of hectares, returned in canonical form."""
    try:
        area = (Decimal(str(value)) if isinstance(value, (str, int)) and not isinstance(value, bool)
                and ascii_number_text(str(value)) else None)  # "１.5" is not 1.5 ha
    except InvalidOperation:
        area = None
    if area is None or not area.is_finite() or not 0 < area <= MAX_DAMAGED_AREA_HA:
        raise InvalidInput("value_invalid", field="damaged_area_ha", value=str(value)[:40])
    return format(area.normalize(), "f")


def check_description(value: Any) -> str:
    """Free text of a case; unlike other text fields it may span lines."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("field_required", field="description")
    if len(value) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput("text_too_long", field="description", max_chars=MAX_DESCRIPTION_CHARS)
    if not all(line.isprintable() for line in value.splitlines()):
        raise InvalidInput("value_invalid", field="description", value=repr(value)[:40])
    return value.strip()


def _check_defendants(session: Any, defendants: Any) -> list[str]:
    if not isinstance(defendants, list) or not defendants:
        raise InvalidInput("field_required", field="defendants")
    for party_id in defendants:
        party = session.get(PartyRow, party_id) if isinstance(party_id, str) else None
        if party is None:
            raise NotFound("party_not_found", party=str(party_id)[:40])
        if party.kind not in DEFENDANT_KINDS:
            raise InvalidInput("value_invalid", field="defendants", value=party_id)
    if len(set(defendants)) != len(defendants):
        raise InvalidInput("value_invalid", field="defendants", value="duplicate")
    return list(defendants)


def _check_ecosystem(session: Any, sink_type: Any, county_code: Any, parcel_code: Any,
                     region: Region | None = None, on: date | None = None) -> None:
    if sink_type not in {s.value for s in SinkType}:
        raise InvalidInput("sink_type_unknown", sink_type=str(sink_type)[:40])
    if not isinstance(county_code, str) or not COUNTY_CODE.match(county_code):
        raise InvalidInput("value_invalid", field="county_code", value=str(county_code)[:40])
    if region is not None:
        problem = region.county_problem(county_code, on)
        if problem is not None:
            raise InvalidInput(problem[0], **problem[1])
    if parcel_code is not None:
        if session.exec(select(ParcelRow).where(ParcelRow.parcel_code == parcel_code)).first() is None:
            raise NotFound("parcel_not_found", parcel=str(parcel_code)[:40])


def _court_party(ctx: CommandContext) -> PartyRow:
    party = ctx.session.get(PartyRow, ctx.actor.party_id)
    if party is None or party.kind != PartyKind.court.value:
        raise InvalidInput("value_invalid", field="court", value=ctx.actor.party_id)
    return party


def register_case(ctx: CommandContext, *, case_no: str, judgment_date: str, defendants: list[str], sink_type: str,
                  county_code: str, ecosystem_name: str, damaged_area_ha: str, description: str,
                  parcel_code: str | None = None, geometry_wkb: str | None = None,
                  region: Region | None = None) -> tuple[str, dict[str, Any]]:
    """The acting court registers a case and the damaged ecosystem.

    With ``region`` (the registry's profile), the county code must be one of its counties in use
    on the day of registration: ``county_code_retired`` (naming the successor) or
    ``county_code_unknown``.
    """
    case_no = check_text(case_no, "case_no", 80)
    if ctx.session.get(CourtCaseRow, case_no) is not None:
        raise Conflict("case_no_taken", case_no=case_no)
    court = _court_party(ctx)
    case = {"case_no": case_no, "court_party_id": court.id, "court_name": court.name,
            "judgment_date": check_date(judgment_date, "judgment_date"),
            "defendants": _check_defendants(ctx.session, defendants), "sink_type": sink_type,
            "county_code": county_code, "ecosystem_name": check_text(ecosystem_name, "ecosystem_name", 200),
            "damaged_area_ha": check_area_ha(damaged_area_ha), "parcel_code": parcel_code,
            "geometry_wkb": geometry_wkb,
            "description": check_description(description)}
    _check_ecosystem(ctx.session, sink_type, county_code, parcel_code, region, date.fromisoformat(ctx.recorded_at[:10]))
    ctx.session.add(CourtCaseRow(**{**case, "defendants": json.dumps(case["defendants"])}, seq=ctx.seq,
                                 recorded_at=ctx.recorded_at))
    result = {k: v for k, v in case.items() if k != "geometry_wkb"} | {"has_geometry": geometry_wkb is not None}
    return EntryKind.court_case_registered.value, {"case": case, "result": result}


def register_document(ctx: CommandContext, *, case_no: str, title: str, file_name: str, media_type: str,
                      sha256: str, size_bytes: int, content: bytes | None = None) -> tuple[str, dict[str, Any]]:
    """Register a document of a case by its hash; keep its bytes (if given) beside the ledger."""
    case = get_case(ctx.session, case_no)
    require_case_court(ctx.actor, "court_document", case.court_party_id)
    document = add_document(ctx.session, seq=ctx.seq, document_id=case_entry_id("CD", ctx.seq),
                            owner={"case_no": case_no}, row=CourtDocumentRow, content_row=CourtDocumentContentRow, content=content, title=title,
                            file_name=file_name, media_type=media_type, sha256=sha256, size_bytes=size_bytes)
    return EntryKind.court_document_registered.value, {"document": document, "result": document}
