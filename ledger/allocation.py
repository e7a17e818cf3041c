"""Splitting a whole number in proportion to integer weights: largest remainder, stable order.

The one rounding rule of the ledger (REGISTRIES.md lesson 11, as Formance's allocations): buffer
credits over vintages at issuance, tonnes and kilograms over parcels, proceeds over contracts,
collectives and households. Every share is first floored, then the units left over go one by one
to the largest fractional parts; ties go to the key that comes first in the order the caller
gives (callers pass keys sorted, e.g. by party id or parcel code). The parts always sum to the
total exactly, none is negative, the same input always gives the same output, and a positive
total over weights that are all zero is an error, never a split that does not add up.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
BASIS_POINTS = 10_000


def allocate_largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split ``total`` units in proportion to ``weights``; the parts sum to ``total`` exactly.

    Parameters
    ----------
    total : int
        Whole units to split (fen, tonnes, kg), ≥ 0.
    weights : Mapping
        Whole, non-negative weights in the order that breaks ties (earlier wins).

    Returns
    -------
    dict
        The part of each key, in the order of ``weights``.

    Raises
    ------
    ValueError
        A negative total or weight, a non-integer, or a positive total with all weights zero.

    Examples
    --------
    >>> allocate_largest_remainder(100, {"a": 1, "b": 1, "c": 1})
    {'a': 34, 'b': 33, 'c': 33}
    >>> allocate_largest_remainder(14_682_000, {"COL-A": 3, "COL-B": 7})
    {'COL-A': 4404600, 'COL-B': 10277400}
    """
    _check_whole(total, "total")
    for key, weight in weights.items():
        _check_whole(weight, f"weight of {key!r}")
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a positive total over weights that are all zero")
        return {k: 0 for k in weights}
    shares = {k: total * w // weight_sum for k, w in weights.items()}
    position = {k: i for i, k in enumerate(weights)}
    order = sorted(weights, key=lambda k: (-(total * weights[k] % weight_sum), position[k]))
    for k in order[: total - sum(shares.values())]:
        shares[k] += 1
    return shares


def split_share_bp(total: int, share_bp: int) -> tuple[int, int]:
    """Split ``total`` into (share, rest) for a share in basis points, by the same rule.

    A tie (exactly half a unit) goes to the share, which callers use for the villages.

    >>> split_share_bp(1_174_560, 8_000)
    (939648, 234912)
    >>> split_share_bp(5, 5_000)
    (3, 2)
    """
    if not 0 <= share_bp <= BASIS_POINTS:
        raise ValueError("share_bp must be between 0 and 10,000")
    parts = allocate_largest_remainder(total, {"share": share_bp, "rest": BASIS_POINTS - share_bp})
    return parts["share"], parts["rest"]


def _check_whole(value: object, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{what} must be a whole number ≥ 0, not {value!r}")
