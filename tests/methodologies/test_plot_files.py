"""Sample-plot inventories (每木检尺) from Excel or CSV (issue 21): Chinese headers, units read
from the column, every row problem named by row and column, and an estimate end to end from
the file through the command line."""

import copy
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from methodologies.registry import get_methodology
from sinkledger import catalogue
from sinkledger.services.plot_files import read_plot_file, template_bytes, with_plot_inventory
from sinkledger_base.errors import InvalidInput

BAMBOO = "sinkledger.bamboo-moso-management"
HEADER = ["调查日期", "样地号", "层", "层面积（公顷）", "样地面积（平方米）", "年龄/度", "胸径（cm）",
          "凋落物干重（g/m²）"]


def _rows(events=(("2020-11-01", 0), ("2022-11-01", 3))) -> list[list]:
    """Two strata (A 12 ha, B 8 ha), five permanent plots, 40-60 culms each, remeasured."""
    rows = []
    plots = (("A1", "A", 50), ("A2", "A", 56), ("A3", "A", 47), ("B1", "B", 35), ("B2", "B", 41))
    for day, growth in events:
        for plot, stratum, culms in plots:
            for i in range(culms + growth):
                rows.append([day, plot, stratum, 12 if stratum == "A" else 8, 400,
                             f"{1 + i % 3}度", round(9 + (i * 7 % 11) / 5, 1),
                             300 + culms if i == 0 else None])
    return rows


def _csv(rows: list[list], header: list[str] = HEADER) -> bytes:
    text = "\n".join(",".join("" if c is None else str(c) for c in row) for row in [header, *rows])
    return text.encode("utf-8-sig")


def _xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _problems(data: bytes, name: str) -> list[dict]:
    with pytest.raises(InvalidInput) as caught:
        read_plot_file(data, name)
    assert caught.value.code == "plot_file_has_problems"
    return caught.value.params["problems"]


def _base_inputs() -> dict:
    document = copy.deepcopy(get_methodology(BAMBOO).example_inputs())
    document["biomass_method"] = "allometry_dbh_age"
    document.pop("culm_biomass_basis", None)
    document["period_start"], document["period_end"] = "2020-11-01", "2022-11-01"
    return document


def test_an_excel_inventory_with_chinese_headers_reads_into_plots_per_event() -> None:
    result = read_plot_file(_xlsx(_rows()), "每木检尺.xlsx")
    inventory = result["plot_inventory"]
    assert inventory["strata"] == {"A": "12", "B": "8"}
    assert [e["date"] for e in inventory["events"]] == ["2020-11-01", "2022-11-01"]
    first = inventory["events"][0]["plots"][0]
    assert first["plot_id"] == "A1" and first["area_m2"] == "400" and len(first["culms"]) == 50
    assert {c["age_class"] for c in first["culms"]} == {"I", "II", "III"}
    assert first["litter_dry_mass_g_per_m2"] == "350"
    # The rows each plot came from, to find an estimate's problem at events[e].plots[p].
    assert result["plots"][0]["rows"] == list(range(2, 52))


def test_the_estimate_from_the_file_equals_the_estimate_from_the_same_plots_as_json() -> None:
    csv_result = read_plot_file(_csv(_rows()), "plots.csv")
    xlsx_result = read_plot_file(_xlsx(_rows()), "plots.xlsx")
    assert csv_result["plot_inventory"] == xlsx_result["plot_inventory"]
    inputs = with_plot_inventory(_base_inputs(), csv_result["plot_inventory"])
    assert "events" not in inputs and "uncertainty" not in inputs
    estimate = get_methodology(BAMBOO).estimate(inputs)
    change = estimate.sampling["change"]
    assert change["design"] == "paired" and estimate.sampling["events"][0]["stock"]["plots"] == 5
    assert "litter" in estimate.sampling["events"][0]["pools"]


