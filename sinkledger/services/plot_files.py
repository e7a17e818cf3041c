"""A sample-plot inventory (每木检尺) from Excel ``.xlsx`` or CSV, read into a ``plot_inventory``.

A field crew writes one row per measured culm (or tea plant), with the plot it stands in:
调查日期 (survey date), 样地号 (plot id), 层 (stratum), 层面积 (stratum area, in 公顷 or 亩),
样地面积 (plot area, m² or 亩), 年龄/度 (age class: 1度, I, 一度 …) and 胸径 (DBH, cm or mm) for
moso bamboo, or 单株干重 (per-plant dry mass, kg or g) for tea. A plot's litter sample
(凋落物干重, g/m² or t/ha) and soil layers (土层厚度 cm, 容重 g/cm³, 有机碳 g/kg or %, 有机质
g/kg, 砾石含量) go on rows of the same plot; a row may hold a culm, a soil layer, both, or only
the litter. English column names (``plot_id``, ``dbh_cm`` …) are read as well.

**Units are read from the column name, never guessed.** A column whose unit the sources give
in several ways says it (层面积（公顷） or 层面积（亩）); each conversion (亩 → ha, mm → cm,
% → g/kg, organic matter → organic carbon by the van Bemmelen factor 0.58, t/ha → g/m²) is
listed in the result's ``conversions`` and travels with the inventory into the estimate's
inputs, so a verifier sees what was converted. A plot area without a unit is read as m², the
unit of every 每木检尺 form, and that reading is listed too.

Every problem of every row is listed at once, as ``{"row", "field", "code", "details"}`` with
the spreadsheet's row number and the column as the file names it; the catalogue renders them.
:func:`read_plot_file` raises only for the whole file (format, empty, too many rows, columns
missing, any row problem: ``plot_file_has_problems`` with the list).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sinkledger.services.sales_files import (
    _day,
    _number,
    _table_rows,
    _text,
    column_key,
    file_format,
    problem,
)
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput

MAX_ROWS = 20_000  # culms in one inventory: a project's hundred plots of ~150 culms each
M2_PER_MU = Decimal(10_000) / Decimal(15)  # 1 亩 = 1/15 ha (definitional)
HA_PER_MU = Decimal(1) / Decimal(15)
VAN_BEMMELEN = Decimal("0.58")  # organic carbon = 0.58 × organic matter (soil survey convention)

# field → (column names, factor to the inventory's unit, conversion text or None).
_COLUMNS: dict[str, tuple[tuple[str, ...], Decimal, str | None]] = {
    "date": (("调查日期", "日期", "监测日期", "测量日期", "date", "surveydate"), Decimal(1), None),
    "plot_id": (("样地号", "样地编号", "样地", "样方号", "plot", "plotid"), Decimal(1), None),
    "stratum": (("层", "分层", "层次", "类型层", "stratum"), Decimal(1), None),
    "stratum_area_ha": (("层面积(公顷)", "层面积(ha)", "层面积(hm2)", "层面积(hm²)", "stratumareaha",
                         "stratumarea(ha)"), Decimal(1), None),
    "stratum_area_mu": (("层面积(亩)", "stratumareamu", "stratumarea(mu)"), HA_PER_MU,
                        "亩 → ha: × 1/15"),
    "stratum_area_unitless": (("层面积", "stratumarea"), Decimal(1), None),
    "area_m2": (("样地面积(平方米)", "样地面积(m2)", "样地面积(m²)", "plotaream2", "plotarea(m2)",
                 "aream2"), Decimal(1), None),
    "area_mu": (("样地面积(亩)", "plotareamu", "plotarea(mu)"), M2_PER_MU, "亩 → m²: × 10000/15"),
    "area_unitless": (("样地面积", "plotarea"), Decimal(1),
                      "样地面积 without a unit read as m² (每木检尺 forms)"),
    "age_class": (("年龄/度", "年龄(度)", "年龄", "度", "竹龄", "竹龄(度)", "龄级", "ageclass", "age"),
                  Decimal(1), None),
    "dbh_cm": (("胸径(cm)", "胸径(厘米)", "胸径", "dbh", "dbhcm", "dbh(cm)"), Decimal(1), None),
    "dbh_mm": (("胸径(mm)", "胸径(毫米)", "dbhmm", "dbh(mm)"), Decimal("0.1"), "mm → cm: × 0.1"),
    "plant_kg": (("单株干重(kg)", "单株干重(千克)", "单株干重", "plantdrymasskg", "plantdrymass(kg)"),
                 Decimal(1), None),
    "plant_g": (("单株干重(g)", "单株干重(克)", "plantdrymassg", "plantdrymass(g)"),
                Decimal("0.001"), "g → kg: × 0.001"),
    "litter_g_per_m2": (("凋落物干重(g/m2)", "凋落物干重(g/m²)", "凋落物(g/m2)", "凋落物(g/m²)",
                         "litterdrymassgperm2", "litter(g/m2)"), Decimal(1), None),
    "litter_t_per_ha": (("凋落物干重(t/ha)", "凋落物(t/ha)", "凋落物(t/hm2)", "litter(t/ha)"),
                        Decimal(100), "t/ha → g/m²: × 100"),
    "litter_unitless": (("凋落物干重", "凋落物", "litter"), Decimal(1), None),
    "thickness_cm": (("土层厚度(cm)", "土层厚度", "厚度(cm)", "thicknesscm"), Decimal(1), None),
    "bulk_density_g_per_cm3": (("容重(g/cm3)", "容重(g/cm³)", "土壤容重(g/cm3)", "土壤容重(g/cm³)",
                                "容重", "土壤容重", "bulkdensitygpercm3", "bulkdensity(g/cm3)"),
                               Decimal(1), None),
    "bulk_density_kg_per_m3": (("容重(kg/m3)", "容重(kg/m³)", "bulkdensity(kg/m3)"),
                               Decimal("0.001"), "kg/m³ → g/cm³: × 0.001"),
    "soc_g_per_kg": (("有机碳(g/kg)", "土壤有机碳(g/kg)", "有机碳", "organiccarbongperkg",
                      "soc(g/kg)"), Decimal(1), None),
    "soc_pct": (("有机碳(%)", "土壤有机碳(%)", "soc(%)"), Decimal(10), "% → g/kg: × 10"),
    "som_g_per_kg": (("有机质(g/kg)", "土壤有机质(g/kg)", "有机质", "som(g/kg)"), VAN_BEMMELEN,
                     "organic matter → organic carbon: × 0.58 (van Bemmelen)"),
    "gravel_fraction": (("砾石含量", "砾石含量(比例)", "gravelfraction"), Decimal(1), None),
    "gravel_pct": (("砾石含量(%)", "gravel(%)"), Decimal("0.01"), "% → fraction: × 0.01"),
}
_FIELD_OF = {column_key(name): f for f, (names, _, _) in _COLUMNS.items() for name in names}
# A field given in several units: the alternatives (only one may be present).
_ALTERNATIVES = {
    "stratum_area": ("stratum_area_ha", "stratum_area_mu", "stratum_area_unitless"),
    "area": ("area_m2", "area_mu", "area_unitless"),
    "dbh": ("dbh_cm", "dbh_mm"),
    "plant": ("plant_kg", "plant_g"),
    "litter": ("litter_g_per_m2", "litter_t_per_ha", "litter_unitless"),
    "bulk_density": ("bulk_density_g_per_cm3", "bulk_density_kg_per_m3"),
    "soc": ("soc_g_per_kg", "soc_pct", "som_g_per_kg"),
    "gravel": ("gravel_fraction", "gravel_pct"),
}
_UNITLESS = {"stratum_area_unitless": "层面积（公顷） / 层面积（亩）",
             "litter_unitless": "凋落物干重（g/m²） / 凋落物干重（t/ha）"}
REQUIRED = ("date", "plot_id", "stratum", "stratum_area", "area")
TEMPLATE_COLUMNS = {
    "bamboo": {"zh": ("调查日期", "样地号", "层", "层面积（公顷）", "样地面积（平方米）", "年龄/度", "胸径（cm）",
                      "凋落物干重（g/m²）", "土层厚度（cm）", "容重（g/cm³）", "有机碳（g/kg）"),
               "en": ("date", "plot_id", "stratum", "stratum_area_ha", "plot_area_m2", "age_class",
                      "dbh_cm", "litter_dry_mass_g_per_m2", "thickness_cm", "bulk_density_g_per_cm3",
                      "organic_carbon_g_per_kg")},
    "tea": {"zh": ("调查日期", "样地号", "层", "层面积（公顷）", "样地面积（平方米）", "单株干重（kg）"),
            "en": ("date", "plot_id", "stratum", "stratum_area_ha", "plot_area_m2", "plant_dry_mass_kg")},
}
_ROMAN = {"I": "I", "II": "II", "III": "III", "IV": "IV", "V": "V", "VI": "VI",
          "1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI",
          "一": "I", "二": "II", "三": "III", "四": "IV", "五": "V", "六": "VI",
          "Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V", "Ⅵ": "VI"}
_SOIL_KEYS = ("thickness_cm", "bulk_density", "soc")


@dataclass
class _PlotDraft:
    plot_id: str
    stratum: str
    first_row: int
    area_m2: Decimal | None = None
    culms: list[dict[str, Any]] = field(default_factory=list)
    plants: list[Decimal] = field(default_factory=list)
    litter: Decimal | None = None
    litter_row: int | None = None
    soil: list[dict[str, str]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def _c(value: Decimal) -> str:
    """Canonical decimal text (no exponent, no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def read_plot_file(data: bytes, name: str) -> dict[str, Any]:
    """The ``plot_inventory`` block held by the file ``name`` (its bytes ``data``).

    Returns ``plot_inventory`` (ready to put into an estimate's inputs), ``plots`` (per event and
    plot, the rows it came from: an estimate's problem at ``plot_inventory.events[e].plots[p]``
    is found there), ``conversions`` (each unit conversion: column, from, factor), ``columns``
    (field → the column as named) and ``ignored_columns``.

    Raises
    ------
    InvalidInput
        ``file_format_unsupported``, ``file_unreadable``, ``plot_file_empty``,
        ``plot_file_too_many_rows``, ``plot_file_has_problems`` (with every problem of the
        header and of each row, each naming the row and the column).
    """
    rows = _table_rows(data, file_format(name))
    if len(rows) < 2:
        raise InvalidInput("plot_file_empty", source=name)
    header, body = rows[0][1], rows[1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput("plot_file_too_many_rows", source=name, rows=len(body),
                           max_rows=MAX_ROWS)
    columns, ignored, problems = _columns(header)
    names = {f: _text(header[i]) for f, i in columns.items()}
    if problems:
        _refuse(name, problems)
    events: dict[str, dict[str, _PlotDraft]] = {}
    strata: dict[str, tuple[Decimal, int]] = {}
    seen_strata: dict[str, int] = {}
    for number, cells in body:
        _row(number, cells, columns, names, events, strata, seen_strata, problems)
    if not problems:
        _check_plots(events, names, problems)
        for stratum, first in seen_strata.items():
            if stratum not in strata:
                problems.append(problem("plot_stratum_area_missing", first, names[present_key(
                    columns, "stratum_area")], stratum=stratum))
    if problems:
        _refuse(name, problems)
    conversions = [{"column": names[f], "field": f, "factor": _c(_COLUMNS[f][1]),
                    "conversion": _COLUMNS[f][2]} for f in columns if _COLUMNS[f][2]]
    inventory = {"strata": {s: _c(area) for s, (area, _) in sorted(strata.items())},
                 "events": [{"date": day, "plots": [_plot_document(p) for p in plots.values()]}
                            for day, plots in sorted(events.items())]}
    located = [{"event": e, "date": day, "plot": p, "plot_id": draft.plot_id, "rows": draft.rows}
               for e, (day, plots) in enumerate(sorted(events.items()))
               for p, draft in enumerate(plots.values())]
    return {"source": name, "plot_inventory": inventory, "plots": located,
            "conversions": conversions, "columns": names, "ignored_columns": ignored,
            "rows": len(body)}


def with_plot_inventory(inputs: dict[str, Any], inventory: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` with ``inventory`` as their ``plot_inventory``: the stock events (``events``,
    ``biomass_events``) and ``uncertainty`` dropped (the plots give both), a given inventory's ``uncertainty_profile`` and
    ``allocation`` kept. Inputs that are no JSON object, or hold NaN or infinity, are refused
    (``value_invalid``)."""
    inputs = checks.mapping(inputs, "inputs")
    try:
        json.dumps(inputs, allow_nan=False, default=str)
    except (ValueError, TypeError, RecursionError):
        raise InvalidInput("value_invalid", field="inputs", value="NaN or infinity") from None
    given = inputs.get("plot_inventory")
    options = ({k: v for k, v in given.items() if k in ("uncertainty_profile", "allocation")}
               if isinstance(given, dict) else {})
    merged = {k: v for k, v in inputs.items()
              if k not in ("events", "biomass_events", "uncertainty", "plot_inventory")}
    merged["plot_inventory"] = {**inventory, **options}
    return merged


def template_bytes(kind: str, lang: str, fmt: str) -> bytes:
    """An empty template (header and one example row) as ``csv`` (UTF-8 with its mark, what
    Excel opens) or ``xlsx``."""
    header = TEMPLATE_COLUMNS[kind][lang]
    example = {"bamboo": ("2024-10-15", "P01", "A", "120", "400", "2", "10.5", "450", "30",
                          "1.2", "18.5"),
               "tea": ("2024-10-15", "T01", "A", "40", "100", "1.8")}[kind]
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerows([header, example])
        return text.getvalue().encode("utf-8-sig")
    # deferred on purpose: openpyxl loads only when a spreadsheet is written
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "每木检尺" if lang == "zh" else "plots"
    sheet.append(list(header))
    sheet.append([_example_cell(v) for v in example])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _example_cell(value: str) -> Any:
    """A number as a number (what a crew types), anything else as text."""
    return float(value) if re.fullmatch(r"\d+(\.\d+)?", value) else value


def template_columns(kind: str, lang: str) -> tuple[str, ...]:
    """The template's header for ``bamboo`` or ``tea`` in ``zh`` or ``en``."""
    return TEMPLATE_COLUMNS[kind][lang]


def _refuse(name: str, problems: list[dict[str, Any]]) -> None:
    rows = len({p["row"] for p in problems if p["row"] is not None})
    raise InvalidInput("plot_file_has_problems", source=name, count=len(problems), rows=rows,
                       problems=problems[:200])


def _columns(header: list[Any]) -> tuple[dict[str, int], list[str], list[dict[str, Any]]]:
    found: dict[str, list[int]] = {}
    ignored = []
    for i, cell in enumerate(header):
        key = _FIELD_OF.get(column_key(cell))
        if key is None:
            if _text(cell):
                ignored.append(_text(cell))
            continue
        found.setdefault(key, []).append(i)
    problems = []
    for key, where in found.items():
        if len(where) > 1:
            problems.append(problem("plot_column_repeated", None, _text(header[where[0]]),
                                    columns=", ".join(_text(header[i]) for i in where)))
    for group, keys in _ALTERNATIVES.items():
        present = [k for k in keys if k in found]
        if len(present) > 1:
            problems.append(problem("plot_column_repeated", None, group, columns=", ".join(
                _text(header[found[k][0]]) for k in present)))
        for key in present:
            if key in _UNITLESS:
                column = _text(header[found[key][0]])
                problems.append(problem("plot_column_unit_missing", None, column, column=column,
                                        named=_UNITLESS[key]))
    missing = [f for f in REQUIRED
               if not (set(_ALTERNATIVES.get(f, (f,))) & found.keys())]
    if missing:
        zh, en = TEMPLATE_COLUMNS["bamboo"]["zh"], TEMPLATE_COLUMNS["bamboo"]["en"]
        index = {"date": 0, "plot_id": 1, "stratum": 2, "stratum_area": 3, "area": 4}
        problems.append(problem("plot_columns_missing", None, None, columns=", ".join(
            f"{zh[index[f]]} / {en[index[f]]}" for f in missing)))
    if not ({"age_class", "plant_kg", "plant_g"} & found.keys()):
        problems.append(problem("plot_columns_missing", None, None,
                                columns="年龄/度 / age_class, 单株干重（kg） / plant_dry_mass_kg"))
    return {f: where[0] for f, where in found.items()}, ignored, problems


def _row(number: int, cells: list[Any], columns: dict[str, int], names: dict[str, str],
         events: dict[str, dict[str, _PlotDraft]], strata: dict[str, tuple[Decimal, int]],
         seen_strata: dict[str, int], problems: list[dict[str, Any]]) -> None:
    before = len(problems)

    def cell(key: str) -> Any:
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    def present(group: str) -> str | None:
        return next((k for k in _ALTERNATIVES.get(group, (group,)) if k in columns
                     and _text(cell(k))), None)

    def number_of(group: str, *, positive: bool = True) -> Decimal | None:
        key = present(group)
        if key is None:
            return None
        value = _number(cell(key))
        if value is None or value < 0 or (positive and value == 0):
            problems.append(problem("plot_cell_not_a_number", number, names[key],
                                    value=_text(cell(key))[:40]))
            return None
        factor = _COLUMNS[key][1]
        return value if factor == 1 else (value * factor).quantize(Decimal("0.000001"))

    day = _day(cell("date"), number, names["date"], problems)
    texts = {}
    for key in ("plot_id", "stratum"):
        texts[key] = _text(cell(key))
        if not texts[key]:
            problems.append(problem("field_required", number, names[key]))
        elif len(texts[key]) > 60:
            problems.append(problem("plot_cell_too_long", number, names[key],
                                    value=texts[key][:40]))
    if day is None and _text(cell("date")) == "":
        problems.append(problem("field_required", number, names["date"]))
    area = number_of("area")
    stratum_area = number_of("stratum_area")
    age = None
    if "age_class" in columns and _text(cell("age_class")):
        age = _age_class(cell("age_class"))
        if age is None:
            problems.append(problem("plot_age_class_unreadable", number, names["age_class"],
                                    value=_text(cell("age_class"))[:40]))
    dbh = number_of("dbh")
    plant = number_of("plant")
    litter = number_of("litter", positive=False)
    soil = {key: number_of(key) for key in _SOIL_KEYS}
    gravel = number_of("gravel", positive=False)
    soil_given = [k for k in _SOIL_KEYS if present(k)]
    if soil_given and len(soil_given) < len(_SOIL_KEYS):
        lacking = next(k for k in _SOIL_KEYS if k not in soil_given)
        column = names.get(lacking) or next(
            (names[k] for k in _ALTERNATIVES.get(lacking, ()) if k in names), lacking)
        problems.append(problem("plot_soil_layer_incomplete", number, column))
    if present("dbh") and age is None and not _text(cell("age_class")):
        problems.append(problem("field_required", number, names.get("age_class", "age_class")))
    if not (present("age_class") or present("plant") or present("litter") or soil_given):
        problems.append(problem("plot_row_measures_nothing", number, None))
    if len(problems) > before or day is None:
        return
    stratum = texts["stratum"]
    seen_strata.setdefault(stratum, number)
    def disagrees(group: str, value: Decimal | str, earlier: Decimal | str, row: int) -> None:
        column = names["stratum"] if group == "stratum" else names[present_key(columns, group)]
        problems.append(problem("plot_value_disagrees", number, column, earlier_row=row,
                                **{k: v if isinstance(v, str) else _c(v)
                                   for k, v in (("value", value), ("earlier", earlier))}))

    if stratum_area is not None:
        known = strata.get(stratum)
        if known is not None and known[0] != stratum_area:
            disagrees("stratum_area", stratum_area, *known)
            return
        strata.setdefault(stratum, (stratum_area, number))
    plots = events.setdefault(day, {})
    draft = plots.get(texts["plot_id"])
    if draft is None:
        draft = plots[texts["plot_id"]] = _PlotDraft(texts["plot_id"], stratum, number)
    elif draft.stratum != stratum:
        disagrees("stratum", stratum, draft.stratum, draft.first_row)
        return
    draft.rows.append(number)
    if area is not None and draft.area_m2 is not None and draft.area_m2 != area:
        disagrees("area", area, draft.area_m2, draft.first_row)
    elif area is not None:
        draft.area_m2 = area
    if litter is not None and draft.litter is not None and draft.litter != litter:
        disagrees("litter", litter, draft.litter, draft.litter_row or number)
    elif litter is not None:
        draft.litter, draft.litter_row = litter, number
    if age is not None:
        draft.culms.append({"age_class": age, **({} if dbh is None else {"dbh_cm": _c(dbh)})})
    if plant is not None:
        draft.plants.append(plant)
    if soil_given:
        layer = {"thickness_cm": _c(soil["thickness_cm"]),
                 "bulk_density_g_per_cm3": _c(soil["bulk_density"]),
                 "organic_carbon_g_per_kg": _c(soil["soc"])}
        if gravel is not None:
            layer["gravel_fraction"] = _c(gravel)
        draft.soil.append(layer)


def present_key(columns: dict[str, int], group: str) -> str:
    """The key of the column the file uses for ``group`` (one of its unit alternatives)."""
    return next(k for k in _ALTERNATIVES.get(group, (group,)) if k in columns)


def _age_class(value: Any) -> str | None:
    """``1度``, ``I``, ``一度``, ``2`` … as the methodology's age class (``I``…``VI``)."""
    text = unicodedata.normalize("NFKC", _text(value)).strip().upper()
    text = re.sub(r"(度|年生|DU)$", "", text).strip()
    if text.endswith(".0"):
        text = text[:-2]
    return _ROMAN.get(text) or _ROMAN.get(unicodedata.normalize("NFKC", text))


def _check_plots(events: dict[str, dict[str, _PlotDraft]], names: dict[str, str],
                 problems: list[dict[str, Any]]) -> None:
    for plots in events.values():
        for draft in plots.values():
            if draft.area_m2 is None:
                problems.append(problem("plot_area_missing", draft.first_row,
                                        next(names[k] for k in _ALTERNATIVES["area"]
                                             if k in names), plot_id=draft.plot_id))


def _plot_document(draft: _PlotDraft) -> dict[str, Any]:
    document: dict[str, Any] = {"plot_id": draft.plot_id, "stratum": draft.stratum,
                                "area_m2": _c(draft.area_m2 or Decimal(0))}
    if draft.culms:
        document["culms"] = draft.culms
    if draft.plants:
        document["plants_dry_mass_kg"] = [_c(m) for m in draft.plants]
    if draft.litter is not None:
        document["litter_dry_mass_g_per_m2"] = _c(draft.litter)
    if draft.soil:
        document["soil_layers"] = draft.soil
    return document
