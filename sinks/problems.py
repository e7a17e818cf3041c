"""Problems found in parcel input, as values (beancount style).

A :class:`Problem` names where it was found (``row``: 1-based feature number in the file, or
``None`` for the whole file; ``field``: the target field, if one), a stable snake_case code that
reads as a sentence, and the parameters its message needs. Problems are values: their Chinese
and English messages are rendered at the edges from the one catalogue
(:func:`sinkledger.catalogue.localise`).

Problems refuse an import; notices (the same type) only inform: a dropped Z coordinate, the
encoding that was detected, a declared area that differs from the measured one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted, SinkLedgerError


@dataclass(frozen=True)
class Problem:
    """One problem (or notice) with a parcel row or a whole file.

    Examples
    --------
    >>> p = Problem("area_too_small", field="geometry", area_m2=12.5, min_area_m2=100.0).at(3)
    >>> p.row, p.code, p.to_record()["details"]["area_m2"]
    (3, 'area_too_small', 12.5)
    """

    code: str
    row: int | None = None
    field: str | None = None
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def __init__(self, code: str, *, row: int | None = None, field: str | None = None, **params: Any) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "row", row)
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "params", dict(params))

    def at(self, row: int | None) -> Problem:
        """The same problem, located at ``row``."""
        return Problem(self.code, row=row, field=self.field, **self.params)

    def to_record(self) -> dict[str, Any]:
        """JSON-ready: row, field, code and the parameters as details (messages: at the edges)."""
        out: dict[str, Any] = {"row": self.row, "field": self.field, "code": self.code}
        if self.params:
            out["details"] = dict(self.params)
        return out


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """File-level problems first, then by row; the check order is kept within a row."""
    return sorted(problems, key=lambda p: -1 if p.row is None else p.row)


def records(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [p.to_record() for p in sort_problems(problems)]


CONFLICT_CODES = {"parcel_overlaps_existing", "parcel_code_taken", "parcels_overlap_in_file"}
NOT_FOUND_CODES = {"party_not_found", "parcel_not_found"}


def refusal(problems: list[Problem]) -> SinkLedgerError:
    """A refusal with the first problem's code and parameters, listing every problem."""
    first = problems[0]
    cls = Conflict if first.code in CONFLICT_CODES else NotFound if first.code in NOT_FOUND_CODES else \
        NotPermitted if first.code == "not_permitted" else InvalidInput
    params = {k: v for k, v in first.params.items()}
    if first.field and "field" not in params:
        params["field"] = first.field
    return cls(first.code, **params, problems=records(problems))
