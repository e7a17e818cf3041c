"""Readable calculation reports of an estimate: Markdown, HTML and PDF, in Chinese or English.

A report is rendered from the estimate *record* (``Estimate.to_dict()``, as stored by
``record_estimate`` or printed by a dry estimate), so a verifier can render it from the JSON
alone. It shows, in order: identification, results (kg and t CO2e), flags (reversal,
unverified parameters), warnings, one-off claims, display-only figures, the calculation trace,
the parameters with status and source, the normalised inputs and the reproducibility hash.

Trace values are shown to 6 decimals for reading; the JSON record keeps full precision and is
what the hash covers. The PDF is laid out on the document toolkit
(:mod:`sinkledger.documents.toolkit`), with its embedded CJK font.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Final, Literal

from methodologies.errors import MethodologyError
from methodologies.plausibility import parameters_to_confirm
from methodologies.registry import get_methodology
from sinkledger.documents.catalogue import sink_type_name
from sinkledger.documents.toolkit import Document

Lang = Literal["zh", "en"]
Format = Literal["md", "html", "pdf"]
FORMATS: Final = ("md", "html", "pdf")
LANGS: Final = ("zh", "en")
SHOWN_DECIMALS: Final = 6

LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "title": ("碳汇测算报告", "Carbon sink estimate report"),
    "identification": ("基本信息", "Identification"),
    "estimate_id": ("测算编号", "Estimate id"),
    "methodology": ("方法学", "Methodology"),
    "version": ("版本", "Version"),
    "sink_type": ("碳汇类型", "Sink type"),
    "period": ("监测期", "Monitoring period"),
    "area": ("面积", "Area"),
    "gwp_profile": ("GWP 方案", "GWP profile"),
    "hash": ("复现哈希（SHA-256）", "Reproducibility hash (SHA-256)"),
    "results": ("结果", "Results"),
    "quantity": ("项目", "Quantity"),
    "stock_change": ("储量变化", "Stock change"),
    "emissions": ("项目排放", "Project emissions"),
    "uncertainty_deduction": ("不确定性扣减", "Uncertainty deduction"),
    "net": ("净清除量（可签发上限）", "Net removals (issuable ceiling)"),
    "flags": ("标记", "Flags"),
    "reversal": ("净结果为负：构成冲减，由登记簿按冲减规则处理。",
                 "Negative net result: a reversal, handled by the ledger's reversal rules."),
    "unverified": ("使用了未经原始文献核实的参数，正式签发前必须核实。",
                   "Uses parameters not checked against their primary source; check them "
                   "before any real issuance."),
    "no_flags": ("无", "None"),
    "warnings": ("警告", "Warnings"),
    "no_warnings": ("无", "None"),
    "one_off_claims": ("一次性计入项", "One-off claims"),
    "one_off_note": ("每个地块只能签发一次；登记簿拒绝重复签发。",
                     "Issuable once per parcel; the ledger refuses a second issuance."),
    "informational": ("仅供参考（不计入签发）", "For information only (never credited)"),
    "trace": ("计算过程", "Calculation trace"),
    "trace_note": (f"数值显示至小数点后 {SHOWN_DECIMALS} 位；全精度见 JSON 记录。",
                   f"Values shown to {SHOWN_DECIMALS} decimals; full precision is in the JSON "
                   "record."),
    "step": ("步骤", "Step"),
    "equation": ("公式", "Equation"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "note": ("说明", "Note"),
    "parameters": ("参数", "Parameters"),
    "key": ("参数键", "Key"),
    "status": ("核实状态", "Status"),
    "source": ("来源", "Source"),
    "inputs": ("输入（规范化）", "Inputs (normalised)"),
    # issue 21 (helper h6b): the plots' statistics and the parameters still to confirm
    "sampling": ("样地抽样统计", "Sampling (monitoring plots)"),
    "sampling_note": ("分层随机抽样；90 % 置信度，目标精度 ±{target} %；分配：{allocation}；"
                      "不确定性方案：{profile}。", "Stratified random sampling; 90 % confidence, "
                      "target precision ±{target} %; allocation: {allocation}; uncertainty "
                      "profile: {profile}."),
    "what": ("对象", "What"),
    "plots": ("样地数", "Plots"),
    "mean": ("均值", "Mean"),
    "se": ("标准误", "SE"),
    "ci90": ("90 % 置信区间", "90 % CI"),
    "precision": ("精度", "Precision"),
    "target_met": ("达标", "Target met"),
    "extra_plots": ("还需样地（按层）", "Extra plots (by stratum)"),
    "change_row": ("变化量（{design}）", "Change ({design})"),
    "stock_row": ("{date} 储量", "Stock {date}"),
    "deduction_row": ("不确定性 U（用于扣减）", "Uncertainty U (used in the deduction)"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "to_confirm": ("待确认参数", "Parameters to confirm"),
    "to_confirm_note": ("以下参数未经原始文献核实；正式签发前须逐项核实。“已发表范围”为该参数所对照的文献范围。",
                        "These parameters are not verified against a primary source; confirm "
                        "each before any real issuance. 'Published range' is the range in the "
                        "literature the default sits against."),
    "published_range": ("已发表范围", "Published range"),
    "inside": ("在范围内", "Inside"),
    "no_range": ("未找到已发表范围", "no published range found"),
    "none_to_confirm": ("无：所有参数均已核实。", "None: every parameter is verified."),
    "footer": ("由 sinkledger 生成；可用记录中的输入、参数与 GWP 方案复算并核对哈希。",
               "Generated by sinkledger; rerun from the recorded inputs, parameters and GWP "
               "profile to check the hash."),
}
STATUS_NAMES: Final = {"verified": ("已核实 [V]", "verified [V]"),
                       "needs_primary_check": ("待核原始文献 [V2]", "needs primary check [V2]"),
                       "unverified": ("未核实 [M]", "unverified [M]"),
                       "derived": ("推导 [D]", "derived [D]")}
STEP_NAMES_ZH: Final = {
    "period length": "监测期长度", "stock change": "储量变化", "net removals": "净清除量",
    "baseline net removals": "基线净清除量", "leakage": "泄漏",
    "total stock change": "储量变化合计", "total project emissions": "项目排放合计",
    "fertiliser N2O emissions": "施肥 N2O 排放", "direct N2O-N": "直接 N2O-N",
    "N2O": "N2O", "gross annual fixation": "年总固定量（仅供参考）",
    "allowable uncertainty": "允许不确定性", "NER_ERROR": "总不确定性 NER_ERROR",
    "uncertainty deduction": "不确定性扣减",
    "net removals after uncertainty deduction": "扣减后净清除量",
    "herbaceous vegetation carbon": "草本植被碳", "herbaceous vegetation credit": "草本植被一次性计入",
    "woody vegetation stock change": "木本植被储量变化",
    "sediment carbon burial rate": "沉积物碳埋藏速率", "sediment carbon burial": "沉积物碳埋藏",
    "CH4 flux": "CH4 通量", "CH4 emissions": "CH4 排放", "N2O emissions": "N2O 排放",
    "biomass stock change": "生物量储量变化", "soil carbon change": "土壤碳变化",
    "indirect N2O-N (leaching)": "间接 N2O-N（淋溶）", "SOC before": "变化前土壤有机碳",
    "SOC now": "现土壤有机碳", "carbon stock": "碳储量", "CO2 stock": "CO2 储量",
    "stand biomass": "林分生物量", "total biomass": "总生物量", "carbon": "碳",
    "SOC": "土壤有机碳",
}
_INDEXED_STEP = re.compile(r"(\S+\[\d+\]) (.+)")  # "events[0] carbon stock"
# The methodologies' step notes (English: the science package has no catalogue) in Chinese, for
# the Chinese report: equation codes (B4, T5, W3), identifiers and units stay as they are.
NOTE_PHRASES_ZH: Final = (
    (r"caller-supplied; 0 when not given", "调用方提供；未提供时为 0"),
    (r" \(baseline CH4/N2O 0, VM0033\)", "（基线 CH4/N2O 为 0，VM0033）"),
    (r"no synthetic N applied", "未施用化学氮肥"),
    (r"below-ground stand carbon, e\.g\. raster zonal mean", "地下林分碳（例如栅格分区均值）"),
    (r"rhizome and roots", "鞭根与根系"),
    (r"Tier 2 stock difference, last minus first event", "Tier 2 储量差法，末次减首次测定"),
    (r"(\S+) minus (\S+)", r"\1 减 \2"),
    (r" measured at ", "，测定于 "),
    (r" at (\d{4}-\d{2}-\d{2})", r"，\1"),
    (r"GWP profile", "GWP 方案"),
    (r"display only, never credited", "仅供参考，不计入签发"),
    (r"\(eq\. ([\d.]+) style\)", r"（仿式 \1）"),
    (r"linear over D", "在 D 年内线性分摊"),
    (r", full tillage, medium input", "，全面翻耕，中等投入"),
    (r"eqs\. ([\d, ]+) composed; E_k = signed contributions \(", r"式 \1 组合；E_k = 各项带符号贡献（"),
    (r"\), t CO2e", "），t CO2e"),
    (r"eqs?\. ", "式 "),
    (r" \(VCS\); CCER 10 % is unverified", "（VCS）；CCER 10 % 未经核实"),
    (r"footnote (\d+)", r"脚注 \1"),
    (r"one-off claim (\S+); the ledger refuses it twice", r"一次性计入 \1；登记簿拒绝重复计入"),
    (r"; may be negative \(a net source is a reversal\)", "；可为负值（净排放源即为逆转）"),
)


def label(key: str, lang: Lang) -> str:
    """The label ``key`` in ``lang``."""
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def render(document: Mapping[str, Any], fmt: Format, lang: Lang) -> bytes:
    """Render an estimate record as ``md``, ``html`` or ``pdf`` bytes (text is UTF-8).

    Raises
    ------
    ValueError
        For an unknown format or language.
    """
    if fmt not in FORMATS or lang not in LANGS:
        raise ValueError(f"format must be one of {FORMATS} and lang one of {LANGS}")
    sections = build_sections(document, lang)
    if fmt == "md":
        return render_markdown(sections).encode("utf-8")
    if fmt == "html":
        return render_html(sections, lang).encode("utf-8")
    return render_pdf(sections, lang)


# --- Sections: one language-aware structure, three renderers ---------------------------------

Section = dict[str, Any]  # {"title": str, "kind": "fields"|"table"|"list"|"code"|"text", ...}


def build_sections(document: Mapping[str, Any], lang: Lang) -> list[Section]:
    """The report's content as a list of sections, already in ``lang``."""
    def t(key: str) -> str:
        return label(key, lang)

    return [
        {"title": _title(document, lang), "kind": "heading"},
        {"title": t("identification"), "kind": "fields",
         "rows": _identification(document, t, lang)},
        {"title": t("results"), "kind": "table", "rows": _results(document, t),
         "header": [t("quantity"), "kg CO2e", "t CO2e"]},
        {"title": t("flags"), "kind": "list", "items": _flags(document, t)},
        {"title": t("warnings"), "kind": "list", "items": [
            f"{w['code']}: {w['message_zh'] if lang == 'zh' else w['message_en']}"
            for w in document.get("warnings", [])] or [t("no_warnings")]},
        *_claims_section(document, t),
        {"title": t("informational"), "kind": "table", "header": [t("quantity"), t("value")],
         "rows": [[key, _shown(value)] for key, value in
                  document.get("informational", {}).items()]},
        {"title": t("trace"), "kind": "table", "note": t("trace_note"),
         "header": ["#", t("step"), t("equation"), t("value"), t("unit"), t("note")],
         "rows": [[str(i), _step_name(step["name"], lang), step["equation"],
                   _shown(step["value"]), step["unit"], _note(step["note"], lang)]
                  for i, step in enumerate(document.get("steps", []), start=1)]},
        *_sampling_section(document, t),
        _to_confirm_section(document, t, lang),
        {"title": t("parameters"), "kind": "table",
         "header": [t("key"), t("value"), t("unit"), t("status"), t("source")],
         "rows": [[p["key"], p["value"], p["unit"], _status(p["status"], lang),
                   p["source"] + (f" ({p['note']})" if p.get("note") else "")]
                  for p in document.get("parameters", [])]},
        {"title": t("inputs"), "kind": "code",
         "text": json.dumps(document.get("inputs", {}), ensure_ascii=False, indent=2,
                            sort_keys=True)},
        {"title": "", "kind": "text", "text": t("footer")},
    ]


