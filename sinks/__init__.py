"""Sink types (碳汇类型) and their registry.

A sink type is one entry in :data:`SINK_TYPES`; adding one means adding a module that defines
a :class:`SinkSpec` and listing it here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SinkType(str, enum.Enum):
    bamboo_forest = "bamboo_forest"  # 竹林 (Moso bamboo 毛竹林)
    wetland = "wetland"  # 湿地
    tea_garden = "tea_garden"  # 茶园


@dataclass(frozen=True, kw_only=True)
class SinkSpec:
    sink_type: SinkType
    code: str  # two letters used in parcel codes and serial numbers
    name_zh: str
    name_en: str
    colour_rgb: tuple[int, int, int]
    default_methodology: str | None


SINK_TYPES: dict[SinkType, SinkSpec] = {
    SinkType.bamboo_forest: SinkSpec(
        sink_type=SinkType.bamboo_forest, code="BF", name_zh="竹林", name_en="Bamboo forest",
        colour_rgb=(34, 139, 34), default_methodology="sinkledger.bamboo-moso-management",
    ),
    SinkType.wetland: SinkSpec(
        sink_type=SinkType.wetland, code="WL", name_zh="湿地", name_en="Wetland",
        colour_rgb=(30, 144, 255), default_methodology=None,
    ),
    SinkType.tea_garden: SinkSpec(
        sink_type=SinkType.tea_garden, code="TG", name_zh="茶园", name_en="Tea garden",
        colour_rgb=(230, 145, 30), default_methodology=None,
    ),
}


def sink_spec(value: str | SinkType) -> SinkSpec:
    return SINK_TYPES[SinkType(value)]