@pytest.mark.parametrize(("header", "cell", "converted", "field"), [
    ("样地面积（亩）", "0.6", "400", "area_m2"),          # 0.6 mu = 400 m²
    ("胸径（mm）", "95", "9.5", "dbh_cm"),
    ("凋落物干重（t/ha）", "3.5", "350", "litter_dry_mass_g_per_m2"),
])
def test_a_column_in_another_unit_is_converted_and_the_conversion_listed(header, cell, converted,
                                                                         field) -> None:
    column = {"area_m2": 4, "dbh_cm": 6, "litter_dry_mass_g_per_m2": 7}[field]
    rows = _rows()
    for row in rows:
        if row[column] is not None:
            row[column] = cell
    names = list(HEADER)
    names[column] = header
    result = read_plot_file(_csv(rows, names), "plots.csv")
    plot = result["plot_inventory"]["events"][0]["plots"][0]
    value = plot["culms"][0][field] if field == "dbh_cm" else plot[field]
    assert Decimal(value) == Decimal(converted)
    [conversion] = [c for c in result["conversions"] if c["column"] == header]
    assert "→" in conversion["conversion"]


def test_stratum_area_in_mu_is_converted_to_hectares() -> None:
    rows = _rows()
    for row in rows:
        row[3] = 180 if row[2] == "A" else 120
    names = list(HEADER)
    names[3] = "层面积（亩）"
    assert read_plot_file(_csv(rows, names), "p.csv")["plot_inventory"]["strata"] == {
        "A": "12", "B": "8"}


def test_soil_layers_in_percent_organic_carbon_are_read_as_g_per_kg() -> None:
    header = HEADER + ["土层厚度（cm）", "容重（g/cm³）", "有机碳（%）"]
    rows = []
    for row in _rows():
        rows.append(row + [None, None, None])
    by_plot: dict[tuple, int] = {}
    for row in rows:
        key = (row[0], row[1])
        if key not in by_plot:
            by_plot[key] = 1
            row[8:11] = [30, "1.2", "1.85"]
    result = read_plot_file(_csv(rows, header), "p.csv")
    layer = result["plot_inventory"]["events"][0]["plots"][0]["soil_layers"][0]
    assert layer == {"thickness_cm": "30", "bulk_density_g_per_cm3": "1.2",
                     "organic_carbon_g_per_kg": "18.5"}


@pytest.mark.parametrize(("row_index", "column", "value", "code"), [
    (3, 6, "九点五", "plot_cell_not_a_number"),
    (5, 5, "7度", "plot_age_class_unreadable"),
    (8, 4, "500", "plot_value_disagrees"),        # the same plot, another area
    (2, 0, "2020-13-45", "date_unreadable"),
    (9, 1, "", "field_required"),
])
def test_each_bad_cell_is_named_by_its_row_and_column(row_index, column, value, code) -> None:
    rows = _rows()
    rows[row_index][column] = value
    problems = _problems(_csv(rows), "plots.csv")
    [found] = [p for p in problems if p["code"] == code]
    assert found["row"] == row_index + 2 and found["field"] == HEADER[column]
    zh, en = catalogue.problem_messages(found)
    assert "?" not in zh and "?" not in en


def test_every_problem_of_the_file_is_listed_at_once() -> None:
    rows = _rows()
    rows[3][6] = "x"
    rows[40][5] = "九度"
    problems = _problems(_xlsx(rows), "plots.xlsx")
    assert [(p["row"], p["code"]) for p in problems] == [
        (5, "plot_cell_not_a_number"), (42, "plot_age_class_unreadable")]


@pytest.mark.parametrize(("names", "code"), [
    (["调查日期", "样地号", "层", "层面积", "样地面积", "年龄/度", "胸径"], "plot_column_unit_missing"),
    (["调查日期", "样地号", "层", "层面积（公顷）", "年龄/度", "胸径"], "plot_columns_missing"),
    (["调查日期", "样地号", "层", "层面积（公顷）", "样地面积", "年龄/度", "胸径（cm）", "胸径（mm）"],
     "plot_column_repeated"),
])
def test_header_problems_refuse_the_file_naming_the_columns(names, code) -> None:
    problems = _problems(_csv([["2020-11-01", "A1", "A", 1, 400, "1度", 9]], names), "p.csv")
    assert code in [p["code"] for p in problems]
    assert all(p["row"] is None for p in problems)


