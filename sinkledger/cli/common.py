"""What every ``sinkledger`` command shares: the context, JSON output, refusal handling, options.

Command modules (``cli.py``, ``court_cli.py``, ``parcels_cli.py``, ...) import from here, never
from each other, so that none of them imports another half-initialised.
"""

from __future__ import annotations

import functools
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import click

from sinkledger import catalogue
from sinkledger.config import Settings, database_url_setting, load_settings
from sinkledger_base import checks
from sinkledger_base.errors import Conflict, InvalidInput, SinkLedgerError, printable

EXIT_REFUSED = 2
EXIT_CHECK_FAILED = 1


class _ErrConsole:
    """``rich.console.Console(stderr=True)``, made on first use: rich loads only when a command
    prints for a person (a refusal, a table, a progress bar), not for ``--json`` (issue 17)."""

    _console: Any = None

    def get(self) -> Any:
        if self._console is None:
            from rich.console import Console  # deferred on purpose: see the class

            type(self)._console = Console(stderr=True)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


err_console = _ErrConsole()


class Ctx:
    """What a command runs with: the settings and, opened on first use, the service.

    :attr:`service` is the one door every command that reads or changes the registry goes
    through, and it checks that the database is initialised (``database_not_initialised``
    otherwise; :meth:`Service.require_initialised`), so no command meets a missing table. The
    commands that create the schema (``init``, ``demo``, ``import-backup``) use
    :meth:`open_service` with ``initialised=False``.
    """

    def __init__(self, database_url: str | None) -> None:
        self._database_url_option = database_url or ""
        self._settings: Settings | None = None
        self._service = None

    @property
    def settings(self) -> Settings:
        """The settings, read and checked on first use: a bad setting is refused by the first
        command that reads them (exit 2, its code, both messages)."""
        if self._settings is None:
            self._settings = load_settings(DATABASE_URL=self._database_url_option)
        return self._settings

    @property
    def database_url(self) -> str:
        """The database URL alone, without reading the other settings: what a command that reads
        through the bare driver needs (``balances``; :mod:`sinkledger.db.light`)."""
        if self._settings is not None:
            return self._settings.database_url
        return database_url_setting(DATABASE_URL=self._database_url_option)

    @property
    def service(self):  # type: ignore[no-untyped-def]
        return self.open_service()

    def open_service(self, *, initialised: bool = True):  # type: ignore[no-untyped-def]
        """The service, refused (``database_not_initialised``) when ``initialised`` and the
        database has no schema or no registry yet (the service asks the database once, not per call)."""
        if self._service is None:
            # deferred on purpose: only the command that runs pays for this import
            from sinkledger.services.registry import Service

            self._service = open_service(Service, self.settings)
        if initialised:
            self._service.require_initialised()
        return self._service


def open_service(service_cls: Any, settings: Any) -> Any:
    """Open the database named by the settings; a URL that is not one, names an unknown driver, or
    points at a server or file that cannot be reached is a refusal naming the URL without its
    password, never a traceback."""
    # deferred on purpose: SQLAlchemy loads only when a database URL is used
    from sqlalchemy import exc as sa_exc

    try:
        shown = _redact(settings.database_url)
    except Exception:  # noqa: BLE001 - not a URL at all: show only its start
        shown = repr(settings.database_url)[:40]
    try:
        return service_cls.open(settings)
    except SinkLedgerError:
        raise
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ValueError) as exc:
        raise InvalidInput("database_url_invalid", url=shown) from exc
    except (sa_exc.OperationalError, sa_exc.InterfaceError, OSError) as exc:
        raise Conflict("database_unreachable", url=shown, reason=str(getattr(exc, "orig", exc)).strip()[:200]) from exc


