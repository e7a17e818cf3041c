"""Tenure of a parcel: the certificate, the ownership of the land, and household shares.

- The holder is a party of kind ``collective`` (village collective 村集体 / cooperative 合作社)
  or ``collection_centre``, named by party id (or, in a file, by its exact registered name).
- The tenure certificate: its number as printed, and its kind: 林权证 (forest-right certificate,
  national format since 2000), 土地承包经营权证 (land contract-management certificate) or
  不动产权证书 (unified real-estate certificate since 2015), recognised from the number when
  not given.
- Ownership of the land (权属): collective 集体, state 国有 or individual 个人.
- Household shares (农户份额): party ids of kind ``household`` with whole basis points summing
  to 10,000 (100 %), used for revenue distribution. Households appear only by party id: no
  names, ID numbers or accounts in parcels or the journal.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sinkledger_base.checks import ascii_digits, ascii_number_text
from sinks.problems import Problem

BP_PER_WHOLE = 10_000
MAX_HOUSEHOLDS = 500
CERT_KINDS = {
    "forest_right_certificate": ("林权证", "林证"),
    "land_contract_certificate": ("土地承包经营权证", "承包经营权"),
    "real_estate_certificate": ("不动产权证书", "不动产权"),
}
OWNERSHIP = {"collective": ("集体", "集体所有"), "state": ("国有", "国家所有"), "individual": ("个人", "个体")}
PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


def cert_kind(number: str | None, given: str | None = None) -> tuple[str | None, Problem | None]:
    """The certificate kind: ``given`` (a key or its Chinese name), else recognised from the number.

    Examples
    --------
    >>> cert_kind("安林证字(2008)第012345号")[0], cert_kind("浙(2021)安吉县不动产权第0012345号")[0]
    ('forest_right_certificate', 'real_estate_certificate')
    """
    if given:
        for kind, words in CERT_KINDS.items():
            if given.strip() == kind or given.strip() in words:
                return kind, None
        return None, Problem("attribute_not_a_choice", field="tenure_cert_kind", value=given[:40],
                             choices=", ".join(CERT_KINDS))
    if not number:
        return None, None
    return next((kind for kind, words in CERT_KINDS.items() if any(w in number for w in words)), "other"), None


def ownership(value: Any) -> tuple[str | None, Problem | None]:
    """Ownership of the land: ``collective``, ``state`` or ``individual`` (or their Chinese names)."""
    if value is None or not str(value).strip():
        return None, None
    text = str(value).strip()
    for key, words in OWNERSHIP.items():
        if text.lower() == key or text in words:
            return key, None
    return None, Problem("attribute_not_a_choice", field="tenure_ownership", value=text[:40],
                         choices=", ".join(OWNERSHIP))


def parse_shares(value: Any) -> tuple[dict[str, int], Problem | None]:
    """Household shares in basis points from a mapping or a cell.

    A mapping (or JSON object) gives whole basis points; a cell may also read
    ``HH-0001:60%;HH-0002:40%`` (percent, at most two decimals).

    Examples
    --------
    >>> parse_shares("HH-0001:60%;HH-0002:40%")
    ({'HH-0001': 6000, 'HH-0002': 4000}, None)
    >>> parse_shares({"HH-0001": 6000, "HH-0002": 3000})[1].code
    'household_shares_do_not_sum_to_100_percent'
    """
    if value is None or value == {} or (isinstance(value, str) and not value.strip()):
        return {}, None
    try:
        shares = _shares_dict(value)
    except (ValueError, InvalidOperation, TypeError):
        return {}, Problem("household_shares_invalid", field="household_shares", value=str(value)[:60])
    return shares, _shares_problem(shares, value)


def _shares_dict(value: Any) -> dict[str, int]:
    if isinstance(value, str) and value.strip().startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        return {str(k): _whole_bp(v) for k, v in value.items()}
    out: dict[str, int] = {}
    for item in re.split(r"[;；,，]", str(value)):
        if not item.strip():
            continue
        party, _, share = item.partition(":")
        if not share.strip().endswith("%") or party.strip() in out or not ascii_number_text(share):
            raise ValueError(item)
        percent = Decimal(share.strip()[:-1])
        if percent != percent.quantize(Decimal("0.01")):
            raise ValueError(item)
        out[party.strip()] = int(percent * 100)
    return out


def _whole_bp(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not ascii_digits(str(value)):
        raise ValueError(value)
    return int(value)


def _shares_problem(shares: dict[str, int], raw: Any) -> Problem | None:
    bad = not shares or len(shares) > MAX_HOUSEHOLDS or any(
        not PARTY_ID.match(p) or bp <= 0 for p, bp in shares.items())
    if bad:
        return Problem("household_shares_invalid", field="household_shares", value=str(raw)[:60])
    if sum(shares.values()) != BP_PER_WHOLE:
        return Problem("household_shares_do_not_sum_to_100_percent", field="household_shares",
                       total_percent=f"{Decimal(sum(shares.values())) / 100:f}")
    return None
