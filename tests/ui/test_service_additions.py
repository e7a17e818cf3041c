"""The service-layer additions behind the app (``sinkledger.services.admin``, ``sinkledger.services.queries``,
``sinkledger.documents.receipts``, ``sinkledger.ui.format``) on SQLite and PostgreSQL."""

from __future__ import annotations

import doctest

import pytest

from sinkledger.services import admin
from sinkledger.services import queries as ui_queries
from sinkledger.services.registry import SYSTEM_ACTOR
from sinkledger_base.errors import Conflict, InvalidInput, NotFound, NotPermitted
from sinkledger_base.local_time import local
from tests.ui.scenario import square


@pytest.fixture
def market(service):  # type: ignore[no-untyped-def]
    """Two holders, an admin, a verifier, a clerk; one issued parcel; one sale."""
    import json

    from sinkledger.demo.seed import BAMBOO_METHODOLOGY, demo_files

    for pid, kind, name in (("COL-1", "collective", "甲合作社"), ("ENT-1", "enterprise", "乙公司"),
                            ("VER-1", "verifier", "核证"), ("TRD-1", "trading_centre", "交易中心")):
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind, name=name, county_code="330523")
    for user, role, pid in (("admin", "admin", "REGISTRY"), ("ver", "verifier", "VER-1"), ("clerk", "trading_clerk", "TRD-1")):
        service.create_user(username=user, password="password1", role=role, party_id=pid, display_name=user)
    admin_actor = service.actor("admin")
    for n, name in enumerate(("waiting", "drawn")):
        service.register_parcel(admin_actor, f"parcel:{n}", parcel_code=f"AJ-BF-09{n}", sink_type="bamboo_forest",
                                holder_party_id="COL-1", geometry=square(name), county_code="330523")
    monitoring = json.loads(demo_files(service)[1].read_text(encoding="utf-8"))["parcels"]["AJ-BF-0001"]
    inputs = {"period_start": "2022-11-15", "period_end": "2024-11-15", **monitoring}
    estimates = [service.record_estimate(admin_actor, f"est:{n}", parcel_codes=[f"AJ-BF-09{n}"],
                                         methodology_id=BAMBOO_METHODOLOGY, inputs=inputs) for n in range(2)]
    issued = service.issue(service.actor("ver"), "issue:0", estimate_id=estimates[0]["estimate_id"],
                           verified_kg_co2e=estimates[0]["net_kg_co2e"], project_code="T1", buffer_share_bp=1000)
    service.sell(service.actor("clerk"), "sale:1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=5,
                 price_fen_per_t=7341, contract_no="C-1")
    return {"service": service, "estimates": estimates, "issued": issued}


def test_user_administration_is_audited_and_enforced(market) -> None:  # type: ignore[no-untyped-def]
    service = market["service"]
    boss = service.actor("admin")
    admin.create_user(service, boss, "u:1", username="bank2", password="longpassword", role="bank",
                      party_id="REGISTRY", display_name="银行")
    assert service.authenticate("bank2", "longpassword").role.value == "bank"
    with pytest.raises(Conflict):
        admin.create_user(service, boss, "u:2", username="bank2", password="longpassword", role="bank",
                          party_id="REGISTRY", display_name="x")
    with pytest.raises(InvalidInput):
        admin.create_user(service, boss, "u:3", username="x", password="short", role="bank", party_id="REGISTRY",
                          display_name="x")
    admin.set_role(service, boss, "u:4", username="bank2", role="insurer")
    admin.reset_password(service, boss, "u:5", username="bank2", password="anotherpassword")
    assert service.authenticate("bank2", "anotherpassword").role.value == "insurer"
    admin.set_active(service, boss, "u:6", username="bank2", active=False)
    with pytest.raises(NotPermitted):
        service.authenticate("bank2", "anotherpassword")
    with pytest.raises(InvalidInput):
        admin.set_active(service, boss, "u:7", username="admin", active=False)
    with pytest.raises(NotFound):
        admin.set_role(service, boss, "u:8", username="nobody", role="bank")
    with pytest.raises(NotPermitted):
        admin.list_users(service, service.actor("clerk"))
    entries = [e for e in service.journal(limit=20) if e["kind"] == "user_changed"]
    assert [e["result"]["change"] for e in entries] == ["created", "role_set", "password_reset", "deactivated"]
    assert all("longpassword" not in str(e) and "anotherpassword" not in str(e) and "argon2" not in str(e)
               for e in entries)
    assert service.verify().ok


