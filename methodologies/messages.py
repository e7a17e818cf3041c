"""Bilingual message catalogue for methodology refusals and warnings.

Every refusal and every warning carries a stable snake_case code that reads as a sentence
(TigerBeetle style) plus a Chinese and an English message. The UI shows the message in the
user's language; logs and tests match on the code. Templates use ``str.format`` fields; the
``field`` placeholder is the dotted path of the offending input (``events[1].date``).

Keeping every template here (rather than next to each raise) lets one test check that every
code used anywhere has both messages, and lets a translator review one file.
"""

from collections.abc import Mapping
from types import MappingProxyType

_CHOICE_ZH = "{field} 的取值 {value} 无效；可选值：{allowed}。"
_CHOICE_EN = "{field} has the value {value}, which is not allowed; choose one of: {allowed}."

ERROR_MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "inputs_are_invalid": (
        "输入有 {count} 处问题，请全部修正后重试。",
        "The inputs have {count} problem(s); fix all of them and retry.",
    ),
    "inputs_must_be_an_object": (
        "输入必须是一个 JSON 对象（键值映射）。",
        "The inputs must be a JSON object (a mapping of field names to values).",
    ),
    "field_is_required": ("缺少必填字段 {field}。", "The field {field} is required."),
    "field_is_unknown": (
        "{field} 不是本方法学的输入字段（请检查拼写）。",
        "{field} is not an input of this methodology (check the spelling).",
    ),
    "value_must_be_a_number": (
        "{field} 必须是数字或十进制数字字符串，收到 {value}。",
        "{field} must be a number or a decimal string; got {value}.",
    ),
    "value_must_be_finite": (
        "{field} 必须是有限数，不能是 NaN 或无穷大，收到 {value}。",
        "{field} must be a finite number, not NaN or infinity; got {value}.",
    ),
    "value_must_be_an_integer": (
        "{field} 必须是整数，收到 {value}。",
        "{field} must be a whole number; got {value}.",
    ),
    "value_is_too_large": (
        "{field} 的绝对值不得超过 {limit}，收到 {value}。",
        "{field} must not exceed {limit} in absolute value; got {value}.",
    ),
    "value_must_be_an_object": (
        "{field} 必须是 JSON 对象（键值映射）。",
        "{field} must be a JSON object (a mapping).",
    ),
    "value_must_be_a_list": ("{field} 必须是列表。", "{field} must be a list."),
    "date_must_be_iso_format": (
        "{field} 必须是 ISO 日期（YYYY-MM-DD），收到 {value}。",
        "{field} must be an ISO date (YYYY-MM-DD); got {value}.",
    ),
    "date_out_of_range": (
        "{field} 的日期 {value} 超出允许范围（{low} 至 {high}）。",
        "{field}: the date {value} is outside the accepted range ({low} to {high}).",
    ),
    "area_ha_must_be_positive": (
        "{field} 面积必须大于 0 公顷，收到 {value}。",
        "{field} must be a positive area in hectares; got {value}.",
    ),
    "period_end_must_be_after_period_start": (
        "监测期结束日期 {value} 必须晚于开始日期 {start}。",
        "The period end {value} must be after the period start {start}.",
    ),
    "monitoring_events_must_number_at_least_two": (
        "{field} 至少需要 2 次监测才能计算储量变化，收到 {count} 次。",
        "{field} needs at least 2 monitoring events to compute a stock change; got {count}.",
    ),
    "monitoring_events_must_be_ordered": (
        "监测日期必须严格递增：{field} 为 {value}，不晚于上一次的 {previous}。",
        "Monitoring dates must strictly increase: {field} is {value}, "
        "not after the previous event's {previous}.",
    ),
    "age_class_unknown": (
        "{field}：未知龄级 {value}；可选龄级（度）：{allowed}。",
        "{field}: unknown age class {value}; known age classes (du): {allowed}.",
    ),
    "culms_per_ha_must_not_be_negative": (
        "{field} 立竹密度（株/公顷）不能为负，收到 {value}。",
        "{field} culm density (culms/ha) must not be negative; got {value}.",
    ),
    "mean_culm_biomass_kg_must_be_positive": (
        "{field} 单株平均生物量（kg）必须大于 0，收到 {value}。",
        "{field} mean culm biomass (kg) must be positive; got {value}.",
    ),
    "mean_culm_biomass_is_missing_for_age_class": (
        "{field}：龄级 {value} 有立竹但缺少单株平均生物量。",
        "{field}: age class {value} has culms but no mean culm biomass.",
    ),
    "age_class_has_no_culm_count": (
        "{field}：龄级 {value} 给出了单株数据，但 culms_per_ha_by_age_class 中没有该龄级。",
        "{field}: age class {value} has per-culm data but no entry in "
        "culms_per_ha_by_age_class.",
    ),
    "mean_dbh_cm_must_be_positive": (
        "{field} 平均胸径（cm）必须大于 0，收到 {value}。",
        "{field} mean DBH (cm) must be positive; got {value}.",
    ),
    "mean_dbh_is_missing_for_age_class": (
        "{field}：龄级 {value} 有立竹但缺少平均胸径。",
        "{field}: age class {value} has culms but no mean DBH.",
    ),
    "mean_dbh_must_be_given_one_way": (
        "{field}：mean_dbh_cm 与 mean_dbh_cm_by_age_class 只能给出其一。",
        "{field}: give either mean_dbh_cm or mean_dbh_cm_by_age_class, not both.",
    ),
    "field_does_not_apply_to_biomass_method": (
        "{field} 不适用于生物量方法 {value}。",
        "{field} does not apply to the biomass method {value}.",
    ),
    "fertiliser_n_must_not_be_negative": (
        "{field} 施氮量不能为负，收到 {value}。",
        "{field} nitrogen applied must not be negative; got {value}.",
    ),
    "baseline_net_kg_co2e_must_not_be_negative": (
        "{field} 基线净清除量不能为负（负基线会增加签发量，v1 不接受），收到 {value}。",
        "{field} baseline net removals must not be negative (a negative baseline would raise "
        "the credited amount; v1 refuses it); got {value}.",
    ),
    "leakage_kg_co2e_must_not_be_negative": (
        "{field} 泄漏量不能为负，收到 {value}。",
        "{field} leakage must not be negative; got {value}.",
    ),
    "biomass_method_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "culm_biomass_basis_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "n2o_emission_factor_profile_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "gwp_profile_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "uncertainty_profile_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "parameter_is_missing": (
        "参数集中缺少本次计算所需的参数 {value}。",
        "The parameter set lacks {value}, which this calculation needs.",
    ),
    "parameter_is_out_of_range": (
        "参数 {value} 的取值 {actual} 超出允许范围 [{low}, {high}]。",
        "Parameter {value} is {actual}, outside the allowed range [{low}, {high}].",
    ),
    "parameter_key_unknown": (
        "参数集中没有参数 {value}，无法覆盖。",
        "There is no parameter {value} in this set to override.",
    ),
    "parameter_key_is_duplicated": (
        "参数 {value} 重复出现。",
        "The parameter {value} appears more than once.",
    ),
    "parameter_file_is_malformed": (
        "参数文件 {value} 格式错误：{detail}。",
        "The parameter file {value} is malformed: {detail}.",
    ),
    "methodology_unknown": (
        "未登记的方法学 {value}；已登记：{allowed}。",
        "No methodology {value} is registered; registered: {allowed}.",
    ),
    "methodology_version_unknown": (
        "方法学 {value} 没有版本 {version}；已有版本：{allowed}。",
        "Methodology {value} has no version {version}; available: {allowed}.",
    ),
    "kg_co2e_must_not_be_negative": (
        "{field} 为负（{value} kg CO2e）：负值不能取整签发，由登记簿按冲减处理。",
        "{field} is negative ({value} kg CO2e): a negative amount is never floored for "
        "issuance; the ledger handles it as a reversal.",
    ),
    "kg_co2e_must_be_an_integer": (
        "{field} 必须是整数千克 CO2e，收到 {value}。",
        "{field} must be a whole number of kg CO2e; got {value}.",
    ),
    "uncertainty_must_not_be_negative": (
        "{field} 不确定性不能为负，收到 {value}。",
        "{field} uncertainty must not be negative; got {value}.",
    ),
    "units_must_match": (
        "单位不一致：不能把 {actual} 与 {value} 相加、相减或比较（程序错误）。",
        "Units do not match: {actual} cannot be added to, subtracted from or compared with "
        "{value} (a programming error).",
    ),
    "value_must_not_be_negative": ("{field} 不能为负，收到 {value}。",
                                   "{field} must not be negative; got {value}."),
    "value_must_be_positive": ("{field} 必须大于 0，收到 {value}。",
                               "{field} must be positive; got {value}."),
    "value_must_be_a_boolean": (
        "{field} 必须是 true 或 false（不接受 0/1 或字符串），收到 {value}。",
        "{field} must be true or false (not 0/1 or a string); got {value}.",
    ),
    "percent_must_be_between_0_and_100": (
        "{field} 是百分数，必须在 0 到 100 之间，收到 {value}。",
        "{field} is a percentage and must be between 0 and 100; got {value}.",
    ),
    "fraction_must_be_between_0_and_1": (
        "{field} 是比例，必须在 0 到 1 之间，收到 {value}。",
        "{field} is a fraction and must be between 0 and 1; got {value}.",
    ),
    "stock_event_needs_one_quantity": (
        "{field} 必须且只能给出以下之一：{allowed}。",
        "{field} must give exactly one of: {allowed}.",
    ),
    "stock_events_must_use_one_quantity": (
        "{field} 的各次监测必须使用同一个量（{allowed} 之一），不能混用生物量和碳。",
        "Every event of {field} must use the same quantity (one of {allowed}); biomass and "
        "carbon cannot be mixed.",
    ),
    "uncertainty_must_be_given_one_way": (
        "{field} 须给出 ner_error_pct 或 component_u_pct 之一（不能两者都给或都不给）。",
        "{field} needs exactly one of ner_error_pct and component_u_pct.",
    ),
    "uncertainty_component_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "rate_source_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "ch4_basis_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "soil_method_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "soil_reference_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "soil_factor_class_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "field_does_not_apply_to_default_source": (
        "{value} 为 default（默认值）时不应给出 {field}；如有实测值，请把 {value} 设为 measured。",
        "{field} must not be given when {value} is default; set {value} to measured to use "
        "a measured value.",
    ),
    "field_does_not_apply_to_method": (
        "{field} 不适用于所选方法 {value}。",
        "{field} does not apply to the chosen method {value}.",
    ),
    "soil_profiles_must_cover_the_same_depth": (
        "{field} 各次土壤剖面的总深度必须相同（cm），收到 {value}；深度不同的储量不可相减。",
        "Every profile of {field} must cover the same total depth (cm); got {value}. Stocks "
        "over different depths cannot be subtracted.",
    ),
    "soil_profile_needs_a_layer": ("{field} 至少需要一个土层。",
                                   "{field} needs at least one layer."),
    "raster_cannot_be_read": ("无法读取栅格 {value}：{detail}。",
                              "The raster {value} cannot be read: {detail}."),
    "raster_has_no_crs": (
        "栅格 {value} 没有坐标参考系（CRS），无法与地块叠加；请先为其指定 CRS。",
        "The raster {value} has no coordinate reference system (CRS), so parcels cannot be "
        "overlaid on it; assign its CRS first.",
    ),
    "raster_crs_units_unsupported": (
        "栅格 {value} 的投影单位为 {actual}，仅支持米制投影或经纬度坐标。",
        "The raster {value} is projected in {actual}; only metre-based projections and "
        "longitude/latitude rasters are supported.",
    ),
    "raster_band_missing": ("栅格 {value} 只有 {count} 个波段，没有第 {actual} 波段。",
                            "The raster {value} has {count} band(s), not band {actual}."),
    "raster_quantity_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "parcels_have_no_crs": ("地块图层没有坐标参考系（CRS），无法重投影到栅格。",
                            "The parcel layer has no coordinate reference system (CRS), so it "
                            "cannot be reprojected onto the raster."),
    "parcel_ids_must_be_unique": ("地块编号重复：{value}。",
                                  "Parcel ids must be unique; repeated: {value}."),
    "raster_layers_must_have_distinct_dates": (
        "储量变化至少需要两期日期不同的栅格，收到：{value}。",
        "A stock change needs at least two rasters with distinct dates; got: {value}.",
    ),
    "raster_zonal_rule_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "stock_event_source_invalid": (
        "{field}：来源说明应为不超过 300 个字符的文字。",
        "{field}: the source must be a text of at most 300 characters."),
    "raster_coverage_is_insufficient": (
        "{field}：{date} 的栅格有效像元只覆盖地块面积的 {value}（要求至少 {limit}），"
        "该地块不计算储量。",
        "{field}: valid pixels of the {date} raster cover {value} of the parcel's area (at "
        "least {limit} required); no stock is computed for it.",
    ),
    "estimate_record_is_malformed": (
        "测算结果记录格式错误：{detail}。",
        "The estimate record is malformed: {detail}.",
    ),
    # issue 21 (helper h6): plot inventories and plausibility
    "plot_strata_must_not_be_empty": ("{field} 至少需要一个分层及其面积。",
                                      "{field} needs at least one stratum with its area."),
    "allocation_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "value_must_be_a_short_text": ("{field} 必须是非空文本（不超过 60 字），收到 {value}。",
                                   "{field} must be a non-empty text (60 characters at most); "
                                   "got {value}."),
    "plot_area_is_implausible": (
        "{field}：样地面积 {value} {unit} 超过 {high} {unit}（1 公顷），应是单位错误（公顷或亩写成了平方米？）。",
        "{field}: a plot area of {value} {unit} exceeds {high} {unit} (one hectare); the unit is "
        "probably wrong (ha or mu entered as m2?)."),
    "input_is_physically_impossible": (
        "{field} 的值 {value} {unit} 超出物理上可能的范围（{low} 至 {high} {unit}），请检查单位。",
        "{field} = {value} {unit} is outside what is physically possible ({low} to {high} "
        "{unit}); check the unit."),
    "plot_id_is_duplicated": ("{field}：样地号 {value} 在同一次调查中重复。",
                              "{field}: plot id {value} appears twice in the same inventory."),
    "plot_stratum_unknown": (_CHOICE_ZH, _CHOICE_EN),
    "plot_stratum_needs_two_plots": (
        "{field}：分层 {value} 只有 {count} 个样地，至少需要 2 个才能估计方差。",
        "{field}: stratum {value} has {count} plot(s); at least 2 are needed to estimate a "
        "variance."),
    "plot_pool_measured_on_some_plots_only": (
        "{field}：{value} 只在部分样地测定；碳库须在每次调查的每个样地测定，或都不测定。",
        "{field}: {value} was measured on some plots only; a pool is measured on every plot of "
        "every inventory or on none."),
    "plot_inventory_replaces_events": (
        "给出样地调查（plot_inventory）时不能再给出 {field}：储量由样地计算。",
        "{field} cannot be given with a plot_inventory: the stocks come from the plots."),
    "plot_inventory_gives_the_uncertainty": (
        "给出样地调查时不能再给出 {field}：不确定性由样地统计得出（在 plot_inventory.uncertainty_profile 中选方案）。",
        "{field} cannot be given with a plot_inventory: the uncertainty comes from the plot "
        "statistics (choose the profile in plot_inventory.uncertainty_profile)."),
    "input_unit_unknown": (
        "{field} 的单位 {value} 无法识别；该项以 {unit} 计，也可写为：{allowed}。",
        "{field}: the unit {value} is not known; the field is in {unit} and also accepts: "
        "{allowed}."),
    "input_unit_value_invalid": (
        "{field} 的值 {value}（{unit}）不是有效数字。",
        "{field}: the value {value} ({unit}) is not a number."),
    "input_outside_published_range": (
        "{field} 的值 {value} {unit} 超出已发表范围（{low} 至 {high} {unit}，{source}）且不可能为真，请检查单位（{hint}）。",
        "{field} = {value} {unit} is beyond the published range ({low} to {high} {unit}, "
        "{source}) by more than is possible; check the unit ({hint})."),
})

