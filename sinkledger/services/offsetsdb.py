"""The public registry as CSV in CarbonPlan OffsetsDB's schema (projects, credits), streamed.

OffsetsDB (https://carbonplan.org/research/offsets-db-explainer; schema in
``offsets_db_data/models.py`` of carbonplan/offsets-db-data: ``project_schema`` and
``credit_without_id_schema``) harmonises the registries' projects and credit transactions into
two tables. Exporting ours in the same columns lets an aggregator take it in with the same
pipeline. How each column is filled is in docs/public-registry.md, "OffsetsDB export".

Imported registries' projects and credits (issue 20; docs/registry-import.md) are in both files
too, flagged as imported: their ``registry`` is the source registry's OffsetsDB name (never
``sinkledger``), ``project_type_source`` says ``imported from <registry>``, their ``project_id``
is the registry's own id, and each transaction is dated as the registry dated it, with
``retirement_note`` naming the import entry. A row whose status the registry leaves open (Verra's
dated rows with no claim) is a ``retirement/cancellation``.

Both files come as CSV (:func:`projects_csv`, :func:`credits_csv`) or JSON (:func:`projects_json`,
:func:`credits_json`: an array of objects with the schema's types: integers, booleans, a list
for ``protocol``, null for an empty date). They are written row by row from a streamed query (:func:`ledger.sql.stream_rows`: a
server-side cursor on PostgreSQL), so memory stays flat whatever the journal's length; each
yields text chunks of about :data:`CHUNK_ROWS` rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ledger.domain import NATURAL_PERSON_KINDS
from ledger.registry_import.apply import ENTRY_KIND, METHODOLOGY_ID
from ledger.sql import stream_rows

if TYPE_CHECKING:  # for annotations only
    from sinkledger.db.database import Database

PROJECT_COLUMNS = ("project_id", "name", "registry", "proponent", "protocol", "category", "project_type",
                   "project_type_source", "status", "country", "listed_at", "is_compliance", "retired", "issued",
                   "first_issuance_at", "first_retirement_at", "project_url")
CREDIT_COLUMNS = ("project_id", "quantity", "vintage", "transaction_date", "transaction_type", "retirement_account",
                  "retirement_beneficiary", "retirement_reason", "retirement_note",
                  "retirement_beneficiary_harmonized")
REGISTRY = "sinkledger"
COUNTRY = "China"
CATEGORY = {"bamboo_forest": "forest", "wetland": "land-use", "tea_garden": "agriculture"}
PROJECT_TYPE = {"bamboo_forest": "bamboo forest management", "wetland": "wetland conservation",
                "tea_garden": "low-carbon tea garden"}
CHUNK_ROWS = 1_000

# One row per project code: batches grouped by code (along ix_batch_project_code), the bundled
# project's name, proponent and registration when there is one.
PROJECTS_SQL = """
SELECT p.code, bp.name, party.kind, party.name, coalesce(bp.sink_type, agg.sink_type),
       coalesce(bp.methodology_id, agg.methodology_id), reg.recorded_at, first_issue.recorded_at,
       coalesce(agg.issued, 0),
       (SELECT coalesce(sum(l.quantity), 0) FROM balance l JOIN batch b ON b.id = l.batch_id
         WHERE b.project_code = p.code AND b.methodology_id <> '{IMPORTED}' AND l.state = 'retired'
           AND l.quantity <> 0),
       (SELECT min(r.recorded_at) FROM batch b JOIN credit_block c ON c.batch_id = b.id
          JOIN retirement r ON r.id = c.tag WHERE b.project_code = p.code AND b.methodology_id <> '{IMPORTED}'
            AND c.state = 'retired')
FROM (SELECT DISTINCT project_code AS code FROM batch WHERE methodology_id <> '{IMPORTED}'
      UNION SELECT project_code FROM bundled_project) p
LEFT JOIN bundled_project bp ON bp.project_code = p.code
LEFT JOIN party ON party.id = bp.centre_party_id
LEFT JOIN journal_entry reg ON reg.seq = bp.seq
LEFT JOIN (SELECT project_code, min(sink_type) AS sink_type, min(methodology_id) AS methodology_id,
                  sum(last - first + 1) AS issued, min(issuance_seq) AS first_seq
           FROM batch WHERE methodology_id <> '{IMPORTED}' GROUP BY project_code) agg ON agg.project_code = p.code
