"""The public registry as CSV in CarbonPlan OffsetsDB's schema (projects, credits), streamed.

OffsetsDB (https://carbonplan.org/research/offsets-db-explainer; schema in
``offsets_db_data/models.py`` of carbonplan/offsets-db-data: ``project_schema`` and
``credit_without_id_schema``) harmonises the registries' projects and credit transactions into
two tables. Exporting ours in the same columns lets an aggregator take it in with the same
pipeline. How each column is filled is in docs/public-registry.md, "OffsetsDB export".

Both files are written row by row from a streamed query (:func:`ledger.sql.stream_rows`: a
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
         WHERE b.project_code = p.code AND l.state = 'retired' AND l.quantity <> 0),
       (SELECT min(r.recorded_at) FROM batch b JOIN credit_block c ON c.batch_id = b.id
          JOIN retirement r ON r.id = c.tag WHERE b.project_code = p.code AND c.state = 'retired')
FROM (SELECT DISTINCT project_code AS code FROM batch UNION SELECT project_code FROM bundled_project) p
LEFT JOIN bundled_project bp ON bp.project_code = p.code
LEFT JOIN party ON party.id = bp.centre_party_id
LEFT JOIN journal_entry reg ON reg.seq = bp.seq
LEFT JOIN (SELECT project_code, min(sink_type) AS sink_type, min(methodology_id) AS methodology_id,
                  sum(last - first + 1) AS issued, min(issuance_seq) AS first_seq
           FROM batch GROUP BY project_code) agg ON agg.project_code = p.code
LEFT JOIN journal_entry first_issue ON first_issue.seq = agg.first_seq
ORDER BY p.code
"""

ISSUANCES_SQL = """
SELECT b.project_code, b.last - b.first + 1, b.vintage_year, j.recorded_at, b.id
FROM batch b JOIN journal_entry j ON j.seq = b.issuance_seq
ORDER BY b.issuance_seq, b.id
"""

# A retirement's credits per project and vintage, from its blocks (tagged with its id).
RETIREMENTS_SQL = """
SELECT b.project_code, sum(c.last - c.first + 1), b.vintage_year, r.recorded_at, r.id, r.seq, r.beneficiary,
       r.purpose, r.retirement_kind, party.kind, party.name
FROM retirement r
JOIN credit_block c ON c.tag = r.id AND c.state = 'retired'
JOIN batch b ON b.id = c.batch_id
LEFT JOIN account a ON a.id = r.account_id
LEFT JOIN party ON party.id = a.party_id
GROUP BY r.seq, r.id, r.recorded_at, r.beneficiary, r.purpose, r.retirement_kind, party.kind, party.name,
         b.project_code, b.vintage_year
ORDER BY r.seq, b.project_code, b.vintage_year
"""


def _chunks(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text (RFC 4180, CRLF line ends as the csv module writes) in chunks of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _public_name(kind: str | None, name: str | None) -> str:
    """An organisation's name; a natural person's party is named by its kind only."""
    return (kind or "") if kind in NATURAL_PERSON_KINDS else (name or "")


def projects_csv(db: Database, *, project_url: str | None = None) -> Iterator[str]:
    """The projects file: one row per project code (``project_url``: a template with ``{code}``)."""
    def rows() -> Iterator[list[Any]]:
        with db.read() as s:
            for code, name, kind, proponent, sink, methodology, listed, first_issue, issued, retired, first_retired \
                    in stream_rows(s, PROJECTS_SQL):
                yield [code, name or code, REGISTRY, _public_name(kind, proponent) if kind else "",
                       json.dumps([methodology] if methodology else []), CATEGORY.get(sink, "other"),
                       PROJECT_TYPE.get(sink, sink or ""), REGISTRY, "registered", COUNTRY,
                       listed or first_issue or "", "false", int(retired or 0), int(issued or 0), first_issue or "",
                       first_retired or "", project_url.format(code=code) if project_url else ""]

    return _chunks(PROJECT_COLUMNS, rows())


def credits_csv(db: Database) -> Iterator[str]:
    """The credits file: one ``issuance`` row per batch, then one ``retirement`` row per
    retirement, project and vintage."""
    def rows() -> Iterator[list[Any]]:
        with db.read() as s:
            for project, quantity, vintage, at, batch_id in stream_rows(s, ISSUANCES_SQL):
                yield [project, int(quantity), vintage, at, "issuance", "", "", "", f"batch {batch_id}", ""]
        with db.read() as s:
            for project, quantity, vintage, at, rid, seq, beneficiary, purpose, kind, party_kind, party_name \
                    in stream_rows(s, RETIREMENTS_SQL):
                yield [project, int(quantity), vintage, at, "retirement", _public_name(party_kind, party_name),
                       beneficiary, purpose, f"{rid} ({kind}; journal entry {seq})", ""]

    return _chunks(CREDIT_COLUMNS, rows())