def _title(document: Mapping[str, Any], lang: Lang) -> str:
    zh, en = _methodology_titles(document)
    return f"{label('title', lang)}：{zh}" if lang == "zh" else f"{label('title', lang)}: {en}"


def _methodology_titles(document: Mapping[str, Any]) -> tuple[str, str]:
    try:
        methodology = get_methodology(document["methodology_id"],
                                      document.get("methodology_version"))
    except (MethodologyError, KeyError):
        return document.get("methodology_id", "?"), document.get("methodology_id", "?")
    return methodology.title_zh, methodology.title_en


def _identification(document: Mapping[str, Any], t: Callable[[str], str],
                    lang: Lang) -> list[list[str]]:
    sink_type = str(document.get("sink_type", ""))
    rows = [[t("estimate_id"), document.get("estimate_id", "-")],
            [t("methodology"), document.get("methodology_id", "")],
            [t("version"), document.get("methodology_version", "")],
            [t("sink_type"), sink_type_name(sink_type, lang)],
            [t("period"), f"{document.get('period_start')} – {document.get('period_end')}"],
            [t("area"), f"{document.get('area_ha')} ha"],
            [t("gwp_profile"), document.get("gwp_profile", "")],
            [t("hash"), document.get("reproducibility_hash", "")]]
    if document.get("parcel_codes"):
        rows.insert(1, ["parcel_codes", ", ".join(document["parcel_codes"])])
    return rows


