"""Recording another registry's history in the ledger: one journal entry, all or nothing.

Every imported serial block keeps its original prefix and numbers; pooled rows are numbered in
their pool (:mod:`.pools`); both are planned purely (:mod:`.plan`) and written here. Credits
are created in the imported-programme accounts ``IMPORT-<REGISTRY>`` and, for the buffer,
``IMPORT-<REGISTRY>-BUFFER`` (opened on first use, owned by the registry party; batches
``IMPORT:<REGISTRY>:<prefix>/<first>``, sink type ``imported``, region ``XX``); retired rows then
move to ``SYS-RETIRED`` (with a retirement record of kind ``imported`` keeping beneficiary and
reason), cancelled and ended rows to ``SYS-CANCELLED``. Imported accounts are not holding
accounts, so imported credits can be seen, counted, filtered and verified, never sold or
retired here. The projects are kept in ``registry_project`` (:mod:`.store`).

Never minted twice: serials already recorded under the same prefix
(``registry_serials_already_imported``), and rows an earlier import already recorded
(``registry_row_already_imported``, by the row's serial, id or content) are refused.

Partial imports: any *problem* (an unreadable or unreconcilable row) refuses the whole import
with ``registry_import_has_problems``, listing every problem, unless ``allow_partial``, which
imports the sound rows and records the refused ones in the entry. *Notices* and *anomalies*
never refuse: the rows are booked and the entry and its reconciliation report say what to know.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Sequence

from sqlalchemy import text
from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import AccountKind
from ledger.parties import REGISTRY_PARTY_ID
from ledger.projection import apply_moves
from ledger.registry_import.checks import date_anomalies, vintage_anomalies
from ledger.registry_import.crosscheck import cross_sources
from ledger.registry_import.mapping import RegistryMapping, resolve
from ledger.registry_import.model import (
    CreditStatus,
    ImportProblem,
    ParsedImport,
    ProjectRecord,
    RegistryRecord,
    record_problems,
    sort_problems,
)
from ledger.registry_import.plan import (
    BatchIndex,
    PlannedBatch,
    RowKey,
    account_id_for,
    batch_id_for,
    batch_index,
    plan_batches,
    plan_moves,
    problem_for,
    reconcile,
    row_key,
    split_by_batch,
)
from ledger.registry_import.projects import ProjectBook
from ledger.registry_import.pools import PoolPlan, PoolState, Take, plan_pools, pool_prefix
from ledger.registry_import.report import Booking, build_report
from ledger.registry_import.store import PROJECT_COLUMNS, RegistryPendingRow, RegistryProjectRow
from ledger.store import AccountRow, BatchRow, PartyRow, RetirementRow
from sinkledger_base.canonical import canonical_json
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

ENTRY_KIND = "registry_import"  # EntryKind.registry_import
REGION_CODE = "XX"
SINK_TYPE = "imported"
METHODOLOGY_ID = "registry_import"
RETIREMENT_KIND = "imported"
PREFIX_QUERY_CHUNK = 500


def retirement_id_for(seq: int, n: int) -> str:
    """The n-th (from 1) imported retirement of journal entry ``seq``."""
    return f"IR-{seq:08d}-{n:06d}"


def import_content(parsed: ParsedImport, *, allow_partial: bool) -> dict[str, Any]:
    """What the request asks for, for :func:`ledger.commands.run_command`'s fingerprint.

    Messages are left out so that a retry stays identical if the catalogue's wording changes.
    """
    return {"registry": parsed.registry, "allow_partial": allow_partial,
            "records": [r.to_record() for r in parsed.records],
            "projects": [p.to_record() for p in parsed.projects],
            "problems": [p.to_record() for p in parsed.problems],
            "notices": [n.to_record() for n in parsed.notices]}


def import_registry_history(ctx: CommandContext, parsed: ParsedImport, *,
                            allow_partial: bool = False) -> tuple[str, dict[str, Any]]:
    """Record another registry's history (records and projects) in one journal entry.

    Parameters
    ----------
    ctx : CommandContext
        The running command (from :func:`ledger.commands.run_command`).
    parsed : ParsedImport
        What :func:`ledger.registry_import.parse_files` read from all files of one registry.
    allow_partial : bool
        Import the sound rows even if some rows are refused.

    Returns
    -------
    entry_kind, payload : str, dict
        ``"registry_import"`` and a payload with ``batches`` and ``moves`` for replay, the
        records, projects, refused rows, notices, and the result with the reconciliation report.

    Raises
    ------
    Conflict
        ``registry_import_has_problems`` (unless ``allow_partial``), ``nothing_to_import``.
    """
    mapping = _check(parsed)
    records, problems = _sound(parsed.records, list(parsed.problems))
    earlier = _earlier_imports(ctx, mapping.registry)
    records, taken, on_earlier = _not_yet_recorded(ctx, mapping.registry, records, earlier)
    reconciled = reconcile([r for r in records if r.has_serials])
    problems = sort_problems([*problems, *taken, *reconciled.problems])
    if problems and not allow_partial:
        raise Conflict("registry_import_has_problems", registry=mapping.registry, count=len(problems),
                       problems=[p.to_record() for p in problems])
    pooled = [r for r in records if not r.has_serials]
    merged = _merged_projects(mapping, parsed, earlier)
    projects = _changed_projects(ctx, merged)
    if not reconciled.accepted and not pooled and not projects:
        raise Conflict("nothing_to_import", registry=mapping.registry)
    pending = _pending_for(ctx, mapping.registry, {r.pool for r in pooled if r.status is CreditStatus.issued})
    planned = [*pooled, *(r for r, _ in pending.values())]
    pools = plan_pools(planned, letters=mapping.project_letters, registry=mapping.registry,
                       state=_pool_state(ctx, mapping, planned), other_part=mapping.events_may_take_other_part)
    return ENTRY_KIND, _record(ctx, mapping, parsed, reconciled, pools, problems, projects, merged, on_earlier,
                               pending)


def _check(parsed: ParsedImport) -> RegistryMapping:
    mapping = resolve(parsed.registry) if isinstance(parsed, ParsedImport) else None
    if mapping is None or mapping.registry != parsed.registry:
        raise InvalidInput("value_invalid", field="registry", value=str(getattr(parsed, "registry", ""))[:40])
    seen: set[tuple] = set()
    for r in parsed.records:
        if r.registry != mapping.registry:
            raise InvalidInput("value_invalid", field="registry", value=r.registry[:40])
        if row_key(r) in seen:  # two files of the same name, or one file given twice
            raise InvalidInput("value_invalid", field="source", value=f"{r.source} row {r.row_number}"[:40])
        seen.add(row_key(r))
    return mapping


def _sound(records: Sequence[RegistryRecord],
           problems: list[ImportProblem]) -> tuple[list[RegistryRecord], list[ImportProblem]]:
    """Re-run the registry-neutral checks, whoever built the records."""
    sound = []
    for r in records:
        found = record_problems(r)
        problems += found
        if not found:
            sound.append(r)
    return sound, problems


# --- what the ledger already holds ----------------------------------------------------------------

@dataclass
class OnEarlier:
    """Rows that meet serials an earlier import recorded, and may still be booked: events on
    credits an earlier import's issuance holds (row key -> batch and account), and issuances
    taking up the blocks earlier events created without it (row key -> the numbers still to
    create)."""

    events: dict[RowKey, tuple[str, str]] = field(default_factory=dict)
    gaps: dict[RowKey, list[tuple[int, int]]] = field(default_factory=dict)


def _not_yet_recorded(ctx: CommandContext, registry: str, records: list[RegistryRecord],
                      earlier: Earlier) -> tuple[list[RegistryRecord], list[ImportProblem], OnEarlier]:
    """Split off records whose serials the ledger already holds under the same prefix, or whose
    row an earlier import of this registry recorded. A retired, cancelled or ended row inside
    credits an earlier issuance holds is a later event on them; an issued row around blocks that
    only earlier events created (a retirement imported before its issuance) takes them up."""
    existing = _existing_ranges(ctx, {r.serial_prefix for r in records if r.has_serials})
    done = earlier.row_keys
    fresh, taken, on_earlier = [], [], OnEarlier()
    for r in records:
        hits = _all_overlapping(existing.get(r.serial_prefix, []), r.first, r.last) if r.has_serials else []
        if hits and r.status is not CreditStatus.issued and len(hits) == 1 and hits[0][0] <= r.first \
                and r.last <= hits[0][1] and (held := _held_account(ctx, registry, hits[0][2], r.first, r.last)):
            on_earlier.events[row_key(r)] = (hits[0][2], held)
            fresh.append(r)
        elif hits and r.status is CreditStatus.issued and all(
                r.first <= first and last <= r.last and batch_id not in earlier.issuance_batches
                and batch_id.startswith(batch_id_for(registry, "", 0).removesuffix("/0"))
                for first, last, batch_id in hits):
            on_earlier.gaps[row_key(r)] = _gaps(r.first, r.last, [(first, last) for first, last, _ in hits])
            fresh.append(r)
        elif hits:
            taken.append(problem_for(r, "registry_serials_already_imported", first=r.first, last=r.last,
                                     batch_id=hits[0][2]))
        elif r.row_key and r.row_key in done:
            taken.append(problem_for(r, "registry_row_already_imported", seq=done[r.row_key]))
        else:
            fresh.append(r)
    return fresh, taken, on_earlier


def _all_overlapping(ranges: list[tuple[int, int, str]], first: int, last: int) -> list[tuple[int, int, str]]:
    """The ranges of ``ranges`` (sorted, disjoint) that meet ``first..last``."""
    i = bisect.bisect_left(ranges, first, key=lambda x: x[1])
    out = []
    while i < len(ranges) and ranges[i][0] <= last:
        out.append(ranges[i])
        i += 1
    return out


def _gaps(first: int, last: int, inside: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The numbers of ``first..last`` outside the sorted, disjoint ranges ``inside``."""
    out, number = [], first
    for a, b in inside:
        if a > number:
            out.append((number, a - 1))
        number = max(number, b + 1)
    if number <= last:
        out.append((number, last))
    return out


