"""Issue 19's rule for forms, enforced on the code: every call the web app makes to a command
that changes the ledger or the database goes through ``common.submit_once`` (one request id per
form instance, the form locked on what it recorded), and the irreversible ones are asked first
(``common.confirmed``), so a new form cannot forget either.

The commands are found, not listed: every public function or method of ``sinkledger.services``
that takes a ``request_id`` is a ledger command (a new one is covered the day it is written).
The few that change the database without a request id are named below, and checked to exist.
The pages are parsed (``ast``), not run: a command named anywhere in ``sinkledger/ui`` (passed
as a function, or called inside the lambda handed over) must be the ``fn`` of a ``submit_once``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import sinkledger.services
from sinkledger.config import REPO_ROOT

UI = REPO_ROOT / "sinkledger" / "ui"

# Changes without a request id of their own: the service makes a repeat harmless by its content
# (an erased record stays erased, a certificate of the same facts has the same code, a revoked
# key stays revoked), or only the form's lock keeps a second press away (an API key).
WRITES_WITHOUT_REQUEST_ID = {
    "sinkledger.services.people:PeopleService": ("register", "correct", "erase", "designate", "revoke"),
    "sinkledger.services.court:CourtService": ("issue_certificate",),
    "sinkledger.services.apikeys": ("create_key", "revoke_key"),
    "sinkledger.services.signin_guard": ("unlock",),
}
# Acts that cannot be undone: retire, pay, default, reverse (a loss event too), withdraw an order,
# retire or delete a parcel, erase personal data. Each is asked first.
IRREVERSIBLE = frozenset({"retire", "record_payment", "pay_outstanding", "default_pledge", "default_lien", "reverse",
                          "record_loss", "withdraw_order", "retire_parcel", "delete_parcel", "erase"})
# Irreversible acts confirmed by a step of their own instead of ``confirmed`` (file, command): why.
OWN_CONFIRMATION = {
    ("people_admin.py", "erase"): "the erasure's second step: its grounds and an explicit tick (docs/personal-data.md)",
}
# Receivers that are never a service (a command's name may also be a method of these).
NOT_SERVICES = frozenset({"st", "session", "fmt", "pd", "maps", "catalogue", "json", "datetime", "date", "gc"})


def _commands_with_request_id() -> set[str]:
    found: set[str] = set()
    for info in pkgutil.iter_modules(sinkledger.services.__path__):
        module = importlib.import_module(f"sinkledger.services.{info.name}")
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != module.__name__ or name.startswith("_"):
                continue
            members = [(name, obj)] if inspect.isfunction(obj) else (
                inspect.getmembers(obj, inspect.isfunction) if inspect.isclass(obj) else [])
            found |= {n for n, f in members if not n.startswith("_") and "request_id" in inspect.signature(f).parameters}
    return found


def _writes_without_request_id() -> set[str]:
    names: set[str] = set()
    for where, methods in WRITES_WITHOUT_REQUEST_ID.items():
        module, _, owner = where.partition(":")
        holder = importlib.import_module(module)
        holder = getattr(holder, owner) if owner else holder
        for method in methods:
            assert callable(getattr(holder, method, None)), f"{where}.{method} is listed but does not exist"
            names.add(method)
    return names


# Calls that take a request id and record nothing (name: why): not commands.
READS_WITH_REQUEST_ID = {
    "preview_sales": "checks every row of a sales sheet as the import would, in a transaction it rolls back; "
                     "the request id only names the import it previews (services/sales_import.py)",
}
assert set(READS_WITH_REQUEST_ID) <= _commands_with_request_id(), "a listed read no longer takes a request id"

COMMANDS = frozenset((_commands_with_request_id() | _writes_without_request_id()) - set(READS_WITH_REQUEST_ID))


@dataclass(frozen=True)
class Breach:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.what}"


def _is_call_to(node: ast.AST, name: str) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (isinstance(func, ast.Attribute) and func.attr == name)


def _fn_argument(call: ast.Call) -> ast.AST | None:
    """The ``fn`` a ``submit_once(form, fn, ...)`` call runs."""
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "fn"), None)


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return node.id if isinstance(node, ast.Name) else None


def _service_imports(tree: ast.Module) -> set[str]:
    """Names a page imported directly from the services (``from sinkledger.services.x import sell``)."""
    return {(a.asname or a.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("sinkledger.services") for a in node.names if a.name in COMMANDS}


def _references(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every place a page names a command: ``service.sell``, ``people.erase``, ``admin.create_user``..."""
    direct = _service_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in COMMANDS and isinstance(node.ctx, ast.Load) \
                and _root(node.value) not in NOT_SERVICES:
            yield node, node.attr
        elif isinstance(node, ast.Name) and node.id in direct and isinstance(node.ctx, ast.Load):
            yield node, node.id


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _submitting_call(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.Call | None:
    """The ``submit_once`` call whose ``fn`` is ``node`` or the lambda holding it, else None."""
    here = node
    while here in parents:
        parent = parents[here]
        if _is_call_to(parent, "submit_once") and _fn_argument(parent) is here:
            return parent
        if isinstance(here, ast.Lambda) or isinstance(parent, (ast.FunctionDef, ast.Module)):
            return None
        here = parent
    return None


def _asked_first(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether ``call`` runs only in a branch that a ``confirmed(...)`` test opened."""
    here = call
    while here in parents:
        parent = parents[here]
        if isinstance(parent, ast.If) and here in parent.body and any(
                _is_call_to(n, "confirmed") for n in ast.walk(parent.test)):
            return True
        if isinstance(parent, ast.FunctionDef):
            return False
        here = parent
    return False


def breaches(source: str, file: str = "<page>") -> list[Breach]:
    """What breaks the rule in one page's source."""
    tree = ast.parse(source)
    parents = _parents(tree)
    found: list[Breach] = []
    for node, name in _references(tree):
        call = _submitting_call(node, parents)
        if call is None:
            found.append(Breach(file, node.lineno, f"{ast.unparse(node)} changes the ledger or the database "
                                                   "outside common.submit_once"))
        elif name in IRREVERSIBLE and (file, name) not in OWN_CONFIRMATION and not _asked_first(call, parents):
            found.append(Breach(file, node.lineno, f"{ast.unparse(node)} cannot be undone: ask first "
                                                   "(if common.confirmed(...): submit_once(...))"))
    return found


def test_the_services_commands_are_found() -> None:
    """The discovery sees the commands every page relies on (a silent empty set would pass anything)."""
    assert {"sell", "retire", "pledge", "release", "default_pledge", "correct", "reverse", "issue", "register_parcel",
            "import_parcels", "register_case", "issue_order", "amend_order", "withdraw_order", "fulfil",
            "register_lien", "default_lien", "record_payment", "distribute", "record_loss", "create_user",
            "batch_estimate", "erase"} <= COMMANDS


@pytest.mark.parametrize("page", sorted(p.name for p in UI.glob("*.py")))
def test_every_change_goes_through_submit_once_and_irreversible_acts_are_asked_first(page: str) -> None:
    found = breaches((UI / page).read_text(encoding="utf-8"), page)
    assert not found, "\n".join(map(str, found))


def test_own_confirmations_are_still_there() -> None:
    """An exception to ``confirmed`` names a page that still runs that command (else it is stale)."""
    for (page, command), why in OWN_CONFIRMATION.items():
        assert f".{command}" in (UI / page).read_text(encoding="utf-8"), why


@pytest.mark.parametrize(("source", "expected"), [
    # the old ways: a bare call, a retry-unsafe submit, a call inside attempt(): each a breach
    ("attempt(service.income.register_lien, actor, loan_reference='L')", 1),
    ("submit('lien', service.income.register_lien, actor=actor)", 1),
    ("out = people.erase(actor, party_id='HH-1', reason='r')", 1),
    ("submit_once('x', lambda **kw: admin.set_role(service, **kw))\nadmin.create_user(service, actor, 'r')", 1),
    # the rule kept: the command as the fn, or called in the lambda handed over
    ("submit_once('lien', service.income.register_lien, actor=actor)", 0),
    ("submit_once('user', lambda **kw: admin.create_user(service, **kw), actor=actor)", 0),
    # an irreversible act: asked first, or a breach
    ("submit_once('retire', service.retire, actor=actor)", 1),
    ("if confirmed('retire', asked, q):\n    submit_once('retire', service.retire, actor=actor)", 0),
    ("if asked:\n    submit_once('pay', service.income.record_payment, actor=actor)", 1),
    # a name that is not a service's: not a command
    ("st.session_state.pop('x')\nsession.request_id('sale')", 0),
])
def test_the_rule_catches_what_it_should(source: str, expected: int) -> None:
    assert len(breaches(source)) == expected, breaches(source)