LEFT JOIN journal_entry first_issue ON first_issue.seq = agg.first_seq
ORDER BY p.code
""".replace("{IMPORTED}", METHODOLOGY_ID)

ISSUANCES_SQL = """
SELECT b.project_code, b.last - b.first + 1, b.vintage_year, j.recorded_at, b.id
FROM batch b JOIN journal_entry j ON j.seq = b.issuance_seq
WHERE b.methodology_id <> '{IMPORTED}'
ORDER BY b.issuance_seq, b.id
""".replace("{IMPORTED}", METHODOLOGY_ID)

# A retirement's credits per project and vintage, from its blocks (tagged with its id).
RETIREMENTS_SQL = """
SELECT b.project_code, sum(c.last - c.first + 1), b.vintage_year, r.recorded_at, r.id, r.seq, r.beneficiary,
       r.purpose, r.retirement_kind, party.kind, party.name
FROM retirement r
JOIN credit_block c ON c.tag = r.id AND c.state = 'retired'
JOIN batch b ON b.id = c.batch_id
LEFT JOIN account a ON a.id = r.account_id
LEFT JOIN party ON party.id = a.party_id
WHERE b.methodology_id <> '{IMPORTED}'
GROUP BY r.seq, r.id, r.recorded_at, r.beneficiary, r.purpose, r.retirement_kind, party.kind, party.name,
         b.project_code, b.vintage_year
ORDER BY r.seq, b.project_code, b.vintage_year
""".replace("{IMPORTED}", METHODOLOGY_ID)


# Imported projects with what the ledger holds of them (their batches carry the registry key and
# the project's short code), and each one's first issuance and retirement as the registry dated them.
IMPORTED_PROJECTS_SQL = """
SELECT p.source_registry, p.project_id, p.project_code, p.name, p.proponent, p.methodology, p.sink_category,
       p.project_type, p.status, p.country,
       (SELECT coalesce(sum(b.last - b.first + 1), 0) FROM batch b WHERE b.methodology_id = '{IMPORTED}'
          AND b.methodology_version = p.source_registry AND b.project_code = p.project_code),
       (SELECT coalesce(sum(l.quantity), 0) FROM batch b JOIN balance l ON l.batch_id = b.id
         WHERE b.methodology_id = '{IMPORTED}' AND b.methodology_version = p.source_registry
           AND b.project_code = p.project_code AND l.state = 'retired')