def _held_account(ctx: CommandContext, registry: str, batch_id: str, first: int, last: int) -> str | None:
    """The imported account holding all of ``first..last`` of the batch, if one does."""
    sql = ("SELECT account_id, first, last FROM credit_block WHERE batch_id = :b AND state = 'held' "
           "AND first <= :l AND last >= :f AND account_id IN (:a, :c)")
    rows = ctx.session.execute(text(sql), {"b": batch_id, "f": first, "l": last, "a": account_id_for(registry),
                                           "c": account_id_for(registry, "buffer")}).all()
    accounts = {a for a, _, _ in rows}
    covered = sum(min(b, last) - max(a, first) + 1 for _, a, b in rows)
    return accounts.pop() if len(accounts) == 1 and covered == last - first + 1 else None


def _existing_ranges(ctx: CommandContext, prefixes: set[str]) -> BatchIndex:
    """Existing batches per prefix as sorted ``(first, last, batch_id)``."""
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    ordered = sorted(prefixes)
    for i in range(0, len(ordered), PREFIX_QUERY_CHUNK):
        chunk = ordered[i:i + PREFIX_QUERY_CHUNK]
        for b in ctx.session.exec(select(BatchRow).where(BatchRow.serial_prefix.in_(chunk))):
            out[b.serial_prefix].append((b.first, b.last, b.id))
    return {k: sorted(v) for k, v in out.items()}


