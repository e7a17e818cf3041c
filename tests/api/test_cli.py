"""The command line of the API: ``sinkledger api`` refuses an uninitialised database before it
listens; ``sinkledger apikeys`` creates (the key printed once), lists (never the key), revokes
and shows the uses, for administrators only."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sinkledger.cli.main import main


def _run(url: str, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, ["--database-url", url, *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def test_api_refuses_an_uninitialised_database(tmp_path):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "api", "--port", "1"])
    assert result.exit_code == 2 and "database_not_initialised" in result.stderr


def test_apikeys_create_list_revoke_uses(api_server):  # type: ignore[no-untyped-def]
    url = api_server.env["DATABASE_URL"]
    code, made = _run(url, "apikeys", "create", "--user", "insurer", "--label", "理赔系统", "--actor", "admin")
    assert code == 0 and made["key"].startswith(f"slk_{made['key_id']}_") and made["role"] == "insurer"
    with api_server.client(made["key"]) as http:
        assert http.get("/v1/whoami").json()["username"] == "insurer"
    api_server.uses(made["key"], 1)  # written within a flush interval, last_used_at with it
    code, listed = _run(url, "apikeys", "list", "--actor", "admin")
    mine = next(k for k in listed if k["key_id"] == made["key_id"])
    assert code == 0 and "key" not in mine and mine["label"] == "理赔系统" and mine["last_used_at"]
    code, revoked = _run(url, "apikeys", "revoke", made["key_id"], "--actor", "admin")
    assert code == 0 and revoked["revoked_by"] == "admin"
    code, active = _run(url, "apikeys", "list", "--active", "--actor", "admin")
    assert made["key_id"] not in {k["key_id"] for k in active}
    code, uses = _run(url, "apikeys", "uses", "--key", made["key_id"], "--actor", "admin")
    assert code == 0 and [u["path"] for u in uses] == ["/v1/whoami"]
    code, refused = _run(url, "apikeys", "create", "--user", "bank", "--actor", "clerk")
    assert code == 2 and refused["error"]["code"] == "not_permitted"
