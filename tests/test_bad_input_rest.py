"""Bad input, the rest of it (issue 16): dates outside the accepted range, numbers in digits that
are not ASCII, a dry-run import that finds problems, and any command on a database without a
schema. Each is a clean refusal (exit status 2, a stable code, Chinese and English messages) that
changes nothing, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from methodologies.inputs import InputReader
from sinkledger import catalogue
from sinkledger.catalogue import REFUSALS
from sinkledger.cli.common import WHOLE, DecimalRange, WholeRange, to_fen
from sinkledger.cli.main import main
from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput
from sinkledger_base.money import parse_yuan
from tests.ledger.conftest import BAMBOO, assert_refused, demo_parcel_inputs, funded, registry  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "methodologies" / "examples"
ESTIMATES = {"tea_garden.json": "sinkledger.tea-garden", "wetland_lake_marsh.json": "sinkledger.wetland-lake-marsh",
             "bamboo_moso_management.json": "sinkledger.bamboo-moso-management"}


def cli(url: str, *args: str, home: Path) -> tuple[int, Any, str]:
    """``sinkledger`` as its own process, with ``--json``."""
    env = {**os.environ, "SINKLEDGER_HOME": str(home), "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, *args, "--json"],
                          capture_output=True, text=True, env=env, timeout=300)
    try:
        out: Any = json.loads(proc.stdout)
    except ValueError:
        out = proc.stdout
    return proc.returncode, out, proc.stderr


def assert_refusal(code: int, out: Any, stderr: str, expected: str) -> dict[str, Any]:
    assert code == 2 and "Traceback" not in stderr, (code, out, stderr[-600:])
    error = out["error"]
    assert error["code"] == expected and error["code"] in REFUSALS, error
    assert error["message_zh"] and error["message_en"]
    return error


def tables(url: str) -> set[str]:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --- the range of dates -------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_date_outside_the_range_is_refused_naming_the_field_and_the_range(value):
    from ledger.domain import check_date

    with pytest.raises(InvalidInput) as refusal:
        check_date(value, "due_date")
    assert refusal.value.code == "date_out_of_range"
    assert refusal.value.params == {"field": "due_date", "value": value, "earliest": "1900-01-01",
                                    "latest": "2199-12-31"}
    zh, en = catalogue.messages(refusal.value)
    # the field named as a person names it, in each language (the code stays in the parameters)
    assert catalogue.field_name("due_date", "en") in en and catalogue.field_name("due_date", "zh") in zh
    assert "1900-01-01" in en and "2199-12-31" in zh


def test_the_range_is_inclusive_and_not_a_date_stays_value_invalid():
    from ledger.domain import check_date

    assert check_date("1900-01-01", "d") == "1900-01-01" and check_date("2199-12-31", "d") == "2199-12-31"
    for value in ("2024-13-01", "２０２４-01-01", None, 20240101):
        with pytest.raises(InvalidInput) as refusal:
            check_date(value, "d")
        assert refusal.value.code == "value_invalid"


@pytest.mark.parametrize("name", sorted(ESTIMATES))
@pytest.mark.parametrize("field", ["period_end", "period_start"])
def test_an_estimate_ending_in_year_9999_is_refused_not_a_traceback(name, field, tmp_path):
    """The issue's case: a dry estimate with ``"period_end": "9999-12-31"`` (no database needed)."""
    document = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    document[field] = "9999-12-31"
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    code, out, stderr = cli(f"sqlite:///{tmp_path / 'unused.db'}", "estimate", "--methodology", ESTIMATES[name],
                            "--inputs", str(path), home=tmp_path)
    error = assert_refusal(code, out, stderr, "methodology_input_invalid")
    assert "date_out_of_range" in error["details"]["problem_codes"]
    assert "2199-12-31" in error["message_en"] and field in error["message_en"]


