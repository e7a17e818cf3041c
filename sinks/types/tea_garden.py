"""Tea garden (茶园), e.g. the low-carbon tea gardens (生态低碳茶园) of Anji white tea.

Attributes: the variety (free text: 白叶一号, 黄金芽, 龙井43 ...), the planting year and the
mineral nitrogen applied, which sets the N2O emissions a tea methodology deducts.
"""

from decimal import Decimal

from sinks import SinkSpec
from sinks.attributes import DECIMAL, INTEGER, TEXT, AttributeField

SPEC = SinkSpec(
    sink_type="tea_garden", code="TG", name_zh="茶园", name_en="Tea garden",
    colour_rgb=(230, 145, 30), default_methodology="sinkledger.tea-garden",
    aliases=("茶园地", "茶叶", "tea"), display_order=30,
    attributes=(
        AttributeField(name="tea_variety", kind=TEXT, label_zh="茶树品种", aliases=("茶树品种", "品种"), max_chars=40),
        AttributeField(name="planting_year", kind=INTEGER, label_zh="种植年份",
                       aliases=("种植年份", "栽植年份", "种植年度"), minimum=Decimal(1900), maximum=Decimal(2100)),
        AttributeField(name="fertiliser_n_kg_per_ha_yr", kind=DECIMAL, label_zh="施氮量（千克/公顷/年）",
                       aliases=("施氮量", "年施氮量"), minimum=Decimal(0), maximum=Decimal(2000)),
    ),
)