def test_the_template_reads_back_in_both_languages() -> None:
    for lang in ("zh", "en"):
        data = template_bytes("bamboo", lang, "xlsx")
        header = [c.value for c in next(load_workbook(io.BytesIO(data)).active.iter_rows())]
        assert header[1] == ("样地号" if lang == "zh" else "plot_id")
        result = read_plot_file(data, "t.xlsx")
        assert result["plot_inventory"]["events"][0]["plots"][0]["culms"] == [
            {"age_class": "II", "dbh_cm": "10.5"}]
        assert read_plot_file(template_bytes("bamboo", lang, "csv"), "t.csv")[
            "plot_inventory"] == result["plot_inventory"]


def test_a_plot_file_from_the_command_line_gives_an_estimate_with_its_sampling(tmp_path: Path) -> None:
    plots = tmp_path / "每木检尺.csv"
    plots.write_bytes(_csv(_rows()))
    base = tmp_path / "base.json"
    base.write_text(json.dumps(_base_inputs()), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "sinkledger", "estimate", "--methodology", BAMBOO,
                          "--inputs", str(base), "--plots", str(plots), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    estimate = json.loads(run.stdout)
    assert estimate["sampling"]["change"]["design"] == "paired"
    assert estimate["uncertainty_deduction_kg_co2e"] >= 0
    bad = tmp_path / "bad.csv"
    rows = _rows()
    rows[0][6] = "abc"
    bad.write_bytes(_csv(rows))
    run = subprocess.run([sys.executable, "-m", "sinkledger", "methodologies", "plots", "import",
                          str(bad), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    error = json.loads(run.stdout or run.stderr)["error"]
    assert error["code"] == "plot_file_has_problems"
    assert "第 2 行" in error["details"]["problems"][0]["message_zh"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_of_a_plot_estimate_has_its_sampling_section(lang: str) -> None:
    from sinkledger.documents.reports import build_sections, label, render

    inventory = read_plot_file(_csv(_rows()), "plots.csv")["plot_inventory"]
    estimate = get_methodology(BAMBOO).estimate(with_plot_inventory(_base_inputs(), inventory))
    document = estimate.to_dict()
    [section] = [s for s in build_sections(document, lang) if s["title"] == label("sampling", lang)]
    change = document["sampling"]["change"]
    rows = {row[0]: row for row in section["rows"]}
    assert len(section["rows"]) == len(document["sampling"]["events"]) + 2
    change_row = next(row for name, row in rows.items() if "paired" in name)
    assert change_row[1] == str(change["plots"])
    assert change_row[5] == f"{Decimal(change['precision']) * 100:.1f} %"
    extra = change["plots_needed"]["extra"]
    assert change_row[7].startswith(f"{extra} (")
    text = render(document, "md", lang).decode()
    assert label("sampling", lang) in text and label("ci90", lang) in text
    assert render(document, "pdf", lang).startswith(b"%PDF")


@pytest.mark.parametrize("methodology_id", [BAMBOO, "sinkledger.tea-garden",
                                            "sinkledger.wetland-lake-marsh"])
def test_every_report_names_every_parameter_not_verified_with_its_published_range(
        methodology_id: str) -> None:
    from sinkledger.documents.reports import build_sections, label

    methodology = get_methodology(methodology_id)
    document = methodology.estimate(methodology.example_inputs()).to_dict()
    [section] = [s for s in build_sections(document, "en")
                 if s["title"] == label("to_confirm", "en")]
    unconfirmed = [p["key"] for p in document["parameters"]
                   if p["status"] not in ("verified", "derived")]
    assert unconfirmed, "every example uses some parameter still to confirm"
    assert [row[0] for row in section["rows"]] == unconfirmed


def test_the_moso_carbon_fraction_is_shown_outside_the_published_stand_range() -> None:
    from sinkledger.documents.reports import build_sections, label

    methodology = get_methodology(BAMBOO)
    document = methodology.estimate(methodology.example_inputs()).to_dict()
    [section] = [s for s in build_sections(document, "en")
                 if s["title"] == label("to_confirm", "en")]
    [row] = [row for row in section["rows"] if row[0] == "carbon_fraction"]
    assert row[3].startswith("0.4585–0.464") and row[4] == "no"


def _tea_rows(growth: str = "0.15") -> list[str]:
    """Five tea plots of 100 m² (two strata), 20 bushes each, weighed in two surveys."""
    rows = ["调查日期,样地号,层,层面积（亩）,样地面积（平方米）,单株干重（g）"]
    for day, gain in (("2022-04-10", Decimal(0)), ("2024-04-10", Decimal(growth))):
        for index, (plot, stratum) in enumerate((("T1", "A"), ("T2", "A"), ("T3", "A"),
                                                  ("T4", "B"), ("T5", "B"))):
            for bush in range(20):
                kg = (Decimal("1.6") + gain * (index % 3 + 1) / 2
                      + Decimal((bush * 7 + index * 3) % 9) / 20)
                rows.append(f"{day},{plot},{stratum},{18 if stratum == 'A' else 12},100,"
                            f"{kg * 1000}")
    return rows


def test_a_tea_plant_inventory_gives_the_tea_estimate_its_biomass_and_deduction() -> None:
    tea = get_methodology("sinkledger.tea-garden")
    assert tea.version == "1.1.0"
    result = read_plot_file("\n".join(_tea_rows()).encode("utf-8"), "茶园.csv")
    inventory = result["plot_inventory"]
    assert inventory["strata"] == {"A": "1.2", "B": "0.8"}  # 18 and 12 mu
    plants = inventory["events"][0]["plots"][0]["plants_dry_mass_kg"]
    assert len(plants) == 20 and Decimal(plants[0]) == Decimal("1.6")  # 1600 g
    estimate = tea.estimate(with_plot_inventory(tea.example_inputs(), inventory))
    first = estimate.sampling["events"][0]["stock"]
    # Plot T1 at the first survey: Σ m / 100 m² × 10 × CF 0.47 t C/ha.
    t1 = sum(Decimal(m) for m in plants) / 100 * 10 * Decimal("0.47")
    assert Decimal(estimate.sampling["events"][0]["plots"][0]["biomass"]) == t1
    change = estimate.sampling["change"]
    u = Decimal(change["u_pct"]) / 100
    # The plots' U is the biomass component of NER_ERROR (VM0033 eq. 92 composition).
    [ner_error] = [step for step in estimate.steps if step.name == "NER_ERROR"]
    assert u > Decimal("0.1") and f"({round(u, 4)} × " in ner_error.equation
    assert first["plots"] == 5
    # 1.0.0 refuses a plot inventory (a field it does not know).
    with pytest.raises(Exception) as caught:
        get_methodology("sinkledger.tea-garden", "1.0.0").estimate(
            with_plot_inventory(tea.example_inputs(), inventory))
    assert "plot_inventory" in str(caught.value)


def test_tea_plots_refuse_litter_and_soil_samples() -> None:
    tea = get_methodology("sinkledger.tea-garden")
    inventory = read_plot_file("\n".join(_tea_rows()).encode("utf-8"), "茶园.csv")[
        "plot_inventory"]
    inventory["events"][0]["plots"][0]["litter_dry_mass_g_per_m2"] = "300"
    from methodologies.errors import InvalidInput as MethodologyInvalid

    with pytest.raises(MethodologyInvalid) as caught:
        tea.estimate(with_plot_inventory(tea.example_inputs(), inventory))
    assert ("plot_inventory.events[0].plots[0].litter_dry_mass_g_per_m2",
            "field_does_not_apply_to_method") in [(p.field, p.code)
                                                  for p in caught.value.problems]