FROM registry_project p
ORDER BY p.source_registry, p.project_id
""".replace("{IMPORTED}", METHODOLOGY_ID)

IMPORTS_SQL = f"SELECT seq, recorded_at, body FROM journal_entry WHERE kind = '{ENTRY_KIND}' ORDER BY seq"

# The registries' names in OffsetsDB (its RegistryType, offsets_db_data/models.py).
OFFSETSDB_REGISTRY = {"verra": "verra", "gold-standard": "gold-standard", "acr": "american-carbon-registry",
                      "car": "climate-action-reserve", "art-trees": "art-trees", "cercarbono": "cercarbono",
                      "isometric": "isometric"}
# California's compliance offsets (the ARB sheet, CarbonPlan's file) are listed on the registry
# their id names; OffsetsDB's "none" otherwise.
ID_REGISTRY = (("CAR", "climate-action-reserve"), ("ACR", "american-carbon-registry"), ("VCS", "verra"))
COMPLIANCE_REGISTRIES = frozenset({"arb", "carbonplan"})  # California's compliance offsets
IMPORTED_CATEGORY = {"afforestation_arr": "forest", "ifm": "forest", "redd": "forest", "bamboo": "forest",
                     "wetland_blue_carbon": "land-use", "agriculture": "agriculture", "other": "other"}
# An imported row's status -> OffsetsDB's transaction type ("ended": the registry does not say which)
TRANSACTION_TYPE = {"retired": "retirement", "cancelled": "cancellation", "ended": "retirement/cancellation"}
# The schema's type per column (offsets_db_data/models.py): what the JSON carries, what tests check
PROJECT_TYPES = {"project_id": str, "name": str, "registry": str, "proponent": str, "protocol": list,
                 "category": str, "project_type": str, "project_type_source": str, "status": str, "country": str,
                 "listed_at": "datetime", "is_compliance": bool, "retired": int, "issued": int,
                 "first_issuance_at": "datetime", "first_retirement_at": "datetime", "project_url": str}
CREDIT_TYPES = {"project_id": str, "quantity": int, "vintage": int, "transaction_date": "datetime",
                "transaction_type": str, "retirement_account": str, "retirement_beneficiary": str,
                "retirement_reason": str, "retirement_note": str, "retirement_beneficiary_harmonized": str}


def _chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text (RFC 4180, CRLF line ends as the csv module writes) in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(_csv_value(v) for v in row)
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _json_chunks(header: tuple[str, ...], rows: Iterable[list[Any]]) -> Iterator[str]:
    """A JSON array of objects (one per row, keys in the schema's order), in chunks of rows."""
    parts = ["["]
    for n, row in enumerate(rows):
        parts.append(("," if n else "") + "\n" + json.dumps(dict(zip(header, row)), ensure_ascii=False))
        if (n + 1) % CHUNK_ROWS == 0:
            yield "".join(parts)
            parts = []
    parts.append("\n]\n")
    yield "".join(parts)


def _public_name(kind: str | None, name: str | None) -> str:
    """An organisation's name; a natural person's party is named by its kind only."""
    return (kind or "") if kind in NATURAL_PERSON_KINDS else (name or "")


def offsetsdb_registry(registry: str, project_id: str) -> str:
    """The OffsetsDB registry an imported project is listed on."""
    if registry in OFFSETSDB_REGISTRY:
        return OFFSETSDB_REGISTRY[registry]
    return next((name for prefix, name in ID_REGISTRY if project_id.upper().startswith(prefix)), "none")


def _moment(day: str | None, recorded_at: str) -> str:
    """A registry's date as the start of that day in UTC (ISO 8601 with offset), else the import's time."""
    return f"{day}T00:00:00+00:00" if day else recorded_at


def _imports(db: Database) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Each registry import entry: its number, time and payload (imports are few; each is read once)."""
    with db.read() as s:
        for seq, recorded_at, body in stream_rows(s, IMPORTS_SQL, size=20):
            yield seq, recorded_at, json.loads(body)["payload"]


def _imported_dates(db: Database) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(registry, project code) -> its first issuance and first retirement, as the registry dated them."""
    first: dict[tuple[str, str], list[str | None]] = {}
    for _, recorded_at, payload in _imports(db):
        for r in payload.get("records", ()):
            dates = first.setdefault((payload["registry"], r.get("project_code") or ""), [None, None])
            if r["status"] == "issued" or r.get("issued_on"):
                day = _moment(r.get("issued_on"), recorded_at)
                dates[0] = day if dates[0] is None else min(dates[0], day)
            if r["status"] == "retired" and r.get("booked_t"):
                day = _moment(r.get("status_on"), recorded_at)
                dates[1] = day if dates[1] is None else min(dates[1], day)
    return {k: (v[0], v[1]) for k, v in first.items()}


def project_rows(db: Database, *, project_url: str | None = None) -> Iterator[list[Any]]:
    """The projects' rows (typed as :data:`PROJECT_TYPES`): the registry's own, then the imported."""
    with db.read() as s:
        for code, name, kind, proponent, sink, methodology, listed, first_issue, issued, retired, first_retired \
                in stream_rows(s, PROJECTS_SQL):
            yield [code, name or code, REGISTRY, _public_name(kind, proponent) if kind else "",
                   [methodology] if methodology else [], CATEGORY.get(sink, "other"),
                   PROJECT_TYPE.get(sink, sink or ""), REGISTRY, "registered", COUNTRY,
                   listed or first_issue or None, False, int(retired or 0), int(issued or 0), first_issue or None,
                   first_retired or None, project_url.format(code=code) if project_url else ""]
    dates = _imported_dates(db)
    with db.read() as s:
        for registry, pid, code, name, proponent, methodology, sink, kind, status, country, issued, retired \
                in stream_rows(s, IMPORTED_PROJECTS_SQL):
            first_issue, first_retired = dates.get((registry, code), (None, None))
            yield [pid, name or pid, offsetsdb_registry(registry, pid), proponent or "",
                   [methodology] if methodology else [], IMPORTED_CATEGORY.get(sink, "other"), kind or sink,
                   f"imported from {registry}", status or "", country or "", None,
                   registry in COMPLIANCE_REGISTRIES, int(retired or 0), int(issued or 0),
                   first_issue if issued else None, first_retired if retired else None, ""]


def credit_rows(db: Database) -> Iterator[list[Any]]:
    """The credit transactions' rows (typed as :data:`CREDIT_TYPES`): the registry's own issuances
    (one per batch) and retirements (per retirement, project and vintage), then each import's."""
    with db.read() as s:
        for project, quantity, vintage, at, batch_id in stream_rows(s, ISSUANCES_SQL):
            yield [project, int(quantity), vintage, at, "issuance", "", "", "", f"batch {batch_id}", ""]
    with db.read() as s:
        for project, quantity, vintage, at, rid, seq, beneficiary, purpose, kind, party_kind, party_name \
                in stream_rows(s, RETIREMENTS_SQL):
            yield [project, int(quantity), vintage, at, "retirement", _public_name(party_kind, party_name),
                   beneficiary, purpose, f"{rid} ({kind}; journal entry {seq})", ""]
    for seq, recorded_at, payload in _imports(db):
        yield from _imported_credits(seq, recorded_at, payload)


def _imported_credits(seq: int, recorded_at: str, payload: dict[str, Any]) -> Iterator[list[Any]]:
    """One import's transactions: an issuance per batch it created (dated by its rows' earliest
    issuance), then each retired, cancelled or ended row for what it booked (its own date)."""
    registry = payload["registry"]
    note = f"imported from {registry} (journal entry {seq})"
    by_batch: dict[str, list[dict[str, Any]]] = {}
    for r in payload.get("records", ()):
        if r.get("batch_id"):
            by_batch.setdefault(r["batch_id"], []).append(r)
    for b in payload.get("batches", ()):
        rows = by_batch.get(b["batch_id"], [])
        days = [d for d in (r.get("issued_on") or r.get("status_on") for r in rows) if d]
        project = rows[0]["project_id"] if rows else b.get("project_code", "")
        yield [project, int(b["last"]) - int(b["first"]) + 1, b["vintage_year"],
               _moment(min(days) if days else None, recorded_at), "issuance", "", "", "",
               f"{note}; batch {b['batch_id']}", ""]
    for r in payload.get("records", ()):
        booked = int(r.get("booked_t") or 0)
        if r["status"] in TRANSACTION_TYPE and booked:
            yield [r["project_id"], booked, r["vintage_year"], _moment(r.get("status_on"), recorded_at),
                   TRANSACTION_TYPE[r["status"]], "", r.get("beneficiary") or "", r.get("reason") or "",
                   f"{note}; {r['source']} row {r['row_number']}", ""]


def projects_csv(db: Database, *, project_url: str | None = None) -> Iterator[str]:
    """The projects file as CSV (``project_url``: a template with ``{code}``)."""
    return _chunks(PROJECT_COLUMNS, project_rows(db, project_url=project_url))


def credits_csv(db: Database) -> Iterator[str]:
    """The credits file as CSV."""
    return _chunks(CREDIT_COLUMNS, credit_rows(db))


def projects_json(db: Database, *, project_url: str | None = None) -> Iterator[str]:
    """The projects file as a JSON array of objects."""
    return _json_chunks(PROJECT_COLUMNS, project_rows(db, project_url=project_url))


def credits_json(db: Database) -> Iterator[str]:
    """The credits file as a JSON array of objects."""
    return _json_chunks(CREDIT_COLUMNS, credit_rows(db))
