"""Serial number formats of other registries, kept as data in each registry's mapping file.

A format is a regular expression with named groups, as its ``[serial_formats.<name>]`` table in
``mappings/<registry>.toml`` states it:

- ``first`` and ``last``: the block's running numbers (both optional: a Cercarbono serial names a
  whole issuance, and its numbers come from other columns or from the quantity);
- a ``prefix`` template over the groups: the serial with the running numbers taken out, under
  which the numbers count (Verra's leading transaction block id is not part of it; a CDM CER
  block's prefix is ``party-unit-tail``);
- a ``render`` template that writes a serial from its groups (used by the property tests:
  parsing what was rendered gives back the same prefix and numbers);
- ``checks``: fields the serial repeats, each a template over the groups (``"ACR{project}"``),
  optionally read as a date (``"dmy:{vintage_start}"``); the row's own column must agree.

Examples
--------
>>> fmt = SerialFormat.from_table("range", {"pattern": r"^(?P<prefix>X-\\d+)-(?P<first>\\d+) to (?P<last>\\d+)$",
...                                         "prefix": "{prefix}", "render": "{prefix}-{first} to {last}"})
>>> fmt.parse("X-7-1 to 85847")
ParsedSerial(prefix='X-7', first=1, last=85847, groups={'prefix': 'X-7', 'first': '1', 'last': '85847'})
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ledger.registry_import.values import parse_dmy_compact


class MappingInvalid(ValueError):
    """A mapping file that cannot be used (a programmer's or maintainer's mistake, not user input)."""


@dataclass(frozen=True)
class ParsedSerial:
    """A serial cell read by its format: prefix and running numbers (``None`` if not in it)."""

    prefix: str
    first: int | None
    last: int | None
    groups: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SerialFormat:
    """One serial layout (see the module docstring)."""

    name: str
    pattern: re.Pattern[str]
    prefix: str
    render: str
    checks: Mapping[str, str]
    examples: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, name: str, table: Mapping[str, Any]) -> "SerialFormat":
        """Build a format from its mapping table; raise :class:`MappingInvalid` if it is unusable."""
        try:
            pattern = re.compile(table["pattern"], re.ASCII)
        except (KeyError, re.error) as exc:
            raise MappingInvalid(f"serial format {name}: pattern: {exc}") from exc
        groups = set(pattern.groupindex)
        for key in ("prefix", "render"):
            if key not in table:
                raise MappingInvalid(f"serial format {name}: '{key}' is required")
            unknown = set(re.findall(r"{(\w+)}", table[key])) - groups
            if unknown:
                raise MappingInvalid(f"serial format {name}: {key} names unknown groups {sorted(unknown)}")
        if ("first" in groups) != ("last" in groups):
            raise MappingInvalid(f"serial format {name}: groups 'first' and 'last' come together")
        checks = dict(table.get("checks", {}))
        fmt = cls(name, pattern, table["prefix"], table["render"], checks, tuple(table.get("examples", ())))
        for example in fmt.examples:
            if fmt.parse(example) is None:
                raise MappingInvalid(f"serial format {name}: its example {example!r} does not parse")
        return fmt

    def parse(self, serial: str) -> ParsedSerial | None:
        """The serial's prefix and numbers, or ``None`` when it is not in this format."""
        match = self.pattern.match(serial)
        if match is None:
            return None
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        first = int(groups["first"]) if "first" in groups else None
        last = int(groups["last"]) if "last" in groups else None
        return ParsedSerial(self.prefix.format(**groups), first, last, groups)

    def check_values(self, parsed: ParsedSerial) -> dict[str, Any]:
        """What the serial says each checked field is (dates read from ``dmy:`` templates)."""
        out: dict[str, Any] = {}
        for field_name, template in self.checks.items():
            kind, _, body = template.rpartition(":") if template.startswith("dmy:") else ("", "", template)
            text = body.format(**parsed.groups)
            out[field_name] = parse_dmy_compact(text) if kind == "dmy" else text
        return out


def parse_serial(formats: tuple[SerialFormat, ...], serial: str) -> tuple[SerialFormat, ParsedSerial] | None:
    """The first of ``formats`` that reads ``serial``, with what it read."""
    for fmt in formats:
        parsed = fmt.parse(serial)
        if parsed is not None:
            return fmt, parsed
    return None
