"""Who sees which personal field, and how: the one viewer × field matrix, and the masks.

A *viewer* is what an actor is to one person's record (decided in
:func:`ledger.people.permissions.viewer_for`): the household itself (the data subject), the
designated payment officer of the collection centre that collected the data, another user of
that centre, the collective whose parcels the household shares in, the administrator, or anyone
else. The matrix gives each viewer, for each field, ``full``, ``masked`` or ``hidden``.

``full`` is the most a viewer may see; for ID numbers, phones and bank accounts only for a
purpose that needs it (:data:`DISCLOSING_PURPOSES`): a payment officer browsing with purpose
``display`` sees them masked, and gets full bank accounts only when preparing a payment. Every read is logged
with its purpose (:mod:`ledger.people.access_log`).

Masks keep just enough to recognise a record in a conversation ("the card ending 0012"):

========================  ==========================  =============================
field                     full                        masked
========================  ==========================  =============================
name                      张三丰                      张**
resident_id               330523197001010014          3305**********0014
phone (mobile)            13900000001                 139****0001
phone (landline)          0572-1234567                0572-*****67
bank_account              6217000000000000012         6217***********0012
bank_name                 示例农村商业银行            (not masked: not personal alone)
========================  ==========================  =============================
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from sinkledger_base.errors import InvalidInput


class PersonalField(enum.StrEnum):
    name = enum.auto()
    resident_id = enum.auto()
    phone = enum.auto()
    bank_account = enum.auto()
    bank_name = enum.auto()


class Visibility(enum.StrEnum):
    full = enum.auto()
    masked = enum.auto()
    hidden = enum.auto()


class Viewer(enum.StrEnum):
    data_subject = enum.auto()  # the household itself (个人信息主体)
    payment_officer = enum.auto()  # designated user of the collecting centre (支付专员)
    collection_centre = enum.auto()  # any other user of the collecting centre
    cooperative = enum.auto()  # the collective whose parcels the household shares in
    admin = enum.auto()  # the registry's administrator
    other = enum.auto()  # everyone else: other households, clerks, verifiers, courts, banks, public


class AccessPurpose(enum.StrEnum):
    """Why personal data is read: recorded in the access log with every read."""

    display = enum.auto()  # ordinary screens and lists: masked at most
    revenue_payment = enum.auto()  # preparing or checking a payment (收益支付)
    data_correction = enum.auto()  # checking details before correcting them (信息核对更正)
    self_access = enum.auto()  # the person reads their own data (本人查阅, PIPL art. 45)
    erasure_request = enum.auto()  # handling a request to erase (删除请求)
    audit = enum.auto()  # supervision and audits
    collection = enum.auto()  # registering details with the person's consent (收集); writes only


F, V, W = PersonalField, Visibility, Viewer
FULL, MASKED, HIDDEN = V.full, V.masked, V.hidden

MATRIX: dict[Viewer, dict[PersonalField, Visibility]] = {
    W.data_subject: {F.name: FULL, F.resident_id: FULL, F.phone: FULL, F.bank_account: FULL, F.bank_name: FULL},
    W.payment_officer: {F.name: FULL, F.resident_id: FULL, F.phone: FULL, F.bank_account: FULL, F.bank_name: FULL},
    W.collection_centre: {F.name: FULL, F.resident_id: MASKED, F.phone: MASKED, F.bank_account: MASKED,
                          F.bank_name: FULL},
    W.cooperative: {F.name: FULL, F.resident_id: MASKED, F.phone: MASKED, F.bank_account: MASKED,
                    F.bank_name: HIDDEN},
    W.admin: {F.name: MASKED, F.resident_id: MASKED, F.phone: MASKED, F.bank_account: MASKED, F.bank_name: HIDDEN},
    W.other: {F.name: HIDDEN, F.resident_id: HIDDEN, F.phone: HIDDEN, F.bank_account: HIDDEN, F.bank_name: HIDDEN},
}

# The fields whose ``full`` cells depend on the purpose: a name and a bank's name are shown as the
# matrix says; an ID number, a phone or an account in full only for a purpose that needs it.
PURPOSE_BOUND_FIELDS = frozenset({F.resident_id, F.phone, F.bank_account})
# The purposes for which a viewer's purpose-bound ``full`` cells are shown in full; any other
# purpose masks them.
DISCLOSING_PURPOSES: dict[Viewer, frozenset[AccessPurpose]] = {
    W.data_subject: frozenset({AccessPurpose.self_access, AccessPurpose.data_correction,
                               AccessPurpose.revenue_payment}),
    W.payment_officer: frozenset({AccessPurpose.revenue_payment, AccessPurpose.data_correction}),
}


def visibility(viewer: Viewer, field: PersonalField, purpose: AccessPurpose) -> Visibility:
    """What ``viewer`` sees of ``field`` when reading for ``purpose``.

    >>> visibility(Viewer.payment_officer, PersonalField.bank_account, AccessPurpose.revenue_payment).value
    'full'
    >>> visibility(Viewer.payment_officer, PersonalField.bank_account, AccessPurpose.display).value
    'masked'
    """
    cell = MATRIX[viewer][field]
    if cell is FULL and field in PURPOSE_BOUND_FIELDS and purpose not in DISCLOSING_PURPOSES.get(viewer, frozenset()):
        return MASKED
    return cell


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]


def mask_name(value: str) -> str:
    """The first character (usually the surname), the rest as ``*``; ``·`` kept.

    >>> mask_name("张三丰"), mask_name("阿依古丽·买买提")
    ('张**', '阿***·***')
    """
    return value[0] + "".join(ch if ch in "· " else "*" for ch in value[1:])


def mask_resident_id(value: str) -> str:
    """First 4 (province and prefecture) and last 4 characters.

    >>> mask_resident_id("33052319700101001X")
    '3305**********001X'
    """
    return _keep_ends(value, 4, 4)


def mask_phone(value: str) -> str:
    """Mobile: first 3 and last 4 digits (as on 12306 and bank apps); landline: the area code
    and the last 2 digits.

    >>> mask_phone("13900000001"), mask_phone("0572-1234567")
    ('139****0001', '0572-*****67')
    """
    if "-" in value:
        area, number = value.split("-", 1)
        return f"{area}-{_keep_ends(number, 0, 2)}"
    return _keep_ends(value, 3, 4)


def mask_bank_account(value: str) -> str:
    """First 4 and last 4 digits (JR/T 0171-2020 allows at most the first 6 and last 4).

    >>> mask_bank_account("6217000000000000012")
    '6217***********0012'
    """
    return _keep_ends(value, 4, 4)


MASKS = {F.name: mask_name, F.resident_id: mask_resident_id, F.phone: mask_phone,
         F.bank_account: mask_bank_account, F.bank_name: lambda v: v}


def shown(field: PersonalField, value: str | None, cell: Visibility) -> str | None:
    """The value as ``cell`` allows: itself, its mask, or nothing."""
    if value is None or cell is HIDDEN:
        return None
    return value if cell is FULL else MASKS[field](value)


def render(viewer: Viewer, purpose: AccessPurpose, values: Mapping[str, str | None],
           fields: tuple[PersonalField, ...] = tuple(PersonalField)) -> tuple[dict[str, str | None], dict[str, str]]:
    """The fields ``viewer`` sees for ``purpose``, and the visibility of each (for the access log).

    A field without a value is reported as ``absent`` so the log never claims a disclosure
    that did not happen.
    """
    out, cells = {}, {}
    for field in fields:
        cell = visibility(viewer, field, purpose)
        value = values.get(field.value)
        out[field.value] = shown(field, value, cell)
        cells[field.value] = cell.value if value is not None else "absent"
    return out, cells


def parse_purpose(value: str | AccessPurpose) -> AccessPurpose:
    try:
        return AccessPurpose(value)
    except ValueError:
        raise InvalidInput("access_purpose_invalid", purpose=str(value)[:40],
                           choices=", ".join(p.value for p in AccessPurpose)) from None


VIEWER_LABELS = {
    W.data_subject: "household itself 农户本人",
    W.payment_officer: "payment officer 支付专员 (designated centre user)",
    W.collection_centre: "collection centre staff 收储中心",
    W.cooperative: "collective of the household's parcels 村集体/合作社",
    W.admin: "administrator 管理员",
    W.other: "anyone else 其他（other households, clerk, verifier, enterprise, court, procurator, bank, "
             "insurer, public, other centres）",
}


def matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/personal-data.md holds exactly this). ``full†``: in
    full for a disclosing purpose, masked otherwise."""
    head = "| viewer | " + " | ".join(f.value for f in F) + " |"
    lines = [head, "|" + "---|" * (len(F) + 1)]
    for viewer, row in MATRIX.items():
        cells = []
        for field in F:
            cell = row[field].value
            if row[field] is FULL and field in PURPOSE_BOUND_FIELDS and viewer in DISCLOSING_PURPOSES:
                cell = "full†"
            cells.append(cell)
        lines.append(f"| {VIEWER_LABELS[viewer]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
