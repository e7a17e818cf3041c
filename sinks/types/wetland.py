"""Wetland (湿地): lake, marsh, river and constructed wetlands.

Attributes: the wetland class, the vegetation cover in percent and the water regime
(permanent, seasonal, managed), which drive the wetland methodologies' emission factors.
"""

from decimal import Decimal

from sinks import SinkSpec
from sinks.attributes import CHOICE, DECIMAL, AttributeField

SPEC = SinkSpec(
    sink_type="wetland", code="WL", name_zh="湿地", name_en="Wetland",
    colour_rgb=(30, 144, 255), default_methodology="sinkledger.wetland-lake-marsh",
    aliases=("湿地地块", "wetlands"), display_order=20,
    attributes=(
        AttributeField(name="wetland_class", kind=CHOICE, label_zh="湿地类型",
                       aliases=("湿地类型", "湿地类别", "SDLX"),
                       choices={"lake": ("湖泊湿地", "湖泊"), "marsh": ("沼泽湿地", "沼泽"),
                                "river": ("河流湿地", "河流"), "constructed": ("人工湿地", "人工")}),
        AttributeField(name="vegetation_cover_pct", kind=DECIMAL, label_zh="植被覆盖度（%）",
                       aliases=("植被覆盖度", "覆盖度"), minimum=Decimal(0), maximum=Decimal(100)),
        AttributeField(name="water_regime", kind=CHOICE, label_zh="水文情势",
                       aliases=("水文情势", "水情", "淹水状况"),
                       choices={"permanent": ("常年积水", "永久性"), "seasonal": ("季节性积水", "季节性"),
                                "managed": ("人工调控", "调控")}),
    ),
)
