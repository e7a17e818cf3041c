"""``verify``'s audit of the imported projects and pending tables: every ``registry_project`` row
is the one the ``registry_import`` entry that last brought the project implies (its ``projects``
list), with that entry's seq; every ``registry_pending`` row the one the entry that last held it
aside implies (its ``pending`` list; a row taken up whole is removed); a row changed, added or
left behind without the journal is named."""

from __future__ import annotations

from typing import Any, Iterable

from ledger.audit import Change, TableAudit, put
from ledger.registry_import.store import PENDING_COLUMNS, PROJECT_COLUMNS


def _projects(seq: int, at: str, payload: dict[str, Any]) -> Iterable[Change]:
    for p in payload.get("projects", ()):
        values = {**p, "source_registry": p["registry"], "seq": seq}
        yield put((p["registry"], p["project_id"]), seq, tuple(values.get(c) for c in PROJECT_COLUMNS))


def _pending(seq: int, at: str, payload: dict[str, Any]) -> Iterable[Change]:
    for p in payload.get("pending", ()):
        key = (p["source_registry"], p["source"], p["row_number"], p["part"])
        if p["pending_t"]:
            yield put(key, seq, tuple({**p, "seq": seq}.get(c) for c in PENDING_COLUMNS))
        else:
            yield ("delete", key, seq, None)


def audits() -> list[TableAudit]:
    """Fresh audits of the imported projects and pending tables, for one verify run."""
    return [TableAudit("registry_project", PROJECT_COLUMNS, 2, {"registry_import": _projects}),
            TableAudit("registry_pending", PENDING_COLUMNS, 4, {"registry_import": _pending})]
