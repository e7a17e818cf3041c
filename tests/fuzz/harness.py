"""Calling the service with one bad value and judging the outcome.

A call passes when it raises a :class:`~sinkledger_base.errors.SinkLedgerError` whose code is in the
message catalogue, whose messages are non-empty in both languages and whose error document can
be printed as UTF-8 JSON (what the CLI prints with ``--json``), and when the world's state (the
journal head, every balance, the tables written outside the journal) is unchanged. A read-only
call may instead answer normally where its spec allows. Anything else is a failure: an exception
other than a refusal escaping, a bad value accepted, a refusal without messages, a state change.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sinkledger import catalogue
from sinkledger.catalogue import REFUSALS
from sinkledger_base.errors import SinkLedgerError
from tests.fuzz.service_specs import ACTOR_BAD, LOCAL_KINDS, CallSpec, wrong_role
from tests.fuzz.values import Lazy, grid


@dataclass(frozen=True)
class Case:
    spec: str
    param: str
    label: str
    value: Any


@dataclass(frozen=True)
class Failure:
    case: Case
    problem: str  # "escaped", "accepted", "uncatalogued", "unprintable", "state_changed", "answered"
    detail: str

    def __str__(self) -> str:
        return (f"{self.case.spec}({self.case.param}={self.case.label}): {self.problem}: {self.detail}")


def method(world: Any, name: str) -> Any:
    owner = world.service
    if "." in name:
        sub, name = name.split(".", 1)
        owner = getattr(owner, sub)
    return getattr(owner, name)


def signature_params(world: Any, spec: CallSpec) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(method(world, spec.name)).parameters)


def values_of(kind: str) -> list[tuple[str, Any]]:
    return LOCAL_KINDS[kind] if kind in LOCAL_KINDS else grid(kind)


def cases(world: Any, spec: CallSpec) -> Iterator[Case]:
    """Every (parameter, bad value) of the spec's grid, the actor and request id included."""
    params = signature_params(world, spec)
    for param, kind in spec.params.items():
        for label, value in [*values_of(kind), *spec.extra.get(param, [])]:
            if (param, label) not in spec.skip:
                yield Case(spec.name, param, label, value)
    if "actor" in params:
        for label, value in ACTOR_BAD:
            yield Case(spec.name, "actor", label, value)
        if spec.actor_role_refused:
            yield Case(spec.name, "actor", "wrong_role", wrong_role(spec.actor_role_refused))
    if "request_id" in params:
        for label, value in grid("request_id"):
            if ("request_id", label) not in spec.skip:  # an optional request id: None means "the default"
                yield Case(spec.name, "request_id", label, value)


def resolve(world: Any, value: Any) -> Any:
    if isinstance(value, Lazy):
        return value.build(world)
    if isinstance(value, list):
        return [resolve(world, v) for v in value]
    return value


def call_kwargs(world: Any, spec: CallSpec, case: Case) -> dict[str, Any]:
    kwargs = {k: resolve(world, v) for k, v in spec.baseline(world).items()}
    value = resolve(world, case.value)
    kind = spec.params.get(case.param)
    if kind in ("amend", "filters"):  # a **kwargs parameter: the bad value is a dict of keywords
        kwargs.update(value)
    else:
        kwargs[case.param] = value
    return kwargs


def judge(world: Any, spec: CallSpec, case: Case, before: Any) -> Failure | None:
    """Make the call; return the failure, or ``None`` for a clean refusal that changed nothing."""
    failure = _outcome(world, spec, case)
    after = world.state()
    if failure is None and after != before:
        failure = Failure(case, "state_changed", "the journal head, balances or row counts changed")
    return failure


def _outcome(world: Any, spec: CallSpec, case: Case) -> Failure | None:
    try:
        kwargs = call_kwargs(world, spec, case)
    except Exception as exc:  # noqa: BLE001 - a broken baseline is a bug of the suite, reported as such
        return Failure(case, "baseline_broken", f"{type(exc).__name__}: {exc}"[:300])
    try:
        out = method(world, spec.name)(**kwargs)
    except SinkLedgerError as exc:
        return _refusal_problem(case, exc)
    except Exception as exc:  # noqa: BLE001 - the point: nothing but a refusal may escape
        return Failure(case, "escaped", f"{type(exc).__name__}: {str(exc)[:200]!r}")
    if case.param in spec.filters:
        return None
    if spec.accepts is not None:
        try:
            ok = spec.accepts(out)
        except Exception:  # noqa: BLE001 - an answer of an unexpected shape is not a refusal
            ok = False
        if not ok:
            return Failure(case, "accepted" if not spec.read_only else "answered", repr(out)[:200])
        return None
    if not spec.read_only:
        return Failure(case, "accepted", repr(out)[:200])
    return None


def _refusal_problem(case: Case, exc: SinkLedgerError) -> Failure | None:
    if exc.code not in REFUSALS:
        return Failure(case, "uncatalogued", f"code {exc.code!r} has no message in sinkledger/catalogue/refusals.toml")
    if not (catalogue.messages(exc)[0].strip() and catalogue.messages(exc)[1].strip()):
        return Failure(case, "uncatalogued", f"{exc.code}: empty message")
    try:
        json.dumps({"error": catalogue.refusal_dict(exc)}, ensure_ascii=False, default=str).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError, RecursionError) as err:
        return Failure(case, "unprintable", f"{exc.code}: error document cannot be printed: {err}"[:200])
    return None