@dataclass
class Earlier:
    """What this registry's earlier imports recorded: their rows' keys and what their rows said
    of the projects (``None`` when an import made before these were kept left them out)."""

    row_keys: dict[str, int] = field(default_factory=dict)
    project_inputs: dict[str, list[dict[str, Any]]] | None = field(default_factory=dict)  # per file name
    issuance_batches: set[str] = field(default_factory=set)  # batches an issued row created


def _earlier_imports(ctx: CommandContext, registry: str) -> Earlier:
    """This registry's earlier imports, from the journal (imports are few)."""
    out = Earlier()
    rows = ctx.session.execute(text("SELECT seq, body FROM journal_entry WHERE kind = :k ORDER BY seq"),
                               {"k": ENTRY_KIND})
    for seq, body in rows:
        payload = json.loads(body)["payload"]
        if payload.get("registry") == registry:
            for r in payload.get("records", ()):
                if r.get("row_key"):
                    out.row_keys[r["row_key"]] = seq
                if r.get("status") == CreditStatus.issued.value and r.get("batch_id"):
                    out.issuance_batches.add(r["batch_id"])
            if out.project_inputs is not None and "project_inputs" in payload:
                out.project_inputs.update(_by_source(payload["project_inputs"]))
            else:
                out.project_inputs = None
    return out


