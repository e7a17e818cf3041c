"""The report of a ``sinkledger verify`` run (:mod:`ledger.verify`): what was checked and every
problem found, each naming the entry, the table and the key where it can. A module of its own so
that the table audits' second process (:mod:`ledger.audit`) fills one without importing the
replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.domain import GENESIS_HASH

MODE_FULL, MODE_INCREMENTAL = "full", "incremental"


@dataclass
class VerifyReport:
    ok: bool = True
    entries: int = 0
    head_hash: str = GENESIS_HASH
    merkle_root: str = ""
    first_bad_seq: int | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    credits_issued: int = 0
    checkpoints: int = 0
    mode: str = MODE_FULL
    from_seq: int = 0  # entries before this one were taken from the verified checkpoint
    # what a passing run leaves for record_verified (frontier, digests); not part of to_dict
    state: dict[str, Any] | None = field(default=None, repr=False)
    against: dict[str, Any] | None = None  # ``verify --against``: the published root's check

    def fail(self, seq: int | None, problem: str, *, table: str | None = None, key: Any = None) -> None:
        self.ok = False
        if self.first_bad_seq is None and seq is not None:
            self.first_bad_seq = seq
        item: dict[str, Any] = {"seq": seq, "problem": problem}
        if table is not None:
            item["table"] = table
        if key is not None:
            item["key"] = key
        self.problems.append(item)

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out.pop("state", None)
        if out.get("against") is None:
            out.pop("against", None)
        return out
