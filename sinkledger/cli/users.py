"""``sinkledger users ...``: the administrator's view of sign-in locks and failures.

``users locked`` lists the user names and client addresses held back after failed sign-ins,
``users unlock NAME`` lifts a user name's lock (``--client`` for a client address), ``users
failures`` prints the latest failed sign-ins. The acting user (``--actor``) must be an
administrator; every command takes ``--json`` and refusals exit 2 with the JSON error document.
"""

from __future__ import annotations

from typing import Any

import click

from sinkledger.cli.common import Ctx, WholeRange, acts, emit, print_table


@click.group()
def users() -> None:
    """Users: sign-in locks and failed sign-ins (administrator)."""


@users.command("locked")
@acts
def locked(obj: Ctx, actor: str, as_json: bool) -> None:
    """User names and client addresses held back after failed sign-ins, the locked ones first."""
    from sinkledger.services import signin_guard  # deferred: only the command that runs pays for it

    svc = obj.service
    emit(signin_guard.locks(svc, svc.actor(actor)), as_json, _render_locks)


def _render_locks(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("no user name or client is held back")
        return
    print_table(rows, ("scope", "subject", "failures", "last_failure_at", "locked_until", "locked", "known_user"))


@users.command("unlock")
@click.argument("name")
@click.option("--client", "is_client", is_flag=True, help="NAME is a client address, not a user name.")
@acts
def unlock(obj: Ctx, name: str, is_client: bool, actor: str, as_json: bool) -> None:
    """Lift the sign-in lock of user name NAME (or, with --client, of client address NAME)."""
    from sinkledger.services import signin_guard  # deferred: only the command that runs pays for it

    svc = obj.service
    out = signin_guard.unlock(svc, svc.actor(actor), scope="client" if is_client else "user", subject=name)
    emit(out, as_json, lambda r: click.echo(
        f"{r['scope']} {r['subject']}: lock lifted ({r['failures']} failures forgotten) by {r['unlocked_by']}"))


@users.command("failures")
@click.option("--limit", type=WholeRange(min=1, max=10_000), default=50, show_default=True,
              help="How many of the latest entries.")
@acts
def failures(obj: Ctx, limit: int, actor: str, as_json: bool) -> None:
    """The latest failed sign-ins (user name tried, client, time, reason), newest first."""
    from sinkledger.services import signin_guard  # deferred: only the command that runs pays for it

    svc = obj.service
    emit(signin_guard.recent_failures(svc, svc.actor(actor), limit=limit), as_json,
         lambda rows: print_table(rows, ("at", "username", "client", "event", "detail")))
