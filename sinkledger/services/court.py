"""The court API (司法碳汇补偿) over :class:`sinkledger.services.registry.Service`.

Every state change is one journal entry through :func:`ledger.commands.run_command`; reads
check the ``court_view`` permission; certificate verification is public (no actor). The rules
live in :mod:`ledger.court`; this class only wires requests to them.
"""

from __future__ import annotations

import hashlib
import io
import json
import mimetypes
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import shapely
from sqlmodel import select

import ledger.court
import ledger.court.store  # noqa: F401 - registers the court tables
from ledger.court import cases, certificates, fulfilment, orders, reports
from ledger.court.domain import normalise_code
from ledger.court.orders import build_proposal
from ledger.court.permissions import require_court
from ledger.court.store import (
    CourtCaseRow,
    CourtDocumentRow,
    CourtFulfilmentRow,
    CourtOrderEventRow,
    CourtOrderRow,
)
from ledger.permissions import Actor
from ledger.proofs import latest_checkpoint_covering
from ledger.queries import page_of
from ledger.sale import check_text
from ledger.store import AccountRow, PartyRow
from sinkledger.services.area import AreaService
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput
from sinks.geometry import parse_geojson


class CourtService(AreaService):
    """Court cases, orders, fulfilments, certificates and reports (``service.court``)."""

    def _require(self, actor: Actor, command: str) -> None:
        require_court(actor, command)

    # -- cases and documents ----------------------------------------------------------------
    def register_case(self, actor: Actor, request_id: str, *, case_no: str, judgment_date: str, defendants: list[str],
                      sink_type: str, county_code: str, ecosystem_name: str, damaged_area_ha: str, description: str,
                      parcel_code: str | None = None, geometry: str | Mapping[str, Any] | None = None) -> dict:
        """Register a case (案件) and its damaged ecosystem; the acting court is the case's court.

        ``geometry`` is an optional GeoJSON polygon (EPSG:4490, lon-lat) of the damaged area.
        """
        defendants = checks.text_list(defendants, "defendants", max_items=100)
        if not isinstance(sink_type, str):
            raise InvalidInput("value_invalid", field="sink_type", value=repr(sink_type)[:40])
        content = {"case_no": case_no, "judgment_date": judgment_date, "defendants": defendants,
                   "sink_type": sink_type, "county_code": county_code, "ecosystem_name": ecosystem_name,
                   "damaged_area_ha": str(damaged_area_ha), "description": description, "parcel_code": parcel_code,
                   "geometry_wkb": self._geometry_wkb(geometry)}
        region = self.service.settings.region
        return self._run(actor, "court_case", request_id, content,
                         lambda ctx: cases.register_case(ctx, **content, region=region))

    def _geometry_wkb(self, geometry: str | Mapping[str, Any] | None) -> str | None:
        """The damaged area's polygon as hex WKB (EPSG:4490), checked: polygonal, valid, in the region."""
        if geometry is None:
            return None

        geom = parse_geojson(geometry)
        lon0, lat0, lon1, lat1 = self.service.settings.region.bounds_lonlat
        if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
            raise InvalidInput("value_invalid", field="geometry", value=geom.geom_type)
        if not shapely.box(lon0, lat0, lon1, lat1).contains(geom):
            raise InvalidInput("value_invalid", field="geometry", value="outside the region")
        return shapely.to_wkb(geom, hex=True)

    def register_document(self, actor: Actor, request_id: str, *, case_no: str, title: str, content: bytes,
                          file_name: str, media_type: str | None = None) -> dict:
        """Register a document of a case by its SHA-256; its bytes are kept beside the journal."""
        if not isinstance(content, bytes) or not content:
            raise InvalidInput("value_invalid", field="content", value=type(content).__name__)
        if len(content) > MAX_DOCUMENT_BYTES:
            raise InvalidInput("file_too_large", size_mb=len(content) // 2**20, max_mb=MAX_DOCUMENT_BYTES // 2**20)
        file_name = check_text(file_name, "file_name", 200)
        if media_type is not None:
            media_type = check_text(media_type, "media_type", 100)
        meta = {"case_no": case_no, "title": title, "file_name": file_name,
                "media_type": media_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
                "sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}
        return self._run(actor, "court_document", request_id, meta,
                         lambda ctx: cases.register_document(ctx, **meta, content=content))

    def register_document_file(self, actor: Actor, request_id: str, *, case_no: str, title: str, path: Path) -> dict:
        path = checks.path_value(path, "path")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput("file_unreadable", reason=f"{path.name}: {exc.strerror or exc}"[:200]) from None
        return self.register_document(actor, request_id, case_no=case_no, title=title, content=content,
                                      file_name=path.name)

    # -- orders -----------------------------------------------------------------------------
    def propose(self, actor: Actor, *, case_no: str, calculation: Mapping[str, Any]) -> dict:
        """Preview the calculator's proposal for a case (nothing is recorded)."""
        require_court(actor, "court_view")
        with self.service.db.read() as s:
            return build_proposal(s, cases.get_case(s, case_no), dict(calculation)).to_dict()

    def issue_order(self, actor: Actor, request_id: str, *, case_no: str, item: str, kind: str, due_date: str,
                    quantity_t: int | None = None, amount_fen: int | None = None, same_sink_type: bool = False,
                    same_county: bool = False, calculation: Mapping[str, Any] | None = None,
                    override_reason: str | None = None) -> dict:
        """Order (判令) a quantity (``quantity_t`` and/or a ``calculation`` to confirm or override)
        or an amount of money (``amount_fen``)."""
        content = {"case_no": case_no, "item": item, "kind": kind, "due_date": due_date, "quantity_t": quantity_t,
                   "amount_fen": amount_fen, "same_sink_type": same_sink_type, "same_county": same_county,
                   "calculation": dict(calculation) if calculation else None, "override_reason": override_reason}
        return self._run(actor, "court_order", request_id, content, lambda ctx: orders.issue_order(ctx, **content))

    def amend_order(self, actor: Actor, request_id: str, *, order_id: str, reason: str, **changes: Any) -> dict:
        """Amend an order's terms by a new entry (quantity_t, amount_fen, due_date, same_*)."""
        if not changes:
            raise InvalidInput("amendment_changes_nothing")
        content = {"order_id": order_id, "reason": reason, **changes}
        return self._run(actor, "court_amend", request_id, content, lambda ctx: orders.amend_order(ctx, **content))

    def withdraw_order(self, actor: Actor, request_id: str, *, order_id: str, reason: str) -> dict:
        content = {"order_id": order_id, "reason": reason}
        return self._run(actor, "court_withdraw", request_id, content,
                         lambda ctx: orders.withdraw_order(ctx, **content))

    # -- fulfilment -------------------------------------------------------------------------
    def fulfil(self, actor: Actor, request_id: str, *, order_id: str, seller_account: str, price_fen_per_t: int,
               contract_no: str, quantity_t: int | None = None, buyer_account: str | None = None,
               purchase_date: str | None = None, serials: list[str] | None = None) -> dict:
        """Buy credits from a seller and retire them against the order's case, in one entry."""
        content = {"order_id": order_id, "seller_account": seller_account, "price_fen_per_t": price_fen_per_t,
                   "contract_no": contract_no, "quantity_t": quantity_t, "buyer_account": buyer_account,
                   "purchase_date": purchase_date, "serials": checks.optional_text_list(serials, "serials") or None}
        return self._run(actor, "court_fulfil", request_id, content, lambda ctx: fulfilment.fulfil(ctx, **content))

    # -- certificates -----------------------------------------------------------------------
    def issue_certificate(self, actor: Actor, *, order_id: str) -> dict:
        """Issue the certificate of an order's fulfilments so far; the same facts give the same code.

        The certificate entry and a Merkle checkpoint covering it (the publishable root its
        inclusion proofs are checked against) are recorded in one transaction.
        """
        require_court(actor, "court_certificate")
        with self.service.db.read() as s:
            _, code = certificates.draft_certificate(s, order_id)
        return self._run(actor, "court_certificate", f"certificate:{code}", {"order_id": order_id, "code": code},
                         lambda ctx: certificates.issue_certificate(ctx, order_id=order_id, code=code),
                         checkpoint=True)

    def certificate_pdf(self, code: str, *, verify_url: str | None = None, lang: str = "zh") -> bytes:
        """The PDF of an issued certificate (public), in ``lang`` ('zh' or 'en')."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.catalogue import checked_lang
        from sinkledger.documents.certificates import render_certificate_pdf

        code, lang = normalise_code(code), checked_lang(lang)
        with self.service.db.read() as s:
            row = certificates.get_certificate(s, code)
            record = json.loads(row.record)
            checkpoint = latest_checkpoint_covering(s, row.seq)
            labels = self._labels(s, record)
        point = {"tree_size": checkpoint.tree_size, "root": checkpoint.root} if checkpoint else None
        return render_certificate_pdf(record, code, labels=labels, verify_url=verify_url, checkpoint=point,
                                      issued_at=row.issued_at, lang=lang)

    @staticmethod
    def _labels(session: Any, record: Mapping[str, Any]) -> dict[str, str]:
        """Display names of the parties and accounts a certificate names (pseudonyms for persons)."""
        ids = set(record["case"]["defendants"]) | {f["seller_account"] for f in record["fulfilments"]}
        out = {}
        for ident in ids:
            account = session.get(AccountRow, ident)
            party = session.get(PartyRow, account.party_id if account else ident)
            if party is not None:
                out[ident] = party.name
        return out

    def verify_certificate(self, code: str) -> dict:
        """Check a certificate by its code against the ledger (public, read-only: it never writes);
        raises if the code is unknown. Inclusion proofs are against the latest checkpoint covering
        the certificate, recorded when it was issued; a certificate no checkpoint covers (issued by
        an older release) is proved against the root of the journal as it is, computed here."""
        code = normalise_code(code)
        self.service.require_initialised()
        with self.service.db.read() as s:
            return certificates.verify_certificate(s, code)

    def verify_certificate_pdf(self, data: bytes) -> dict:
        """Check a certificate PDF: its embedded record must hash to its code and match the ledger
        (public, read-only like :meth:`verify_certificate`)."""
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.certificates import read_certificate_pdf

        code, document = certificate_in_pdf(data, read_certificate_pdf)
        self.service.require_initialised()
        with self.service.db.read() as s:
            return certificates.verify_certificate(s, code, presented_record=document["record"])

    # -- views and reports ------------------------------------------------------------------
    def cases(self, actor: Actor) -> list[dict]:
        return self.cases_page(actor, limit=None)["items"]

    def cases_page(self, actor: Actor, *, limit: int | None = 100, offset: int = 0) -> dict:
        """Cases in order of registration: one page, read as a page by the database."""
        require_court(actor, "court_view")
        limit, offset = checks.page_bounds(limit, offset)
        with self.service.db.read() as s:
            rows, total = page_of(s, select(CourtCaseRow).order_by(CourtCaseRow.seq), limit=limit, offset=offset)
            return {"total": total, "items": [_case_dict(r) for r in rows]}

    def status(self, actor: Actor, *, case_no: str | None = None, order_id: str | None = None,
               as_of: date | None = None) -> dict:
        """A case with its documents and orders (status on ``as_of``, history, fulfilments, certificates)."""
        require_court(actor, "court_view")
        as_of = _as_of(as_of) or self.today()
        for field, value in (("case_no", case_no), ("order_id", order_id)):
            if value is not None and not isinstance(value, str):
                raise InvalidInput("value_invalid", field=field, value=repr(value)[:40])
        with self.service.db.read() as s:
            if order_id:
                case_no = orders.get_order(s, order_id).case_no
            case = cases.get_case(s, case_no or "")
            order_rows = s.exec(select(CourtOrderRow).where(CourtOrderRow.case_no == case.case_no)
                                .order_by(CourtOrderRow.seq)).all()
            docs = s.exec(select(CourtDocumentRow).where(CourtDocumentRow.case_no == case.case_no)).all()
            return {"as_of": as_of.isoformat(), "case": _case_dict(case),
                    "documents": [d.model_dump(exclude={"seq"}) | {"seq": d.seq} for d in docs],
                    "orders": [self._order_dict(s, o, as_of) for o in order_rows if not order_id or o.order_id == order_id]}

    @staticmethod
    def _order_dict(session: Any, order: CourtOrderRow, as_of: date) -> dict:
        events = session.exec(select(CourtOrderEventRow).where(CourtOrderEventRow.order_id == order.order_id)
                              .order_by(CourtOrderEventRow.seq)).all()
        done = session.exec(select(CourtFulfilmentRow).where(CourtFulfilmentRow.order_id == order.order_id)
                            .order_by(CourtFulfilmentRow.seq)).all()
        line = reports.order_line(order, session.get(CourtCaseRow, order.case_no), as_of)
        return {**order.model_dump(exclude={"proposal"}), **line,
                "proposal": json.loads(order.proposal) if order.proposal else None,
                "history": [{"seq": e.seq, "event": e.kind, "recorded_at": e.recorded_at, "details": json.loads(e.summary)}
                            for e in events],
                "fulfilments": [f.model_dump() for f in done],
                "certificates": certificates.certificates_of_order(session, order.order_id)}

    def report(self, actor: Actor, *, court_party_id: str | None = None, year: int | None = None,
               as_of: date | None = None) -> dict:
        """Per court and year: orders, tonnes, money, fulfilment rate, overdue list."""
        require_court(actor, "court_view")
        if court_party_id is not None and not isinstance(court_party_id, str):
            raise InvalidInput("value_invalid", field="court_party_id", value=repr(court_party_id)[:40])
        if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2200):
            raise InvalidInput("value_invalid", field="year", value=repr(year)[:40])
        with self.service.db.read() as s:
            return reports.court_report(s, as_of=_as_of(as_of) or self.today(), court_party_id=court_party_id,
                                        year=year)

    def report_xlsx(self, actor: Actor, **filters: Any) -> bytes:
        """:meth:`report` as the bytes of its Excel workbook (sheets 汇总 Summary, 判令 Orders,
        逾期 Overdue, 说明 About)."""
        unknown = sorted(set(filters) - {"court_party_id", "year", "as_of"})
        if unknown:
            raise InvalidInput("value_invalid", field=unknown[0], value=repr(filters[unknown[0]])[:40])
        report = self.report(actor, **filters)
        # deferred on purpose: reportlab, pypdf and openpyxl load only when a document is made or read
        from sinkledger.documents.court_reports import write_report_xlsx

        out = io.BytesIO()
        write_report_xlsx(report, out)
        return out.getvalue()

    def export_report(self, actor: Actor, path: Path, **filters: Any) -> Path:
        """Write :meth:`report` to an Excel workbook."""
        path = checks.output_path(path, "path")
        data = self.report_xlsx(actor, **filters)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise InvalidInput("path_unusable", path=str(path)[:200], reason=exc.strerror or type(exc).__name__) from None
        return path


MAX_DOCUMENT_BYTES = 50 * 2**20


def _as_of(value: Any) -> date | None:
    """A status or report date: a ``date`` or an ISO date string (``None``: today), within the one
    date range (``date_out_of_range`` otherwise, as everywhere)."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return checks.date_in_range(value, "as_of")
    if isinstance(value, str):
        return checks.iso_date(value, "as_of")
    raise InvalidInput("value_invalid", field="as_of", value=repr(value)[:40])


def _case_dict(row: CourtCaseRow) -> dict:
    out = row.model_dump(exclude={"geometry_wkb", "defendants"})
    out["defendants"] = json.loads(row.defendants)
    if row.geometry_wkb:
        out["geometry"] = shapely.geometry.mapping(shapely.from_wkb(row.geometry_wkb))
    return out


def certificate_in_pdf(data: Any, read: Callable[[bytes], dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The code and the embedded document of a certificate PDF (``read``: the reader of its kind
    of certificate); ``certificate_unreadable`` for anything else."""
    if not isinstance(data, bytes):
        raise InvalidInput("certificate_unreadable", reason=f"expected PDF bytes, got {type(data).__name__}")
    try:
        document = read(data)
    except ValueError as exc:
        raise InvalidInput("certificate_unreadable", reason=str(exc)) from None
    return normalise_code(str(document.get("code", ""))), document
