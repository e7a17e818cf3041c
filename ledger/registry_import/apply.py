"""Recording another registry's history in the ledger: one journal entry, all or nothing.

Every imported serial block keeps its original prefix and numbers. Per original prefix, each
maximal contiguous run of created serials with the same vintage, project and period becomes one
batch ``IMPORT:<REGISTRY>:<prefix>/<first>`` (sink type ``imported``, region ``XX``), so that
a batch's length equals the credits its blocks hold, which ``sinkledger verify`` checks. Blocks
are created in the imported-programme account ``IMPORT-<REGISTRY>`` (opened on first use,
owned by the registry party); retired rows then move to ``SYS-RETIRED`` (state retired, with a
retirement record of kind ``imported`` keeping beneficiary and reason), cancelled rows to
``SYS-CANCELLED`` (state cancelled). Imported accounts are not holding accounts, so imported
credits can be seen, counted and verified but never sold or retired here.

Reconciliation, per original prefix:

* an issued row creates its block; a retired or cancelled row that lies wholly inside an
  issued row is a later event on those serials (Gold Standard's retirements inside its
  issuances); any other retired or cancelled row creates its block and ends it;
* any other overlap (two issued rows, two ended rows, an ended row straddling an issued one)
  refuses both rows (``registry_serials_overlap``): which one is right cannot be known;
* an ended row whose issued row is refused is refused too (``registry_parent_row_refused``);
* serials already recorded under the same prefix are refused
  (``registry_serials_already_imported``): an import cannot mint a credit twice.

Partial imports: by default any problem (from parsing or reconciliation) refuses the whole
import with ``registry_import_has_problems``, listing every problem. With ``allow_partial``
the sound rows are imported and the refused rows are recorded in the entry (``refused``), so
the journal says exactly what was left out and why.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlmodel import select

from ledger.commands import CommandContext
from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, BlockState, Move
from ledger.parties import REGISTRY_PARTY_ID
from ledger.projection import apply_moves
from ledger.registry_import.model import (
    CreditStatus,
    ImportProblem,
    RegistryRecord,
    record_problems,
    sort_problems,
)
from ledger.store import AccountRow, BatchRow, PartyRow, RetirementRow
from sinkledger_base.errors import Conflict, InvalidInput, NotFound

ENTRY_KIND = "registry_import"  # EntryKind.registry_import once ledger.domain has it
REGION_CODE = "XX"
SINK_TYPE = "imported"
METHODOLOGY_ID = "registry_import"
RETIREMENT_KIND = "imported"
PREFIX_QUERY_CHUNK = 500
TERMINAL = {CreditStatus.retired: (AccountKind.retirement, BlockState.retired),
            CreditStatus.cancelled: (AccountKind.cancellation, BlockState.cancelled)}

RowKey = tuple[str, int]  # (source file, row number)


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """A batch to create: a contiguous run of serials under one original prefix."""

    batch_id: str
    serial_prefix: str
    first: int
    last: int
    vintage_year: int
    project_code: str
    period_start: str
    period_end: str

    @property
    def quantity(self) -> int:
        """Credits in the batch."""
        return self.last - self.first + 1

    def to_record(self) -> dict[str, Any]:
        """The batch as the journal payload lists it (``verify`` reads id and quantity)."""
        return {"batch_id": self.batch_id, "serial_prefix": self.serial_prefix,
                "first": self.first, "last": self.last, "quantity": self.quantity,
                "vintage_year": self.vintage_year, "project_code": self.project_code}


@dataclass(frozen=True)
class Reconciled:
    """Records that may be imported, the issued record each ended record lies in, problems."""

    accepted: list[RegistryRecord]
    parent: dict[RowKey, RegistryRecord]
    problems: list[ImportProblem]


# --- identifiers ------------------------------------------------------------------------------

def account_id_for(registry: str) -> str:
    """``IMPORT-<REGISTRY>``, e.g. ``IMPORT-VERRA``, ``IMPORT-GOLD-STANDARD``."""
    return f"IMPORT-{registry.upper()}"


def batch_id_for(registry: str, prefix: str, first: int) -> str:
    """``IMPORT:<REGISTRY>:<original prefix>/<first serial of the batch>``."""
    return f"IMPORT:{registry.upper()}:{prefix}/{first}"


def retirement_id_for(seq: int, n: int) -> str:
    """The n-th (from 1) imported retirement of journal entry ``seq``."""
    return f"IR-{seq:08d}-{n:06d}"


def row_key(record: RegistryRecord | ImportProblem) -> RowKey:
    """Where a record or problem comes from: ``(source file, row number)``."""
    return record.source, record.row_number


# --- request content --------------------------------------------------------------------------

def import_content(registry: str, records: Sequence[RegistryRecord],
                   problems: Sequence[ImportProblem], *, allow_partial: bool) -> dict[str, Any]:
    """What the request asks for, for :func:`ledger.commands.run_command`'s fingerprint.

    Messages are left out so that a retry stays identical if the catalogue's wording changes.
    """
    return {"registry": registry, "allow_partial": allow_partial,
            "records": [r.to_record() for r in records],
            "problems": [p.to_record() for p in problems]}


# --- pure reconciliation ----------------------------------------------------------------------

def reconcile(records: Iterable[RegistryRecord]) -> Reconciled:
    """Check serial ranges against each other within each original prefix.

    Parameters
    ----------
    records : iterable of RegistryRecord
        Parsed records of one import.

    Returns
    -------
    Reconciled
        The records that may be imported, the enclosing issued record of every ended record
        that lies inside one, and a problem for every refused row.
    """
    by_prefix: dict[str, list[RegistryRecord]] = defaultdict(list)
    for r in records:
        by_prefix[r.serial_prefix].append(r)
    accepted: list[RegistryRecord] = []
    parent: dict[RowKey, RegistryRecord] = {}
    problems: list[ImportProblem] = []
    for prefix in sorted(by_prefix):
        ok, nested, found = _reconcile_prefix(by_prefix[prefix])
        accepted += ok
        parent.update(nested)
        problems += found
    return Reconciled(accepted, parent, problems)


def _nests(outer: RegistryRecord, inner: RegistryRecord) -> bool:
    return (outer.status is CreditStatus.issued and inner.status is not CreditStatus.issued
            and outer.first <= inner.first and inner.last <= outer.last)


def _reconcile_prefix(records: list[RegistryRecord]) -> tuple[list[RegistryRecord], dict[RowKey, RegistryRecord],
                                                              list[ImportProblem]]:
    """Sweep one prefix's ranges in order of first serial; see :func:`reconcile`."""
    bad: dict[RowKey, ImportProblem] = {}
    parent: dict[RowKey, RegistryRecord] = {}
    active: list[RegistryRecord] = []
    for r in sorted(records, key=lambda r: (r.first, -r.last, r.status is not CreditStatus.issued)):
        active = [a for a in active if a.last >= r.first]
        for a in active:
            if _nests(a, r):
                parent[row_key(r)] = a
            else:
                bad.setdefault(row_key(a), _overlap(a, r))
                bad.setdefault(row_key(r), _overlap(r, a))
        active.append(r)
    by_key = {row_key(r): r for r in records}
    for key, outer in parent.items():
        if key not in bad and row_key(outer) in bad:
            bad[key] = _problem(by_key[key], "registry_parent_row_refused",
                                other_source=outer.source, other_row=outer.row_number)
    ok = [r for r in records if row_key(r) not in bad]
    return ok, {k: v for k, v in parent.items() if k not in bad}, list(bad.values())