def test_a_recorded_estimate_ending_in_year_9999_changes_nothing(registry):  # noqa: F811
    geometry, inputs = demo_parcel_inputs("AJ-BF-0001")
    coop = registry.actor("coop")
    registry.register_parcel(coop, "reg:1", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                             holder_party_id="COL-1", geometry=geometry, county_code="330523")
    before = registry.journal(limit=1)
    refusal = assert_refused("methodology_input_invalid", lambda: registry.record_estimate(
        coop, "est:9999", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO, inputs={**inputs, "period_end": "9999-12-31"}))
    assert "date_out_of_range" in refusal.params["problem_codes"] and registry.journal(limit=1) == before


def test_methodology_dates_outside_the_range_are_reported_by_field():
    reader = InputReader()
    assert reader.date("2199-12-31", "d") is not None and reader.date("9999-12-31", "period_end") is None
    assert reader.date("1850-06-01", "planting_date") is None
    assert [(p.field, p.code) for p in reader.problems] == [("period_end", "date_out_of_range"),
                                                           ("planting_date", "date_out_of_range")]


def test_registry_export_dates_outside_the_range_are_not_dates():
    from ledger.registry_import.model import parse_dmy_compact, parse_iso_date

    assert parse_iso_date("2021-05-01") is not None and parse_iso_date("9999-12-31") is None
    assert parse_iso_date("0001-01-01T00:00:00Z") is None and parse_dmy_compact("01019999") is None


def test_batch_periods_and_raster_dates_outside_the_range_are_refused():
    from sinkledger.services import batch_estimates as batch

    for call in (lambda: batch.parse_period("2022-01-01..9999-12-31"),
                 lambda: batch.parse_raster_option("9999-01-01=/x.tif")):
        with pytest.raises(InvalidInput) as refusal:
            call()
        assert refusal.value.code == "date_out_of_range"


def test_service_dates_outside_the_range_are_refused_and_change_nothing(funded):  # noqa: F811
    """Dates a ledger command checks itself: a pledge's term end, a parcel's retirement date."""
    before = funded.journal(limit=1)
    refusal = assert_refused("date_out_of_range", lambda: funded.pledge(
        funded.actor("bank"), "r-pledge", account_id="COL-1-H", quantity=1, loan_reference="L",
        loan_amount_fen=100, term_end="9999-12-31"))
    assert refusal.params["field"] == "term_end"
    refusal = assert_refused("date_out_of_range", lambda: funded.retire_parcel(
        funded.actor("coop"), "r-retire", parcel_code="AJ-BF-0001", retired_from="0001-01-01", reason="test"))
    assert refusal.params["field"] == "retired_from" and funded.journal(limit=1) == before


# --- ASCII digits only --------------------------------------------------------------------------

# Every character beyond ASCII that Python counts as a digit or numeric (full-width, Arabic-Indic,
# Devanagari, superscripts, circled numbers, CJK numerals...): about 1,800 of them.
NON_ASCII_DIGITS = st.sampled_from([chr(c) for c in range(128, sys.maxunicode + 1)
                                    if chr(c).isdigit() or chr(c).isnumeric()])
NUMBER_TEXT = st.builds(lambda head, digit, tail: f"{head}{digit}{tail}",
                        st.text(alphabet="0123456789", max_size=4), NON_ASCII_DIGITS,
                        st.text(alphabet="0123456789.", max_size=4))


