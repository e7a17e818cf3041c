"""The demo's synthetic people: every demo household's personal details and a payment officer.

Kept out of the people service (a service holds no demo data); the details are clearly fake but
format-valid (docs/personal-data.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import select

from ledger.domain import PartyKind, Role
from ledger.people.store import PersonRow
from ledger.people.validation import luhn_check_digit, resident_id_check_char
from sinkledger.demo import DEMO_PASSWORD
from sinkledger.services.people import PeopleService
from sinkledger.services.registry import SYSTEM_ACTOR

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

DEMO_PAYMENT_OFFICER = "cashier"
DEMO_REGION_CODE = "330523"  # Anji county
DEMO_BANK_NAME = "演示农村商业银行（虚构）"
DEMO_PURPOSE = "收储合同碳汇收益分配与支付（演示）"
DEMO_CONSENT_DATE = "2024-01-15"
DEMO_SURNAMES = "王李张刘陈杨黄赵吴周"
DEMO_GIVEN = "甲乙丙丁戊己庚辛壬癸"


def synthetic_person(n: int) -> dict[str, str]:
    """Clearly fake but format-valid details for demo household ``n`` (1, 2, ...).

    The names start with 演示 ("demo"); ID numbers are Anji's region code, a generated birth date
    and sequence and a correct check character; phones are 139-0000-nnnn; bank accounts are
    UnionPay-format test numbers 6217 0000 0... with a correct Luhn digit.

    >>> synthetic_person(1)["resident_id"], synthetic_person(1)["phone"]
    ('330523195102020012', '13900000001')
    """
    first17 = f"{DEMO_REGION_CODE}{1950 + n % 50:04d}{n % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    account = f"621700000{n:09d}"
    return {"name": f"演示{DEMO_SURNAMES[(n - 1) % 10]}{DEMO_GIVEN[(n - 1) // 10 % 10]}{DEMO_GIVEN[(n - 1) % 10]}",
            "resident_id": first17 + resident_id_check_char(first17), "phone": f"1390000{n:04d}",
            "bank_account": account + luhn_check_digit(account), "bank_name": DEMO_BANK_NAME}


def seed_demo_people(service: Service, *, password: str | None = None) -> dict[str, Any]:
    """Give every demo household synthetic details, and the demo centre a payment officer
    (user ``cashier``, a collection-centre user designated by the administrator). Idempotent.

    The data key is generated into ``$SINKLEDGER_HOME/data.key`` (mode 0600) if none is
    configured: the demo's people are synthetic, so a generated key is fine on either backend.
    """
    people = PeopleService(service, allow_generate_key=True)
    centres = [p for p in service.parties() if p["kind"] == PartyKind.collection_centre.value]
    households = [p for p in service.parties() if p["kind"] == PartyKind.household.value]
    if not centres:
        return {"people": 0, "payment_officer": None}
    centre = centres[0]["party_id"]
    if DEMO_PAYMENT_OFFICER not in {u["username"] for u in service.users()}:
        if password is None:
            password = DEMO_PASSWORD
        service.create_user(username=DEMO_PAYMENT_OFFICER, password=password, role=Role.collection_centre.value,
                            party_id=centre, display_name="收储中心出纳（支付专员）")
    people.designate(SYSTEM_ACTOR, username=DEMO_PAYMENT_OFFICER)
    with service.db.read() as s:
        known = set(s.exec(select(PersonRow.party_id)).all())  # corrected or erased people stay so
    for n, household in enumerate(households, start=1):
        if household["party_id"] not in known:
            people.register(SYSTEM_ACTOR, party_id=household["party_id"], **synthetic_person(n),
                            purpose=DEMO_PURPOSE, consent_date=DEMO_CONSENT_DATE, handler_party_id=centre)
    return {"people": len(households), "payment_officer": DEMO_PAYMENT_OFFICER, "handler_party_id": centre}
