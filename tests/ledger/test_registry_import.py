"""Importing another registry's history (issue 3, item 10; issue 20), on real exports from
../shared/data and on small synthetic files that show one rule each.

Verra's transactions export and Gold Standard's issuances + retirements are read by the general
reader from their mapping files and recorded in one journal entry per import, all or nothing.
The facts asserted below were read from the files themselves (OffsetsDB test slices, 2026-04);
``test_registry_files.py`` checks every file's totals against sums the test computes itself.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ledger import journal
from ledger.commands import run_command
from ledger.domain import BlockState, Role
from ledger.permissions import Actor
from ledger.registry_import import parse_files, parse_text
from ledger.registry_import.apply import ENTRY_KIND, import_content, import_registry_history
from ledger.registry_import.model import CreditStatus, ParsedImport, RegistryRecord
from ledger.registry_import.plan import reconcile
from ledger.store import AccountRow, BatchRow, CreditBlockRow, RetirementRow
from sinkledger import catalogue
from sinkledger_base.errors import Conflict, InvalidInput

pytestmark = pytest.mark.shared_data

ADMIN = Actor(username="admin", role=Role.admin, party_id="REGISTRY")
VERRA_ENDED_ROWS = [2, 3, 5, 6, 9, 89, 92, 94, 96, 97, 98, 100, 101]
VERRA_CREATED_T = 4_029_227  # all 200 rows
VERRA_ENDED_T = 33_965  # 13 rows with a date and no beneficiary, reason or details
VERRA_RETIRED_T = 103_581  # 87 rows with a date and a beneficiary/reason/details
GS_CREATED_T = 7_332_139  # 100 issuance rows + the 98 retirement rows not inside one
GS_RETIRED_T = 813_318  # 94 rows
GS_CANCELLED_T = 1_155_441  # 6 rows


# --- fixtures ---------------------------------------------------------------------------------

def _export(shared_data: Path, *parts: str) -> Path:
    path = shared_data.joinpath("registry", "offsetsdb_samples", *parts)
    if not path.is_file():
        pytest.skip(f"registry export not found: {path}")
    return path


@pytest.fixture
def verra_csv(shared_data: Path) -> Path:
    return _export(shared_data, "verra", "transactions.csv")


@pytest.fixture
def gs_csvs(shared_data: Path) -> list[Path]:
    return [_export(shared_data, "gold-standard", "issuances.csv"),
            _export(shared_data, "gold-standard", "retirements.csv")]


def run_import(service: Any, parsed: ParsedImport, request_id: str, *, allow_partial: bool = False) -> dict[str, Any]:
    """Run the import command on already parsed files (the service parses paths first)."""
    return run_command(service.db, actor=ADMIN, command="import_registry", request_id=request_id,
                       content=import_content(parsed, allow_partial=allow_partial),
                       handler=lambda ctx: import_registry_history(ctx, parsed, allow_partial=allow_partial),
                       clock=service.clock)


def head(service: Any) -> str:
    return service.verify().head_hash


def balance(service: Any, account_id: str) -> dict[str, int]:
    rows = {b["account_id"]: b for b in service.balances()["by_account"]}
    return rows.get(account_id, {"held_t": 0, "retired_t": 0, "cancelled_t": 0})


def imported_total_t(service: Any) -> int:
    return sum(r["issued_t"] for r in service.balances()["by_sink_type"] if r["sink_type"] == "imported")


def import_payloads(service: Any) -> list[dict[str, Any]]:
    with service.db.read() as s:
        return [journal.Entry.from_row(r).payload for r in journal.iter_rows(s) if r.kind == ENTRY_KIND]


VERRA_HEADER = ["Issuance Date", "Vintage Start", "Vintage End", "ID", "Name", "Country/Area", "Project Type",
                "Methodology", "Total Vintage Quantity", "Quantity Issued", "Serial Number",
                "Retirement/Cancellation Date", "Retirement Beneficiary", "Retirement Reason", "Retirement Details"]


def verra_row(first: int, last: int, **cells: str) -> dict[str, str]:
    """A synthetic Verra row for project 9999, vintage 2021, serials ``first..last``."""
    row = {"Issuance Date": "2026-03-17", "Vintage Start": "2021-01-01", "Vintage End": "2021-12-31",
           "ID": "9999", "Name": "Synthetic test project", "Country/Area": "China",
           "Project Type": "Agriculture Forestry and Other Land Use", "Methodology": "VM0047",
           "Total Vintage Quantity": "1,000,000", "Quantity Issued": f"{last - first + 1:,}",
           "Serial Number": f"1-{first}-{last}-VCS-VCU-1-VER-CN-14-9999-01012021-31122021-0",
           "Retirement/Cancellation Date": "", "Retirement Beneficiary": "", "Retirement Reason": "",
           "Retirement Details": ""}
    return row | cells


def verra_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=VERRA_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- parsing: Verra ---------------------------------------------------------------------------

def test_verra_rows_all_parse_and_rows_without_a_claim_are_ended_with_a_notice(verra_csv: Path) -> None:
    """200 rows: 100 active, 87 retired, 13 dated rows naming no claim booked as ended."""
    parsed = parse_files("verra", [verra_csv])
    assert parsed.problems == [] and len(parsed.records) == 200
    assert Counter(r.status for r in parsed.records) == {CreditStatus.issued: 100, CreditStatus.retired: 87,
                                                         CreditStatus.ended: 13}
    assert sorted(n.row_number for n in parsed.notices) == VERRA_ENDED_ROWS
    assert {n.code for n in parsed.notices} == {"registry_status_ended"}
    zh, en = catalogue.problem_messages(parsed.notices[0].to_record())
    assert "第 2 行" in zh and "row 2" in en and "not dropped" in en
    assert sum(r.quantity for r in parsed.records) == VERRA_CREATED_T
    assert all(r.last - r.first + 1 == r.quantity for r in parsed.records)


def test_verra_row_keeps_serial_block_vintage_and_claim_verbatim(verra_csv: Path) -> None:
    parsed = parse_files("vcs", [verra_csv])  # an alias of verra
    row = {r.row_number: r for r in parsed.records}[8]
    assert row.serial == "19328-940005924-940008531-VCS-VCU-1289-VER-CN-13-3880-01012022-31122022-0"
    assert row.serial_prefix == "VCS-VCU-1289-VER-CN-13-3880-01012022-31122022-0"
    assert (row.first, row.last, row.quantity) == (940005924, 940008531, 2608)  # "2,608" in the file
    assert (row.vintage_year, row.period_start, row.period_end) == (2022, date(2022, 1, 1), date(2022, 12, 31))
    assert row.project_id == "3880" and row.project_code == "VCS3880"
    assert row.status is CreditStatus.retired and row.status_on == date(2026, 4, 13)
    assert row.beneficiary == "江苏亨通高压海缆有限公司 Hengtong Submarine Power Cable Co., Ltd."
    assert row.reason == "Retirement for Person or Organization"
    assert row.details.endswith("用于江苏亨通高压海缆有限公司碳中和碳排放量抵消")
    assert row.published == {"vintage_kg": 64_215_000}  # "Total Vintage Quantity" 64,215


def test_verra_malformed_rows_are_all_reported_at_once() -> None:
    """Every problem of every row in one pass, with row, physical line, code and zh/en text."""
    rows = [verra_row(1, 10, **{"Retirement/Cancellation Date": "2026-03-20", "Retirement Details": "two\nlines"}),
            verra_row(11, 20, **{"Serial Number": "not-a-serial"}),
            verra_row(21, 30, **{"Quantity Issued": "1.234,5"}),
            verra_row(31, 40, **{"Quantity Issued": "11"}),
            verra_row(41, 50, **{"Vintage Start": "01/01/2021", "Issuance Date": "2026-13-01"}),
            verra_row(51, 60, **{"Vintage End": "2021-06-30"}),
            verra_row(61, 70, **{"Retirement Beneficiary": "Someone"})]
    parsed = parse_text("verra", verra_text(rows), source="bad.csv")
    assert [r.row_number for r in parsed.records] == [2]
    assert parsed.records[0].details == "two\nlines"  # multi-line cell kept verbatim
    found = sorted((p.row_number, p.line_number, p.code) for p in parsed.problems)
    assert found == [(3, 4, "registry_serial_unrecognised"), (4, 5, "registry_quantity_invalid"),
                     (5, 6, "registry_quantity_mismatch"),
                     (6, 7, "registry_date_invalid"), (6, 7, "registry_date_invalid"),
                     (7, 8, "registry_field_mismatch"), (8, 9, "registry_status_ambiguous")]
    mismatch = next(p for p in parsed.problems if p.code == "registry_quantity_mismatch")
    assert catalogue.problem_messages(mismatch.to_record())[1] == (
        "bad.csv row 5: the serial block holds 10 credits but the quantity column says 11.")
    assert "第 5 行" in catalogue.problem_messages(mismatch.to_record())[0]


def test_an_export_of_another_layout_is_refused_as_a_whole(verra_csv: Path) -> None:
    parsed = parse_files("gold-standard", [verra_csv])
    assert parsed.records == [] and len(parsed.problems) == 1
    assert parsed.problems[0].code == "registry_columns_missing" and parsed.problems[0].row_number == 1
    assert "GSID" in catalogue.problem_messages(parsed.problems[0].to_record())[1]


def test_an_unknown_registry_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_files("no-such-registry", [])
    assert exc.value.code == "value_invalid" and exc.value.params["field"] == "registry"


# --- parsing: Gold Standard -------------------------------------------------------------------

def test_gold_standard_issuances_and_retirements_parse(gs_csvs: list[Path]) -> None:
    parsed = parse_files("gold-standard", gs_csvs)
    records = parsed.records
    assert parsed.problems == [] and len(records) == 200
    assert Counter(r.status for r in records) == {CreditStatus.issued: 100, CreditStatus.retired: 94,
                                                  CreditStatus.cancelled: 6}
    by_row = {(r.source, r.row_number): r for r in records}
    cer = by_row[("issuances.csv", 82)]  # a CDM CER block: two whole serials joined by " - "
    assert cer.serial == "RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014"
    assert (cer.serial_prefix, cer.first, cer.last, cer.quantity, cer.vintage_year) == (
        "RW-5-2-2-0-7014", 1463953, 1467609, 3657, 2019)
    hilti = by_row[("retirements.csv", 2)]
    assert (hilti.serial_prefix, hilti.first, hilti.last) == ("GS1-1-KE-GS11603-16-2025-30256", 110, 5463)
    assert (hilti.beneficiary, hilti.reason) == ("Hilti Corporation", "Voluntary")
    turkcell = by_row[("retirements.csv", 41)]
    assert turkcell.line_number == 45  # four earlier notes end in a newline inside their quotes
    assert turkcell.beneficiary == "Turkcell İletişim Hizmetleri A.Ş. ve Türkiye’de faaliyet gösteren diğer şirketler"
    assert len(turkcell.details) == 1257 and turkcell.details.endswith("A. Ş)\n")
    cancelled = [r for r in records if r.status is CreditStatus.cancelled]
    assert sorted(r.row_number for r in cancelled) == [42, 43, 44, 92, 93, 94]
    assert all(r.status_on is None for r in cancelled)
    kenya = next(p for p in parsed.projects if p.project_id == "11603")
    assert (kenya.project_type, kenya.methodology, kenya.country) == (
        "Energy Efficiency - Domestic", "GS TPDDTEC v3.1", "Kenya")


# --- reconciliation (pure) --------------------------------------------------------------------

def _record(row: int, first: int, last: int, status: CreditStatus = CreditStatus.issued,
            prefix: str = "P-1") -> RegistryRecord:
    return RegistryRecord(registry="verra", source="t.csv", row_number=row, line_number=row, serial=f"s{row}",
                          serial_prefix=prefix, first=first, last=last, quantity=last - first + 1,
                          vintage_year=2021, period_start=None, period_end=None, project_id="1",
                          project_code="VCS1", project_name="p", status=status,
                          beneficiary="b" if status is CreditStatus.retired else "")


def test_reconcile_nests_events_and_refuses_every_other_overlap() -> None:
    retired, cancelled = CreditStatus.retired, CreditStatus.cancelled
    records = [_record(2, 1, 100), _record(3, 10, 20, retired), _record(4, 30, 40, cancelled),
               _record(5, 200, 300), _record(6, 250, 350),  # two issued rows overlap
               _record(7, 260, 270, retired),  # inside a refused issued row
               _record(8, 400, 500), _record(9, 450, 550, retired),  # straddles an issued row
               _record(10, 600, 610, retired), _record(11, 605, 615, retired),  # two events overlap
               _record(12, 1, 100, prefix="P-2")]  # the same numbers under another prefix
    out = reconcile(records)
    assert sorted(r.row_number for r in out.accepted) == [2, 3, 4, 12]
    assert {k[1]: v.row_number for k, v in out.parent.items()} == {3: 2, 4: 2}
    codes = {p.row_number: p.code for p in out.problems}
    assert codes == {5: "registry_serials_overlap", 6: "registry_serials_overlap",
                     7: "registry_parent_row_refused", 8: "registry_serials_overlap",
                     9: "registry_serials_overlap", 10: "registry_serials_overlap",
                     11: "registry_serials_overlap"}
    overlap = next(p for p in out.problems if p.row_number == 5)
    assert catalogue.problem_messages(overlap.to_record())[1] == (
        "t.csv row 5: serial block 200..300 overlaps t.csv row 6 (250..350) under prefix P-1; neither row is imported.")


# --- recording in the ledger ------------------------------------------------------------------

def test_gold_standard_history_imports_whole(service: Any, gs_csvs: list[Path]) -> None:
    parsed = parse_files("gold-standard", gs_csvs)
    out = run_import(service, parsed, "import:gs:1")
    assert (out["rows_imported"], out["rows_refused"], out["partial"]) == (200, 0, False)
    assert (out["created_t"], out["retired_t"], out["cancelled_t"]) == (GS_CREATED_T, GS_RETIRED_T, GS_CANCELLED_T)
    imported = balance(service, "IMPORT-GOLD-STANDARD")
    assert imported["held_t"] == GS_CREATED_T - GS_RETIRED_T - GS_CANCELLED_T == out["held_t"]
    assert balance(service, "SYS-RETIRED")["retired_t"] == GS_RETIRED_T
    assert balance(service, "SYS-CANCELLED")["cancelled_t"] == GS_CANCELLED_T
    assert imported_total_t(service) == GS_CREATED_T  # every imported credit is in the balances
    report = service.verify()
    assert report.ok, report.problems
    assert report.credits_issued == GS_CREATED_T and report.batches == out["batches"]


def test_a_retirement_inside_an_issuance_splits_its_block(service: Any, gs_csvs: list[Path]) -> None:
    """GS11603 vintage 2025 issued 1..5485; Hilti retired 110..5463 of it."""
    run_import(service, parse_files("gold-standard", gs_csvs), "import:gs:1")
    batch_id = "IMPORT:GOLD-STANDARD:GS1-1-KE-GS11603-16-2025-30256/1"
    with service.db.read() as s:
        batch = s.get(BatchRow, batch_id)
        blocks = s.exec(select(CreditBlockRow).where(CreditBlockRow.batch_id == batch_id)
                        .order_by(CreditBlockRow.first)).all()
        retirement = s.get(RetirementRow, blocks[1].tag)
    assert (batch.first, batch.last, batch.vintage_year, batch.sink_type) == (1, 5485, 2025, "imported")
    assert [(b.first, b.last, b.account_id, b.state) for b in blocks] == [
        (1, 109, "IMPORT-GOLD-STANDARD", "held"), (110, 5463, "SYS-RETIRED", "retired"),
        (5464, 5485, "IMPORT-GOLD-STANDARD", "held")]
    assert (retirement.beneficiary, retirement.purpose, retirement.quantity) == (
        "Hilti Corporation", "Voluntary", 5354)
    assert retirement.retirement_kind == "imported" and retirement.account_id == "IMPORT-GOLD-STANDARD"


def test_verra_imports_whole_with_rows_of_unknown_status_booked_as_ended(service: Any, verra_csv: Path) -> None:
    """The real export used to be refused whole; now every row is in the books, and the 13 rows
    Verra leaves open are ended (cancelled) with a notice each, never dropped."""
    out = service.import_registry(ADMIN, "import:verra:1", registry="verra", paths=[verra_csv])
    assert (out["rows_imported"], out["rows_refused"], out["partial"]) == (200, 0, False)
    assert (out["created_t"], out["retired_t"], out["ended_t"]) == (VERRA_CREATED_T, VERRA_RETIRED_T, VERRA_ENDED_T)
    assert balance(service, "IMPORT-VERRA")["held_t"] == VERRA_CREATED_T - VERRA_RETIRED_T - VERRA_ENDED_T
    assert balance(service, "SYS-RETIRED")["retired_t"] == VERRA_RETIRED_T
    assert balance(service, "SYS-CANCELLED")["cancelled_t"] == VERRA_ENDED_T
    assert imported_total_t(service) == VERRA_CREATED_T
    assert sorted(n["row_number"] for n in out["report"]["notices"]) == VERRA_ENDED_ROWS
    assert service.verify().ok
    payload = import_payloads(service)[-1]
    ended = [r for r in payload["records"] if r["status"] == "ended"]
    assert sorted(r["row_number"] for r in ended) == VERRA_ENDED_ROWS and not any(r["retirement_id"] for r in ended)
    entry = next(r for r in payload["records"] if r["row_number"] == 8)
    assert entry["beneficiary"] == "江苏亨通高压海缆有限公司 Hengtong Submarine Power Cable Co., Ltd."
    with service.db.read() as s:
        block = s.exec(select(CreditBlockRow).where(CreditBlockRow.first == 940005924)).one()
        retirement = s.get(RetirementRow, entry["retirement_id"])
    assert (block.last, block.account_id, block.state, block.tag) == (
        940008531, "SYS-RETIRED", BlockState.retired.value, entry["retirement_id"])
    assert retirement.beneficiary == entry["beneficiary"]
    assert retirement.purpose == "Retirement for Person or Organization"


def test_same_request_id_changes_nothing_and_rows_are_never_minted_twice(service: Any, verra_csv: Path) -> None:
    parsed = parse_files("verra", [verra_csv])
    first = run_import(service, parsed, "import:verra")
    after = head(service)
    again = run_import(service, parsed, "import:verra")
    assert again["replayed"] and again["seq"] == first["seq"] and head(service) == after
    fewer = ParsedImport("verra", records=parsed.records[:5], files=parsed.files)
    with pytest.raises(Conflict) as exc:  # same id, different request
        run_import(service, fewer, "import:verra")
    assert exc.value.code == "request_id_conflict"
    with pytest.raises(Conflict) as exc:  # a new id for the same file: every serial is taken
        run_import(service, parsed, "import:verra:again")
    codes = Counter(p["code"] for p in exc.value.params["problems"])
    assert codes == {"registry_serials_already_imported": 200}
    with pytest.raises(Conflict) as exc:
        run_import(service, parsed, "import:verra:again", allow_partial=True)
    assert exc.value.code == "nothing_to_import"
    assert head(service) == after and imported_total_t(service) == VERRA_CREATED_T
    assert service.verify().ok


def test_overlapping_rows_refuse_the_import_unless_partial_is_allowed(service: Any) -> None:
    text = verra_text([verra_row(1, 100), verra_row(50, 150),  # overlap: both refused
                       verra_row(200, 299, **{"Retirement/Cancellation Date": "2026-03-20",
                                              "Retirement Beneficiary": "示例企业", "Retirement Reason": "Other"})])
    parsed = parse_text("verra", text, source="overlap.csv")
    assert parsed.problems == [] and len(parsed.records) == 3
    before = head(service)
    with pytest.raises(Conflict) as exc:
        run_import(service, parsed, "import:overlap")
    assert sorted((p["row_number"], p["code"]) for p in exc.value.params["problems"]) == [
        (2, "registry_serials_overlap"), (3, "registry_serials_overlap")]
    assert head(service) == before
    with service.db.read() as s:
        assert s.get(AccountRow, "IMPORT-VERRA") is None

    out = run_import(service, parsed, "import:overlap:partial", allow_partial=True)
    assert (out["rows_imported"], out["rows_refused"], out["retired_t"], out["held_t"]) == (1, 2, 100, 0)
    assert balance(service, "SYS-RETIRED")["retired_t"] == 100 and imported_total_t(service) == 100
    assert sorted(p["row_number"] for p in import_payloads(service)[-1]["refused"]) == [2, 3]
    assert service.verify().ok


def test_the_same_file_twice_in_one_import_is_refused(service: Any, verra_csv: Path) -> None:
    parsed = parse_files("verra", [verra_csv, verra_csv])
    before = head(service)
    with pytest.raises(InvalidInput) as exc:
        run_import(service, parsed, "import:twice", allow_partial=True)
    assert exc.value.code == "value_invalid" and exc.value.params["field"] == "source"
    assert head(service) == before


def test_every_code_the_importers_report_has_both_messages() -> None:
    """Every problem, notice and anomaly code written in ledger/registry_import has its Chinese and
    English message, with the same fields (tests/test_catalogue.py checks the fields)."""
    import re

    from sinkledger.catalogue import REFUSALS
    from sinkledger.config import REPO_ROOT

    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "ledger" / "registry_import").glob("*.py"))
    codes = set(re.findall(r'"(registry_[a-z_]+)"', source)) - {"registry_import", "registry_project", "registry_pending", "registry_keys",
                                                                  "registry_id"}  # a match kind
    codes |= {"registry_issued_exceeds_published", "registry_retired_exceeds_published"}  # f"registry_{what}_…"
    assert len(codes) > 30
    missing = sorted(c for c in codes if c not in REFUSALS)
    assert not missing, missing
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in REFUSALS[c][0]) for c in codes)
