"""Planning an import, purely: which rows create blocks, which end them, in which batches.

Rows placed by their own serials (Verra, Gold Standard, Cercarbono) are reconciled against each
other within each original prefix (:func:`reconcile`):

* an issued row creates its block; a retired, cancelled or ended row that lies wholly inside an
  issued row is a later event on those serials (Gold Standard's retirements inside its
  issuances); any other retired, cancelled or ended row creates its block and ends it;
* any other overlap (two issued rows, two ended rows, an ended row straddling an issued one)
  refuses both rows (``registry_serials_overlap``): which one is right cannot be known;
* an ended row whose issued row is refused is refused too (``registry_parent_row_refused``).

Pooled rows are numbered and taken by :mod:`.pools`. Then per prefix, each maximal contiguous
run of created serials with the same vintage, project and period becomes one batch
``IMPORT:<REGISTRY>:<prefix>/<first>`` (:func:`plan_batches`), and :func:`plan_moves` lists the
creations, then the moves to ``SYS-RETIRED`` (retired) or ``SYS-CANCELLED`` (cancelled, and
ended: retired or cancelled, the registry does not say which).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ledger.domain import SYSTEM_ACCOUNTS, AccountKind, BlockState, Move
from ledger.registry_import.model import CreditStatus, ImportProblem, RegistryRecord
from ledger.registry_import.pools import Take

TERMINAL = {CreditStatus.retired: (AccountKind.retirement, BlockState.retired),
            CreditStatus.cancelled: (AccountKind.cancellation, BlockState.cancelled),
            CreditStatus.ended: (AccountKind.cancellation, BlockState.cancelled)}

RowKey = tuple[str, int, str]  # (source file, row number, part of the row)
BatchIndex = dict[str, list[tuple[int, int, str]]]  # prefix -> sorted (first, last, batch id)


def row_key(record: RegistryRecord) -> RowKey:
    """Where a record comes from: ``(source file, row number, part)``."""
    return record.source, record.row_number, record.part


def account_id_for(registry: str, account_part: str = "project") -> str:
    """``IMPORT-<REGISTRY>`` (``IMPORT-VERRA``), and ``IMPORT-<REGISTRY>-BUFFER`` for the buffer."""
    return f"IMPORT-{registry.upper()}" + ("-BUFFER" if account_part == "buffer" else "")


def batch_id_for(registry: str, prefix: str, first: int) -> str:
    """``IMPORT:<REGISTRY>:<original prefix>/<first serial of the batch>``."""
    return f"IMPORT:{registry.upper()}:{prefix}/{first}"


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


# --- rows with serials of their own ------------------------------------------------------------

def reconcile(records: Iterable[RegistryRecord]) -> Reconciled:
    """Check serial ranges against each other within each original prefix (module docstring)."""
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
            bad[key] = problem_for(by_key[key], "registry_parent_row_refused",
                                   other_source=outer.source, other_row=outer.row_number)
    ok = [r for r in records if row_key(r) not in bad]
    return ok, {k: v for k, v in parent.items() if k not in bad}, list(bad.values())


def _overlap(r: RegistryRecord, other: RegistryRecord) -> ImportProblem:
    return problem_for(r, "registry_serials_overlap", first=r.first, last=r.last,
                       other_source=other.source, other_row=other.row_number,
                       other_first=other.first, other_last=other.last, prefix=r.serial_prefix)


def problem_for(r: RegistryRecord, code: str, *, severity: str = "problem", **params: Any) -> ImportProblem:
    """A problem (or notice, or anomaly) about the row of ``r``."""
    return ImportProblem(r.registry, r.source, r.row_number, code, params, r.line_number, severity=severity)


# --- batches and moves -------------------------------------------------------------------------

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


def batch_index(planned: Sequence[PlannedBatch], existing: BatchIndex) -> BatchIndex:
    """Every batch by prefix, sorted: the ledger's and the planned ones."""
    out: BatchIndex = {k: list(v) for k, v in existing.items()}
    for b in planned:
        out.setdefault(b.serial_prefix, []).append((b.first, b.last, b.batch_id))
    return {k: sorted(v) for k, v in out.items()}


def split_by_batch(index: BatchIndex, prefix: str, first: int, last: int) -> list[tuple[str, int, int]]:
    """``first..last`` under ``prefix`` cut at batch boundaries: ``(batch id, first, last)``."""
    ranges = index.get(prefix, [])
    out = []
    number = first
    while number <= last:
        i = bisect.bisect_right(ranges, number, key=lambda x: x[0]) - 1
        if i < 0 or ranges[i][1] < number:
            raise AssertionError(f"no batch holds {prefix} {number}")  # planning made every batch
        b_first, b_last, batch_id = ranges[i]
        end = min(last, b_last)
        out.append((batch_id, number, end))
        number = end + 1
    return out


def plan_moves(registry: str, *, creators: Sequence[RegistryRecord], nested: Sequence[RegistryRecord],
               holders: dict[RowKey, str], takes: Sequence[Take], batch_of: dict[RowKey, str],
               index: BatchIndex, retirement_ids: dict[RowKey, str]) -> list[Move]:
    """Creations into the imported accounts first, then the moves to retired or cancelled.

    ``nested`` are events on credits an issuance holds (of this import or an earlier one),
    ``holders`` the account holding each; ``index`` every batch they may lie in."""
    creates, ends = [], []
    for r in sorted(creators, key=lambda r: (r.serial_prefix, r.first)):
        account = account_id_for(registry, r.account_part)
        creates.append(Move(batch_of[row_key(r)], r.first, r.last, None, None, account, BlockState.held))
        if r.status in TERMINAL:  # a row that creates its block and ends it
            ends.append(_end(batch_of[row_key(r)], r.first, r.last, account, r, retirement_ids))
    for r in sorted(nested, key=lambda r: (r.serial_prefix, r.first)):
        for batch_id, a, b in split_by_batch(index, r.serial_prefix, r.first, r.last):
            ends.append(_end(batch_id, a, b, holders[row_key(r)], r, retirement_ids))
    for take in takes:
        for part, prefix, first, last in take.ranges:
            for batch_id, a, b in split_by_batch(index, prefix, first, last):
                ends.append(_end(batch_id, a, b, account_id_for(registry, part), take.record, retirement_ids))
    return creates + ends


def _end(batch_id: str, first: int, last: int, account: str, r: RegistryRecord,
         retirement_ids: dict[RowKey, str]) -> Move:
    kind, state = TERMINAL[r.status]
    return Move(batch_id, first, last, account, BlockState.held, SYSTEM_ACCOUNTS[kind], state,
                retirement_ids.get(row_key(r)))