class RefusingGroup(click.Group):
    """The top-level group: click's own usage errors (a value that is not a number, an unknown
    option, a missing file) become the refusal ``usage_invalid``: exit status 2, and with
    ``--json`` the same JSON error document as every other refusal.

    Groups of commands registered with :meth:`defer` are attached on first need: when a command
    the group does not hold yet is named, or when the commands are listed (``--help``,
    ``.commands``). ``sinkledger balances`` thus never imports the court's, income's or parcels'
    command modules (issue 17)."""

    _loaders: list[Callable[[click.Group], None]]
    _loading = False

    @property
    def commands(self) -> dict[str, click.Command]:  # type: ignore[override]
        self._attach_deferred()
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def defer(self, attach: Callable[[click.Group], None]) -> None:
        """Call ``attach(self)`` (which adds commands) the first time a command not yet held is needed."""
        self.__dict__.setdefault("_loaders", []).append(attach)

    def _attach_deferred(self) -> None:
        loaders = self.__dict__.get("_loaders")
        if not loaders or self._loading:
            return
        self._loading = True
        try:
            while loaders:
                loaders.pop(0)(self)
        finally:
            self._loading = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = self._commands.get(cmd_name)
        return found if found is not None else self.commands.get(cmd_name)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            refusal = InvalidInput("usage_invalid", detail=exc.format_message())
            if "--json" in argv:
                click.echo(json.dumps({"error": catalogue.refusal_dict(refusal)}, ensure_ascii=False, indent=2))
            else:
                exc.show()
            sys.exit(EXIT_REFUSED)
        except SinkLedgerError as exc:  # raised while click converts an option (number_not_ascii)
            if "--json" in argv:
                click.echo(json.dumps({"error": catalogue.refusal_dict(exc)}, ensure_ascii=False, indent=2))
            else:
                print_refusal(exc)
            sys.exit(EXIT_REFUSED)
        except click.Abort:
            err_console.print("Aborted!")
            sys.exit(1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def print_refusal(exc: SinkLedgerError) -> None:
    """A refusal on stderr, for a person: its code, then the Chinese and English text."""
    zh, en = catalogue.messages(exc)
    err_console.print(f"[bold red]{exc.code}[/]: {zh}\n{en}")


def emit(data: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(catalogue.localise(data), ensure_ascii=False, indent=2, default=str))
    elif render:
        render(catalogue.localise(data))
    else:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn refusals into exit status 2 and the JSON error document."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = kwargs.get("as_json", False)
        try:
            try:
                return fn(*args, **kwargs)
            except SinkLedgerError:
                raise  # NotPermitted is a PermissionError, hence an OSError: let refusals pass as they are
            except OSError as exc:  # a path the user gave: '' (a folder), a missing folder, no permission
                raise InvalidInput("path_unusable", path=str(exc.filename or "")[:200],
                                   reason=exc.strerror or type(exc).__name__) from exc
        except SinkLedgerError as exc:
            if as_json:
                click.echo(json.dumps({"error": catalogue.refusal_dict(exc)}, ensure_ascii=False, indent=2,
                                      default=str))
            else:
                print_refusal(exc)
            sys.exit(EXIT_REFUSED)

    return wrapper


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return "value"
    return max(param.opts, key=len) if param.opts else str(param.name)


class _AsciiNumber:
    """Mixed into click's number types: text with a non-ASCII digit (``１０``, ``٣``) is refused
    (``number_not_ascii`` naming the option) before ``int`` or ``float`` would accept it."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            checks.ascii_number(value, _option_name(param))
        return super().convert(value, param, ctx)  # type: ignore[misc]


class WholeNumber(_AsciiNumber, click.types.IntParamType):
    """``type=int`` in ASCII digits only."""


class WholeRange(_AsciiNumber, click.IntRange):
    """``click.IntRange`` in ASCII digits only."""


class DecimalRange(_AsciiNumber, click.FloatRange):
    """``click.FloatRange`` in ASCII digits only."""


WHOLE = WholeNumber()

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
actor_option = click.option("--actor", required=True, help="User name of the acting user (see README: demo users).")
serial_option = click.option("--serial", "serials", multiple=True,
                             help="Serial range to take, e.g. CN330523-BF-AJBF01-2024-000000001..000000010 (repeatable).")
request_option = click.option("--request-id", default=None,
                              help="Caller-chosen id that makes retries harmless (default: a new UUID).")

def with_options(options: list[Any]) -> Callable[[Any], Any]:
    """Apply a list of click options in the order they are listed (top first)."""
    def decorate(fn: Any) -> Any:
        for option in reversed(options):
            fn = option(fn)
        return fn
    return decorate


def reads(fn: Callable[..., Any]) -> Any:
    """A command that reads: ``--json``, the CLI's context, refusals as exit status 2."""
    return json_option(click.pass_obj(command(fn)))


def acts(fn: Callable[..., Any]) -> Any:
    """A command some user runs (``--actor``) that changes nothing: a read with an actor."""
    return actor_option(reads(fn))


def writes(fn: Callable[..., Any]) -> Any:
    """A command that changes the ledger: ``--actor`` and ``--request-id`` besides a read's."""
    return actor_option(request_option(reads(fn)))



def progress_bar(*, refresh_thread: bool = True) -> Any:
    """A transient ``rich.progress.Progress`` on stderr. ``refresh_thread=False``: drawn only when
    the command updates it with ``refresh=True``, no thread of its own (a full ``verify`` forks its
    second process only from a process that runs no other thread)."""
    # deferred on purpose: rich loads only when a command shows progress
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console.get(), transient=True, auto_refresh=refresh_thread)


def print_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    # deferred on purpose: rich loads only when a command prints for a person
    from rich.console import Console
    from rich.table import Table

    t = Table()
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*(str(r.get(c, "")) for c in columns))
    Console().print(t)


def entry_kind_text(kind: str) -> str:
    """A journal entry's kind as a person reads it, in both languages (``交易 / sale``); the kind
    itself for one the catalogue does not name. ``--json`` keeps the raw kind."""
    names = catalogue.UI.get(f"kind_{kind}")
    return f"{names[0]} / {names[1]}" if names else kind


def new_request_id(given: str | None) -> str:
    """The caller's request id, or a new UUID."""
    if given:
        return given
    import uuid  # deferred on purpose: only a command that writes pays for this import

    return str(uuid.uuid4())


def _redact(url: str) -> str:
    # deferred on purpose: SQLAlchemy loads only when a database URL is used
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def to_fen(yuan: str | None, fen: int | None, field: str) -> int | None:
    """Fen from ``--*-fen``, or from an exact ``--*-yuan`` decimal (``"73.41"`` → 7341); giving
    both, or yuan with more than two decimals, is refused (``value_invalid`` naming the option)."""
    if yuan is None:
        return fen
    checks.ascii_number(yuan, field)
    try:
        value = Decimal(yuan) * 100
    except InvalidOperation:
        value = Decimal("NaN")
    if fen is not None or not value.is_finite() or value != value.to_integral_value():
        raise InvalidInput("value_invalid", field=field, value=printable(yuan, 40))
    return int(value)
