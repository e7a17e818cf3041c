"""Bad input to every ``sinkledger`` command (issue 9): each is refused with exit status 2 and,
with ``--json``, exactly one ``{"error": {"code", "message_zh", "message_en"}}`` document on
stdout whose code is in the catalogue; never a traceback, never exit 1 (except a failed check:
``proof-check``), never an exception escaping; and nothing changes.

The bulk runs in-process with click's ``CliRunner`` against the SQLite world (the CLI is a
thin shell; the service fuzz covers both backends); a few cases run as real processes with
non-UTF-8 bytes in ``argv``, which only a real process can receive.

``test_every_command_is_fuzzed`` walks the click tree: a new command, or a new option that
takes a value, without a spec in ``cli_specs.py`` fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import click
import pytest
from click.testing import CliRunner

from sinkledger.catalogue import REFUSALS
from sinkledger.cli.main import main
from tests.fuzz.cli_specs import BAD, NO_INPUT, PENDING, SERVERS, SPECS, CliSpec
from tests.fuzz.harness import resolve


def leaves(group: click.Group = main, path: tuple[str, ...] = ()) -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= leaves(command, path + (name,))
        else:
            found[" ".join(path + (name,))] = command
    return found


def value_params(command: click.Command) -> list[str]:
    """Parameters that take a value (flags and --json/--help take none)."""
    return [p.name for p in command.params
            if p.name not in ("as_json", "help") and not (isinstance(p, click.Option) and p.is_flag)]


def test_every_command_is_fuzzed():
    """Given the click tree, then every command has a spec or a stated reason, and every
    parameter that takes a value is fuzzed or stated to be left out."""
    commands = leaves()
    specs: dict[str, Any] = {}
    for spec in SPECS:
        if spec.path:
            merged = specs.setdefault(spec.path, {"params": set(), "unfuzzed": set()})
            merged["params"] |= set(spec.params)
            merged["unfuzzed"] |= set(spec.unfuzzed)
    uncovered = sorted(set(commands) - set(specs) - set(NO_INPUT) - set(PENDING))
    assert not uncovered, f"commands without fuzz coverage (add a CliSpec): {uncovered}"
    stale = sorted((set(specs) | set(NO_INPUT)) - set(commands))  # PENDING may name uncommitted work
    assert not stale, f"fuzz specs or allow-list entries for commands that no longer exist: {stale}"
    for path in NO_INPUT:
        taking = [p for p in value_params(commands[path]) if path not in SERVERS]
        assert not taking, f"{path} is allow-listed as taking no input but takes {taking}"
    for path, spec in specs.items():
        missing = sorted(set(value_params(commands[path])) - spec["params"] - spec["unfuzzed"])
        assert not missing, f"{path}: parameters without fuzz coverage: {missing}"
    assert value_params(main) == ["database_url"] and "database_url" in next(s for s in SPECS if not s.path).params


@dataclass(frozen=True)
class CliCase:
    path: str
    param: str
    label: str
    value: Any


def cases(spec: CliSpec) -> list[CliCase]:
    return [CliCase(spec.path, param, label, value)
            for param, kind in spec.params.items() for label, value in BAD[kind]
            if (param, label) not in spec.skip]


def build_args(world: Any, spec: CliSpec, case: CliCase | None, *, as_json: bool = True) -> list[str]:
    """The argv for ``spec``'s baseline with ``case``'s value, in the command's own parameter order."""
    if not spec.path:  # the group's --database-url, exercised with `balances`
        return ["--database-url", resolve(world, case.value), "balances", *(["--json"] if as_json else [])]
    command = leaves()[spec.path]
    values = {k: resolve(world, v) for k, v in spec.baseline(world).items()}
    if case is not None:
        values[case.param] = resolve(world, case.value)
    args = ["--database-url", world.url, *spec.path.split()]
    for param in command.params:
        value = values.get(param.name)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if isinstance(param, click.Argument):
            args += [str(v) for v in items]
        else:
            for item in items:
                args += [param.opts[0], str(item)]
    if as_json and any(p.name == "as_json" for p in command.params):
        args.append("--json")
    return args


def judge(world: Any, spec: CliSpec, case: CliCase, before: Any) -> str | None:
    """``None`` for a clean refusal that changed nothing; else what went wrong."""
    command = leaves().get(spec.path)
    has_json = command is None or any(p.name == "as_json" for p in command.params)
    args = build_args(world, spec, case)
    result = CliRunner().invoke(main, args, catch_exceptions=True)
    problem = _problem(spec, case, result, has_json)
    if problem is None and world.state() != before:
        problem = "state_changed"
    return problem


