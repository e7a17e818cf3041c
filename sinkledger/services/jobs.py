"""Jobs: long work (a parcel file's import or check) started over the HTTP API and polled, kept
in the database so that any instance behind it can answer the poll (issue 18; docs/api.md).

A job belongs to the user name that started it (a key acting as a user, or the key's own actor);
only that actor sees it. Its progress is written at most every :data:`PROGRESS_EVERY_S`; its
outcome (the result, or the refusal as the edges send it) when it ends. Finished jobs older
than :data:`KEEP` are deleted when a new one starts, so the table stays small. The table is not
part of the ledger: nothing in it is hashed into the journal.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete
from sqlmodel import Field, SQLModel

from ledger.permissions import Actor
from sinkledger.services.sessions import _writing
from sinkledger_base.errors import InvalidInput, NotFound, printable
from sinkledger_base.local_time import utc_now, utc_text

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

KEEP = timedelta(days=7)
PROGRESS_EVERY_S = 0.5
STATES = ("running", "done", "refused", "failed")


class JobRow(SQLModel, table=True):
    """One job: who started it, its progress and, once ended, its outcome (JSON)."""

    __tablename__ = "api_job"
    job_id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=30)
    owner: str = Field(max_length=60, index=True)
    status: str = Field(max_length=10)
    done: int = Field(default=0)
    total: int = Field(default=0)
    label: str = Field(default="", max_length=60)
    outcome: str = Field(default="")  # JSON: {"result": ...} or {"problem": ...}
    started_at: str = Field(max_length=40, index=True)
    ended_at: str | None = Field(default=None, max_length=40)



def start(service: Service, actor: Actor, kind: str) -> dict[str, Any]:
    """A new running job of ``kind`` for ``actor``; finished jobs older than :data:`KEEP` go."""
    now = utc_now()
    row = JobRow(job_id=uuid.uuid4().hex, kind=kind, owner=actor.username, status="running", started_at=utc_text(now))
    with _writing(service) as s:
        s.exec(delete(JobRow).where(JobRow.status != "running", JobRow.started_at < utc_text(now - KEEP)))
        s.add(row)
        view = _view(row)
    return view


class Progress:
    """``progress(done, total, label)`` for a job: written at most every :data:`PROGRESS_EVERY_S`."""

    def __init__(self, service: Service, job_id: str) -> None:
        self.service, self.job_id, self.last = service, job_id, 0.0

    def __call__(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and done < total:
            return
        self.last = now
        with _writing(self.service) as s:
            row = s.get(JobRow, self.job_id)
            if row is not None and row.status == "running":
                row.done, row.total, row.label = int(done), int(total), printable(str(label), 60)[:60]
                s.add(row)


def finish(service: Service, job_id: str, status: str, outcome: dict[str, Any]) -> None:
    """End a job with ``status`` and its outcome (``{"result": ...}`` or ``{"problem": ...}``)."""
    if status not in STATES[1:]:
        raise InvalidInput("value_invalid", field="status", value=printable(repr(status), 40))
    with _writing(service) as s:
        row = s.get(JobRow, job_id)
        if row is not None:
            row.status, row.ended_at = status, utc_text(utc_now())
            row.outcome = json.dumps(outcome, ensure_ascii=False, default=str)
            s.add(row)


def job(service: Service, actor: Actor, job_id: Any) -> dict[str, Any]:
    """A job as its owner sees it; another's, or none, is ``job_not_found``."""
    if not isinstance(job_id, str) or len(job_id) > 32:
        raise NotFound("job_not_found", job_id=printable(repr(job_id), 40))
    with service.db.read() as s:
        row = s.get(JobRow, job_id)
    if row is None or not isinstance(actor, Actor) or row.owner != actor.username:
        raise NotFound("job_not_found", job_id=printable(job_id, 40))
    return _view(row) | (json.loads(row.outcome) if row.outcome else {})


def _view(row: JobRow) -> dict[str, Any]:
    return {"job_id": row.job_id, "kind": row.kind, "status": row.status, "started_at": row.started_at,
            "ended_at": row.ended_at, "progress": {"done": row.done, "total": row.total, "label": row.label}}