@settings(max_examples=300, deadline=None)
@given(NUMBER_TEXT)
def test_non_ascii_digits_are_refused_by_every_quantity_and_amount_parser(text):
    """Python reads "１０" as 10 and "٣" as 3 (``int``, ``Decimal``, ``float``, ``\\d``); no parser
    of a quantity or an amount does."""
    assert not checks.ascii_number_text(text)
    with pytest.raises(ValueError):
        parse_yuan(text)
    for parse in (lambda: checks.whole_number_text(text, "quantity"), lambda: to_fen(text, None, "--price-yuan"),
                  lambda: checks.ascii_number(text, "quantity")):
        with pytest.raises(InvalidInput) as refusal:
            parse()
        assert refusal.value.code == "number_not_ascii"
    for param_type in (WHOLE, WholeRange(min=0), DecimalRange(0, 10**9)):
        with pytest.raises(InvalidInput) as refusal:
            param_type.convert(text, click.Option(["--quantity"]), None)
        assert refusal.value.params["field"] == "--quantity"
    reader = InputReader()
    assert reader.decimal(text, "area_ha") is None and reader.integer(text, "count") is None
    assert [p.code for p in reader.problems] == ["value_must_be_a_number"] * 2


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))  # methodology inputs stop below 10^12
def test_ascii_digits_still_parse(number):
    text = str(number)
    assert checks.whole_number_text(text, "q") == number and WHOLE.convert(text, None, None) == number
    assert parse_yuan(text) == number * 100 and to_fen(f"{text}.01", None, "x") == number * 100 + 1
    assert InputReader().decimal(text, "x") == Decimal(number)


@pytest.mark.parametrize("value", ["１０", "٣", "1０", "²", "一"])
def test_parcel_files_read_no_non_ascii_digit_as_a_number(value):
    from sinks.importer import _county, _declared_area_mu
    from sinks.tenure import _whole_bp

    problems: list[Any] = []
    assert _declared_area_mu({"declared_area_mu": value}, problems) is None and problems
    problems = []
    assert _county(value * 6, problems) is None and problems
    with pytest.raises(ValueError):
        _whole_bp(value)


def test_registry_quantities_are_ascii_digits():
    from ledger.registry_import.model import parse_quantity

    assert parse_quantity("28,571") == 28_571 and parse_quantity("１０") is None and parse_quantity("٣") is None


# --- the command line ---------------------------------------------------------------------------

@pytest.fixture
def empty_url(backend_url, tmp_path):  # type: ignore[no-untyped-def]
    """A database with no schema at all on each backend."""
    return backend_url


@pytest.mark.parametrize("args", [
    ["parcels", "list"],
    ["history"],
    ["sell", "--actor", "clerk", "--from", "COL-0001-H", "--to", "ENT-0001-H", "--quantity", "1",
     "--price-fen", "7341", "--contract", "C-1"],
], ids=["parcels list", "history", "sell"])
def test_a_command_on_a_database_without_a_schema_says_so(empty_url, args, tmp_path):
    """The issue's three commands, as real processes, on SQLite and PostgreSQL."""
    code, out, stderr = cli(empty_url, *args, home=tmp_path)
    assert_refusal(code, out, stderr, "database_not_initialised")
    assert not tables(empty_url) & {"journal_entry", "parcel", "alembic_version"}


def test_a_quantity_in_full_width_digits_is_refused(empty_url, tmp_path):
    """``--quantity １０`` (a Chinese input method's digits) is refused before anything is opened."""
    code, out, stderr = cli(empty_url, "sell", "--actor", "clerk", "--from", "COL-0001-H", "--to", "ENT-0001-H",
                            "--quantity", "１０", "--price-fen", "7341", "--contract", "C-1", home=tmp_path)
    error = assert_refusal(code, out, stderr, "number_not_ascii")
    assert error["details"] == {"field": "--quantity", "value": "１０"}
    assert not tables(empty_url) & {"journal_entry", "parcel", "alembic_version"}


# Commands that never open the database, or that create it.
WITHOUT_DATABASE = {"init": "creates the schema", "demo": "creates and seeds the database",
                    "import-backup": "restores into an empty database", "proof-check": "checks a file offline",
                    "app": "starts Streamlit", "methodologies list": "the code's methodologies",
                    "methodologies show": "the code's methodologies", "estimate": "dry without --parcel",
                    "checkpoint keygen": "makes a key file", "checkpoint check": "checks a file offline",
                    "sales template": "writes an empty sheet",
                    "methodologies plots template": "writes an empty sheet",
                    "methodologies plots import": "reads a file and prints its plots"}


