"""Validation of personal data on real-format edge cases: one row per case, in check order.

Given a value as a clerk might type it, when it is checked, then it is normalised or refused
with the code that names the problem (and never echoes the value).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.people.validation import (
    PROVINCE_CODES,
    check_bank_account,
    check_consent_date,
    check_name,
    check_person,
    check_phone,
    check_resident_id,
    luhn_check_digit,
    person_problems,
    resident_id_check_char,
)
from sinkledger import catalogue
from sinkledger_base.errors import InvalidInput

TODAY = date(2025, 6, 30)

VALID_IDS = [
    ("11010519491231002X", "11010519491231002X", "GB 11643's own example: check character X"),
    ("11010519491231002x", "11010519491231002X", "lower-case x is normalised"),
    ("33052319700101005X", "33052319700101005X", "X in Anji"),
    ("33052320000229006X", "33052320000229006X", "29 February of 2000 (divisible by 400: a leap year)"),
    ("330523190002280017", "330523190002280017", "the earliest accepted year"),
    ("３３０５２３１９５１０２０２００１２", "330523195102020012", "full-width digits are normalised"),
    (" 330523 19510202 0012 ", "330523195102020012", "spaces as printed on forms"),
    ("810000199001010019", "810000199001010019", "Hong Kong resident's residence permit (81)"),
    ("330523202506300013", "330523202506300013", "born today"),
]

INVALID_IDS = [
    ("33052319510202001", "resident_id_format_invalid", "17 characters"),
    ("3305231951020200123", "resident_id_format_invalid", "19 characters"),
    ("X30523195102020012", "resident_id_format_invalid", "X outside the last place"),
    ("33052319510202A012", "resident_id_format_invalid", "a letter inside"),
    ("", "resident_id_format_invalid", "empty"),
    (None, "resident_id_format_invalid", "missing"),
    ("330523510202001", "resident_id_first_generation", "15-digit first-generation number"),
    ("000000195102020012", "resident_id_region_invalid", "province 00"),
    ("990523195102020012", "resident_id_region_invalid", "province 99"),
    ("100523195102020012", "resident_id_region_invalid", "province 10"),
    ("330523199902300012", "resident_id_birth_date_invalid", "30 February"),
    ("330523202302290012", "resident_id_birth_date_invalid", "29 February of a common year"),
    ("330523190002290012", "resident_id_birth_date_invalid", "29 February 1900 (not a leap year)"),
    ("330523195113010012", "resident_id_birth_date_invalid", "month 13"),
    ("330523195100010012", "resident_id_birth_date_invalid", "month 00"),
    ("330523189912310012", "resident_id_birth_date_invalid", "before 1900"),
    ("330523202507010012", "resident_id_birth_date_in_future", "born tomorrow"),
    ("330523195102020013", "resident_id_check_digit_invalid", "wrong check digit"),
    ("11010519491231002 1".replace(" ", ""), "resident_id_check_digit_invalid", "digit where X belongs"),
    ("330523195102020010", "resident_id_check_digit_invalid", "another wrong digit"),
]


@pytest.mark.parametrize(("typed", "stored", "case"), VALID_IDS, ids=[c for *_, c in VALID_IDS])
def test_valid_resident_ids_are_normalised(typed, stored, case):  # type: ignore[no-untyped-def]
    assert check_resident_id(typed, today=TODAY) == stored


@pytest.mark.parametrize(("typed", "code", "case"), INVALID_IDS, ids=[c for *_, c in INVALID_IDS])
def test_invalid_resident_ids_are_refused_with_their_code(typed, code, case):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        check_resident_id(typed, today=TODAY)
    assert exc.value.code == code
    assert exc.value.params == {"field": "resident_id"}, "a refusal never carries the typed value"
    if typed:
        assert typed not in catalogue.messages(exc.value)[0] + catalogue.messages(exc.value)[1]


def test_check_character_follows_iso_7064_mod_11_2():
    """The weights are 2^(17-i) mod 11; the character is '10X98765432'[sum mod 11]."""
    from ledger.people.validation import RESIDENT_ID_WEIGHTS

    assert RESIDENT_ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert resident_id_check_char("11010519491231002") == "X"


ID_BODIES = st.builds(
    lambda province, rest, born, seq: f"{province}{rest:04d}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(sorted(PROVINCE_CODES)), st.integers(0, 9999),
    st.dates(date(1900, 1, 1), TODAY), st.integers(0, 999))


@given(ID_BODIES)
def test_any_well_formed_number_passes_and_any_other_check_character_fails(body):  # type: ignore[no-untyped-def]
    right = resident_id_check_char(body)
    assert check_resident_id(body + right, today=TODAY) == body + right
    for wrong in set("0123456789X") - {right}:
        with pytest.raises(InvalidInput, match="resident_id_check_digit_invalid"):
            check_resident_id(body + wrong, today=TODAY)


PHONES = [
    ("13900000001", "13900000001"), ("139 0000 0001", "13900000001"), ("139-0000-0001", "13900000001"),
    ("+86 139 0000 0001", "13900000001"), ("008613900000001", "13900000001"), ("19912345678", "19912345678"),
    ("１３９００００００01", "13900000001"), ("0572-1234567", "0572-1234567"), ("0572-12345678", "0572-12345678"),
    ("(0572)1234567", "0572-1234567"), ("010-12345678", "010-12345678"), ("021 87654321", "021-87654321"),
]
BAD_PHONES = ["12900000001", "1390000000", "139000000012", "23900000001", "010-1234567", "0572-123456",
              "0572-123456789", "1234567", "139-0000-000a", "", "+1 415 555 0100"]


@pytest.mark.parametrize(("typed", "stored"), PHONES)
def test_phones_are_normalised(typed, stored):  # type: ignore[no-untyped-def]
    assert check_phone(typed) == stored


@pytest.mark.parametrize("typed", BAD_PHONES)
def test_bad_phones_are_refused(typed):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="phone_invalid"):
        check_phone(typed)


UNIONPAY = "621700000000000001" + luhn_check_digit("621700000000000001")


@pytest.mark.parametrize(("typed", "result"), [
    (UNIONPAY, UNIONPAY),
    ("6217 0000 0000 0000 012", "6217000000000000012"),
    ("6222" + "000000000001" + luhn_check_digit("6222000000000001"), "6222000000000001" + luhn_check_digit("6222000000000001")),
    ("6217000000000000013", "bank_card_check_digit_invalid"),  # UnionPay card, Luhn fails
    ("6228480000000000001", "bank_card_check_digit_invalid"),
    ("1203000000000000001", "1203000000000000001"),  # a settlement account: no card check applies
    ("330100000000", "330100000000"),  # 12-digit passbook account
    ("33010000000", "bank_account_invalid"),  # 11 digits
    ("12345678901234567890123456", "bank_account_invalid"),  # 26 digits
    ("6217-0000-ABCD-0012", "bank_account_invalid"),
    ("", "bank_account_invalid"),
])
def test_bank_accounts(typed, result):  # type: ignore[no-untyped-def]
    if result.isdigit():
        assert check_bank_account(typed) == result
    else:
        with pytest.raises(InvalidInput, match=result):
            check_bank_account(typed)


@pytest.mark.parametrize(("typed", "ok"), [
    ("测试甲某", True), ("阿依古丽·买买提", True), ("阿依古丽•买买提", True), ("John Smith", True),
    ("欧阳娜娜", True), ("张", False), ("张3", False), ("张@", False), ("", False), (None, False), ("张" * 51, False),
])
def test_names(typed, ok):  # type: ignore[no-untyped-def]
    if ok:
        assert "·" in check_name(typed) or "•" not in typed
    else:
        with pytest.raises(InvalidInput, match="person_name_invalid"):
            check_name(typed)


def test_consent_date_must_be_a_date_not_after_today():
    assert check_consent_date("2025-06-30", today=TODAY) == "2025-06-30"
    for bad in ("2025-07-01", "2025-02-30", "yesterday", None):
        with pytest.raises(InvalidInput, match="consent_date_invalid"):
            check_consent_date(bad, today=TODAY)


def test_consent_date_before_1900_is_out_of_the_date_range():
    """The one date range holds for the consent date too: before 1900-01-01 is refused with
    ``date_out_of_range`` naming the field and the range, in both languages."""
    from sinkledger import catalogue

    assert check_consent_date("1900-01-01", today=TODAY) == "1900-01-01"
    for bad in ("1899-12-31", "0001-01-01"):
        with pytest.raises(InvalidInput) as exc:
            check_consent_date(bad, today=TODAY)
        assert exc.value.code == "date_out_of_range" and exc.value.params["field"] == "consent_date"
        zh, en = catalogue.messages(exc.value)
        assert "1900-01-01" in zh and "1900-01-01" in en


def test_a_record_reports_every_problem_at_once():
    """Given a form with four bad fields, then all four problems are listed, in field order."""
    _, problems = person_problems({"name": "张3", "resident_id": "330523195102020013", "phone": "12900000001",
                                   "bank_account": UNIONPAY}, today=TODAY)
    assert [(p.field, p.code) for p in problems] == [
        ("name", "person_name_invalid"), ("resident_id", "resident_id_check_digit_invalid"),
        ("phone", "phone_invalid"), ("bank_name", "bank_name_required")]
    with pytest.raises(InvalidInput) as exc:
        check_person({"name": "张3", "resident_id": "330523195102020013"}, today=TODAY)
    assert exc.value.code == "person_name_invalid" and len(exc.value.params["problems"]) == 2


def test_optional_fields_may_be_left_out():
    clean = check_person({"name": "测试甲某", "resident_id": "330523195102020012", "phone": " ",
                          "bank_name": "示例银行"}, today=TODAY)
    assert clean == {"name": "测试甲某", "resident_id": "330523195102020012", "phone": None, "bank_account": None,
                     "bank_name": None}