def _results(document: Mapping[str, Any], t: Callable[[str], str]) -> list[list[str]]:
    rows = []
    for key, field in (("stock_change", "stock_change_kg_co2e"), ("emissions", "emissions_kg_co2e"),
                       ("uncertainty_deduction", "uncertainty_deduction_kg_co2e"),
                       ("net", "net_kg_co2e")):
        kg = int(document.get(field, 0))
        rows.append([t(key), f"{kg:,}", _tonnes(kg)])
    return rows


def _tonnes(kg: int) -> str:
    return f"{Decimal(kg) / 1000:,.3f}"


def _flags(document: Mapping[str, Any], t: Callable[[str], str]) -> list[str]:
    flags = []
    if int(document.get("net_kg_co2e", 0)) < 0:
        flags.append(t("reversal"))
    if document.get("uses_unverified"):
        flags.append(t("unverified"))
    return flags or [t("no_flags")]


def _claims_section(document: Mapping[str, Any], t: Callable[[str], str]) -> list[Section]:
    claims = document.get("one_off_claims") or {}
    if not claims:
        return []
    return [{"title": t("one_off_claims"), "kind": "table", "note": t("one_off_note"),
             "header": [t("quantity"), "kg CO2e", "t CO2e"],
             "rows": [[code, f"{kg:,}", _tonnes(kg)] for code, kg in claims.items()]}]