class EmptyWorld:
    """What the fuzz specs' baselines need, for a database without a schema: ids that name nothing."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url, self.workdir = url, workdir
        self.ids: dict[str, Any] = defaultdict(lambda: "NOPE-1")

    @property
    def service(self) -> Any:
        raise LookupError("no service on an empty database")


def test_every_command_on_a_database_without_a_schema_says_so(empty_url, tmp_path):
    """Every command that reads or changes the registry, with its fuzz baseline (or no options
    where the baseline needs a seeded world), is refused with ``database_not_initialised``."""
    from tests.fuzz.cli_specs import SPECS
    from tests.fuzz.test_cli_fuzz import build_args

    world = EmptyWorld(empty_url, tmp_path)
    seen, failures = set(), []
    for spec in SPECS:
        if not spec.path or spec.path in seen or spec.path in WITHOUT_DATABASE:
            continue
        seen.add(spec.path)
        try:
            args = build_args(world, spec, None)
        except LookupError:  # a baseline read from the seeded world (a proof file, a journal seq): no options
            args = ["--database-url", empty_url, *spec.path.split(), "--json"]
        result = CliRunner().invoke(main, args, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            failures.append(f"{spec.path}: {type(result.exception).__name__}: {result.exception}")
            continue
        try:
            error = json.loads(result.stdout)["error"]
        except (ValueError, KeyError, TypeError):  # a command without --json prints the code on stderr
            error = {"code": "database_not_initialised" if "database_not_initialised" in result.stderr else "?"}
        if result.exit_code != 2 or error["code"] not in ("database_not_initialised", "usage_invalid"):
            failures.append(f"{spec.path}: exit {result.exit_code} {error['code']}")
    assert len(seen) > 40 and not failures, "\n".join(failures)
    assert not tables(empty_url) & {"journal_entry", "parcel", "alembic_version"}


def test_init_still_creates_what_the_other_commands_wait_for(empty_url, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["--database-url", empty_url, "history", "--json"]).exit_code == 2
    assert runner.invoke(main, ["--database-url", empty_url, "init", "--json"]).exit_code == 0
    result = runner.invoke(main, ["--database-url", empty_url, "history", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)


def test_a_dry_run_that_finds_problems_exits_2_and_registers_nothing(registry, tmp_path):  # noqa: F811
    """``parcels import --dry-run`` with problems: exit 2 with the per-row report (a real process)."""
    from tests.sinks.conftest import bamboo_rows, frame, square_m, to_lonlat, write

    rows = bamboo_rows(2)
    path = write(frame(rows, [to_lonlat(square_m(0, 0)), to_lonlat(square_m(0.5, 0))]), tmp_path / "o.gpkg")
    before = registry.journal(limit=1)
    code, out, stderr = cli(registry.settings.database_url, "parcels", "import", str(path), "--dry-run",
                            "--actor", "coop", home=tmp_path)
    error = assert_refusal(code, out, stderr, "parcel_import_has_problems")
    assert error["details"]["dry_run"] is True
    assert {p["code"] for p in error["details"]["problems"]} == {"parcels_overlap_in_file"}
    assert registry.journal(limit=1) == before and registry.parcels() == []


def test_the_service_refuses_every_command_until_initialised_and_then_asks_no_more(settings, monkeypatch):
    """The Python API too: a write or the journal on a database without a schema is refused with
    ``database_not_initialised``; once initialised, the check asks the database no more."""
    from sinkledger.services.registry import SYSTEM_ACTOR, Service

    service = Service.open(settings)
    try:
        for call in (lambda: service.journal(limit=5),
                     lambda: service.register_party(SYSTEM_ACTOR, "p:1", party_id="COL-1", kind="collective",
                                                    name="村", county_code="330523")):
            with pytest.raises(Exception) as refusal:
                call()
            assert getattr(refusal.value, "code", None) == "database_not_initialised"
        assert not service.db.has_schema()
        service.initialise()
        asked = []
        monkeypatch.setattr(Service, "is_initialised", lambda self: asked.append(1) or True)
        for _ in range(3):
            service.require_initialised()
            service.journal(limit=1)
        assert asked == []
    finally:
        service.db.dispose()
