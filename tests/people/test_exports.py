"""Exports (Excel, PDF) carry only what the exporting role may see, and each is logged."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.people.conftest import assert_refused

ITEMS = [{"party_id": "HH-1", "amount_fen": 117_456, "due_id": "DUE-1", "contract_no": "SC-2024-001"},
         {"party_id": "HH-2", "amount_fen": 78_304, "due_id": "DUE-2", "contract_no": "SC-2024-001"},
         {"party_id": "HH-3", "amount_fen": 1_000, "due_id": "DUE-3", "contract_no": "SC-2024-009"},
         {"party_id": "COL-1", "amount_fen": 50_000, "due_id": "DUE-4", "contract_no": "SC-2024-001"}]


def xlsx_text(path) -> str:  # type: ignore[no-untyped-def]
    ws = load_workbook(path).active
    return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in ws.iter_rows(values_only=True))


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def export_text(people, user: str, fmt: str, tmp_path, **kwargs) -> str:  # type: ignore[no-untyped-def]
    api, actor = people.api, people.actor(user)
    if fmt == "xlsx":
        return xlsx_text(api.export_payment_list(actor, ITEMS, fmt="xlsx", path=tmp_path / f"{user}.xlsx", **kwargs))
    return pdf_text(api.export_payment_list(actor, ITEMS, fmt="pdf", **kwargs))


@pytest.mark.parametrize(("fmt", "lang"), [("xlsx", "zh"), ("pdf", "zh"), ("xlsx", "en"), ("pdf", "en")])
def test_payment_lists_carry_what_the_role_may_see(people, tmp_path, fmt, lang):  # type: ignore[no-untyped-def]
    """The payment officer's list has full accounts of its centre's households (and says it holds
    personal information); other centre staff get masked accounts; the collective masked accounts
    without banks; no list holds an ID number or phone; another centre's household stays hidden."""
    d1, d2, d3 = (people.details[h] for h in ("HH-1", "HH-2", "HH-3"))
    officer = export_text(people, "cashier", fmt, tmp_path, lang=lang)
    assert d1["bank_account"] in officer and d2["bank_account"] in officer and "1,174.56" in officer
    assert d3["bank_account"][-4:] not in officer.replace("1,000", "") and d3["name"] not in officer
    assert ("本文件含个人信息" if lang == "zh" else "personal information") in officer
    staff = export_text(people, "centre", fmt, tmp_path)
    assert d1["bank_account"] not in staff and "6217***********" + d1["bank_account"][-4:] in staff
    coop = export_text(people, "coop", fmt, tmp_path, purpose="display")
    assert d1["bank_account"] not in coop and d1["bank_name"] not in coop
    for text in (officer, staff, coop):
        assert not [d[f] for d in (d1, d2, d3) for f in ("resident_id", "phone") if d[f] in text]


def test_an_export_is_logged_per_person_with_its_format(people, tmp_path):  # type: ignore[no-untyped-def]
    people.api.export_payment_list(people.actor("cashier"), ITEMS, fmt="xlsx", path=tmp_path / "pay.xlsx",
                                   note="2025 年第 2 期")
    rows = people.api.access_log(people.actor("admin"), limit=2)
    assert [(r["action"], r["party_id"], r["detail"]) for r in rows] == [
        ("export", "HH-2", {"format": "xlsx"}), ("export", "HH-1", {"format": "xlsx"})]
    assert all(r["note"] == "2025 年第 2 期" and r["fields"]["bank_account"] == "full" for r in rows)


def test_people_exports_follow_the_matrix(people, tmp_path):  # type: ignore[no-untyped-def]
    api = people.api
    mine = pdf_text(api.export_people(people.actor("hh"), fmt="pdf", purpose="self_access"))
    assert people.details["HH-1"]["resident_id"] in mine and people.details["HH-2"]["name"] not in mine
    admin = xlsx_text(api.export_people(people.actor("admin"), fmt="xlsx", path=tmp_path / "all.xlsx"))
    assert "HH-3" in admin and not [v for d in people.details.values() for k, v in d.items()
                                    if k != "bank_name" and v in admin]
    assert_refused("not_permitted", lambda: api.export_people(people.actor("clerk"), fmt="pdf"))
    assert_refused("value_invalid", lambda: api.export_people(people.actor("admin"), fmt="csv"))


def test_a_statement_payee_block_is_masked_by_default(people):  # type: ignore[no-untyped-def]
    api = people.api
    block = api.statement_payee(people.actor("hh"), "HH-1")
    assert block["name"] == people.details["HH-1"]["name"] and block["bank_account"].startswith("6217****")
    assert api.statement_payee(people.actor("hh"), "HH-1", "self_access")["bank_account"] == people.details["HH-1"]["bank_account"]
    assert api.statement_payee(people.actor("coop"), "HH-1")["bank_name"] is None
    assert api.statement_payee(people.actor("coop"), "HH-3") is None
    assert api.statement_payee(people.actor("admin"), "COL-1") is None