WARNING_MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "monitoring_interval_is_odd_years": (
        "首末两次监测相隔约 {years} 年（奇数年）。毛竹有两年一次的大小年周期，奇数年间隔会把"
        "大小年波动误计为储量增减；请在同一季节、相隔偶数年监测。",
        "The first and last monitoring events are about {years} year(s) apart, an odd number. "
        "Moso bamboo has a two-year on/off cycle, so an odd interval books that oscillation as "
        "a false gain or loss; monitor in the same season an even number of years apart.",
    ),
    "monitoring_interval_is_not_whole_years": (
        "首末两次监测相隔 {days} 天，偏离最近的整年 {offset_days} 天（容差 {tolerance_days} 天）。"
        "不同季节的监测会把季节生长误计为储量变化。",
        "The first and last monitoring events are {days} days apart, {offset_days} days off "
        "a whole number of years (tolerance {tolerance_days} days). Monitoring in different "
        "seasons books seasonal growth as a stock change.",
    ),
    "monitoring_events_do_not_span_period": (
        "首末监测日期（{first} 至 {last}）与监测期（{start} 至 {end}）相差超过 "
        "{tolerance_days} 天；储量变化可能不代表整个监测期。",
        "The first and last monitoring dates ({first} to {last}) differ from the period "
        "({start} to {end}) by more than {tolerance_days} days; the stock change may not "
        "represent the whole period.",
    ),
    "net_removal_exceeds_plausibility_limit": (
        "净清除量 {value} t CO2e/公顷/年 超过合理性上限 {limit}。浙江毛竹林经核实的净增量约为 "
        "2.2 t CO2/公顷/年（Xu 等 2017）；请核查密度、单株生物量和监测日期。",
        "Net removal of {value} t CO2e/ha/yr exceeds the plausibility limit of {limit}. The "
        "verified net figure for Zhejiang Moso is about 2.2 t CO2/ha/yr (Xu et al. 2017); "
        "check densities, per-culm biomass and monitoring dates.",
    ),
    "net_removal_is_negative": (
        "本监测期净结果为负（{value} kg CO2e）：碳储量损失，构成冲减，由登记簿按冲减规则处理。",
        "The net result for this period is negative ({value} kg CO2e): stored carbon was "
        "lost. This is a reversal and the ledger's reversal rules apply.",
    ),
    "uncertainty_component_assumed_zero": (
        "未给出以下组分的不确定性，按 0% 计：{keys}。VM0033 只允许对已证明保守的取值使用 0%。",
        "No uncertainty was given for: {keys}; 0 % was used. VM0033 allows 0 % only for a value "
        "shown to be conservative.",
    ),
    "sediment_burial_rate_is_default": (
        "沉积物碳埋藏速率未实测，使用了中国湖泊平均值 {value} t C/公顷/年（64 个湖泊，变幅 "
        "0.014-2.6）。正式签发前请实测本地块。",
        "No measured sediment burial rate: the Chinese-lake mean of {value} t C/ha/yr (64 "
        "lakes, range 0.014-2.6) was used. Measure the parcel before any real issuance.",
    ),
    "ch4_emission_factor_is_default": (
        "CH4 通量未实测，使用了 IPCC 湿地增补指南第 5 章默认值 {value} kg CH4/公顷/年（未核实）。"
        "CH4 可完全抵消埋藏碳汇，请实测。",
        "No measured CH4 flux: the IPCC Wetlands Supplement Ch.5 default of {value} kg "
        "CH4/ha/yr (unverified) was used. CH4 can cancel the burial sink; measure it.",
    ),
    "ch4_gwp_is_not_the_biogenic_value": (
        "GWP 方案 AR6 的 CH4 值 {value} 为化石与生物源合并值；湿地 CH4 属生物源，宜选 "
        "AR6_NON_FOSSIL（27.0，未核实）。",
        "The AR6 profile's CH4 value {value} is the combined fossil and biogenic value; "
        "wetland CH4 is biogenic, so AR6_NON_FOSSIL (27.0, unverified) is the apt choice.",
    ),
    "n2o_not_measured_assumed_zero": (
        "未给出 N2O 通量，按 0 计。VM0033 仅在证明项目 N2O 不高于基线时允许不计，请提供实测值或证明。",
        "No N2O flux was given; 0 was used. VM0033 allows this only where project N2O is shown "
        "not to exceed the baseline; give a measured flux or that evidence.",
    ),
    "biomass_uses_ipcc_tier1_rate": (
        "茶树生物量采用 IPCC Tier 1 速率（2.1 t C/公顷/年，果园类数据，误差 75%）并以平台值封顶；"
        "修剪茶篷数年即达平台，优先使用实测储量差。",
        "Tea-bush biomass uses the IPCC Tier 1 rate (2.1 t C/ha/yr, an orchard figure, +/-75 %) "
        "capped at the plateau; a pruned hedge plateaus within a few years, so prefer measured "
        "stock differences.",
    ),
    "soil_input_factor_high_with_manure_needs_evidence": (
        "使用了“高投入且施有机肥”因子 F_I = {value}；须有施用有机肥的记录。",
        "The high-input-with-manure factor F_I = {value} was used; it needs documented manure "
        "applications.",
    ),
    "parameters_are_unverified": (
        "本次测算使用了未经原始文献核实的参数：{keys}。正式签发前必须核实。",
        "This estimate uses parameters not yet checked against their primary source: {keys}. "
        "Check them before any real issuance.",
    ),
    # issue 21 (helper h6)
    "plot_precision_target_not_met": (
        "样地精度未达标（{what}）：90% 置信区间半宽为均值的 {precision}%（目标 ≤10%），{plots} 个样地；需 {needed} 个（再增 {extra} 个：{by_stratum}）。不确定性扣减已计入。",
        "Plot precision target missed ({what}): the 90 % CI half-width is {precision} % of the "
        "mean (target <= 10 %) with {plots} plots; {needed} are needed ({extra} more: "
        "{by_stratum}). The uncertainty deduction accounts for it."),
    "input_near_edge_of_published_range": (
        "{field} 的值 {value} {unit} 超出已发表范围 {low} 至 {high} {unit}（{source}），请核对。",
        "{field} = {value} {unit} is outside the published range {low} to {high} {unit} "
        "({source}); check it."),
    "net_result_is_physically_implausible": (
        "净结果 {value} {unit} 超出该碳汇物理上可能的范围（已发表 {low} 至 {high} {unit}，{source}），多半是某个输入的单位错误（{hint}）。不得据此签发。",
        "The net result of {value} {unit} is beyond what this sink can physically do (published "
        "{low} to {high} {unit}, {source}); an input is probably in the wrong unit ({hint}). Do "
        "not issue on it."),
})


def format_message(catalogue: Mapping[str, tuple[str, str]], code: str,
                   **details: object) -> tuple[str, str]:
    """Return the (Chinese, English) messages for ``code`` filled with ``details``.

    Parameters
    ----------
    catalogue : Mapping[str, tuple[str, str]]
        :data:`ERROR_MESSAGES` or :data:`WARNING_MESSAGES`.
    code : str
        A code present in ``catalogue``.
    **details : object
        Values for the template fields.

    Returns
    -------
    tuple[str, str]
        ``(message_zh, message_en)``.

    Raises
    ------
    KeyError
        If the code or a template field is missing; both are programming errors.
    """
    template_zh, template_en = catalogue[code]
    return template_zh.format(**details), template_en.format(**details)
