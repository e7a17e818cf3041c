"""Checking personal data where it enters: names, resident ID numbers, phones, bank accounts.

Pure functions, no database. Each ``check_*`` returns the normalised value or raises
:class:`sinkledger_base.errors.InvalidInput`; :func:`person_problems` checks a whole record and
returns every problem (beancount style), so a form can mark all bad fields at once. No refusal
carries the value that was typed: refusals reach screens and logs.

Rules and the standards they come from
--------------------------------------
Resident ID number (公民身份号码, GB 11643-1999)
    18 characters: a 6-digit region code (GB/T 2260; we check that the first two digits name a
    province-level division, 11-65, 71, or 81-83 for the residence permits of Hong Kong, Macao
    and Taiwan residents, whose numbers have the same form), an 8-digit birth date (a real
    calendar date, from 1900, not after today), a 3-digit sequence and a check character
    computed by ISO 7064 MOD 11-2 (``X`` stands for 10). Lower-case ``x`` and full-width
    characters are normalised. The 15-digit first-generation numbers ceased to be valid on
    1 January 2013 and are refused with their own code rather than converted: the 18-digit
    number is on the card the person holds today.
Phone
    A mainland mobile number ``1[3-9]`` and 9 more digits, optionally written with ``+86``; or a
    landline with its area code: ``010`` and ``02x`` are followed by 8 digits, every other
    area code has 4 digits and is followed by 7 or 8. Stored as ``13900000001`` or
    ``0572-1234567``.
Bank account
    12 to 25 digits (spaces and dashes removed). UnionPay card numbers (``62`` and 16 to 19
    digits, which is what rural households are paid to: 丰收卡, social security cards) must pass
    the Luhn check (ISO/IEC 7812). Other numbers (passbook and settlement accounts) follow
    bank-specific schemes and are checked for length only. A bank account needs its bank's
    name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sinkledger_base import checks
from sinkledger_base.errors import InvalidInput

PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
# ISO 7064 MOD 11-2: the weight of position i (0-based, 17 digits) is 2^(17 - i) mod 11.
RESIDENT_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RESIDENT_ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
EARLIEST_BIRTH_YEAR = 1900
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE_3 = re.compile(r"(0[12]\d)(\d{8})")  # 010 Beijing, 020-029
LANDLINE_4 = re.compile(r"(0[3-9]\d{2})(\d{7,8})")
NAME_PUNCTUATION = {"·", " ", "-", "'", "."}
BANK_ACCOUNT_DIGITS = (12, 25)
UNIONPAY_CARD_DIGITS = (16, 19)


@dataclass(frozen=True)
class Problem:
    """One problem of a record: which field, and the refusal code (never the value)."""

    field: str
    code: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code}


def _plain(text: Any) -> str:
    """NFKC-normalised text (full-width digits and letters become ASCII), trimmed: for numbers."""
    if not isinstance(text, str):
        return ""
    return unicodedata.normalize("NFKC", text).strip()


def _text(text: Any) -> str:
    """NFC-normalised text, trimmed, inner whitespace collapsed: for names and free text, whose
    full-width punctuation (（）、，) is kept as typed."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID number.

    >>> resident_id_check_char("11010519491231002")
    'X'
    >>> resident_id_check_char("44052418800101001")
    '4'
    """
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def check_resident_id(text: Any, *, today: date) -> str:
    """The normalised 18-character resident ID number, or a refusal naming what is wrong.

    >>> check_resident_id("11010519491231002x", today=date(2025, 1, 1))
    '11010519491231002X'
    """
    value = _plain(text).replace(" ", "").upper()
    if re.fullmatch(r"\d{15}", value):
        raise InvalidInput("resident_id_first_generation", field="resident_id")
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise InvalidInput("resident_id_format_invalid", field="resident_id")
    if value[:2] not in PROVINCE_CODES:
        raise InvalidInput("resident_id_region_invalid", field="resident_id")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput("resident_id_birth_date_invalid", field="resident_id") from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidInput("resident_id_birth_date_invalid", field="resident_id")
    if born > today:
        raise InvalidInput("resident_id_birth_date_in_future", field="resident_id")
    if resident_id_check_char(value[:17]) != value[17]:
        raise InvalidInput("resident_id_check_digit_invalid", field="resident_id")
    return value


def check_phone(text: Any) -> str:
    """A mobile number as 11 digits, or a landline as ``area-subscriber``.

    >>> check_phone("+86 139-0000-0001"), check_phone("(0572) 123 4567"), check_phone("010-12345678")
    ('13900000001', '0572-1234567', '010-12345678')
    """
    value = re.sub(r"[\s\-()]", "", _plain(text))
    for prefix in ("+86", "0086"):
        if value.startswith(prefix) and len(value) - len(prefix) == 11:
            value = value[len(prefix):]
    if MOBILE.fullmatch(value):
        return value
    landline = LANDLINE_3.fullmatch(value) or LANDLINE_4.fullmatch(value)
    if landline:
        return f"{landline.group(1)}-{landline.group(2)}"
    raise InvalidInput("phone_invalid", field="phone")


def luhn_ok(digits: str) -> bool:
    """The Luhn (ISO/IEC 7812) check over a string of digits, check digit last.

    >>> luhn_ok("6217000000000000012"), luhn_ok("6217000000000000013")
    (True, False)
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    return next(d for d in "0123456789" if luhn_ok(body + d))


