"""Bugs the bad-input suite found in code this suite's author may not edit (``sinkledger/``,
``ledger/``), reported with their fix to the lead (issue 9), and not yet fixed.

Each :class:`KnownBug` says which failures it explains, so the fuzz tests leave exactly those
out, and names one example case. ``test_known_bugs.py`` runs every example as a strict
``xfail``: once a bug is fixed its example passes, the xfail fails, and the entry must be deleted
here (which puts its cases back into the fuzz tests).

Bugs that make the service *accept* a bad value also ``skip`` their cases: running them would
change the shared world.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tests.fuzz.harness import Case, Failure

# Calls that reach ledger.commands.run_command with the raw values in their content.
COMMANDS = {"register_party", "register_parcel", "import_parcels", "update_parcel", "split_parcel", "merge_parcels",
            "retire_parcel", "delete_parcel", "record_estimate", "collect", "issue", "sell", "retire", "pledge",
            "release", "default_pledge", "reverse", "correct", "import_registry", "batch_estimate",
            "court.register_case", "court.register_document", "court.register_document_file", "court.issue_order",
            "court.amend_order", "court.withdraw_order", "court.fulfil", "court.issue_certificate"}
INT64 = 2**63


def walk(value: Any, depth: int = 0) -> Any:
    """Every leaf and key of a nested value (stops at depth 60: deeper counts as 'deep')."""
    if depth > 60:
        yield _Deep()
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield k
            yield from walk(v, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        yield type(value)()  # the container itself (sets are not JSON)
        for v in value:
            yield from walk(v, depth + 1)
    else:
        yield value


class _Deep:
    pass


def unjsonable(value: Any) -> bool:
    """Floats, NaN, bytes, sets, lone surrogates, ints beyond 64 bits, deep nesting: what canonical
    JSON and the drivers cannot take."""
    for leaf in walk(value):
        if isinstance(leaf, (float, bytes, set, frozenset, Decimal, _Deep)):
            return True
        if isinstance(leaf, str) and not _encodes(leaf):
            return True
        if isinstance(leaf, int) and not isinstance(leaf, bool) and abs(leaf) >= INT64:
            return True
    return False


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def not_actor(value: Any) -> bool:
    from ledger.permissions import Actor

    return not isinstance(value, Actor) and not hasattr(value, "build")


@dataclass(frozen=True)
class KnownBug:
    id: str
    where: str
    summary: str
    fix: str
    example: tuple[str, str, str]  # (call, parameter, label of the value grid)
    explains_case: Callable[[Case], bool]
    problems: tuple[str, ...] = ("escaped",)
    skip: Callable[[Case], bool] | None = None  # cases not to run: accepting them would change the world
    errors: tuple[str, ...] = ()  # if given, the escaping exception's name must be one of these

    def explains(self, failure: Failure) -> bool:
        if failure.problem not in self.problems or not self.explains_case(failure.case):
            return False
        return failure.problem != "escaped" or not self.errors or failure.detail.split(":")[0] in self.errors


def _core(case: Case) -> bool:
    """Not an income call: the income API (sinkledger/income_service.py, ledger/income) checks its
    actor, its content and what its refusals echo itself, so these bugs must not hide its cases."""
    return not case.spec.startswith("income.")


def _calls(*names: str) -> Callable[[Case], bool]:
    return lambda case: case.spec in names


def _params(**by_call: tuple[str, ...]) -> Callable[[Case], bool]:
    return lambda case: case.param in by_call.get(case.spec, ())


def _either(*tests: Callable[[Case], bool]) -> Callable[[Case], bool]:
    return lambda case: any(t(case) for t in tests)


KNOWN: list[KnownBug] = [
    KnownBug(
        "KB1", "ledger/commands.py:63 run_command",
        "A float (NaN, 1.5, 1.0), bytes, a set, a lone surrogate, an int beyond 64 bits or a deeply nested "
        "value in a command's content escapes as TypeError/UnicodeEncodeError/RecursionError from canonical "
        "JSON, or as OverflowError/DataError from the driver, instead of a refusal.",
        "check the content once in run_command (ledger.domain.check_content) and raise "
        "InvalidInput('value_invalid', field=<path>)",
        ("sell", "quantity", "nan"),
        lambda case: case.spec in COMMANDS and unjsonable(case.value),
        problems=("escaped", "unprintable"),
        errors=("TypeError", "UnicodeEncodeError", "RecursionError", "OverflowError", "DataError", "ValueError",
                "InvalidOperation")),
    KnownBug(
        "KB2", "ledger/permissions.py:55 require (and ledger/court/permissions.py require_court)",
        "A call given something other than an Actor (None, a user name) escapes as AttributeError.",
        "if not isinstance(actor, Actor): raise InvalidInput('actor_required')",
        ("sell", "actor", "none"),
        lambda case: _core(case) and case.param == "actor" and not_actor(case.value)),
    KnownBug(
        "KB3", "sinkledger/db.py Database.read/write",
        "A lookup with a value the driver cannot bind (lone surrogate; NUL on PostgreSQL; list/dict/set; "
        "int beyond 64 bits; bool compared with an integer column) escapes as UnicodeEncodeError, "
        "OverflowError, ProgrammingError, DataError, InvalidRequestError or ArgumentError.",
        "translate those driver errors into InvalidInput('value_invalid', field='query') in "
        "Database.read()/write(); and refuse non-str ids at the service boundary",
        ("parcel", "parcel_code", "surrogate"),
        _core,
        errors=("UnicodeEncodeError", "OverflowError", "ProgrammingError", "DataError", "InvalidRequestError",
                "ArgumentError", "StatementError")),
    KnownBug(
        "KB4", "sinkledger/errors.py SinkLedgerError",
        "A refusal whose parameters carry the caller's lone surrogates cannot be printed: the CLI's "
        "--json document raises UnicodeEncodeError on output.",
        "escape lone surrogates in params and messages (str.encode('utf-8', 'backslashreplace'))",
        ("estimate_dry", "methodology_id", "surrogate"),
        _core, problems=("unprintable",)),
    KnownBug(
        "KB5", "sinkledger/service.py:73 create_user",
        "create_user checks nothing: empty, SQL/HTML, NUL and control-character user names, passwords and "
        "display names, and ints, are stored; an unknown role escapes as ValueError, None as IntegrityError, "
        "a non-str password as AttributeError.",
        "validate username (^[a-z0-9][a-z0-9_.-]{1,39}$), password (str, 8..1024 printable), role (Role), "
        "display name (check_text, 80)",
        ("create_user", "username", "sql"),
        _calls("create_user"), problems=("escaped", "accepted", "state_changed"), skip=_calls("create_user")),
    KnownBug(
        "KB6", "sinkledger/service.py:81 authenticate; :89 actor",
        "authenticate with a non-str password escapes as AttributeError; actor() and authenticate() pass any "
        "type to the database (an int finds user '7' on SQLite).",
        "refuse non-str user names and passwords as credentials_invalid / actor_unknown",
        ("authenticate", "password", "none"),
        _calls("authenticate", "actor"), problems=("escaped", "answered")),
    KnownBug(
        "KB7", "ledger/parties.py:26 register_party",
        "party_id accepts any Unicode letters ('地块一'; sinks.tenure.PARTY_ID is ASCII), and None/int/list "
        "escape; name and county_code are not checked (empty, NUL, 20,000 characters, ints are stored).",
        "party_id: sinks.tenure.PARTY_ID; name: check_text(name, 'name', 200); county_code: 6 digits or None",
        ("register_party", "name", "nul"),
        _params(register_party=("party_id", "name", "county_code")), problems=("escaped", "accepted", "state_changed"),
        skip=_params(register_party=("party_id", "name", "county_code"))),
    KnownBug(
        "KB8", "sinkledger/service.py:446 estimate_report (sinkledger/reports.py render)",
        "An unknown format or language escapes as ValueError.",
        "raise InvalidInput('value_invalid', field='format'/'lang')",
        ("estimate_report", "fmt", "unknown"),
        _params(estimate_report=("fmt", "lang"))),
    KnownBug(
        "KB9", "sinkledger/service.py:428 batch_estimate, sinkledger/batch_estimates.py record_batch",
        "The batch checks neither its request id (None becomes 'None/<parcel>') nor project_code, unknown "
        "parcel_codes or min_valid_fraction; an unknown methodology escapes as MethodologyNotFound, a bad "
        "--raster/period as ValueError/RasterError, a non-mapping monitoring as AttributeError.",
        "check_request_id first; validate project_code like issuance, parcel codes exist, 0 < fraction <= 1; "
        "map MethodologyNotFound to NotFound('methodology_unknown'), MethodologyError to "
        "methodology_refusal, parse errors to InvalidInput('value_invalid')",
        ("batch_estimate", "methodology_id", "unknown"),
        _calls("batch_estimate"), problems=("escaped", "accepted", "state_changed"),
        skip=_params(batch_estimate=("project_code", "parcel_codes", "min_valid_fraction", "request_id",
                                     "base_inputs"))),
    KnownBug(
        "KB10", "sinkledger/service.py (record_estimate :286, collect :295, split_parcel :226, register_parcel "
        ":128, update_parcel :205, import_registry :398, export_parcels :260, preview/import_parcels path)",
        "List, mapping and path parameters are used before any check: list(None), dict('x'), p['geometry'], "
        "Path(None) escape as TypeError/ValueError/KeyError.",
        "check the container types at the service boundary (InvalidInput('value_invalid', field=...))",
        ("record_estimate", "parcel_codes", "none"),
        _params(record_estimate=("parcel_codes", "inputs"), collect=("parcel_codes",), split_parcel=("parts",),
                register_parcel=("attributes", "household_shares_bp"), update_parcel=("changes",),
                import_registry=("paths", "registry"), export_parcels=("path",), import_parcels=("path",),
                preview_parcels=("path",), merge_parcels=("parcel_codes",), sell=("serials",), retire=("serials",),
                pledge=("serials",), **{"court.fulfil": ("serials",)})),
    KnownBug(
        "KB11", "ledger/issuance.py (buffer_share_bp), ledger/registry_import (allow_partial)",
        "True is taken as 1 basis point; allow_partial='false' is truthy and imports partially.",
        "refuse bool where an int is meant and non-bool flags",
        ("issue", "buffer_share_bp", "bool"),
        lambda case: (case.spec, case.param) in {("issue", "buffer_share_bp"), ("import_registry", "allow_partial")},
        problems=("accepted", "state_changed"),
        skip=lambda case: (case.spec, case.param) in {("issue", "buffer_share_bp"),
                                                      ("import_registry", "allow_partial")}),
    KnownBug(
        "KB12", "sinkledger/court_service.py (register_document(_file), verify_certificate_pdf, status, report, "
        "export_report) and ledger/court (orders, cases)",
        "Non-bytes content, non-str file names, unreadable paths, non-date as_of, unknown report filters "
        "escape (TypeError, OSError, AttributeError); damaged_area_ha has no upper bound; issue_order does not "
        "check amount_fen/override_reason when its kind does not use them; an amendment without changes is "
        "recorded.",
        "type-check at the court API boundary; OSError -> InvalidInput('file_unreadable'); bound the area; "
        "validate every given parameter; refuse an empty amendment",
        ("court.status", "as_of", "str"),
        _either(_calls("court.register_document", "court.register_document_file", "court.verify_certificate_pdf",
                       "court.status", "court.report", "court.export_report"),
                _params(**{"court.register_case": ("damaged_area_ha", "defendants", "sink_type"),
                           "court.issue_order": ("amount_fen", "override_reason"),
                           "court.amend_order": ("changes",)})),
        problems=("escaped", "accepted", "state_changed"),
        skip=_params(**{"court.register_case": ("damaged_area_ha",), "court.issue_order": ("amount_fen", "override_reason"),
                        "court.amend_order": ("changes",)})),
    KnownBug(
        "KB13", "sinkledger/service.py:455 proof, :470 journal",
        "proof(True) escapes as ArgumentError, proof(tree_size='x') and journal(limit='x'/1.5) as TypeError; "
        "journal(limit=-1) answers with all but the first entry.",
        "check seq/tree_size/limit are ints (not bool) >= 1",
        ("journal", "limit", "str"),
        _calls("proof", "journal"), problems=("escaped", "answered")),
    KnownBug(
        "KB15", "sinkledger/service.py:205 update_parcel; ledger/collection.py payment terms",
        "Parameters that a call does not use are not checked: update_parcel(from_gcj02='false') without a "
        "geometry, payment terms naming both a share and a fixed fee (the fee is dropped silently).",
        "validate every given parameter, used or not; refuse payment terms with keys of the other kind",
        ("update_parcel", "from_gcj02", "str_false"),
        lambda case: (case.spec, case.param) in {("update_parcel", "from_gcj02"), ("update_parcel", "repair"),
                                                 ("collect", "payment_terms")},
        problems=("accepted", "state_changed"),
        skip=lambda case: (case.spec, case.param, case.label) in {
            ("update_parcel", "from_gcj02", "str_false"), ("update_parcel", "from_gcj02", "int"),
            ("update_parcel", "from_gcj02", "list"), ("update_parcel", "from_gcj02", "nan"),
            ("update_parcel", "from_gcj02", "none"), ("update_parcel", "repair", "str_false"),
            ("update_parcel", "repair", "int"), ("update_parcel", "repair", "list"), ("update_parcel", "repair", "nan"),
            ("update_parcel", "repair", "none"), ("collect", "payment_terms", "both")}),
    KnownBug(
        "KB14", "sinkledger/service.py:168 repair_geometry",
        "The repair preview answers for points, empty polygons, collections and coordinates of 1e308 as if "
        "they were valid parcels.",
        "run the stateless geometry checks of registration (polygonal, not empty, finite, in the region) first",
        ("repair_geometry", "geometry", "point"),
        _calls("repair_geometry"), problems=("answered",)),
]


def explains(failure: Failure) -> bool:
    return any(bug.explains(failure) for bug in KNOWN)


def skips(case: Case) -> bool:
    """Cases not to run at all: a known bug would accept them and change the shared world."""
    return any(bug.skip is not None and bug.skip(case) for bug in KNOWN)
