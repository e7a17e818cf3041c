"""Checking a parameter set before an estimate uses it: presence and physical range.

Ranges are typo guards for overrides (a carbon fraction of 47 instead of 0.47), not
scientific limits. A range is looked up by the full key, then by the key's prefix before the
first dot (``gwp100`` for ``gwp100.AR5.ch4``).
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from methodologies.base import ParameterSet
from methodologies.errors import Problem, make_problem


def parameter_problems(parameters: ParameterSet, keys: Iterable[str],
                       ranges: Mapping[str, tuple[Decimal, Decimal]]) -> list[Problem]:
    """Return one problem per required key that is missing or outside its range."""
    problems = []
    for key in keys:
        if key not in parameters:
            problems.append(make_problem(f"parameters.{key}", "parameter_is_missing", value=key))
            continue
        low, high = ranges.get(key, ranges.get(key.split(".")[0], (None, None)))
        value = parameters[key].value
        if low is not None and high is not None and not low <= value <= high:
            problems.append(make_problem(f"parameters.{key}", "parameter_is_out_of_range",
                                         value=key, actual=value, low=low, high=high))
    return problems