def _sampling_section(document: Mapping[str, Any], t: Callable[[str], str]) -> list[Section]:
    """Mean, SE, 90 % CI, precision and extra plots per event and for the change, and the U
    that went into the uncertainty deduction (``Estimate.sampling``)."""
    sampling = document.get("sampling") or {}
    if not sampling:
        return []
    rows = []
    for event in sampling.get("events", []):
        rows.append(_sampling_row(t("stock_row").format(date=event["date"]), event["stock"],
                                  event["unit"], event.get("meets_target"),
                                  event.get("plots_needed"), t))
    change = sampling.get("change") or {}
    unit = (sampling.get("events") or [{}])[-1].get("unit", "")
    if change:
        rows.append(_sampling_row(t("change_row").format(design=change.get("design", "")),
                                  change, unit, change.get("meets_target"),
                                  change.get("plots_needed"), t))
        rows.append([t("deduction_row"), "", "", "", "", f"{_short(change.get('u_pct'))} %",
                     "", ""])
    target = _shown(Decimal(str(sampling.get("target_precision", "0.1"))) * 100)
    note = t("sampling_note").format(target=target, allocation=sampling.get("allocation", ""),
                                     profile=sampling.get("uncertainty_profile", ""))
    return [{"title": t("sampling"), "kind": "table", "note": note,
             "header": [t("what"), t("plots"), t("mean"), t("se"), t("ci90"), t("precision"),
                        t("target_met"), t("extra_plots")], "rows": rows}]


