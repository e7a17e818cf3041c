"""The public registry's test world, shared by tests/public and tests/api: the synthetic demo
plus a pledge (credits in state ``pledged``) and a court order fulfilled for a defendant (a
judicial retirement by a party that may be a person, whose name must never be shown).

:func:`open_world` seeds it on SQLite (a copy of a template seeded once per session) or on
PostgreSQL (``SINKLEDGER_TEST_PG_URL``, emptied first), and returns the service and the ids.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from sinkledger.config import load_settings
from tests.conftest import empty_database_url

DEFENDANT_NAME = "被告乙（化名）"
CASE_NO = "(2025)浙0521刑初18号"
PLEDGED_T = 4


def seed_world(service: Any) -> dict[str, Any]:
    """Seed the demo and the extras through the service API; the ids the tests need."""
    from sinkledger.demo.seed import seed_demo

    seed_demo(service)
    admin, court, bank = service.actor("admin"), service.actor("court"), service.actor("bank")
    service.register_party(admin, "pub:party:def", party_id="DEF-0009", kind="defendant", name=DEFENDANT_NAME,
                           county_code="330521")
    service.court.register_case(court, "pub:case", case_no=CASE_NO, judgment_date="2025-05-01",
                                defendants=["DEF-0009"], sink_type="bamboo_forest", county_code="330521",
                                ecosystem_name="德清县某山林（演示）", damaged_area_ha="1.5", description="滥伐林木（演示）")
    order = service.court.issue_order(court, "pub:order", case_no=CASE_NO, item="判决第二项", kind="quantity",
                                      due_date="2027-12-31", quantity_t=2)
    fulfilment = service.court.fulfil(court, "pub:fulfil", order_id=order["order_id"], seller_account="COL-0002-H",
                                      price_fen_per_t=7000, contract_no="HZGX-P-1")
    pledge = service.pledge(bank, "pub:pledge", account_id="COL-0001-H", quantity=PLEDGED_T,
                            loan_reference="LOAN-PUB-1", loan_amount_fen=100_000, term_end="2027-06-30")
    return {"judicial_retirement": fulfilment.get("retirement_id") or _latest_retirement(service),
            "pledge_id": pledge["pledge_id"]}


def _latest_retirement(service: Any) -> str:
    return service.public.retirements(limit=1)["items"][0]["retirement_id"]


def open_world(backend: str, folder: Path, template: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
    """A service over a seeded world on ``backend`` ('sqlite' or 'postgres'), in ``folder``."""
    from sinkledger.services.registry import Service

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'public.db'}"
        if template is not None:
            shutil.copyfile(template["path"], folder / "public.db")
            return Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(folder)})), template["ids"]
    else:
        url = empty_database_url("postgres", folder)
    service = Service.open(load_settings({"DATABASE_URL": url, "SINKLEDGER_HOME": str(folder)}))
    return service, seed_world(service)


@pytest.fixture(scope="session")
def sqlite_world_template(tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The SQLite world, seeded once a session; each module copies the file."""
    folder = tmp_path_factory.mktemp("public_template")
    service, ids = open_world("sqlite", folder)
    service.db.dispose()
    return {"path": folder / "public.db", "ids": ids}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request, tmp_path_factory) -> Any:  # type: ignore[no-untyped-def]
    """(service, ids) over the seeded world, once per module and backend."""
    template = request.getfixturevalue("sqlite_world_template") if request.param == "sqlite" else None
    service, ids = open_world(request.param, tmp_path_factory.mktemp(f"public_{request.param}"), template)
    yield service, ids
    service.db.dispose()
