"""``sinkledger api`` starts the HTTP API; ``sinkledger apikeys ...`` manages institutions' keys.

``apikeys create`` prints the new key once (it is stored only as a hash); ``apikeys list`` shows
every key without it; ``apikeys revoke KEY_ID`` stops a key at its next use; ``apikeys uses``
prints the latest entries of the key-use log. The acting user (``--actor``) must be an
administrator. docs/api.md explains keys, limits and the log.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from sinkledger.cli.common import Ctx, WholeRange, acts, emit, print_table


@click.command("api")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=WholeRange(min=1, max=65535), default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=WholeRange(min=1, max=64), default=1, show_default=True,
              help="Worker processes (each opens the database itself; use PostgreSQL for more than one).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every request's line (uvicorn's access log). Keyed calls are in the key-use log "
                   "either way (`sinkledger apikeys uses`); the line costs about 0.1 ms a request.")
@click.pass_obj
def api(obj: Ctx, host: str, port: int, workers: int, access_log: bool) -> None:
    """Start the HTTP API for institutions (OpenAPI at /docs) over the configured database."""
    obj.service  # refused here, before the server starts, when the database is not initialised  # noqa: B018
    import uvicorn  # deferred on purpose: only the command that runs pays for this import

    os.environ["DATABASE_URL"] = obj.settings.database_url  # the workers read the settings from the environment
    uvicorn.run("sinkledger.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=False, access_log=access_log)
    sys.exit(0)


@click.group("apikeys")
def apikeys_group() -> None:
    """API keys of institutions (administrator)."""


@apikeys_group.command("create")
@click.option("--party", "party_id", default=None, help="Party the key acts for (default: the user's).")
@click.option("--role", default=None, help="Role the key acts in (default: the user's).")
@click.option("--user", "username", default=None,
              help="Act as this user (it must stay active with this role and party); default: the key's own actor.")
@click.option("--label", default="", help="What the key is for, e.g. the institution's system.")
@acts
def create(obj: Ctx, party_id: str | None, role: str | None, username: str | None, label: str, actor: str,
           as_json: bool) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from sinkledger.services import apikeys  # deferred: only the command that runs pays for it

    svc = obj.service
    out = apikeys.create_key(svc, svc.actor(actor), party_id=party_id, role=role, username=username, label=label)
    emit(out, as_json, lambda r: click.echo(
        f"key {r['key_id']} for {r['party_id']} ({r['role']}), acting as {r['username']}:\n{r['key']}\n"
        "Keep it now: it is not shown again."))


@apikeys_group.command("list")
@click.option("--active", "active_only", is_flag=True, help="Leave out revoked keys.")
@acts
def list_keys(obj: Ctx, active_only: bool, actor: str, as_json: bool) -> None:
    """Every key (never the key itself), newest first."""
    from sinkledger.services import apikeys  # deferred: only the command that runs pays for it

    svc = obj.service
    emit(apikeys.keys(svc, svc.actor(actor), include_revoked=not active_only), as_json, _render_keys)


def _render_keys(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no API keys")
        return
    print_table(rows, ("key_id", "party_id", "role", "username", "label", "created_at", "last_used_at", "revoked_at"))


@apikeys_group.command("revoke")
@click.argument("key_id")
@acts
def revoke(obj: Ctx, key_id: str, actor: str, as_json: bool) -> None:
    """Revoke the key KEY_ID: its next use is refused."""
    from sinkledger.services import apikeys  # deferred: only the command that runs pays for it

    svc = obj.service
    out = apikeys.revoke_key(svc, svc.actor(actor), key_id=key_id)
    emit(out, as_json, lambda r: click.echo(f"key {r['key_id']} revoked at {r['revoked_at']} by {r['revoked_by']}"))


@apikeys_group.command("uses")
@click.option("--key", "key_id", default=None, help="Only this key's uses.")
@click.option("--limit", type=WholeRange(min=1, max=10_000), default=50, show_default=True,
              help="How many of the latest entries.")
@acts
def uses(obj: Ctx, key_id: str | None, limit: int, actor: str, as_json: bool) -> None:
    """The latest uses of keys (and refused attempts), newest first."""
    from sinkledger.services import apikeys  # deferred: only the command that runs pays for it

    svc = obj.service
    emit(apikeys.uses(svc, svc.actor(actor), key_id=key_id, limit=limit), as_json,
         lambda rows: print_table(rows, ("at", "key_id", "client", "method", "path", "event")))