def test_return_estimate_takes_it_out_of_the_queue(market) -> None:  # type: ignore[no-untyped-def]
    service = market["service"]
    waiting = market["estimates"][1]["estimate_id"]
    assert [e["estimate_id"] for e in ui_queries.estimates_waiting(service)] == [waiting]
    with pytest.raises(NotPermitted):
        admin.return_estimate(service, service.actor("clerk"), "r:0", estimate_id=waiting, comments="x")
    with pytest.raises(Conflict):
        admin.return_estimate(service, service.actor("ver"), "r:1", estimate_id=market["estimates"][0]["estimate_id"],
                              comments="too late")
    admin.return_estimate(service, service.actor("ver"), "r:2", estimate_id=waiting, comments="缺样地照片")
    assert ui_queries.estimates_waiting(service) == []
    states = {e["estimate_id"]: e["state"] for e in ui_queries.estimates(service)}
    assert states == {market["estimates"][0]["estimate_id"]: "issued", waiting: "returned"}
    assert service.verify().ok


def test_queries_for_the_pages(market) -> None:  # type: ignore[no-untyped-def]
    service = market["service"]
    checks = ui_queries.sale_checks(service, seller_account="COL-1-H", quantity=10_000, price_fen_per_t=50_000)
    assert checks["blocking"] and [w[0] for w in checks["warnings"]] == ["check_insufficient", "check_price_outlier"]
    assert ui_queries.recent_median_price(service) == 7341
    sales = ui_queries.sales(service, party_text="乙公司")
    assert [(s["quantity"], s["amount_fen"], s["buyer_name"]) for s in sales] == [(5, 36705, "乙公司")]
    assert ui_queries.sales(service, contract="nope") == []
    receipt = ui_queries.sale(service, sales[0]["seq"])
    assert receipt["blocks"] and len(receipt["entry_hash"]) == 64
    statement = ui_queries.party_statement(service, "COL-1")
    assert statement["income_fen"] == 36705
    county = ui_queries.totals_by_county(service)
    assert county[0]["county_code"] == "330523" and county[0]["issued_t"] == market["issued"]["issued_t"]
    months = ui_queries.monthly_activity(service)
    assert sum(m["issued_t"] for m in months) == market["issued"]["issued_t"] and months[-1]["sold_t"] == 5
    assert sum(b["quantity"] for b in ui_queries.parcel_batches(service, "AJ-BF-090")) == market["issued"]["issued_t"]
    credits = ui_queries.parcel_credits(service, "AJ-BF-090")  # what a click on the map says of the parcel
    assert credits["issued_t"] == market["issued"]["issued_t"] and credits["vintages"]
    assert ui_queries.parcel_credits(service, "AJ-BF-091") == {"parcel_code": "AJ-BF-091", "issued_t": 0, "vintages": []}
    accounts = {a["account_id"]: a for a in ui_queries.holding_accounts(service)}
    assert accounts["ENT-1-H"]["held_t"] == 5
    assert not ui_queries.integrity(service)["ok"]  # nothing verified and recorded yet: no replay on a read
    recorded = service.verify(record=True)
    integrity = ui_queries.integrity(service)
    assert integrity["ok"] and integrity["verified"]["tree_size"] == recorded.entries == integrity["entries"]
    assert integrity["merkle_root"] == recorded.merkle_root
    assert ui_queries.ledger_version(service) == service.verify().entries


def test_the_ledger_version_of_a_database_without_a_schema_is_zero(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    service = Service.open(load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}))
    try:
        assert ui_queries.ledger_version(service) == 0
        service.initialise()
        first = ui_queries.ledger_version(service)
        assert first == service.verify().entries
        service.register_party(SYSTEM_ACTOR, "p:COL-9", party_id="COL-9", kind="collective", name="c",
                               county_code="330523")
        assert ui_queries.ledger_version(service) == first + 1 == service.verify().entries
    finally:
        service.db.dispose()


def test_format_doctests() -> None:
    import sinkledger.ui.format as fmt

    result = doctest.testmod(fmt)
    assert result.failed == 0 and result.attempted >= 3
    assert fmt.yuan_to_fen("1,234.5") == 123450
    with pytest.raises(ValueError):
        fmt.yuan_to_fen("1.234")
    assert fmt.money(999_999, "zh") == "9,999.99 元" and fmt.money(1_000_000, "zh") == "1.00 万元"


