"""Bamboo forest (竹林), chiefly Moso bamboo (毛竹林, *Phyllostachys edulis*).

Attributes follow the stand description of the bamboo methodology (METHODOLOGIES.md §2):
culm density, age-class structure in du (度: I = 1-2 years, II = 3-4, III = 5-6, IV = 7+),
mean diameter at breast height and the management regime.
"""

from decimal import Decimal

from sinks import SinkSpec
from sinks.attributes import CHOICE, DECIMAL, INTEGER, SHARES, AttributeField

SPEC = SinkSpec(
    sink_type="bamboo_forest", code="BF", name_zh="竹林", name_en="Bamboo forest",
    colour_rgb=(34, 139, 34), default_methodology="sinkledger.bamboo-moso-management",
    aliases=("毛竹林", "毛竹", "竹林地", "bamboo", "moso bamboo"), display_order=10,
    attributes=(
        AttributeField(name="culm_density_per_ha", kind=INTEGER, label_zh="立竹度（株/公顷）",
                       aliases=("立竹度", "立竹密度", "每公顷株数", "LZD"),
                       minimum=Decimal(100), maximum=Decimal(15000)),
        AttributeField(name="age_class_shares", kind=SHARES, label_zh="年龄结构（各度比例）",
                       aliases=("年龄结构", "龄级结构", "度龄结构"), keys=("I", "II", "III", "IV")),
        AttributeField(name="mean_dbh_cm", kind=DECIMAL, label_zh="平均胸径（厘米）",
                       aliases=("平均胸径", "胸径", "PJXJ"), minimum=Decimal(1), maximum=Decimal(25)),
        AttributeField(name="management_regime", kind=CHOICE, label_zh="经营方式",
                       aliases=("经营方式", "经营类型", "经营模式"),
                       choices={"intensive": ("集约经营", "集约"), "extensive": ("粗放经营", "粗放"),
                                "collective_managed": ("集体经营", "统一经营")}),
    ),
)