def _sampling_row(what: str, estimate: Mapping[str, Any], unit: str, met: Any,
                  needed: Mapping[str, Any] | None, t: Callable[[str], str]) -> list[str]:
    precision = estimate.get("precision")
    shown_precision = "—" if precision is None else f"{Decimal(precision) * 100:.1f} %"
    extra = "—"
    if needed:
        extra = f"{needed.get('extra', 0)} (" + ", ".join(
            f"{name} +{n}" for name, n in (needed.get("extra_by_stratum") or {}).items()) + ")"
    return [what, str(estimate.get("plots", "")), f"{_short(estimate.get('mean'))} {unit}",
            _short(estimate.get("standard_error")),
            f"{_short(estimate.get('ci90_low'))} – {_short(estimate.get('ci90_high'))}",
            shown_precision, t("yes") if met else t("no"), extra]


def _short(value: Any) -> str:
    """A statistic to 3 decimals (the record keeps full precision)."""
    try:
        return f"{Decimal(str(value)):.3f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _to_confirm_section(document: Mapping[str, Any], t: Callable[[str], str],
                        lang: Lang) -> Section:
    rows = []
    for item in parameters_to_confirm(str(document.get("methodology_id", "")),
                                      list(document.get("parameters", []))):
        published = item["published"]
        if published is None:
            shown, inside, source = t("no_range"), "—", ""
        else:
            shown = f"{published['low']}–{published['high']} {published['unit']}"
            inside = t("yes") if item["inside"] else t("no")
            source = published["source"]
        rows.append([item["key"], f"{item['value']} {item['unit']}",
                     _status(str(item["status"]), lang), shown, inside, source])
    if not rows:
        return {"title": t("to_confirm"), "kind": "list", "items": [t("none_to_confirm")]}
    return {"title": t("to_confirm"), "kind": "table", "note": t("to_confirm_note"),
            "header": [t("key"), t("value"), t("status"), t("published_range"), t("inside"),
                       t("source")], "rows": rows, "shares": [0.2, 0.13, 0.12, 0.14, 0.07, 0.34]}


def _step_name(name: str, lang: Lang) -> str:
    if lang == "en":
        return name
    if name in STEP_NAMES_ZH:
        return STEP_NAMES_ZH[name]
    indexed = _INDEXED_STEP.fullmatch(name)
    if indexed and indexed.group(2) in STEP_NAMES_ZH:
        return f"{indexed.group(1)} {STEP_NAMES_ZH[indexed.group(2)]}"
    return name


def _note(note: str, lang: Lang) -> str:
    """A step's note in ``lang`` (the methodologies write them in English)."""
    if lang == "en":
        return note
    for pattern, replacement in NOTE_PHRASES_ZH:
        note = re.sub(pattern, replacement, note)
    return note


def _status(status: str, lang: Lang) -> str:
    zh, en = STATUS_NAMES.get(status, (status, status))
    return zh if lang == "zh" else en


def _shown(value: Any) -> str:
    """A decimal string shown to at most :data:`SHOWN_DECIMALS` decimals."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    with localcontext() as context:
        context.prec = 80  # Enough for any 34-digit value quantized to 6 decimals.
        if int(number.as_tuple().exponent) < -SHOWN_DECIMALS:
            number = number.quantize(Decimal(1).scaleb(-SHOWN_DECIMALS))
        text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- Markdown and HTML ---------------------------------------------------------------------------

def render_markdown(sections: list[Section]) -> str:
    """Render sections as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for section in sections:
        if section["kind"] == "heading":
            lines += [f"# {section['title']}", ""]
            continue
        if section["title"]:
            lines += [f"## {section['title']}", ""]
        if section.get("note"):
            lines += [f"*{section['note']}*", ""]
        lines += _markdown_body(section) + [""]
    return "\n".join(lines)


