"""Bad input to the service calls the HTTP API added (issue 18): API keys
(:mod:`sinkledger.services.apikeys`), jobs (:mod:`sinkledger.services.jobs`) and the
role-scoped ledger reads (:mod:`sinkledger.services.ledger_reads`). They are module functions taking the service, as
the sign-in guard's are, so the Service-wide enumeration of ``test_service_fuzz`` does not see
them; ``test_every_call_is_fuzzed`` holds each public function of both modules to a spec here.

Each parameter gets every bad value of its kind (:func:`tests.fuzz.values.grid`), the others
valid; each answer must be a catalogued refusal (or, for a filter, an empty answer) that changes
nothing, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from sinkledger import catalogue
from sinkledger.services import apikeys, jobs, ledger_reads
from sinkledger_base.errors import SinkLedgerError
from tests.fuzz.service_specs import ACTOR_BAD
from tests.fuzz.values import grid

MODULES = (apikeys, jobs, ledger_reads)
# Public functions that take no caller input worth fuzzing, and why.
NOT_FUZZED = {"apikeys.key_hash": "a digest of any text", "ledger_reads.reads_every_account": "a role lookup",
              "ledger_reads.scope": "the check every read below runs; fuzzed through them",
              "jobs.start": "called by the API alone, with its own kind", "jobs.finish": "called by a job's thread alone"}


@dataclass(frozen=True)
class Spec:
    name: str  # module.function
    baseline: Callable[[Any], dict[str, Any]]
    params: Mapping[str, str]
    filters: frozenset[str] = frozenset()  # a value that matches nothing may answer "nothing"
    skip: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def _admin(world: Any) -> Any:
    return world.service.actor("admin")


def _clerk(world: Any) -> Any:
    return world.service.actor("clerk")


def _seller(world: Any) -> str:
    return world.ids["seller_account"]


SPECS = [
    Spec("apikeys.create_key", lambda w: {"actor": _admin(w), "party_id": "BANK-0001", "role": "bank", "label": "x"},
         {"party_id": "ref", "role": "choice", "username": "ref", "label": "text"},
         skip=frozenset({("label", "empty"), ("label", "blank"), ("label", "none"),  # a label is optional
                         ("party_id", "none"), ("role", "none"), ("username", "none")})),  # taken from the user when one is named
    Spec("apikeys.keys", lambda w: {"actor": _admin(w)}, {"include_revoked": "bool"}),
    Spec("apikeys.revoke_key", lambda w: {"actor": _admin(w), "key_id": "0123456789ab"}, {"key_id": "ref"}),
    Spec("apikeys.uses", lambda w: {"actor": _admin(w)}, {"key_id": "ref", "limit": "pos_int"},
         filters=frozenset({"key_id"})),
    Spec("apikeys.authenticate", lambda w: {"key": "slk_0123456789ab_" + "A" * 43, "client": "127.0.0.1",
                                            "method": "GET", "path": "/v1/whoami"},
         {"key": "ref"}),
    Spec("jobs.job", lambda w: {"actor": _admin(w), "job_id": "0" * 32}, {"job_id": "ref"}),
    Spec("ledger_reads.sales", lambda w: {"actor": _clerk(w)},
         {"account_id": "ref", "date_from": "date", "date_to": "date", "contract": "ref", "limit": "pos_int",
          "offset": "nonneg_int"},
         filters=frozenset({"account_id", "contract"}),
         skip=frozenset({("date_from", "none"), ("date_to", "none")})),  # no date: no bound
    Spec("ledger_reads.sale", lambda w: {"actor": _clerk(w), "seq": 1}, {"seq": "seq"}),
    Spec("ledger_reads.retirements", lambda w: {"actor": _clerk(w)},
         {"account_id": "ref", "beneficiary": "ref", "year": "opt_int", "limit": "pos_int", "offset": "nonneg_int"},
         filters=frozenset({"account_id", "beneficiary"}), skip=frozenset({("year", "none")})),
    Spec("ledger_reads.pledges", lambda w: {"actor": _clerk(w)}, {"account_id": "ref"},
         filters=frozenset({"account_id"})),
    Spec("ledger_reads.balance", lambda w: {"actor": _clerk(w), "account_id": _seller(w)}, {"account_id": "ref"}),
    Spec("ledger_reads.balances", lambda w: {"actor": _clerk(w)}, {}),
    Spec("ledger_reads.holdings", lambda w: {"actor": _clerk(w), "account_id": _seller(w)}, {"account_id": "ref"}),
    Spec("ledger_reads.blocks", lambda w: {"actor": _clerk(w), "account_id": _seller(w)}, {"account_id": "ref"}),
    # issue 18 (helper h3): the lists as pages of the database; a limit of None is "every row"
    Spec("ledger_reads.pledges_page", lambda w: {"actor": _clerk(w)},
         {"account_id": "ref", "limit": "pos_int", "offset": "nonneg_int"}, filters=frozenset({"account_id"}),
         skip=frozenset({("limit", "none")})),
    Spec("ledger_reads.balances_page", lambda w: {"actor": _clerk(w)}, {"limit": "pos_int", "offset": "nonneg_int"},
         skip=frozenset({("limit", "none")})),
    Spec("ledger_reads.blocks_page", lambda w: {"actor": _clerk(w), "account_id": _seller(w)},
         {"account_id": "ref", "limit": "pos_int", "offset": "nonneg_int"}, skip=frozenset({("limit", "none")})),
]


def _function(name: str) -> Any:
    module, function = name.split(".")
    return getattr({"apikeys": apikeys, "jobs": jobs, "ledger_reads": ledger_reads}[module], function)


def test_every_call_is_fuzzed() -> None:
    """Every public function of the two modules has a spec (or a stated reason), and every
    parameter but the service, ``now`` and the actor (fuzzed apart) is in its spec."""
    public = {f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m in MODULES for n, f in vars(m).items()
              if inspect.isfunction(f) and f.__module__ == m.__name__ and not n.startswith("_")}
    specs = {s.name: s for s in SPECS}
    assert public - set(specs) - set(NOT_FUZZED) == set()
    for name, spec in specs.items():
        taken = set(inspect.signature(_function(name)).parameters) - {"service", "now", "actor"}
        fuzzed = set(spec.params) | ({"client", "method", "path"} if name == "apikeys.authenticate" else set())
        assert taken <= fuzzed, f"{name}: parameters without fuzz coverage: {sorted(taken - fuzzed)}"


def _cases(spec: Spec) -> list[tuple[str, str, Any]]:
    out = [(param, label, value) for param, kind in spec.params.items() for label, value in grid(kind)
           if (param, label) not in spec.skip]
    if "actor" in inspect.signature(_function(spec.name)).parameters:
        out += [("actor", label, value) for label, value in ACTOR_BAD]
    return out


def _problem(world: Any, spec: Spec, param: str, value: Any) -> str | None:
    kwargs = {**spec.baseline(world), param: value}
    try:
        _function(spec.name)(world.service, **kwargs)
    except SinkLedgerError as exc:
        zh, en = catalogue.messages(exc)
        if exc.code not in catalogue.REFUSALS or not (zh.strip() and en.strip()):
            return f"uncatalogued {exc.code}"
        return None
    except Exception as exc:  # noqa: BLE001 - the point: nothing but a refusal may escape
        return f"escaped {type(exc).__name__}: {str(exc)[:160]!r}"
    return None if param in spec.filters else "accepted"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_grid(spec, fuzz_world):  # type: ignore[no-untyped-def]
    before = fuzz_world.state()
    failures = [f"{param}={label}: {problem}" for param, label, value in _cases(spec)
                if (problem := _problem(fuzz_world, spec, param, value)) is not None]
    assert not failures, f"{spec.name}: {len(failures)} bad inputs not cleanly refused:\n" + "\n".join(failures)
    assert fuzz_world.state() == before