def test_sales_lists_the_newest_and_totals_every_match(market, service, monkeypatch):  # type: ignore[no-untyped-def]
    """The sales list (the clerk's history, the overview's totals) filters in the database and
    shows the newest ``limit``; its totals count every match. Checked against the same filters
    applied in Python to every sale, with the name filter through both of its paths (on both backends)."""
    clerk = service.actor("clerk")
    contracts = ["C-2", "C_2", "C%2", "c-20", "C!2"]
    for n in range(12):
        service.sell(clerk, f"sale:more:{n}", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1 + n % 3,
                     price_fen_per_t=1000 + n, contract_no=contracts[n % len(contracts)])
    every = ui_queries.sales(service)
    assert len(every) == 13 and [s["seq"] for s in every] == sorted((s["seq"] for s in every), reverse=True)

    def expected(rows, contract=None, party=None):  # type: ignore[no-untyped-def]
        return [r for r in rows if (contract is None or contract.lower() in r["contract_no"].lower())
                and (party is None or any(party.lower() in x.lower() for x in
                                          (r["seller_name"], r["buyer_name"], r["seller_account"], r["buyer_account"])))]

    for contract in ("C_2", "C%2", "c-2", "!2", "_", "%"):  # LIKE's own characters are plain text here
        found = ui_queries.sales_page(service, contract=contract, limit=2)
        want = expected(every, contract=contract)
        assert found["count"] == len(want) and found["quantity"] == sum(r["quantity"] for r in want)
        assert found["amount_fen"] == sum(r["amount_fen"] for r in want)
        assert found["sales"] == want[:2]
    for party in ("乙公司", "ENT-1", "col-1-h", "nobody"):
        want = expected(every, party=party)
        for accounts_in_sql in (500, 0):  # a short list of accounts in the query, or one JSON list or array
            monkeypatch.setattr(ui_queries, "PARTY_ACCOUNTS_IN_SQL", accounts_in_sql)
            found = ui_queries.sales_page(service, party_text=party, limit=3)
            assert (found["count"], found["sales"]) == (len(want), want[:3]), (party, accounts_in_sql)
            later = ui_queries.sales_page(service, party_text=party, limit=3, offset=2)
            assert (later["count"], later["sales"]) == (len(want), want[2:5]), (party, accounts_in_sql)
    assert ui_queries.sales_page(service, limit=4, offset=3)["sales"] == every[3:7]
    assert ui_queries.sales_page(service, limit=None, offset=10)["sales"] == every[10:]
    # dates are Shanghai days (UTC+8): from 16:00 UTC a sale's day is the next UTC date
    days = {s["seq"]: local(s["recorded_at"]).date().isoformat() for s in every}
    day = days[every[0]["seq"]]
    on_day = ui_queries.sales_page(service, date_from=day, date_to=day, limit=None)
    assert on_day["count"] == sum(1 for d in days.values() if d == day) >= 12
    assert [s["seq"] for s in on_day["sales"]] == [s["seq"] for s in every if days[s["seq"]] == day]
    assert ui_queries.sales_page(service, date_to="2000-01-01")["count"] == 0
    totals = ui_queries.public_totals(service)
    by_account = service.balances()
    assert totals["by_sink_type"] == by_account["by_sink_type"]
    assert totals["buffer_held_t"] == sum(r["held_t"] for r in by_account["by_account"]
                                          if r["account_kind"] == "buffer") > 0


def test_the_sales_totals_follow_every_new_sale_and_every_correction(market, service) -> None:  # type: ignore[no-untyped-def]
    """The totals are kept per filter while the journal is unchanged (the clerk's page loads them
    on every run): a new sale and a correction each change them at once, as a fresh count says."""
    clerk = service.actor("clerk")

    def fresh(**filters):  # type: ignore[no-untyped-def]
        rows = ui_queries.sales_page(service, limit=None, **filters)["sales"]
        return len(rows), sum(r["quantity"] for r in rows), sum(r["amount_fen"] for r in rows)

    def totals(**filters):  # type: ignore[no-untyped-def]
        page = ui_queries.sales_page(service, limit=1, **filters)
        return page["count"], page["quantity"], page["amount_fen"]

    before, by_contract = totals(), totals(contract="KEEP")
    assert before == fresh() and by_contract == fresh(contract="KEEP") == (0, 0, 0)
    sold = service.sell(clerk, "sale:totals", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=2,
                        price_fen_per_t=1500, contract_no="KEEP-1")
    assert totals() == fresh() == (before[0] + 1, before[1] + 2, before[2] + 3000)
    assert totals(contract="KEEP") == fresh(contract="KEEP") == (1, 2, 3000)
    service.sell(clerk, "sale:totals:2", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                 price_fen_per_t=1000, contract_no="OTHER")
    assert totals() == fresh() == (before[0] + 2, before[1] + 3, before[2] + 4000)
    # an older sale corrected: the newest sale stays the same, the totals still change
    service.correct(clerk, "correct:totals", entry_seq=sold["seq"], reason="录入错误（测试）")
    assert totals() == fresh() == (before[0] + 1, before[1] + 1, before[2] + 1000)
    assert totals(contract="KEEP") == fresh(contract="KEEP") == (0, 0, 0)


def test_a_parcel_without_a_county_gets_the_county_it_lies_in(market) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: the county is derived from the geometry when not given (Anji here), and stays
    unset for a parcel outside every county outline (no default county)."""
    import shapely

    service = market["service"]
    admin_actor = service.actor("admin")
    inside = shapely.geometry.mapping(shapely.box(119.400, 30.500, 119.403, 30.503))
    service.register_parcel(admin_actor, "parcel:derived", parcel_code="AJ-BF-0960", sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=inside)
    assert service.parcel("AJ-BF-0960")["county_code"] == "330523"
    outside = shapely.geometry.mapping(shapely.box(119.720, 30.480, 119.723, 30.483))  # in the region, no outline
    service.register_parcel(admin_actor, "parcel:outside", parcel_code="AJ-BF-0961", sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=outside)
    assert service.parcel("AJ-BF-0961")["county_code"] is None