def _markdown_body(section: Section) -> list[str]:
    kind = section["kind"]
    if kind == "fields":
        return [f"- **{key}**: {_md_cell(value)}" for key, value in section["rows"]]
    if kind == "list":
        return [f"- {_md_cell(item)}" for item in section["items"]]
    if kind == "code":
        return ["```json", section["text"], "```"]
    if kind == "text":
        return [section["text"]]
    header = section["header"]
    rows = [header, ["---"] * len(header), *section["rows"]]
    return ["| " + " | ".join(_md_cell(cell) for cell in row) + " |" for row in rows]


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_html(sections: list[Section], lang: Lang) -> str:
    """Render sections as one self-contained HTML page (no external resources)."""
    title = html.escape(sections[0]["title"])
    body = "\n".join(_html_section(section) for section in sections)
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n'
            f'<meta charset="utf-8">\n<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n'
            f"<body>\n{body}\n</body>\n</html>\n")


_CSS = ("body{font-family:'Noto Sans CJK SC','Source Han Sans SC',sans-serif;margin:2em;"
        "max-width:72em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border:1px solid #999;padding:.25em .5em;vertical-align:top;text-align:left}"
        "th{background:#eee}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}"
        ".note{color:#555;font-style:italic}")


def _html_section(section: Section) -> str:
    esc = html.escape
    kind = section["kind"]
    if kind == "heading":
        return f"<h1>{esc(section['title'])}</h1>"
    parts = [f"<h2>{esc(section['title'])}</h2>"] if section["title"] else []
    if section.get("note"):
        parts.append(f'<p class="note">{esc(section["note"])}</p>')
    if kind == "fields":
        parts.append("<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>"
                                         for k, v in section["rows"]) + "</table>")
    elif kind == "list":
        parts.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in section["items"])
                     + "</ul>")
    elif kind == "code":
        parts.append(f"<pre>{esc(section['text'])}</pre>")
    elif kind == "text":
        parts.append(f"<p>{esc(section['text'])}</p>")
    else:
        head = "".join(f"<th>{esc(h)}</th>" for h in section["header"])
        rows = "".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>"
                       for row in section["rows"])
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


# --- PDF -----------------------------------------------------------------------------------------

def render_pdf(sections: list[Section], lang: Lang = "zh") -> bytes:
    """Render sections as an A4 PDF on the document toolkit (embedded CJK font)."""
    document = Document(lang, title=sections[0]["title"], subject="sinkledger estimate report")
    for section in sections:
        _pdf_section(document, section)
    return document.render()


def _pdf_section(document: Any, section: Section) -> None:
    kind = section["kind"]
    if kind == "heading":
        document.title(section["title"])
        return
    if section["title"]:
        document.heading(section["title"])
    if section.get("note"):
        document.paragraph(section["note"], "note")
    if kind == "list":
        document.bullets(section["items"])
    elif kind == "code":
        document.code(section["text"])
    elif kind == "text":
        document.paragraph(section["text"], "note")
    elif kind == "fields":
        document.fields([(key, value) for key, value in section["rows"]], label_share=0.28,
                        mono=[label("hash", document.lang)])
    else:
        columns = len(section["header"])
        document.table(section["header"], section["rows"], shares=section.get("shares") or _COLUMN_SHARES.get(columns),
                       numeric=_NUMERIC_COLUMNS.get(columns, ()))


_COLUMN_SHARES: Final = {2: [0.55, 0.45], 3: [0.5, 0.25, 0.25], 5: [0.22, 0.1, 0.12, 0.14, 0.42],
                         6: [0.05, 0.16, 0.41, 0.14, 0.08, 0.16],
                         8: [0.17, 0.07, 0.15, 0.1, 0.18, 0.1, 0.07, 0.16]}
_NUMERIC_COLUMNS: Final = {3: (1, 2)}