def _by_source(inputs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in inputs:
        out[i["source"]].append(i)
    return dict(out)


def _merged_projects(mapping: RegistryMapping, parsed: ParsedImport, earlier: Earlier) -> list[ProjectRecord]:
    """The projects as one import of these files and every earlier one would make them: what each
    file said, merged by registry id in the order of the files' names (:meth:`ProjectBook.replay`);
    a file of the same name as an earlier one (a newer export of it) replaces what that one said.
    After an import that kept no project inputs, this import's own projects, as before."""
    if earlier.project_inputs is None or not earlier.project_inputs:
        return list(parsed.projects)
    touched = {p.project_id for p in parsed.projects}
    inputs = {**earlier.project_inputs, **_by_source(parsed.project_inputs)}
    book = ProjectBook.replay(mapping.registry, mapping.project_letters,
                              [i for source in sorted(inputs) for i in inputs[source]])
    return [p for p in book.records() if p.project_id in touched]


def _pool_state(ctx: CommandContext, mapping: RegistryMapping, pooled: list[RegistryRecord]) -> PoolState:
    """Per pool prefix already in the ledger: the next free number and the numbers still held."""
    prefixes = {pool_prefix(mapping.project_letters, mapping.registry, replace(r, account_part=part))
                for r in pooled for part in ("project", "buffer")}  # an event may take from the other part
    state = PoolState()
    for prefix, ranges in _existing_ranges(ctx, prefixes).items():
        state.next_number[prefix] = max(last for _, last, _ in ranges) + 1
    if state.next_number:
        sql = ("SELECT b.serial_prefix, c.first, c.last FROM credit_block c JOIN batch b ON b.id = c.batch_id "
               "WHERE c.state = 'held' AND c.account_id IN (:a, :b) AND b.serial_prefix = :p ORDER BY c.first")
        for prefix in sorted(state.next_number):
            accounts = {"a": account_id_for(mapping.registry), "b": account_id_for(mapping.registry, "buffer")}
            for _, first, last in ctx.session.execute(text(sql), {**accounts, "p": prefix}):
                state.held.setdefault(prefix, []).append((first, last))
    return state


Pending = dict[RowKey, tuple[RegistryRecord, str]]  # row key -> (the event for what is pending, stored row)


def _pending_for(ctx: CommandContext, registry: str, pools: set[str]) -> Pending:
    """The events held aside in ``pools`` (pools this import brings an issuance to), each as a
    record of what is still pending, to be planned again beside this import's rows."""
    out: Pending = {}
    if not pools:
        return out
    ordered = sorted(pools)
    for i in range(0, len(ordered), PREFIX_QUERY_CHUNK):
        for row in ctx.session.exec(select(RegistryPendingRow).where(
                RegistryPendingRow.source_registry == registry,
                RegistryPendingRow.pool.in_(ordered[i:i + PREFIX_QUERY_CHUNK]))):
            r = _record_from(json.loads(row.record))
            out[row_key(r)] = (replace(r, quantity=row.pending_t, quantity_kg=None), row.record)
    return out


def _record_from(d: dict[str, Any]) -> RegistryRecord:
    """A record as :meth:`RegistryRecord.to_record` wrote it."""
    days = ("period_start", "period_end", "issued_on", "status_on")
    values = {k: (date.fromisoformat(v) if k in days and v else None if k in days else v) for k, v in d.items()}
    return RegistryRecord(**{**values, "status": CreditStatus(d["status"]), "published": dict(d["published"])})


def _pending_changes(registry: str, takes: list[Take], pending: Pending, seq: int) -> list[dict[str, Any]]:
    """The rows of ``registry_pending`` this import writes: every event part it could not cover
    (new), and every pending event it planned again with what is left (0: taken up whole)."""
    out = []
    for take in takes:
        key = row_key(take.record)
        if key in pending:
            stored = pending[key][1]
            if take.excess_t == take.record.quantity:
                continue  # nothing taken up
        elif take.excess_t:
            stored = canonical_json(take.record.to_record())
        else:
            continue
        r = take.record
        out.append({"source_registry": registry, "source": r.source, "row_number": r.row_number, "part": r.part,
                    "pool": r.pool, "account_part": r.account_part, "status": r.status.value,
                    "project_id": r.project_id, "pending_t": take.excess_t, "record": stored})
    return out


def _write_pending(ctx: CommandContext, changes: list[dict[str, Any]]) -> None:
    for c in changes:
        row = ctx.session.get(RegistryPendingRow, (c["source_registry"], c["source"], c["row_number"], c["part"]))
        if not c["pending_t"]:
            if row is not None:
                ctx.session.delete(row)
        elif row is None:
            ctx.session.add(RegistryPendingRow(**c, seq=ctx.seq))
        else:
            row.pending_t, row.seq = c["pending_t"], ctx.seq
    ctx.session.flush()


def _pending_total(ctx: CommandContext, registry: str) -> int:
    sql = "SELECT COALESCE(SUM(pending_t), 0) FROM registry_pending WHERE source_registry = :r"
    return int(ctx.session.execute(text(sql), {"r": registry}).scalar_one())


def _changed_projects(ctx: CommandContext, projects: Sequence[ProjectRecord]) -> list[ProjectRecord]:
    """The projects whose stored row differs from what this import says (new ones included)."""
    out = []
    for p in projects:
        row = ctx.session.get(RegistryProjectRow, (p.registry, p.project_id))
        if row is None or _project_values(p) != tuple(getattr(row, c) for c in PROJECT_COLUMNS[:-1]):
            out.append(p)
    return out


def _project_values(p: ProjectRecord) -> tuple:
    record = {**p.to_record(), "source_registry": p.registry}
    return tuple(record.get(c) for c in PROJECT_COLUMNS[:-1])


# --- writing ----------------------------------------------------------------------------------------

def _ensure_account(ctx: CommandContext, registry: str, account_id: str) -> bool:
    """The imported-programme account, opened (owned by the registry party) if missing."""
    account = ctx.session.get(AccountRow, account_id)
    if account is not None:
        if account.kind != AccountKind.imported.value:
            raise Conflict("value_invalid", field="account", value=account_id)
        return False
    if ctx.session.get(PartyRow, REGISTRY_PARTY_ID) is None:
        raise NotFound("database_not_initialised")
    ctx.session.add(AccountRow(id=account_id, party_id=REGISTRY_PARTY_ID, kind=AccountKind.imported.value,
                               label=f"Imported programme: {registry}"))
    ctx.session.flush()
    return True


def _record(ctx: CommandContext, mapping: RegistryMapping, parsed: ParsedImport, reconciled: Any, pools: PoolPlan,
            problems: list[ImportProblem], projects: list[ProjectRecord],
            merged: list[ProjectRecord], on_earlier: OnEarlier, pending: Pending) -> dict[str, Any]:
    """Plan, write batches, blocks, retirements and projects; return the journal payload."""
    registry = mapping.registry
    later = [r for r in reconciled.accepted if row_key(r) in on_earlier.events]
    nested = [r for r in reconciled.accepted if row_key(r) in reconciled.parent]
    creators = [r for r in reconciled.accepted if row_key(r) not in reconciled.parent
                and row_key(r) not in on_earlier.events] + pools.creators
    records = sorted([*creators, *nested, *later, *(t.record for t in pools.takes), *pools.under_a_tonne],
                     key=lambda r: (r.source, r.row_number, r.part))
    pieces = _pieces(creators, on_earlier.gaps)
    holders = {row_key(r): account_id_for(registry, parent.account_part) for r in nested
               if (parent := reconciled.parent[row_key(r)])} | {k: a for k, (_, a) in on_earlier.events.items()}
    booking = _booking(creators, pools, [*nested, *later], holders, on_earlier)
    batches, batch_of = plan_batches(registry, pieces)
    for r in creators:  # an issuance taking up earlier blocks: its first new batch, if any
        if row_key(r) in on_earlier.gaps:
            gaps = on_earlier.gaps[row_key(r)]
            batch_of[row_key(r)] = batch_of.get(_piece_key(r, gaps[0][0])) if gaps else None
    batch_of.update({k: b for k, (b, _) in on_earlier.events.items()})
    index = batch_index(batches, _existing_ranges(
        ctx, {prefix for t in pools.takes for _, prefix, _, _ in t.ranges} | {r.serial_prefix for r in [*nested, *later]}))
    for r in nested:  # the batch holding an event inside an issuance of this import
        batch_of[row_key(r)] = split_by_batch(index, r.serial_prefix, r.first, r.last)[0][0]
    retirement_ids = {row_key(r): retirement_id_for(ctx.seq, n) for n, r in enumerate(
        (r for r in records if r.status is CreditStatus.retired and booking.booked_t.get(row_key(r), r.quantity)),
        start=1)}
    moves = plan_moves(registry, creators=pieces, nested=[*nested, *later], holders=holders, takes=pools.takes,
                       batch_of=batch_of, index=index, retirement_ids=retirement_ids)
    opened = [a for a in sorted({account_id_for(registry, r.account_part) for r in creators})
              if _ensure_account(ctx, registry, a)]
    _write_batches(ctx, registry, batches)
    apply_moves(ctx.session, moves)
    _write_retirements(ctx, records, retirement_ids, booking, holders)
    _write_projects(ctx, projects)
    pending_changes = _pending_changes(registry, pools.takes, pending, ctx.seq)
    _write_pending(ctx, pending_changes)
    notices = sort_problems([*parsed.notices, *pools.notices, *date_anomalies(records), *vintage_anomalies(records)])
    held = _held(ctx, registry)
    report = build_report(registry=registry, name=mapping.name, files=parsed.files, records=records,
                          booking=booking, problems=problems, notices=notices, projects=merged,
                          held={**held, "pending_t": _pending_total(ctx, registry)}, taken_up=set(pending))
    # after this import's projects are written: they take part
    report["cross_sources"] = cross_sources(ctx.session, registry, methodology_id=METHODOLOGY_ID)
    entries = [_entry(r, batch_of, holders, retirement_ids, booking) for r in records]
    return {"registry": registry, "account_id": account_id_for(registry),
            "accounts": [{"id": a, "kind": AccountKind.imported.value} for a in opened],
            "batches": [b.to_record() for b in batches], "records": entries,
            "projects": [p.to_record() for p in projects], "project_inputs": parsed.project_inputs,
            "pending": pending_changes, "refused": [p.to_record() for p in problems],
            "notices": [n.to_record() for n in notices], "moves": [m.to_record() for m in moves],
            "result": _result(registry, records, batches, problems, report)}


def _piece_key(r: RegistryRecord, first: int) -> RowKey:
    return r.source, r.row_number, f"{r.part}@{first}"


def _pieces(creators: list[RegistryRecord], gaps: dict[RowKey, list[tuple[int, int]]]) -> list[RegistryRecord]:
    """The blocks to create: each creator's, or for an issuance taking up earlier blocks, its gaps."""
    out = []
    for r in creators:
        if row_key(r) not in gaps:
            out.append(r)
            continue
        for first, last in gaps[row_key(r)]:
            out.append(replace(r, first=first, last=last, quantity=last - first + 1,
                               part=_piece_key(r, first)[2]))
    return out


def _booking(creators: list[RegistryRecord], pools: PoolPlan, nested: list[RegistryRecord],
             holders: dict[RowKey, str], on_earlier: OnEarlier) -> Booking:
    """Tonnes booked per row, and from which account part (an event on existing credits: its
    holder's); an issuance taking up earlier blocks creates only its gaps."""
    booking = Booking(creates={row_key(r) for r in creators},
                      incomplete_pools={r.pool for r in pools.orphans})
    # pooled events: what each took, and what it left pending (a partial history's, or beyond its pool)
    for key, gaps in on_earlier.gaps.items():
        booking.created_t[key] = sum(last - first + 1 for first, last in gaps)
    for r in nested:
        booking.parts[row_key(r)] = {_part_of(holders[row_key(r)]): r.quantity}
    for take in pools.takes:
        key = row_key(take.record)
        booking.booked_t[key] = take.booked_t
        (booking.incomplete_t if take.incomplete else booking.excess_t)[key] = take.excess_t
        parts: dict[str, int] = {}
        for part, _, first, last in take.ranges:
            parts[part] = parts.get(part, 0) + last - first + 1
        booking.parts[key] = parts
    return booking


def _part_of(account_id: str) -> str:
    return "buffer" if account_id.endswith("-BUFFER") else "project"


def _entry(r: RegistryRecord, batch_of: dict, holders: dict, retirement_ids: dict, booking: Booking) -> dict[str, Any]:
    key = row_key(r)
    return {**r.to_record(), "batch_id": batch_of.get(key), "retirement_id": retirement_ids.get(key),
            "booked_t": booking.booked_t.get(key, r.quantity), "excess_t": booking.excess_t.get(key, 0),
            "pending_t": booking.excess_t.get(key, 0) + booking.incomplete_t.get(key, 0),
            "account": holders.get(key, account_id_for(r.registry, r.account_part))}


def _write_batches(ctx: CommandContext, registry: str, batches: list[PlannedBatch]) -> None:
    for b in batches:
        ctx.session.add(BatchRow(
            id=b.batch_id, serial_prefix=b.serial_prefix, region_code=REGION_CODE,
            county_code=REGION_CODE, sink_type=SINK_TYPE, project_code=b.project_code,
            vintage_year=b.vintage_year, first=b.first, last=b.last, buffer_quantity=0,
            issuance_seq=ctx.seq, estimate_id="", methodology_id=METHODOLOGY_ID,
            methodology_version=registry[:20], period_start=b.period_start, period_end=b.period_end))
    ctx.session.flush()


def _write_retirements(ctx: CommandContext, records: list[RegistryRecord], retirement_ids: dict[tuple, str],
                       booking: Booking, holders: dict[RowKey, str]) -> None:
    for r in records:
        rid = retirement_ids.get(row_key(r))
        if rid is not None:  # retired from its holder's account (an event on earlier credits), else its own
            account = holders.get(row_key(r), account_id_for(r.registry, r.account_part))
            ctx.session.add(RetirementRow(id=rid, seq=ctx.seq, account_id=account,
                                          quantity=booking.booked_t.get(row_key(r), r.quantity),
                                          beneficiary=r.beneficiary, purpose=r.purpose,
                                          retirement_kind=RETIREMENT_KIND, recorded_at=ctx.recorded_at))
    ctx.session.flush()


def _write_projects(ctx: CommandContext, projects: list[ProjectRecord]) -> None:
    for p in projects:
        values = dict(zip(PROJECT_COLUMNS[:-1], _project_values(p)))
        row = ctx.session.get(RegistryProjectRow, (p.registry, p.project_id))
        if row is None:
            ctx.session.add(RegistryProjectRow(**values, seq=ctx.seq))
        else:
            for column, value in values.items():
                setattr(row, column, value)
            row.seq = ctx.seq
    ctx.session.flush()


def _held(ctx: CommandContext, registry: str) -> dict[str, int]:
    sql = "SELECT COALESCE(SUM(quantity), 0) FROM balance WHERE account_id = :a AND state = 'held'"
    return {f"{part}_t": int(ctx.session.execute(text(sql), {"a": account_id_for(registry, part)}).scalar_one())
            for part in ("project", "buffer")}


def _result(registry: str, records: list[RegistryRecord], batches: list[PlannedBatch],
            problems: list[ImportProblem], report: dict[str, Any]) -> dict[str, Any]:
    totals = report["totals"]
    return {"registry": registry, "account_id": account_id_for(registry),
            "rows_imported": totals["rows_imported"], "rows_refused": totals["rows_refused"],
            "partial": bool(problems), "batches": len(batches), "records": len(records),
            "created_t": totals["created_t"], "retired_t": totals["retired_t"],
            "cancelled_t": totals["cancelled_t"], "ended_t": totals["ended_t"],
            "held_t": totals["held_t"], "buffer_held_t": totals["buffer_held_t"],
            "discrepancy_t": totals["discrepancy_t"], "projects": len(report["projects"]),
            "anomalies": len(report["anomalies"]), "notices": len(report["notices"]),
            "problems": [p.to_record() for p in problems], "report": report}


__all__ = ["ENTRY_KIND", "REGION_CODE", "SINK_TYPE", "METHODOLOGY_ID", "RETIREMENT_KIND", "import_content",
           "import_registry_history", "reconcile", "account_id_for"]
