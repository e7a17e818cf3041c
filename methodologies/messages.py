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
    "estimate_record_is_malformed": (
        "测算结果记录格式错误：{detail}。",
        "The estimate record is malformed: {detail}.",
    ),
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
    "parameters_are_unverified": (
        "本次测算使用了未经原始文献核实的参数：{keys}。正式签发前必须核实。",
        "This estimate uses parameters not yet checked against their primary source: {keys}. "
        "Check them before any real issuance.",
    ),
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