def _overlap(r: RegistryRecord, other: RegistryRecord) -> ImportProblem:
    return _problem(r, "registry_serials_overlap", first=r.first, last=r.last,
                    other_source=other.source, other_row=other.row_number,
                    other_first=other.first, other_last=other.last, prefix=r.serial_prefix)


def _problem(r: RegistryRecord, code: str, **params: Any) -> ImportProblem:
    return ImportProblem(r.registry, r.source, r.row_number, code, params, r.line_number)


def plan_batches(registry: str, creators: Iterable[RegistryRecord]) -> tuple[list[PlannedBatch], dict[RowKey, str]]:
    """Group created blocks into batches: contiguous runs with equal batch attributes.

    Returns the batches and, for every creating record, its batch id.
    """
    batches: list[PlannedBatch] = []
    batch_of: dict[RowKey, str] = {}
    run: list[RegistryRecord] = []
    for r in sorted(creators, key=lambda r: (r.serial_prefix, r.first)):
        if run and not _continues(run[-1], r):
            batches.append(_batch(registry, run))
            run = []
        run.append(r)
        batch_of[row_key(r)] = batch_id_for(registry, run[0].serial_prefix, run[0].first)
    if run:
        batches.append(_batch(registry, run))
    return batches, batch_of


def _batch_attributes(r: RegistryRecord) -> tuple[Any, ...]:
    return r.serial_prefix, r.vintage_year, r.project_code, r.period_start, r.period_end


def _continues(prev: RegistryRecord, r: RegistryRecord) -> bool:
    return r.first == prev.last + 1 and _batch_attributes(r) == _batch_attributes(prev)


def _batch(registry: str, run: list[RegistryRecord]) -> PlannedBatch:
    head = run[0]
    return PlannedBatch(batch_id=batch_id_for(registry, head.serial_prefix, head.first),
                        serial_prefix=head.serial_prefix, first=head.first, last=run[-1].last,
                        vintage_year=head.vintage_year, project_code=head.project_code,
                        period_start=head.period_start.isoformat() if head.period_start else "",
                        period_end=head.period_end.isoformat() if head.period_end else "")


