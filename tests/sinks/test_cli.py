"""``sinkledger parcels import / list / show / export`` as an operator runs them (click's runner).

The lead wires the group into the main command (``main.add_command(parcels)``); here the same
group is mounted on a copy of the main command.
"""

from __future__ import annotations

import json

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner

from sinkledger.cli.main import main
from sinkledger.cli.parcels import parcels
from tests.sinks.conftest import bamboo_rows, frame, square_m, to_lonlat, write

CLI = click.Group(name="sinkledger", params=main.params, callback=main.callback,
                  commands={**main.commands, "parcels": parcels})


def run(registry, *args: str) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(CLI, ["--database-url", registry.settings.database_url, "parcels", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.fixture
def parcel_file(tmp_path):  # type: ignore[no-untyped-def]
    rows = [{**r, "面积": 60} for r in bamboo_rows(3)]
    return write(frame(rows, [to_lonlat(square_m(i, 0)) for i in range(3)]), tmp_path / "parcels.gpkg")


def test_dry_run_import_list_show_export(registry, parcel_file, tmp_path):  # type: ignore[no-untyped-def]
    code, preview = run(registry, "import", str(parcel_file), "--dry-run", "--actor", "coop")
    assert code == 0 and preview["ok"] and len(preview["parcels"]) == 3 and registry.parcels() == []
    code, out = run(registry, "import", str(parcel_file), "--actor", "coop")
    assert code == 0 and out["parcels_registered"] == 3 and out["area_mu"] == "180.00"
    code, again = run(registry, "import", str(parcel_file), "--actor", "coop")
    assert code == 0 and again["replayed"] and again["seq"] == out["seq"]
    code, listed = run(registry, "list")
    assert [p["parcel_code"] for p in listed["parcels"]] == ["T-BF-001", "T-BF-002", "T-BF-003"]
    code, shown = run(registry, "show", "T-BF-002", "--history")
    assert shown["parcel"]["declared_area_mu"] == 60 and shown["history"][0]["change"] == "imported"
    for name in ("out.gpkg", "out.geojson", "out.zip"):
        code, exported = run(registry, "export", str(tmp_path / name))
        assert code == 0 and exported["parcels"] == 3
        back = gpd.read_file(tmp_path / name)
        assert len(back) == 3 and back.crs.to_epsg() == 4490


def test_an_exported_shapefile_imports_back_into_another_registry(registry, parcel_file, tmp_path):  # type: ignore[no-untyped-def]
    run(registry, "import", str(parcel_file), "--actor", "coop")
    run(registry, "export", str(tmp_path / "out.zip"))
    before = registry.journal(limit=1)
    code, out = run(registry, "import", str(tmp_path / "out.zip"), "--dry-run", "--actor", "coop")
    # a dry run that finds problems exits 2 with the refusal the import would meet (issue 16)
    assert code == 2 and out["error"]["code"] == "parcel_import_has_problems" and out["error"]["details"]["dry_run"]
    assert {p["code"] for p in out["error"]["details"]["problems"]} == {"parcel_code_taken", "parcel_overlaps_existing"}
    assert out["error"]["message_zh"] and out["error"]["message_en"] and registry.journal(limit=1) == before


def test_refusals_exit_2_with_the_per_row_report(registry, tmp_path):  # type: ignore[no-untyped-def]
    rows = bamboo_rows(2)
    path = write(frame(rows, [to_lonlat(square_m(0, 0)), to_lonlat(square_m(0.5, 0))]), tmp_path / "o.gpkg")
    code, out = run(registry, "import", str(path), "--actor", "coop")
    assert code == 2 and out["error"]["code"] == "parcel_import_has_problems"
    assert [(p["row"], p["code"]) for p in out["error"]["details"]["problems"]] == \
        [(1, "parcels_overlap_in_file"), (2, "parcels_overlap_in_file")]
    code, out = run(registry, "import", str(path), "--actor", "coop", "--map", "nonsense")
    assert code == 2 and out["error"]["code"] == "value_invalid"
    code, out = run(registry, "show", "NOPE")
    assert code == 2 and out["error"]["code"] == "parcel_not_found"


def test_plain_output_renders(registry, parcel_file):  # type: ignore[no-untyped-def]
    base = ["--database-url", registry.settings.database_url, "parcels"]
    for args in (["import", str(parcel_file), "--dry-run", "--actor", "coop"], ["import", str(parcel_file), "--actor", "coop"],
                 ["list"], ["show", "T-BF-001", "--history"]):
        result = CliRunner().invoke(CLI, [*base, *args])
        assert result.exit_code == 0, result.output
    assert "T-BF-001" in result.output and "imported" in result.output
