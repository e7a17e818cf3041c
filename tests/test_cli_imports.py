"""A command imports only what it needs (issue 17, CLI start-up).

Each command runs in a fresh interpreter with ``-X importtime``, which lists every module the
process imported; the test reads that list (the timing itself is ``bench/cli_startup_bench.py``'s
business, never asserted here). ``balances`` on a current, initialised database reads through
the bare driver: no SQLAlchemy, no ORM, no geometry stack, no Alembic. ``verify`` loads the ORM
and shapely (its parcel audit compares stored bounds) but neither geopandas, pandas, pyogrio nor
Alembic. An older schema still migrates on the next command, and the answers are the service's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from sinkledger.config import REPO_ROOT
from sinkledger.db import light, revisions
from tests.ledger.conftest import funded, registry  # noqa: F401 - fixtures: credits issued on each backend

GEO = {"geopandas", "pandas", "pyogrio", "shapely", "pyproj", "fiona"}
MIGRATIONS = {"alembic", "mako"}
ORM = {"sqlalchemy", "sqlmodel"}


def run_cli(args: list[str], url: str, home: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``sinkledger ARGS``; return the process and the top-level packages it imported."""
    env = {**os.environ, "DATABASE_URL": url, "SINKLEDGER_HOME": home,
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "sinkledger", *args], capture_output=True,
                          text=True, env=env, timeout=300)
    imported = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            imported.add(name.split(".")[0])
    assert "sinkledger" in imported, proc.stderr[-2000:]  # -X importtime did list the imports
    return proc, imported


def test_balances_imports_neither_the_orm_nor_the_geometry_stack(funded, tmp_path):  # type: ignore[no-untyped-def]
    svc = funded
    proc, imported = run_cli(["balances", "--json"], svc.settings.database_url, str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert imported & (GEO | MIGRATIONS | ORM) == set()
    assert "sinks" not in imported  # the region profile and file limits: settings it does not read
    if not svc.db.is_sqlite:  # psycopg2's import is a sixth of psycopg's (sinkledger.db.light)
        assert "psycopg2" in imported and "psycopg" not in imported
    assert json.loads(proc.stdout) == svc.balances()  # the same answer as the service's
    assert json.loads(proc.stdout)["by_sink_type"][0]["issued_t"] > 0


def test_a_command_that_reads_the_settings_refuses_a_bad_one_as_json(funded, tmp_path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": funded.settings.database_url, "SINKLEDGER_HOME": str(tmp_path),
           "SINKLEDGER_REGION": "atlantis"}
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "history", "--json"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "setting_value_unknown" and error["details"]["variable"] == "SINKLEDGER_REGION"


def test_verify_imports_no_dataframes_and_no_alembic(funded, tmp_path):  # type: ignore[no-untyped-def]
    proc, imported = run_cli(["verify", "--json"], funded.settings.database_url, str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["ok"] is True
    assert imported & ({"geopandas", "pandas", "pyogrio", "fiona"} | MIGRATIONS) == set()


def test_an_older_schema_is_migrated_by_the_next_command(funded, tmp_path):  # type: ignore[no-untyped-def]
    svc = funded
    with svc.db.engine.begin() as conn:  # as if the last migration had not run yet
        conn.execute(text("UPDATE alembic_version SET version_num = '0007_people_chain'"))
    assert light.read(svc.settings.database_url, lambda rows: "light") is None
    proc, imported = run_cli(["balances", "--json"], svc.settings.database_url, str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "alembic" in imported  # the service migrated it
    assert json.loads(proc.stdout) == svc.balances()
    with svc.db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == revisions.head_revision()
    assert light.read(svc.settings.database_url, lambda rows: "light") == "light"


def test_an_uninitialised_database_is_refused_as_before(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert light.read(url, lambda rows: "light") is None  # no file: the service decides
    proc, _ = run_cli(["balances", "--json"], url, str(tmp_path))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "database_not_initialised"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///x.db?mode=ro",
                                 "postgresql+psycopg2://u@h/db", "mysql://u@h/db"])
def test_urls_the_bare_driver_does_not_take_go_through_the_service(url):  # type: ignore[no-untyped-def]
    assert light.read(url, lambda rows: "light") is None


def test_the_head_revision_read_from_the_files_is_alembics():  # type: ignore[no-untyped-def]
    from sinkledger.db import migrations

    assert revisions.head_revision() == migrations.head_revision()


def test_constants_copied_to_keep_imports_light_match_their_source():  # type: ignore[no-untyped-def]
    import ledger.parcels
    import ledger.parties
    import sinkledger.services.parcels

    assert sinkledger.services.parcels.PERMISSION == ledger.parcels.PERMISSION
    assert light.REGISTRY_PARTY_ID == ledger.parties.REGISTRY_PARTY_ID


def test_every_stamped_region_profile_passes_the_schema_and_the_default_is_stamped():  # type: ignore[no-untyped-def]
    from sinks import regions

    stamped = regions.checked_digests()
    shipped = {}
    for name in regions.profile_names():
        doc, raw = regions._read(regions.PROFILE_DIR / f"{name}.json")
        regions._check_schema(doc, name)  # jsonschema itself
        shipped[regions.schema_digest(raw)] = name
    assert stamped and stamped <= set(shipped), "run: python -m sinks.regions --stamp"
    assert "huzhou" in {shipped[d] for d in stamped}, "run: python -m sinks.regions --stamp"


def test_a_profile_not_stamped_is_still_checked_against_the_schema(tmp_path):  # type: ignore[no-untyped-def]
    from sinks import regions

    doc = json.loads((regions.PROFILE_DIR / "huzhou.json").read_text(encoding="utf-8"))
    doc["bounds_lonlat"]["west"] = "far west"  # a string where the schema wants a number
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(regions.RegionProfileInvalid) as caught:
        regions.load_region(str(bad))
    assert caught.value.code == "region_profile_invalid"
    assert "bounds_lonlat" in caught.value.params["where"]


def test_balances_does_not_import_jsonschema_for_a_stamped_profile(funded, tmp_path):  # type: ignore[no-untyped-def]
    proc, imported = run_cli(["balances", "--json"], funded.settings.database_url, str(tmp_path))
    assert proc.returncode == 0 and "jsonschema" not in imported and "rich" not in imported


def test_a_file_that_is_no_database_is_left_to_the_service(tmp_path):  # type: ignore[no-untyped-def]
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_bytes(b"these are not the pages of a SQLite database" * 100)
    assert light.read(f"sqlite:///{not_a_database}", lambda rows: "light") is None
