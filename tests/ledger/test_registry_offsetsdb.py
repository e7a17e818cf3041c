"""Issue 20, point 5 ("Out"): the registry's own projects and credits, and every imported
registry's (flagged as imported), in CarbonPlan OffsetsDB's schema, on SQLite and PostgreSQL.

The schema is OffsetsDB's own (``project_schema`` and ``credit_without_id_schema`` of
offsets_db_data/models.py, written out below as pandera schemas column for column); both files,
as CSV and as JSON, must validate against it. The totals must be the ledger's: per imported
registry, the issuances are what its import created, the retirements, cancellations and
rows the registry left open ("retirement/cancellation") what it booked as such; the registry's
own issuances and retirements are its batches and retired credits.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest
from sqlalchemy import text

from sinkledger.services.offsetsdb import METHODOLOGY_ID
from tests.ledger.test_registry_files import ADMIN, FILES, _paths

pytestmark = pytest.mark.shared_data

UTC = pd.DatetimeTZDtype(tz="UTC")
# offsets_db_data/models.py (carbonplan/offsets-db-data), as published
PROJECT_SCHEMA = pa.DataFrameSchema({
    "protocol": pa.Column(pa.Object, nullable=True),
    "category": pa.Column(pa.String, nullable=True),
    "project_type": pa.Column(pa.String, nullable=False),
    "project_type_source": pa.Column(pa.String, nullable=False),
    "retired": pa.Column(pa.Int, pa.Check.greater_than_or_equal_to(0), nullable=True, coerce=True),
    "issued": pa.Column(pa.Int, pa.Check.greater_than_or_equal_to(0), nullable=True, coerce=True),
    "project_id": pa.Column(pa.String, nullable=False),
    "name": pa.Column(pa.String, nullable=True),
    "registry": pa.Column(pa.String, nullable=False),
    "proponent": pa.Column(pa.String, nullable=True),
    "status": pa.Column(pa.String, nullable=True),
    "country": pa.Column(pa.String, nullable=True),
    "listed_at": pa.Column(UTC, nullable=True),
    "first_issuance_at": pa.Column(UTC, nullable=True),
    "first_retirement_at": pa.Column(UTC, nullable=True),
    "is_compliance": pa.Column(pa.Bool, nullable=True),
    "project_url": pa.Column(pa.String, nullable=True),
}, strict=True)
CREDIT_SCHEMA = pa.DataFrameSchema({
    "quantity": pa.Column(pa.Int, pa.Check.greater_than_or_equal_to(0), nullable=True, coerce=True),
    "project_id": pa.Column(pa.String, nullable=False),
    "vintage": pa.Column(pa.Int, nullable=True, coerce=True),
    "transaction_date": pa.Column(UTC, nullable=True),
    "transaction_type": pa.Column(pa.String, nullable=True),
    "retirement_account": pa.Column(pa.String, nullable=True),
    "retirement_reason": pa.Column(pa.String, nullable=True),
    "retirement_note": pa.Column(pa.String, nullable=True),
    "retirement_beneficiary": pa.Column(pa.String, nullable=True),
    "retirement_beneficiary_harmonized": pa.Column(pa.String, nullable=True),
}, strict=True)
DATES = {"listed_at", "first_issuance_at", "first_retirement_at", "transaction_date"}
REGISTRY_TYPES = {"verra", "gold-standard", "art-trees", "american-carbon-registry", "climate-action-reserve",
                  "isometric", "cercarbono", "none"}  # OffsetsDB's RegistryType
EVENT_TYPES = {"retirement": "retired_t", "cancellation": "cancelled_t", "retirement/cancellation": "ended_t"}


def _frame(rows: list[dict[str, Any]], *, from_csv: bool) -> pd.DataFrame:
    """Rows as OffsetsDB's pipeline reads them: CSV cells typed as its schema says (an empty cell
    is null; the protocol a JSON list), JSON values as they are (dates: ISO 8601 with an offset)."""
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if from_csv:
            frame[column] = frame[column].replace("", None)
        if column in DATES:
            assert frame[column].dropna().map(lambda v: v[-6] in "+-" and v[-3] == ":").all(), column
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").astype(UTC)
    if from_csv and "protocol" in frame:
        frame["protocol"] = frame["protocol"].map(json.loads)
    if from_csv and "is_compliance" in frame:
        assert set(frame["is_compliance"]) <= {"true", "false"}
        frame["is_compliance"] = frame["is_compliance"].map({"true": True, "false": False}).astype(bool)
    return frame


def _read(chunks: Any, fmt: str) -> list[dict[str, Any]]:
    text_ = "".join(chunks)
    return list(csv.DictReader(io.StringIO(text_))) if fmt == "csv" else json.loads(text_)


def test_the_export_holds_the_registry_s_own_and_every_imported_registry_s_credits_in_offsetsdb_s_schema(
        funded: Any, shared_data: Path) -> None:
    service = funded
    service.retire(service.actor("clerk"), "ret:own", account_id="COL-1-H", quantity=5, beneficiary="示例企业甲",
                   purpose="碳中和")
    results = {r: service.import_registry(ADMIN, f"import:{r}", registry=r, paths=_paths(shared_data, r))
               for r in sorted(FILES)}
    public = service.public
    tables = {(table, fmt): _read(getattr(public, f"offsetsdb_{table}_{fmt}")(), fmt)
              for table in ("projects", "credits") for fmt in ("csv", "json")}
    assert tables[("projects", "csv")] and tables[("credits", "csv")]

    # the schema: columns exactly, types as OffsetsDB's pipeline coerces them
    for (table, fmt), rows in tables.items():
        schema = PROJECT_SCHEMA if table == "projects" else CREDIT_SCHEMA
        assert list(rows[0]) == [c for c in rows[0] if c in schema.columns] and set(rows[0]) == set(schema.columns)
        schema.validate(_frame(rows, from_csv=fmt == "csv"), lazy=True)
    for row in tables[("projects", "json")]:  # the JSON carries the types themselves
        assert isinstance(row["protocol"], list) and isinstance(row["is_compliance"], bool)
        assert isinstance(row["issued"], int) and isinstance(row["retired"], int)
    for row in tables[("credits", "json")]:
        assert isinstance(row["quantity"], int) and isinstance(row["vintage"], int)
    # CSV and JSON say the same
    for table in ("projects", "credits"):
        as_text = [{k: ("" if v is None else json.dumps(v, ensure_ascii=False) if isinstance(v, list)
                        else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in row.items()}
                   for row in tables[(table, "json")]]
        assert as_text == tables[(table, "csv")]

    projects, credits = tables[("projects", "json")], tables[("credits", "json")]
    # flagged: the registry's own are "sinkledger"; the imported are on their own registry
    own = [p for p in projects if p["registry"] == "sinkledger"]
    imported = [p for p in projects if p["registry"] != "sinkledger"]
    assert {p["project_type_source"] for p in own} == {"sinkledger"}
    assert all(p["project_type_source"].startswith("imported from ") for p in imported)
    assert {p["registry"] for p in imported} <= REGISTRY_TYPES
    with service.db.read() as s:
        kept = s.execute(text("SELECT count(*) FROM registry_project")).scalar_one()
    assert len(imported) == kept

    # the totals: per imported registry, what its import booked
    by_registry: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in credits:
        note = c["retirement_note"]
        key = note.split(" ")[2] if note.startswith("imported from ") else "sinkledger"
        by_registry[key][EVENT_TYPES.get(c["transaction_type"], "created_t")] += c["quantity"]
    for registry, out in results.items():
        report = out["report"]["totals"]
        for figure in ("created_t", "retired_t", "cancelled_t", "ended_t"):
            assert by_registry[registry][figure] == report[figure], (registry, figure)
    issued_by_project = defaultdict(int)
    for c in credits:
        if c["transaction_type"] == "issuance":
            issued_by_project[c["project_id"]] += c["quantity"]
    # the ledger's: batches issued, credits retired and cancelled, own and imported
    with service.db.read() as s:
        def ledger(where: str) -> dict[str, int]:
            issued = s.execute(text(f"SELECT coalesce(sum(last - first + 1), 0) FROM batch b WHERE {where}")).scalar_one()
            states = dict(s.execute(text(f"SELECT l.state, sum(l.quantity) FROM balance l JOIN batch b "
                                         f"ON b.id = l.batch_id WHERE {where} GROUP BY l.state")).all())
            return {"issued": int(issued), "retired": int(states.get("retired", 0)),
                    "cancelled": int(states.get("cancelled", 0))}
        ours = ledger(f"b.methodology_id <> '{METHODOLOGY_ID}'")
        theirs = ledger(f"b.methodology_id = '{METHODOLOGY_ID}'")
    assert by_registry["sinkledger"]["created_t"] == ours["issued"] > 0
    assert by_registry["sinkledger"]["retired_t"] == ours["retired"] == 5
    assert sum(by_registry[r]["created_t"] for r in results) == theirs["issued"]
    assert sum(by_registry[r]["retired_t"] for r in results) == theirs["retired"]
    assert sum(by_registry[r]["cancelled_t"] + by_registry[r]["ended_t"] for r in results) == theirs["cancelled"]
    # the projects file's totals are its credits': own projects, and imported ones per project
    assert sum(p["issued"] for p in own) == ours["issued"] and sum(p["retired"] for p in own) == ours["retired"]
    assert sum(p["issued"] for p in imported) + sum(
        q for pid, q in issued_by_project.items() if pid not in {p["project_id"] for p in projects}) == theirs["issued"]
