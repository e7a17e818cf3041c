"""Running a command: permission, idempotency, the writer lock, the journal entry.

Every state change goes through :func:`run_command`. It checks the actor's role, looks up the
request id (a retry with the same content returns the first result; different content is
refused with ``request_id_conflict``), takes the writer lock, lets the handler check rules and
write projections, checks the invariants of every batch it touched, and appends the journal
entry, all in one database transaction. A refusal
raised anywhere rolls the whole transaction back. A command whose result is checked later against
a published root (a court certificate) asks for a Merkle checkpoint over the journal including its
entry, recorded in the same transaction, so that checking it later never has to write one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from sqlmodel import Session

from ledger import journal
from ledger.domain import check_content, request_fingerprint
from ledger.invariants import check_batches, touched_batches
from ledger.permissions import Actor, require
from ledger.proofs import create_checkpoint, latest_checkpoint_covering
from ledger.sql import Tx
from sinkledger_base.errors import Conflict, InvalidInput

MAX_REQUEST_ID_CHARS = 120


@dataclass(frozen=True)
class CommandContext:
    tx: Tx
    seq: int
    actor: Actor
    recorded_at: str

    @property
    def session(self) -> Session:
        """An ORM session in the command's transaction (made on first use: the hot commands
        run on plain statements through :attr:`tx`)."""
        return self.tx.session


Handler = Callable[[CommandContext], tuple[str, dict[str, Any]]]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def check_request_id(request_id: Any) -> str:
    if not isinstance(request_id, str) or not request_id.strip():
        raise InvalidInput("request_id_required")
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidInput("text_too_long", field="request_id", max_chars=MAX_REQUEST_ID_CHARS)
    if not request_id.isprintable():
        raise InvalidInput("value_invalid", field="request_id", value=repr(request_id)[:40])
    return request_id


def run_command(db: Any, *, actor: Actor, command: str, request_id: str, content: Mapping[str, Any],
                handler: Handler, clock: Callable[[], str] = utc_now, checkpoint: bool = False) -> dict[str, Any]:
    """Run ``handler`` once for ``request_id`` and return the result recorded in the journal.

    ``handler(ctx)`` returns ``(entry_kind, payload)``; ``payload["result"]`` is what callers get
    back, now and on every retry. With ``checkpoint``, a Merkle checkpoint covering the entry is
    recorded in the same transaction (on a retry: if none covers it yet, e.g. an entry recorded
    by an older release).
    """
    require(actor, command)
    check_request_id(request_id)
    check_content(content)  # what canonical JSON and the databases cannot hold, refused by field
    fingerprint = request_fingerprint(command, actor.username, content)
    with db.command() as tx:
        head_seq, prev, existing = journal.head_and_request(tx, request_id)
        if existing is not None:
            if existing[9] != fingerprint:
                raise Conflict("request_id_conflict", request_id=request_id)
            if checkpoint and latest_checkpoint_covering(tx.session, existing[1]) is None:
                create_checkpoint(tx.session, clock())
            return _result(journal.entry_from_raw(existing), replayed=True)
        seq = head_seq + 1
        ctx = CommandContext(tx=tx, seq=seq, actor=actor, recorded_at=clock())
        kind, payload = handler(ctx)
        check_batches(tx, seq, touched_batches(payload))
        entry = journal.append(tx, seq=seq, kind=kind, request_id=request_id,
                               fingerprint=fingerprint, actor=actor.username,
                               recorded_at=ctx.recorded_at, payload=payload, prev_hash=prev)
        if checkpoint:
            create_checkpoint(tx.session, ctx.recorded_at)
        return _result(entry, replayed=False)


def _result(entry: journal.Entry, *, replayed: bool) -> dict[str, Any]:
    return {**entry.payload.get("result", {}), "seq": entry.seq, "entry_hash": entry.entry_hash,
            "recorded_at": entry.recorded_at, "replayed": replayed}
