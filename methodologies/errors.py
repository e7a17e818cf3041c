"""Errors raised by methodology code.

One root, :class:`MethodologyError`, carries a stable ``code`` and a Chinese and an English
message. Concrete errors also inherit the matching builtin (rasterio style), so
``except ValueError`` keeps working for callers that do not know this package.

Input validation does not stop at the first defect: it collects every :class:`Problem` and
raises one :class:`InvalidInput` that lists them all (beancount style), so a user filling in a
monitoring form sees every mistake at once.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from methodologies.messages import ERROR_MESSAGES, format_message


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One defect in an input document.

    Attributes
    ----------
    field : str
        Dotted path of the offending value, e.g. ``events[1].culms_per_ha_by_age_class.VII``.
    code : str
        Stable snake_case code that reads as a sentence, e.g. ``age_class_unknown``.
    message_zh, message_en : str
        Human messages in Chinese and English.
    """

    field: str
    code: str
    message_zh: str
    message_en: str

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict of the four attributes."""
        return {"field": self.field, "code": self.code,
                "message_zh": self.message_zh, "message_en": self.message_en}


def make_problem(field: str, code: str, **details: object) -> Problem:
    """Build a :class:`Problem` with messages from the catalogue.

    Parameters
    ----------
    field : str
        Dotted path of the offending value; also passed to the templates as ``{field}``.
    code : str
        A code from :data:`methodologies.messages.ERROR_MESSAGES`.
    **details : object
        Other template fields (``value``, ``allowed``, ...).

    Returns
    -------
    Problem
    """
    message_zh, message_en = format_message(ERROR_MESSAGES, code, field=field, **details)
    return Problem(field=field, code=code, message_zh=message_zh, message_en=message_en)


class MethodologyError(Exception):
    """Root of every error raised by :mod:`methodologies`.

    Parameters
    ----------
    code : str
        Stable snake_case code.
    message_zh, message_en : str
        Messages in Chinese and English.
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(code, message_zh, message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"


class InvalidInput(MethodologyError, ValueError):
    """Inputs (or parameters) that a methodology refuses, with every problem found.

    Parameters
    ----------
    problems : Sequence[Problem]
        At least one problem. They keep the order in which they were found, which follows
        the order of fields in the input schema.

    Attributes
    ----------
    problems : tuple[Problem, ...]
    codes : tuple[str, ...]
        The problem codes, for quick matching in callers and tests.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("InvalidInput needs at least one problem")
        message_zh, message_en = format_message(
            ERROR_MESSAGES, "inputs_are_invalid", count=len(problems))
        details_en = "; ".join(f"{p.field}: {p.code}" for p in problems)
        super().__init__("inputs_are_invalid", message_zh, f"{message_en} [{details_en}]")
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.codes: tuple[str, ...] = tuple(p.code for p in problems)

    @classmethod
    def single(cls, field: str, code: str, **details: object) -> "InvalidInput":
        """Return an :class:`InvalidInput` carrying one problem built by :func:`make_problem`."""
        return cls([make_problem(field, code, **details)])


class MethodologyNotFound(MethodologyError, LookupError):
    """No registered methodology matches the requested id (and version)."""

    @classmethod
    def build(cls, code: str, **details: object) -> "MethodologyNotFound":
        """Return an error for ``methodology_unknown`` or ``methodology_version_unknown``."""
        message_zh, message_en = format_message(ERROR_MESSAGES, code, **details)
        return cls(code, message_zh, message_en)


class UnitMismatch(MethodologyError, TypeError):
    """Two quantities in different units were added, subtracted or compared (a bug)."""

    @classmethod
    def build(cls, unit: str, other_unit: str) -> "UnitMismatch":
        """Return the ``units_must_match`` error for ``unit`` against ``other_unit``."""
        message_zh, message_en = format_message(ERROR_MESSAGES, "units_must_match",
                                                value=unit, actual=other_unit)
        return cls("units_must_match", message_zh, message_en)
