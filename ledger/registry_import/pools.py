"""Pools: booking the history of a registry whose issuance rows carry no serials.

ACR, CAR, ART TREES, Isometric and the ARB sheet publish issuances as amounts per project and
vintage (or per issuance), and retirements and cancellations with serials of their own that no
issuance row shares. Their mapping names a pool key (``[pools] key``); each pool's credits are
numbered here, under the prefix ``<LETTERS>:<pool>`` (``ACR:ACR731/2026``; a buffer part under
``...:BUFFER``), in the order the issuances happened, continuing after any number an earlier
import gave under that prefix. Then each retirement or cancellation (in date order) takes the
lowest numbers the pool still holds.

Three outcomes, each reported:

- the pool covers the event: its numbers are taken;
- the pool runs short (more retired than issued): what it holds is taken and the rest is a
  **discrepancy**, recorded with the row and flagged (``registry_retired_exceeds_issued``); the
  books never go negative and no credit is made up to cover it;
- the pool has no issuance at all, in these files or the ledger (a partial history): nothing is
  booked, the event is held aside and the pool reported as **incomplete**
  (``registry_history_incomplete``), not as a discrepancy.

What an event could not take is held aside **pending** (``registry_pending``, written by the
import): a later import that brings the pool's issuance takes it up (``pending`` events are
planned again beside that import's own), so that importing a registry's files one at a time, in
any order, books what importing them together books.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Iterable

from ledger.registry_import.model import CreditStatus, ImportProblem, RegistryRecord

BUFFER_SUFFIX = ":BUFFER"
Range = tuple[int, int]


def pool_prefix(letters: str, registry: str, record: RegistryRecord) -> str:
    """``<LETTERS>:<pool>``, and ``:BUFFER`` after it for the buffer's credits."""
    head = letters or registry.upper()
    return f"{head}:{record.pool}" + (BUFFER_SUFFIX if record.account_part == "buffer" else "")


@dataclass
class Take:
    """What a pooled event takes: ranges of its pool's numbers (``(account part, prefix, first,
    last)``), and the part it could not cover."""

    record: RegistryRecord
    ranges: list[tuple[str, str, int, int]] = field(default_factory=list)
    excess_t: int = 0  # what the pool could not cover: held aside (pending)
    incomplete: bool = False  # the pool has no issuance at all: a partial history, not a discrepancy

    @property
    def booked_t(self) -> int:
        return sum(last - first + 1 for _, _, first, last in self.ranges)


@dataclass
class PoolPlan:
    """The pooled records booked: creators (numbered), takes, and what to report."""

    creators: list[RegistryRecord] = field(default_factory=list)
    takes: list[Take] = field(default_factory=list)
    orphans: list[RegistryRecord] = field(default_factory=list)  # events of pools with no issuance (nothing booked)
    under_a_tonne: list[RegistryRecord] = field(default_factory=list)  # issuances of less than 1 t (kg)
    notices: list[ImportProblem] = field(default_factory=list)


@dataclass
class PoolState:
    """What the ledger already holds under pool prefixes: the next free number and held ranges."""

    next_number: dict[str, int] = field(default_factory=dict)
    held: dict[str, list[Range]] = field(default_factory=dict)


def _issue_order(r: RegistryRecord) -> tuple:
    return (r.issued_on or date.max, r.source, r.row_number, r.part)


def _event_order(r: RegistryRecord) -> tuple:
    return (r.status_on or date.max, r.source, r.row_number, r.part)


def plan_pools(records: Iterable[RegistryRecord], *, letters: str, registry: str, state: PoolState,
               other_part: bool = False) -> PoolPlan:
    """Number the pooled issuances and book the pooled events (see the module docstring).

    ``other_part``: an event the pool's own part cannot cover takes the rest from its other
    part (the mapping's ``[pools] events_may_take_other_part``; ACR cancels the buffer's serial
    batch of an issuance beside the project's when converting credits to ARB or Ecology ones).
    """
    plan = PoolPlan()
    by_pool: dict[str, list[RegistryRecord]] = defaultdict(list)
    for r in records:
        by_pool[r.pool].append(r)
    for pool in sorted(by_pool):
        _plan_one(by_pool[pool], letters, registry, state, plan, other_part)
    return plan