def check_bank_account(text: Any) -> str:
    """The account number as digits; UnionPay card numbers must pass the Luhn check."""
    value = re.sub(r"[\s\-]", "", _plain(text))
    low, high = BANK_ACCOUNT_DIGITS
    if not value.isascii() or not value.isdigit() or not low <= len(value) <= high:
        raise InvalidInput("bank_account_invalid", field="bank_account")
    card_low, card_high = UNIONPAY_CARD_DIGITS
    if value.startswith("62") and card_low <= len(value) <= card_high and not luhn_ok(value):
        raise InvalidInput("bank_card_check_digit_invalid", field="bank_account")
    return value


def check_name(text: Any) -> str:
    """A person's name: 2-50 letters (any script), with ``·`` between the parts of a
    transliterated name (e.g. 阿依古丽·买买提); no digits or other symbols."""
    value = _text(text).replace("•", "·").replace("・", "·").replace("．", "·")
    letters = [ch for ch in value if ch not in NAME_PUNCTUATION]
    if not 2 <= len(value) <= 50 or not letters or not all(unicodedata.category(ch).startswith("L") for ch in letters):
        raise InvalidInput("person_name_invalid", field="name")
    return value


def check_bank_name(text: Any) -> str:
    value = _text(text)
    if not 2 <= len(value) <= 60 or not value.isprintable():
        raise InvalidInput("bank_name_invalid", field="bank_name")
    return value


def check_purpose(text: Any) -> str:
    """The purpose of collection (PIPL art. 17: stated to the person and recorded)."""
    value = _text(text)
    if not 2 <= len(value) <= 200 or not value.isprintable():
        raise InvalidInput("collection_purpose_invalid", field="purpose")
    return value


def check_consent_date(text: Any, *, today: date) -> str:
    try:
        day = date.fromisoformat(_plain(text))
    except ValueError:
        raise InvalidInput("consent_date_invalid", field="consent_date") from None
    if day > today:
        raise InvalidInput("consent_date_invalid", field="consent_date")
    if not checks.in_date_range(day):  # the one date range (1900-01-01 .. 2199-12-31)
        raise checks.date_out_of_range("consent_date", day.isoformat())
    return day.isoformat()


def _optional(check: Any, value: Any, **kwargs: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check(value, **kwargs)


PERSONAL_CHECKS = {
    "name": lambda v, today: check_name(v),
    "resident_id": lambda v, today: check_resident_id(v, today=today),
    "phone": lambda v, today: _optional(check_phone, v),
    "bank_account": lambda v, today: _optional(check_bank_account, v),
    "bank_name": lambda v, today: _optional(check_bank_name, v),
}


def person_problems(values: Mapping[str, Any], *, today: date) -> tuple[dict[str, str | None], list[Problem]]:
    """Check a whole record; return the normalised values and every problem, in field order.

    ``values`` holds the personal fields (``name``, ``resident_id``, ``phone``,
    ``bank_account``, ``bank_name``); name and resident ID number are required, the others
    optional (a household may be paid in cash through its village).
    """
    clean: dict[str, str | None] = {}
    problems: list[Problem] = []
    for field, check in PERSONAL_CHECKS.items():
        try:
            clean[field] = check(values.get(field), today)
        except InvalidInput as exc:
            clean[field] = None
            problems.append(Problem(field, exc.code))
    if clean.get("bank_account") and not clean.get("bank_name") and "bank_name" not in {p.field for p in problems}:
        problems.append(Problem("bank_name", "bank_name_required"))
    if not clean.get("bank_account"):
        clean["bank_name"] = None  # a bank name alone pays nobody
    return clean, problems


def check_person(values: Mapping[str, Any], *, today: date) -> dict[str, str | None]:
    """The normalised record, or a refusal with the first problem's code listing every problem."""
    clean, problems = person_problems(values, today=today)
    if problems:
        first = problems[0]
        raise InvalidInput(first.code, field=first.field, problems=[p.to_dict() for p in problems])
    return clean
