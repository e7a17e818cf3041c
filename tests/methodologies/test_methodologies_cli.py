"""The CLI of sinkledger.cli.methodologies: list, show, report, and estimate in three modes.

Commands are invoked directly (``methodologies`` group, ``estimate_command``) with the same
``Ctx`` object ``sinkledger.cli.main`` passes; the lead wires them into ``main``.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sinkledger.cli.main import Ctx
from sinkledger.cli.methodologies import estimate_command, methodologies

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "methodologies" / "examples"
GIS = REPO / "gis_data"


def run(command: Any, args: list[str], database_url: str | None = None) -> Any:
    return CliRunner().invoke(command, args, obj=Ctx(database_url), catch_exceptions=False)


def test_list_json_gives_ids_versions_and_parameter_sources() -> None:
    result = run(methodologies, ["list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)["methodologies"]
    assert {(r["id"], r["version"]) for r in rows} >= {
        ("sinkledger.bamboo-moso-management", "1.0.0"),
        ("sinkledger.bamboo-moso-management", "1.1.0"),
        ("sinkledger.wetland-lake-marsh", "1.0.0"), ("sinkledger.tea-garden", "1.0.0")}
    for row in rows:
        assert row["parameters"] and all(p["source"] and p["status"] for p in row["parameters"])
    assert [r["latest"] for r in rows if r["id"].endswith("moso-management")] == [False, False, True]


def test_show_gives_the_schema_with_units_and_the_example() -> None:
    result = run(methodologies, ["show", "sinkledger.wetland-lake-marsh", "--json"])
    data = json.loads(result.output)
    assert data["input_schema"]["ch4_kg_per_ha_yr"]["unit"] == "kg/ha/yr"
    assert data["example_inputs"] == json.loads(
        (EXAMPLES / "wetland_lake_marsh.json").read_text(encoding="utf-8"))
    example = run(methodologies, ["show", "sinkledger.tea-garden", "--example"])
    assert json.loads(example.output)["soil_method"] == "ipcc_tier1"
    assert "ch4_source" in run(methodologies, ["show", "sinkledger.wetland-lake-marsh"]).output


def test_show_refuses_an_unknown_methodology() -> None:
    result = run(methodologies, ["show", "sinkledger.nope", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "methodology_unknown"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_a_dry_estimate_from_each_example_file(example: str) -> None:
    """``sinkledger estimate --methodology ID --inputs FILE --json``: nothing is recorded."""
    methodology_id = {"bamboo_moso_management.json": "sinkledger.bamboo-moso-management",
                      "wetland_lake_marsh.json": "sinkledger.wetland-lake-marsh",
                      "tea_garden.json": "sinkledger.tea-garden"}[example]
    result = run(estimate_command, ["--methodology", methodology_id, "--inputs",
                                    str(EXAMPLES / example), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["methodology_id"] == methodology_id and document["net_kg_co2e"] > 0
    assert len(document["reproducibility_hash"]) == 64
    text = run(estimate_command, ["--methodology", methodology_id, "--inputs",
                                  str(EXAMPLES / example)])
    assert "net_kg_co2e" in text.output


def test_a_dry_estimate_refusal_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"area_ha": "-1", "period_start": "2024-01-01"}))
    result = run(estimate_command, ["--methodology", "sinkledger.tea-garden", "--inputs",
                                    str(bad), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "methodology_input_invalid"
    assert {"area_ha_must_be_positive", "field_is_required"} <= set(
        error["details"]["problem_codes"])


def test_a_dry_batch_from_the_demo_layer_with_rasters(tmp_path: Path) -> None:
    out = tmp_path / "batch.json"
    result = run(estimate_command, [
        "--methodology", "sinkledger.bamboo-moso-management", "--parcels-file",
        str(GIS / "demo_parcels.gpkg"), "--monitoring", str(GIS / "demo_monitoring.json"),
        "--raster", f"2022-11-15={GIS / 'demo_carbon_2022-11-15.tif'}",
        "--raster", f"2024-11-15={GIS / 'demo_carbon_2024-11-15.tif'}",
        "--project", "AJBF01", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["estimated"], summary["refused"]) == (59, 1)
    assert list(summary["refusals"]) == ["AJ-BF-0031"]
    full = json.loads(out.read_text(encoding="utf-8"))
    assert len(full["estimates"]) == 59 and full["project_code"] == "AJBF01"


def test_a_batch_option_error_is_a_refusal() -> None:
    result = run(estimate_command, ["--methodology", "sinkledger.tea-garden", "--parcels-file",
                                    str(GIS / "demo_parcels.gpkg"), "--period", "2024", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "value_invalid"


def test_report_from_an_estimate_file(tmp_path: Path) -> None:
    estimate = run(estimate_command, ["--methodology", "sinkledger.wetland-lake-marsh",
                                      "--inputs", str(EXAMPLES / "wetland_lake_marsh.json"),
                                      "--json"])
    source = tmp_path / "estimate.json"
    source.write_text(estimate.output, encoding="utf-8")
    for fmt, marker in (("md", b"# "), ("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF")):
        target = tmp_path / f"report.{fmt}"
        result = run(methodologies, ["report", "--estimate-file", str(source), "--format", fmt,
                                     "--lang", "zh", "--out", str(target)])
        assert result.exit_code == 0 and target.read_bytes().startswith(marker)
    stdout = run(methodologies, ["report", "--estimate-file", str(source), "--lang", "en"])
    assert "Calculation trace" in stdout.output


def test_report_needs_exactly_one_source() -> None:
    result = run(methodologies, ["report"])
    assert result.exit_code == 2


def test_record_then_report_from_the_database(service, tmp_path: Path) -> None:
    """``estimate --parcel`` records; ``methodologies report ESTIMATE_ID`` renders it."""
    from tests.methodologies.test_batch import register_demo_parcels

    register_demo_parcels(service, ["AJ-BF-0001"])
    url = service.settings.database_url
    monitoring = json.loads((GIS / "demo_monitoring.json").read_text())["parcels"]["AJ-BF-0001"]
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"period_start": "2022-11-15", "period_end": "2024-11-15",
                                  "area_ha": "1", **monitoring}))
    recorded = run(estimate_command, ["--methodology", "sinkledger.bamboo-moso-management",
                                      "--inputs", str(inputs), "--parcel", "AJ-BF-0001",
                                      "--actor", "centre", "--request-id", "r-1", "--json"], url)
    assert recorded.exit_code == 0, recorded.output
    estimate_id = json.loads(recorded.output)["estimate_id"]
    target = tmp_path / "report.pdf"
    result = run(methodologies, ["report", estimate_id, "--format", "pdf", "--lang", "zh",
                                 "--out", str(target)], url)
    assert result.exit_code == 0 and target.read_bytes().startswith(b"%PDF")
    markdown = run(methodologies, ["report", estimate_id, "--format", "md", "--lang", "en"], url)
    assert estimate_id in markdown.output and "Calculation trace" in markdown.output


def test_a_recorded_batch_from_the_cli(service) -> None:
    from tests.methodologies.test_batch import register_demo_parcels

    register_demo_parcels(service, ["AJ-BF-0001", "AJ-BF-0002"])
    result = run(estimate_command, [
        "--methodology", "sinkledger.bamboo-moso-management", "--project", "AJBF01",
        "--period", "2022-11-15..2024-11-15", "--monitoring", str(GIS / "demo_monitoring.json"),
        "--actor", "centre", "--request-id", "b-1", "--json"], service.settings.database_url)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert [r["parcel_code"] for r in summary["recorded"]] == ["AJ-BF-0001", "AJ-BF-0002"]
    assert summary["project_code"] == "AJBF01" and summary["batch_request_id"] == "b-1"
