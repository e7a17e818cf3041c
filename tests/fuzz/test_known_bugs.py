"""The bugs the bad-input suite found outside its author's files, one strict ``xfail`` each.

Each test runs its bug's example on a scratch copy of the SQLite world. While the bug is open
the example misbehaves exactly as the entry says (``KnownBugStillOpen``: xfail). Once fixed,
the example is cleanly refused, the test passes, strict ``xfail`` turns that into a failure,
and the entry must be deleted from ``known_bugs.py`` / ``known_cli_bugs.py`` (which puts its
cases back into the fuzz tests). An example that misbehaves *differently* fails outright.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from tests.fuzz import known_bugs, known_cli_bugs
from tests.fuzz.cli_specs import BAD, SPEC_BY_ID
from tests.fuzz.conftest import World, temporary_folder, world_for
from tests.fuzz.harness import Case, judge, values_of
from tests.fuzz.service_specs import ACTOR_BAD, SPEC_BY_NAME, wrong_role


class KnownBugStillOpen(Exception):
    """The example still fails the way its known-bug entry says."""


@pytest.fixture(scope="module")
def scratch_world() -> World:
    """A copy of the SQLite world: the examples of accepted bad values may change it."""
    from sinkledger.config import load_settings
    from sinkledger.service import Service

    world = world_for("sqlite")
    target = temporary_folder("fuzz-scratch-") / "scratch.db"
    source = sqlite3.connect(world.url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()
    url = f"sqlite:///{target}"
    scratch = replace(world, url=url, service=Service.open(load_settings({"DATABASE_URL": url})))
    scratch.head = scratch.state()[0]
    yield scratch
    scratch.service.db.dispose()


def _service_value(spec, param: str, label: str):  # type: ignore[no-untyped-def]
    if param == "actor":
        return dict([*ACTOR_BAD, ("wrong_role", wrong_role(spec.actor_role_refused or "enterprise"))])[label]
    kind = "request_id" if param == "request_id" else spec.params[param]
    return dict([*values_of(kind), *spec.extra.get(param, [])])[label]


@pytest.mark.parametrize("bug", [pytest.param(b, marks=pytest.mark.xfail(
    strict=True, raises=KnownBugStillOpen, reason=f"{b.id} ({b.where}): {b.summary} Fix: {b.fix}"))
    for b in known_bugs.KNOWN], ids=lambda b: b.id)
def test_service_bug_is_still_open(bug, scratch_world):  # type: ignore[no-untyped-def]
    name, param, label = bug.example
    spec = SPEC_BY_NAME[name]
    case = Case(name, param, label, _service_value(spec, param, label))
    failure = judge(scratch_world, spec, case, scratch_world.state())
    if failure is not None:
        assert bug.explains(failure), f"{bug.id}'s example fails differently now: {failure}"
        raise KnownBugStillOpen(str(failure))


@pytest.mark.parametrize("bug", [pytest.param(b, marks=pytest.mark.xfail(
    strict=True, raises=KnownBugStillOpen, reason=f"{b.id} ({b.where}): {b.summary} Fix: {b.fix}"))
    for b in known_cli_bugs.KNOWN], ids=lambda b: b.id)
def test_cli_bug_is_still_open(bug, scratch_world):  # type: ignore[no-untyped-def]
    from tests.fuzz.test_cli_fuzz import CliCase
    from tests.fuzz.test_cli_fuzz import judge as judge_cli

    spec_id, param, label = bug.example
    spec = SPEC_BY_ID[spec_id]
    case = CliCase(spec.path, param, label, dict(BAD[spec.params[param]])[label])
    problem = judge_cli(scratch_world, spec, case, scratch_world.state())
    if problem is not None:
        assert bug.explains(case, problem), f"{bug.id}'s example fails differently now: {problem}"
        raise KnownBugStillOpen(problem)


def test_every_known_bug_names_an_existing_example():
    for bug in known_bugs.KNOWN:
        name, param, label = bug.example
        spec = SPEC_BY_NAME[name]
        assert _service_value(spec, param, label) is not None or label == "none", bug.id
    for bug in known_cli_bugs.KNOWN:
        spec_id, param, label = bug.example
        assert label in dict(BAD[SPEC_BY_ID[spec_id].params[param]]), bug.id