def plan_moves(records: Sequence[RegistryRecord], parent: dict[RowKey, RegistryRecord],
               batch_of: dict[RowKey, str], *, account_id: str,
               retirement_ids: dict[RowKey, str]) -> list[Move]:
    """Creations into the imported account first, then the moves to retired or cancelled."""
    creates, ends = [], []
    for r in sorted(records, key=lambda r: (r.serial_prefix, r.first)):
        holder = parent.get(row_key(r), r)
        batch_id = batch_of[row_key(holder)]
        if holder is r:
            creates.append(Move(batch_id, r.first, r.last, None, None, account_id, BlockState.held))
        if r.status in TERMINAL:
            kind, state = TERMINAL[r.status]
            ends.append(Move(batch_id, r.first, r.last, account_id, BlockState.held,
                             SYSTEM_ACCOUNTS[kind], state, retirement_ids.get(row_key(r))))
    return creates + ends


# --- the command handler ----------------------------------------------------------------------

def import_registry_history(ctx: CommandContext, *, registry: str, records: Sequence[RegistryRecord],
                            parse_problems: Sequence[ImportProblem] = (),
                            allow_partial: bool = False) -> tuple[str, dict[str, Any]]:
    """Record another registry's history in one journal entry.

    Parameters
    ----------
    ctx : CommandContext
        The running command (from :func:`ledger.commands.run_command`).
    registry : str
        Registry key; every record must come from it.
    records : sequence of RegistryRecord
        Parsed records (all files of this registry's history).
    parse_problems : sequence of ImportProblem
        Problems the parser found; they count against the import like any other.
    allow_partial : bool
        Import the sound rows even if some rows are refused.

    Returns
    -------
    entry_kind, payload : str, dict
        ``"registry_import"`` and a payload with ``batches`` and ``moves`` for replay.

    Raises
    ------
    Conflict
        ``registry_import_has_problems`` (unless ``allow_partial``), ``nothing_to_import``.
    """
    _check_registry(registry, records)
    records, problems = _sound(records, [*parse_problems])
    fresh, taken = _not_yet_recorded(ctx, records)
    reconciled = reconcile(fresh)
    problems = sort_problems([*problems, *taken, *reconciled.problems])
    if problems and not allow_partial:
        raise Conflict("registry_import_has_problems", registry=registry, count=len(problems),
                       problems=[p.to_record() for p in problems])
    if not reconciled.accepted:
        raise Conflict("nothing_to_import", registry=registry)
    account_id, opened = _ensure_account(ctx, registry)
    return ENTRY_KIND, _record_import(ctx, registry, account_id, opened, reconciled, problems)


def _check_registry(registry: str, records: Sequence[RegistryRecord]) -> None:
    if not registry or not registry.replace("-", "").isalnum() or len(account_id_for(registry)) > 40:
        raise InvalidInput("value_invalid", field="registry", value=str(registry)[:40])
    seen: set[RowKey] = set()
    for r in records:
        if r.registry != registry:
            raise InvalidInput("value_invalid", field="registry", value=r.registry[:40])
        if row_key(r) in seen:  # two files of the same name, or one file given twice
            raise InvalidInput("value_invalid", field="source", value=f"{r.source} row {r.row_number}"[:40])
        seen.add(row_key(r))


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


def _not_yet_recorded(ctx: CommandContext,
                      records: list[RegistryRecord]) -> tuple[list[RegistryRecord], list[ImportProblem]]:
    """Split off records whose serials the ledger already holds under the same prefix."""
    existing = _existing_ranges(ctx, {r.serial_prefix for r in records})
    fresh, taken = [], []
    for r in records:
        hit = _overlapping(existing.get(r.serial_prefix, []), r.first, r.last)
        if hit is None:
            fresh.append(r)
        else:
            taken.append(_problem(r, "registry_serials_already_imported", first=r.first,
                                  last=r.last, batch_id=hit[2]))
    return fresh, taken


def _overlapping(ranges: list[tuple[int, int, str]], first: int, last: int) -> tuple[int, int, str] | None:
    """The range of ``ranges`` (sorted, disjoint) that meets ``first..last``, if any.

    Only the last range starting at or before ``last`` can meet it: every earlier one ends
    before that range starts.
    """
    i = bisect.bisect_right(ranges, last, key=lambda x: x[0]) - 1
    return ranges[i] if i >= 0 and ranges[i][1] >= first else None


