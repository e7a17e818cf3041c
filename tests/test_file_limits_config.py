"""The parcel-file limits are configuration (issue 9): ``SINKLEDGER_MAX_*`` environment
variables become ``Settings.file_limits``, a bad value is refused when the settings load (at
start-up, with a stable code and Chinese/English messages), and the configured limits are the
ones a parcel file is checked against."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sinkledger.catalogue import REFUSALS_BY_AREA
from sinkledger.config import REPO_ROOT, load_settings
from sinkledger_base.errors import InvalidInput

SETTINGS_REFUSALS = REFUSALS_BY_AREA["settings"]
from sinks.limits import DEFAULT_LIMITS, ENV_VARIABLES, MIB, FileLimits

DEMO_GPKG = REPO_ROOT / "gis_data" / "demo_parcels.gpkg"  # 105 parcels, 160 KiB


def test_unset_or_empty_variables_keep_the_defaults():
    assert load_settings({}).file_limits == DEFAULT_LIMITS
    assert load_settings({variable: " " for variable in ENV_VARIABLES.values()}).file_limits == DEFAULT_LIMITS


def test_every_variable_reaches_the_settings():
    settings = load_settings({"SINKLEDGER_MAX_FILE_MB": "64", "SINKLEDGER_MAX_UNCOMPRESSED_MB": "512",
                              "SINKLEDGER_MAX_COMPRESSION_RATIO": "50.5", "SINKLEDGER_MAX_ARCHIVE_MEMBERS": "16",
                              "SINKLEDGER_MAX_FEATURES": "5000"})
    assert settings.file_limits == FileLimits(max_file_bytes=64 * MIB, max_uncompressed_bytes=512 * MIB,
                                              max_compression_ratio=50.5, max_archive_members=16, max_features=5000)


# One row per defect: (variable, value, code).
BAD_VALUES = [
    ("SINKLEDGER_MAX_FILE_MB", "ten", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_FILE_MB", "0", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_FILE_MB", "-5", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_FILE_MB", "2.5", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_UNCOMPRESSED_MB", "1GB", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_ARCHIVE_MEMBERS", "nan", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_FEATURES", "1e6", "setting_must_be_positive_whole_number"),
    ("SINKLEDGER_MAX_COMPRESSION_RATIO", "nan", "setting_must_be_positive_number"),
    ("SINKLEDGER_MAX_COMPRESSION_RATIO", "inf", "setting_must_be_positive_number"),
    ("SINKLEDGER_MAX_COMPRESSION_RATIO", "-1", "setting_must_be_positive_number"),
]


@pytest.mark.parametrize(("variable", "value", "code"), BAD_VALUES)
def test_a_bad_value_is_refused_when_the_settings_load(variable, value, code):
    with pytest.raises(InvalidInput) as refusal:
        load_settings({variable: value})
    assert refusal.value.code == code
    assert refusal.value.params["variable"] == variable and refusal.value.params["value"] == value
    assert isinstance(refusal.value, ValueError)  # as any other bad value (rasterio's convention)


def test_an_unknown_region_is_refused_the_same_way():
    with pytest.raises(InvalidInput) as refusal:
        load_settings({"SINKLEDGER_REGION": "atlantis"})
    assert refusal.value.code == "setting_value_unknown"
    assert refusal.value.params == {"variable": "SINKLEDGER_REGION", "value": "atlantis",
                                    "choices": "huzhou, zhuzhou-shifeng, PATH.json"}


@pytest.mark.parametrize("code", sorted(SETTINGS_REFUSALS))
def test_the_setting_refusals_say_which_variable_what_was_given_and_what_is_expected(code):
    from sinkledger.catalogue import format_template as _format

    zh, en = SETTINGS_REFUSALS[code]
    params = {"variable": "SINKLEDGER_MAX_FILE_MB", "value": "ten", "default": "256", "choices": "huzhou"}
    for template in (zh, en):
        text = _format(template, params)
        assert "SINKLEDGER_MAX_FILE_MB" in text and "ten" in text and "?" not in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_the_default_in_the_refusal_is_the_real_default():
    with pytest.raises(InvalidInput) as refusal:
        load_settings({"SINKLEDGER_MAX_FILE_MB": "x"})
    assert refusal.value.params["default"] == str(DEFAULT_LIMITS.max_file_bytes // MIB)
    with pytest.raises(InvalidInput) as refusal:
        load_settings({"SINKLEDGER_MAX_FEATURES": "x"})
    assert refusal.value.params["default"] == str(DEFAULT_LIMITS.max_features)


# --- the configured limits are the ones applied ---------------------------------------------------

def test_plan_file_applies_the_configured_limits():
    from sinks.importer import ImportOptions, plan_file

    settings = load_settings({"SINKLEDGER_MAX_FEATURES": "100"})
    plan = plan_file(DEMO_GPKG, ImportOptions(), settings.region, limits=settings.file_limits)
    assert [p.code for p in plan.problems] == ["file_has_too_many_features"]
    assert plan.problems[0].params["max_features"] == 100 and plan.drafts == []
    roomy = load_settings({"SINKLEDGER_MAX_FEATURES": "105"})
    plan = plan_file(DEMO_GPKG, ImportOptions(), roomy.region, limits=roomy.file_limits)
    assert "file_has_too_many_features" not in [p.code for p in plan.problems]


def test_the_size_limit_is_whole_mebibytes(tmp_path):
    from sinks.reading import read_layer

    padded = tmp_path / "parcels.geojson"
    padded.write_bytes(b"{\"type\": \"FeatureCollection\", \"features\": []}" + b" " * (MIB + 1))
    limits = load_settings({"SINKLEDGER_MAX_FILE_MB": "1"}).file_limits
    assert [p.code for p in read_layer(padded, limits=limits).problems] == ["file_too_large"]


def test_the_service_imports_with_the_configured_limits(tmp_path):
    """Given SINKLEDGER_MAX_FEATURES=100, importing the 105 demo parcels through the service is
    refused with file_has_too_many_features and registers nothing."""
    from sinkledger.services.registry import SYSTEM_ACTOR, Service

    svc = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
                                      "SINKLEDGER_HOME": str(tmp_path), "SINKLEDGER_MAX_FEATURES": "100"}))
    svc.initialise()
    preview = svc.preview_parcels(SYSTEM_ACTOR, path=DEMO_GPKG)
    assert not preview["ok"] and [p["code"] for p in preview["problems"]] == ["file_has_too_many_features"]
    with pytest.raises(InvalidInput) as refusal:
        svc.import_parcels(SYSTEM_ACTOR, "limits-1", path=DEMO_GPKG)
    assert [p["code"] for p in refusal.value.params["problems"]] == ["file_has_too_many_features"]
    assert svc.parcels() == []
    svc.db.dispose()


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SINKLEDGER_MAX_")}
    full |= {"SINKLEDGER_HOME": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", f"sqlite:///{tmp_path / 'c.db'}",
                           *args], capture_output=True, text=True, timeout=300, env=full, check=False)


def test_the_cli_refuses_to_start_with_a_bad_limit(tmp_path):
    """Given SINKLEDGER_MAX_FILE_MB=ten, any command exits 2 with the code and both messages, no traceback."""
    proc = _cli(tmp_path, {"SINKLEDGER_MAX_FILE_MB": "ten"}, "verify")
    assert proc.returncode == 2, proc.stderr[-800:]
    assert "setting_must_be_positive_whole_number" in proc.stderr and "Traceback" not in proc.stderr
    assert "SINKLEDGER_MAX_FILE_MB" in proc.stderr and "环境变量" in proc.stderr
