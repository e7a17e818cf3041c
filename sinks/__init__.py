"""Sink types (碳汇类型) and their registry.

Each sink type is one module in :mod:`sinks.types` that defines ``SPEC``, a :class:`SinkSpec`:
its code, names, colour, default methodology, the names files use for it, and its validated
attributes (:mod:`sinks.attributes`). The registry :data:`SINK_TYPES` is filled by discovering
those modules, so adding a sink type means adding one module (plus its two-letter serial code
in :class:`ledger.domain.SinkCode`, which the ledger owns).
"""

from __future__ import annotations

import enum
import importlib
import pkgutil
from dataclasses import dataclass

from sinks import types
from sinks.attributes import AttributeField


class SinkType(str, enum.Enum):
    """The built-in sink types; the registry may hold more (keyed by plain strings)."""

    bamboo_forest = "bamboo_forest"  # 竹林 (Moso bamboo 毛竹林)
    wetland = "wetland"  # 湿地
    tea_garden = "tea_garden"  # 茶园


@dataclass(frozen=True, kw_only=True)
class SinkSpec:
    """What the registry knows about one sink type.

    Attributes
    ----------
    sink_type : str
        Stable key, e.g. ``"bamboo_forest"``.
    code : str
        Two letters used in parcel codes and serial numbers.
    name_zh, name_en : str
        Display names.
    colour_rgb : tuple of int
        Map colour.
    default_methodology : str or None
        Methodology id used when none is named.
    aliases : tuple of str
        Other spellings accepted in a file's sink-type column (e.g. 毛竹林, 毛竹).
    attributes : tuple of AttributeField
        Validated attributes of parcels of this type.
    display_order : int
        Position in lists and legends.
    """

    sink_type: str
    code: str
    name_zh: str
    name_en: str
    colour_rgb: tuple[int, int, int]
    default_methodology: str | None
    aliases: tuple[str, ...] = ()
    attributes: tuple[AttributeField, ...] = ()
    display_order: int = 100

    def accepts(self, text: str) -> bool:
        """Whether ``text`` names this sink type (key, code, names or an alias)."""
        value = text.strip()
        return value.lower() in {self.sink_type, self.code.lower(), self.name_en.lower()} or \
            value in {self.name_zh, *self.aliases}


def _discover() -> dict[str, SinkSpec]:
    specs = []
    for module in pkgutil.iter_modules(types.__path__):
        spec = getattr(importlib.import_module(f"sinks.types.{module.name}"), "SPEC", None)
        if isinstance(spec, SinkSpec):
            specs.append(spec)
    return {_key(s.sink_type): s for s in sorted(specs, key=lambda s: (s.display_order, s.sink_type))}


def _key(sink_type: str) -> str:
    """Built-in types are keyed by their :class:`SinkType` member (a ``str``), others by text."""
    return SinkType(sink_type) if sink_type in SinkType._value2member_map_ else sink_type


SINK_TYPES: dict[str, SinkSpec] = _discover()


def sink_spec(value: str | SinkType) -> SinkSpec:
    """The spec of a registered sink type; ``KeyError`` if there is none."""
    return SINK_TYPES[SinkType(value).value if isinstance(value, SinkType) else str(value)]


def find_sink_type(text: str) -> SinkSpec | None:
    """The sink type a file's cell names (``bamboo_forest``, ``竹林``, ``毛竹林``, ``BF``...), if any.

    Examples
    --------
    >>> find_sink_type("毛竹林").sink_type, find_sink_type("Wetland").sink_type, find_sink_type("x")
    ('bamboo_forest', 'wetland', None)
    """
    return next((s for s in SINK_TYPES.values() if s.accepts(str(text))), None)
