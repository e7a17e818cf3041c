"""Backup and restore (issue 9): a restored database has identical hashes, balances and Merkle
roots, on either backend, SQLite → PostgreSQL included."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest

from sinkledger.config import load_settings
from sinkledger.demo.seed import seed_demo
from sinkledger.services.registry import Service
from sinkledger_base.errors import Conflict, InvalidInput


@pytest.fixture(scope="module")
def demo_backup(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A demo database on SQLite with a checkpoint, exported once."""
    from sinkledger.services.backup import export_backup

    tmp = tmp_path_factory.mktemp("backup")
    svc = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp / 'source.db'}", "SINKLEDGER_HOME": str(tmp)}))
    seed_demo(svc)
    svc.checkpoint()
    from sinkledger.services.sessions import open_session

    open_session(svc, svc.actor("clerk"))  # a signed-in browser: its session is not part of the registry
    manifest = export_backup(svc, tmp / "demo.zip")
    balances = svc.balances()
    svc.db.dispose()
    return tmp / "demo.zip", manifest, balances


def test_restore_reproduces_hashes_balances_and_roots(demo_backup, settings):  # type: ignore[no-untyped-def]
    """Given a demo backup, when it is restored on each backend, then everything is identical."""
    from sinkledger.services.backup import import_backup

    path, manifest, balances = demo_backup
    target = Service.open(settings)
    result = import_backup(target, path)
    assert result["identical"] and result["head_hash"] == manifest["head_hash"]
    assert result["merkle_root"] == manifest["merkle_root"] and result["journal_entries"] == manifest["journal_entries"]
    assert target.balances() == balances
    assert len(target.parcels()) == 105
    # The restored registry keeps working: a new command appends after the restored head.
    clerk = target.actor("clerk")
    seller = max((r for r in balances["by_account"] if r["account_id"].startswith("COL-")), key=lambda r: r["held_t"])
    out = target.sell(clerk, "after-restore", seller_account=seller["account_id"], buyer_account="ENT-0002-H",
                      quantity=1, price_fen_per_t=7341, contract_no="c")
    assert out["seq"] == manifest["journal_entries"] + 1 and target.verify().ok
    target.db.dispose()


def test_a_table_past_the_zip_size_limit_is_exported_and_restored(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Given a table larger than ZIP's 32-bit limit (the county's journal: gigabytes; here the
    limit is lowered to 4 KiB), the export writes it as ZIP64 and the restore is identical, where
    the export used to end in "File size too large, try using force_zip64"."""
    from sinkledger.services.backup import export_backup, import_backup

    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 4096)
    source = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'source.db'}",
                                         "SINKLEDGER_HOME": str(tmp_path)}))
    seed_demo(source)
    manifest = export_backup(source, tmp_path / "large.zip")
    source.db.dispose()
    with zipfile.ZipFile(tmp_path / "large.zip") as zf:
        assert zf.getinfo("journal_entry.jsonl").file_size > 4096
    target = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'target.db'}",
                                         "SINKLEDGER_HOME": str(tmp_path)}))
    try:
        result = import_backup(target, tmp_path / "large.zip")
        assert result["identical"] and result["head_hash"] == manifest["head_hash"]
    finally:
        target.db.dispose()


def test_sign_in_sessions_are_not_backed_up(demo_backup):  # type: ignore[no-untyped-def]
    path, manifest, _ = demo_backup
    assert "web_session" not in manifest["tables"] and "journal_entry" in manifest["tables"]
    with zipfile.ZipFile(path) as zf:
        assert not any("web_session" in name for name in zf.namelist())


def test_restore_refuses_a_database_that_holds_data(demo_backup, service):  # type: ignore[no-untyped-def]
    from sinkledger.services.backup import import_backup

    with pytest.raises(Conflict) as exc:
        import_backup(service, demo_backup[0])
    assert exc.value.code == "database_not_empty"


def test_a_damaged_backup_is_refused(tmp_path, service):  # type: ignore[no-untyped-def]
    from sinkledger.services.backup import read_manifest

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput) as exc:
        read_manifest(bad)
    assert exc.value.code == "backup_unreadable"
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(InvalidInput):
        read_manifest(tmp_path / "other.zip")


def test_export_and_import_backup_from_the_cli(demo_backup, tmp_path):  # type: ignore[no-untyped-def]
    path, manifest, _ = demo_backup
    url = f"sqlite:///{tmp_path / 'restored.db'}"
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, "import-backup", str(path),
                           "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["identical"] is True
    again = tmp_path / "again.zip"
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, "export", str(again), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["merkle_root"] == manifest["merkle_root"]