def _plan_one(records: list[RegistryRecord], letters: str, registry: str, state: PoolState, plan: PoolPlan,
              other_part: bool) -> None:
    """One pool: its project part and its buffer part, each numbered under its own prefix."""
    held: dict[str, list[Range]] = {}
    prefixes: dict[str, str] = {}
    known = False
    for part in ("project", "buffer"):
        prefix = pool_prefix(letters, registry, replace(records[0], account_part=part))
        prefixes[part] = prefix
        known = known or prefix in state.next_number
        held[part] = _number(prefix, [r for r in records if r.status is CreditStatus.issued
                                      and r.account_part == part], state, plan)
    events = sorted((r for r in records if r.status is not CreditStatus.issued), key=_event_order)
    if not known and not any(r.status is CreditStatus.issued for r in records):  # a partial history
        _orphans(prefixes, events, plan)
        return
    for r in events:
        _take(r, prefixes, held, plan, other_part)


def _number(prefix: str, issued: list[RegistryRecord], state: PoolState, plan: PoolPlan) -> list[Range]:
    """Number a part's issuances after what the ledger has under ``prefix``; the held ranges."""
    number = state.next_number.get(prefix, 1)
    held = list(state.held.get(prefix, []))
    for r in sorted(issued, key=_issue_order):
        if r.quantity == 0:  # under a tonne (a kg registry): nothing to number, the report counts it
            plan.under_a_tonne.append(r)
            continue
        created = replace(r, serial_prefix=prefix, first=number, last=number + r.quantity - 1)
        plan.creators.append(created)
        held.append((created.first, created.last))
        number = created.last + 1
    return sorted(held)


def _take(r: RegistryRecord, prefixes: dict[str, str], held: dict[str, list[Range]], plan: PoolPlan,
          other_part: bool) -> None:
    """The event takes from its own part, then (if allowed) from the pool's other part, with a
    notice when it does."""
    take = Take(r)
    need = r.quantity
    own, other = r.account_part, "buffer" if r.account_part == "project" else "project"
    for part in (own, other) if other_part else (own,):
        held[part], taken = _take_lowest(held[part], need)
        take.ranges += [(part, prefixes[part], first, last) for first, last in taken]
        got = sum(last - first + 1 for first, last in taken)
        if part == other and got:
            plan.notices.append(_notice(r, "registry_taken_from_other_part", pool=prefixes[own], part=other,
                                        quantity_t=got))
        need -= got
    take.excess_t = need
    plan.takes.append(take)
    if take.excess_t:
        plan.notices.append(_notice(r, "registry_retired_exceeds_issued", severity="anomaly", pool=prefixes[own],
                                    quantity_t=r.quantity, booked_t=take.booked_t, excess_t=take.excess_t))


def _orphans(prefixes: dict[str, str], events: list[RegistryRecord], plan: PoolPlan) -> None:
    """Events of a pool with no issuance anywhere: nothing booked, each held aside whole."""
    for r in events:
        plan.takes.append(Take(r, excess_t=r.quantity, incomplete=True))
        plan.orphans.append(r)
    if events:
        first = events[0]
        plan.notices.append(_notice(first, "registry_history_incomplete", pool=prefixes[first.account_part],
                                    rows=len(events), quantity_t=sum(r.quantity for r in events)))


def _take_lowest(held: list[Range], quantity: int) -> tuple[list[Range], list[Range]]:
    """Take ``quantity`` numbers from the lowest held ranges: ``(still held, taken)``."""
    taken: list[Range] = []
    rest: list[Range] = []
    need = quantity
    for first, last in held:
        if need <= 0:
            rest.append((first, last))
            continue
        size = last - first + 1
        if size <= need:
            taken.append((first, last))
            need -= size
        else:
            taken.append((first, first + need - 1))
            rest.append((first + need, last))
            need = 0
    return rest, taken


def _notice(r: RegistryRecord, code: str, *, severity: str = "notice", **params: object) -> ImportProblem:
    return ImportProblem(r.registry, r.source, r.row_number, code, dict(params), r.line_number, severity=severity)