def _existing_ranges(ctx: CommandContext, prefixes: set[str]) -> dict[str, list[tuple[int, int, str]]]:
    """Existing batches per prefix as sorted ``(first, last, batch_id)``."""
    out: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    ordered = sorted(prefixes)
    for i in range(0, len(ordered), PREFIX_QUERY_CHUNK):
        chunk = ordered[i:i + PREFIX_QUERY_CHUNK]
        for b in ctx.session.exec(select(BatchRow).where(BatchRow.serial_prefix.in_(chunk))):
            out[b.serial_prefix].append((b.first, b.last, b.id))
    return {k: sorted(v) for k, v in out.items()}


def _ensure_account(ctx: CommandContext, registry: str) -> tuple[str, bool]:
    """The imported-programme account, opened (owned by the registry party) if missing."""
    account_id = account_id_for(registry)
    account = ctx.session.get(AccountRow, account_id)
    if account is not None:
        if account.kind != AccountKind.imported.value:
            raise Conflict("value_invalid", field="account", value=account_id)
        return account_id, False
    if ctx.session.get(PartyRow, REGISTRY_PARTY_ID) is None:
        raise NotFound("database_not_initialised")
    ctx.session.add(AccountRow(id=account_id, party_id=REGISTRY_PARTY_ID, kind=AccountKind.imported.value,
                               label=f"Imported programme: {registry}"))
    ctx.session.flush()
    return account_id, True


def _record_import(ctx: CommandContext, registry: str, account_id: str, opened: bool,
                   reconciled: Reconciled, problems: list[ImportProblem]) -> dict[str, Any]:
    """Write batches, blocks and retirements; return the journal payload."""
    records = sorted(reconciled.accepted, key=lambda r: (r.serial_prefix, r.first, r.source, r.row_number))
    creators = [r for r in records if row_key(r) not in reconciled.parent]
    batches, batch_of = plan_batches(registry, creators)
    retirement_ids = {row_key(r): retirement_id_for(ctx.seq, n) for n, r in enumerate(
        (r for r in records if r.status is CreditStatus.retired), start=1)}
    moves = plan_moves(records, reconciled.parent, batch_of, account_id=account_id,
                       retirement_ids=retirement_ids)
    _write_batches(ctx, registry, batches)
    apply_moves(ctx.session, moves)
    _write_retirements(ctx, account_id, records, retirement_ids)
    entries = [{**r.to_record(), "batch_id": batch_of[row_key(reconciled.parent.get(row_key(r), r))],
                "retirement_id": retirement_ids.get(row_key(r))} for r in records]
    result = _result(registry, account_id, records, creators, batches, problems)
    return {"registry": registry, "account_id": account_id,
            "accounts": [{"id": account_id, "kind": AccountKind.imported.value}] if opened else [],
            "batches": [b.to_record() for b in batches], "records": entries,
            "refused": [p.to_record() for p in problems],
            "moves": [m.to_record() for m in moves], "result": result}


def _write_batches(ctx: CommandContext, registry: str, batches: list[PlannedBatch]) -> None:
    for b in batches:
        ctx.session.add(BatchRow(
            id=b.batch_id, serial_prefix=b.serial_prefix, region_code=REGION_CODE,
            county_code=REGION_CODE, sink_type=SINK_TYPE, project_code=b.project_code,
            vintage_year=b.vintage_year, first=b.first, last=b.last, buffer_quantity=0,
            issuance_seq=ctx.seq, estimate_id="", methodology_id=METHODOLOGY_ID,
            methodology_version=registry[:20], period_start=b.period_start, period_end=b.period_end))
    ctx.session.flush()


def _write_retirements(ctx: CommandContext, account_id: str, records: list[RegistryRecord],
                       retirement_ids: dict[RowKey, str]) -> None:
    for r in records:
        rid = retirement_ids.get(row_key(r))
        if rid is not None:
            ctx.session.add(RetirementRow(id=rid, seq=ctx.seq, account_id=account_id, quantity=r.quantity,
                                          beneficiary=r.beneficiary, purpose=r.purpose,
                                          retirement_kind=RETIREMENT_KIND, recorded_at=ctx.recorded_at))
    ctx.session.flush()


def _result(registry: str, account_id: str, records: list[RegistryRecord], creators: list[RegistryRecord],
            batches: list[PlannedBatch], problems: list[ImportProblem]) -> dict[str, Any]:
    by_status = {s: sum(r.quantity for r in records if r.status is s) for s in CreditStatus}
    created_t = sum(r.quantity for r in creators)
    refused_rows = {row_key(p) for p in problems}
    return {"registry": registry, "account_id": account_id, "rows_imported": len(records),
            "rows_refused": len(refused_rows), "partial": bool(problems), "batches": len(batches),
            "created_t": created_t, "retired_t": by_status[CreditStatus.retired],
            "cancelled_t": by_status[CreditStatus.cancelled],
            "held_t": created_t - by_status[CreditStatus.retired] - by_status[CreditStatus.cancelled],
            "problems": [p.to_record() for p in problems]}