def _problem(spec: CliSpec, case: CliCase, result: Any, has_json: bool) -> str | None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"escaped: {type(result.exception).__name__}: {str(result.exception)[:160]!r}"
    text = result.stdout + result.stderr
    if "Traceback" in text:
        return "traceback"
    if result.exit_code == 0:
        return None if (spec.read_only and case.param in spec.filters) else f"accepted: {result.stdout[:160]!r}"
    if result.exit_code == 1 and spec.check_failed_exit:
        return None if json.loads(result.stdout).get("ok") is False else f"exit 1: {result.stdout[:160]!r}"
    if result.exit_code != 2:
        return f"exit {result.exit_code}: {text[:160]!r}"
    if not has_json:
        return None
    try:
        error = json.loads(result.stdout)["error"]
    except (ValueError, KeyError, TypeError):
        return f"not_json: {result.stderr[-200:]!r}"
    if error.get("code") not in REFUSALS or not error.get("message_zh") or not error.get("message_en"):
        return f"uncatalogued: {error.get('code')!r}"
    return None


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_cli_grid(spec, sqlite_world):  # type: ignore[no-untyped-def]
    """Given the seeded world, when each parameter of the command gets each bad value (the
    rest of the baseline valid), then each is a clean refusal and the world is unchanged."""
    if spec.path == "users unlock":
        # The world is shared by the fuzz files a worker runs: another file's sign-in cases may
        # have recorded failures under the very names fuzzed here, and unlocking a recorded name
        # is a real unlock. This grid's premise is that no name is locked.
        with sqlite_world.service.db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM sign_in_guard")
    before = sqlite_world.state()
    failures = []
    for case in cases(spec):
        problem = judge(sqlite_world, spec, case, before)
        if problem is not None:
            failures.append(f"{spec.id} {case.param}={case.label}: {problem}")
            before = sqlite_world.state()
    assert not failures, f"{len(failures)} bad inputs not cleanly refused:\n" + "\n".join(failures)


def test_a_refusal_without_json_prints_both_messages_and_no_traceback(sqlite_world):
    spec = next(s for s in SPECS if s.path == "sell")
    case = CliCase("sell", "quantity", "zero", "0")
    result = CliRunner().invoke(main, build_args(sqlite_world, spec, case, as_json=False))
    assert result.exit_code == 2 and "quantity_must_be_positive" in result.stderr
    assert "数量" in result.stderr and "Quantity" in result.stderr and "Traceback" not in result.output


# --- real processes ----------------------------------------------------------------------------

REAL = [
    ("sell --quantity with a GBK byte", ["sell", "--actor", "clerk", "--from", "X-H", "--to", "ENT-0001-H",
                                         "--quantity", b"\xd2\xbb", "--price-fen", "1", "--contract", "c"]),
    ("sell --contract not UTF-8", ["sell", "--actor", "clerk", "--from", "SELLER", "--to", "ENT-0001-H",
                                   "--quantity", "1", "--price-fen", "7341", "--contract", "合同".encode("gbk")]),
    ("parcels show, a GBK code", ["parcels", "show", "地块".encode("gbk")]),
]


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Every REAL command line run at once as its own process (each pays Python's start-up)."""
    from tests.fuzz.conftest import world_for

    world = world_for("sqlite")
    nan_file = tmp_path_factory.mktemp("real") / "nan.json"
    nan_file.write_text('{"area_ha": NaN}')
    before = world.state()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    procs = {}
    for label, argv in REAL:
        argv = [{"SELLER": world.ids["seller_account"], "NAN_FILE": str(nan_file)}.get(a, a)
                if isinstance(a, str) else a for a in argv]
        procs[label] = subprocess.Popen([sys.executable, "-m", "sinkledger", "--database-url", world.url, *argv,
                                         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    results = {label: (proc.communicate(timeout=300), proc.returncode) for label, proc in procs.items()}
    return results, before == world.state()


@pytest.mark.parametrize("label", [r[0] for r in REAL])
def test_real_processes_with_bytes_no_shell_could_decode(label, real_runs):  # type: ignore[no-untyped-def]
    """Given argv bytes that are not UTF-8 (a GBK terminal), a real process refuses cleanly and
    nothing changes."""
    results, unchanged = real_runs
    (out, err), code = results[label]
    problem = _process_problem(out, err, code)
    if problem is not None:
        pytest.fail(f"{label}: {problem}")
    assert unchanged


def _process_problem(stdout: bytes, stderr: bytes, code: int) -> str | None:
    out, err = stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace")
    if "Traceback" in out + err:
        return "traceback: " + (out + err).strip().splitlines()[-1][:160]
    if code != 2:
        return f"exit {code}"
    try:
        error = json.loads(out)["error"]
    except (ValueError, KeyError, TypeError):
        return f"not_json: {err[:160]!r}"
    return None if error.get("code") in REFUSALS else f"uncatalogued: {error.get('code')!r}"
