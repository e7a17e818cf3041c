"""What every ``sinkledger`` command shares: the context, JSON output, refusal handling, options.

Command modules (``cli.py``, ``court_cli.py``, ``parcels_cli.py``, ...) import from here, never
from each other, so that none of them imports another half-initialised.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sinkledger.config import load_settings
from sinkledger.errors import SinkLedgerError

EXIT_REFUSED = 2
EXIT_CHECK_FAILED = 1
err_console = Console(stderr=True)


class Ctx:
    def __init__(self, database_url: str | None) -> None:
        self.settings = load_settings(DATABASE_URL=database_url or "")
        self._service = None

    @property
    def service(self):  # type: ignore[no-untyped-def]
        if self._service is None:
            from sinkledger.service import Service

            self._service = Service.open(self.settings)
        return self._service


def emit(data: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif render:
        render(data)
    else:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn refusals into exit status 2 and the JSON error document."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = kwargs.get("as_json", False)
        try:
            return fn(*args, **kwargs)
        except SinkLedgerError as exc:
            if as_json:
                click.echo(json.dumps({"error": exc.to_dict()}, ensure_ascii=False, indent=2, default=str))
            else:
                err_console.print(f"[bold red]{exc.code}[/]: {exc.message_zh}\n{exc.message_en}")
            sys.exit(EXIT_REFUSED)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
actor_option = click.option("--actor", required=True, help="User name of the acting user (see README: demo users).")
serial_option = click.option("--serial", "serials", multiple=True,
                             help="Serial range to take, e.g. CN330523-BF-AJBF01-2024-000000001..000000010 (repeatable).")
request_option = click.option("--request-id", default=None,
                              help="Caller-chosen id that makes retries harmless (default: a new UUID).")


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


def print_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    t = Table()
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*(str(r.get(c, "")) for c in columns))
    Console().print(t)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


