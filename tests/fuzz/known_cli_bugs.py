"""Bugs the bad-input suite found in the command line (``sinkledger/cli*.py`` and what the CLI
reads files with), reported with their fix to the lead (issue 9), and not yet fixed.

As in ``known_bugs.py``: each entry says which failures it explains, the CLI fuzz leaves those
out, and ``test_known_bugs.py`` runs one example of each as a strict ``xfail``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KnownCliBug:
    id: str
    where: str
    summary: str
    fix: str
    example: tuple[str, str, str]  # (spec id, parameter, label)
    explains: Callable[[Any, str], bool]  # (case, problem) -> bool


def _click_usage(case: Any, problem: str) -> bool:
    return problem.startswith("not_json") and ("Usage:" in problem or "Error:" in problem or "Try '" in problem)


def _service_escape(case: Any, problem: str) -> bool:
    """What the service's known bugs (KB1 content, KB3 driver, KB4 unprintable refusal, KB13
    journal limit) look like through the CLI."""
    return (problem.startswith(("escaped: UnicodeEncodeError", "escaped: OverflowError",
                                "escaped: TypeError: 'floats are not allowed"))
            or (case.path == "history" and case.param == "limit" and problem.startswith("accepted")))


def _database_url(case: Any, problem: str) -> bool:
    return case.path == "" and case.param == "database_url" and problem.startswith("escaped")


def _files(case: Any, problem: str) -> bool:
    if case.path.startswith("income "):  # sinkledger/income_cli.py reads its files and checks its paths itself
        return False
    if problem.startswith(("escaped: RecursionError", "escaped: AttributeError", "escaped: DataSourceError")):
        return case.param in ("proof_file", "geometry_file", "inputs_file", "monitoring", "parcels_file",
                              "estimate_file")
    if problem.startswith("escaped: TypeError") and case.param == "monitoring":
        return True
    return case.path == "estimate" and case.param == "min_valid_pct" and case.label == "nan"


def _out_paths(case: Any, problem: str) -> bool:
    return not case.path.startswith("income ") and problem.startswith(("escaped: IsADirectoryError", "escaped: FileNotFoundError")) and case.label in (
        "empty", "missing_dir")


KNOWN: list[KnownCliBug] = [
    KnownCliBug(
        "KC1", "sinkledger/cli_common.py (a Group for sinkledger.cli.main)",
        "Click's own usage errors (a value that is not an int, float or choice; a missing file for click.Path("
        "exists=True)/click.File; '-1' as an argument read as an option; non-UTF-8 bytes in an int) exit 2 with "
        "click's usage text on stderr and no JSON document, even with --json. The same in the income commands "
        "(sinkledger/income_cli.py: income distribute SALE_SEQ, project register --interval-months, project "
        "estimate --period-index/--inputs, project issue --verified-kg/--buffer-bp, lien register "
        "--loan-amount-fen, claim --payout-fen, loss record --cause, contract-document FILE, statement "
        "--pdf/--xlsx given a folder) and the new collect --cost-share-bp/--cost-fen-per-t.",
        "a click.Group subclass whose main() runs click in standalone_mode=False and renders click.UsageError "
        "as the refusal 'usage_invalid' (JSON with --json), exit 2",
        ("sell", "quantity", "word"), _click_usage),
    KnownCliBug(
        "KC2", "sinkledger/cli_common.py Ctx.service, sinkledger/db.py",
        "A bad --database-url escapes: ArgumentError (not a URL), NoSuchModuleError (unknown driver), "
        "OperationalError (server refused), NotADirectoryError/creating folders for a SQLite path.",
        "build the Database inside a try and raise InvalidInput('database_url_invalid') / "
        "Conflict('database_unreachable') with the redacted URL",
        ("sinkledger", "database_url", "garbage"), _database_url),
    KnownCliBug(
        "KC3", "sinkledger/cli.py proof_check, sinkledger/court_cli.py _json_file, "
        "sinkledger/methodologies_cli.py _read_json, sinkledger/batch_estimates.py load_monitoring/load_parcels_file",
        "JSON files nested 100,000 deep escape as RecursionError; a monitoring file that is not an object as "
        "AttributeError (NaN in it as TypeError); a parcels file GDAL cannot read as DataSourceError; "
        "--min-valid-pct NaN passes click.FloatRange.",
        "catch RecursionError beside ValueError; check the document's shape; wrap load_parcels_file's errors "
        "in InvalidInput('file_unreadable'); refuse NaN in the option's callback",
        ("proof-check", "proof_file", "deep"), _files),
    KnownCliBug(
        "KC4", "sinkledger/cli.py export, court_cli.py report --xlsx, methodologies_cli.py report --out",
        "An empty output path ('' is the current folder) escapes as IsADirectoryError, one in a missing folder "
        "as FileNotFoundError.",
        "check output paths before writing (not empty, not a folder, the folder exists); OSError on writing -> "
        "InvalidInput('value_invalid', field='path')",
        ("export", "backup_file", "empty"), _out_paths),
    KnownCliBug(
        "KS", "the service's KB1, KB3, KB4, KB13 seen through the CLI",
        "Undecodable bytes in an argument, 30-digit numbers and journal limits reach the service's known bugs; "
        "also every income command's --actor with undecodable bytes (Service.actor, KB3/KB4/KB6) and "
        "collect's dates, codes and --costs-note.",
        "fixed by KB1/KB3/KB4/KB13",
        ("sell", "contract_no", "surrogate"), _service_escape),
]


def explains(case: Any, problem: str) -> bool:
    return any(bug.explains(case, problem) for bug in KNOWN)


def skips(case: Any) -> bool:
    return False


PROCESS_BUGS = {"sell --quantity with a GBK byte": "KC1", "sell --contract not UTF-8": "KS",
                "parcels show, a GBK code": "KS"}


def explains_process(label: str, problem: str) -> bool:
    bug = PROCESS_BUGS.get(label)
    if bug == "KC1":
        return problem.startswith("not_json")
    if bug == "KS":
        return problem.startswith("traceback: UnicodeEncodeError")
    return False
