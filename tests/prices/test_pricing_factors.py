"""Pricing factors and the reference price (issue 22, docs/prices.md "Pricing factors").

Rule: reference price = the latest published monthly index before the sale's month × the
product of the project's factors, half up to the fen; every factor, its evidence's SHA-256 and
the entry that set it are in the sale's own journal entry.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import text

from tests.ledger.conftest import assert_refused
from tests.prices.conftest import trade

EVIDENCE = "下渚湖湿地生物多样性评估报告（演示）".encode()


def factors(**changes):  # type: ignore[no-untyped-def]
    return [{"factor": "biodiversity", "value": "1.15", "evidence_title": "生物多样性评估（演示）",
             "evidence_file_name": "biodiversity.pdf", "evidence_content": EVIDENCE} | changes,
            {"factor": "co_benefits", "value": "1.08", "evidence_title": "协同效益核算（演示）",
             "evidence_file_name": "co-benefits.pdf", "evidence_content": b"co-benefits"}]


def test_a_priced_sale_records_every_factor_and_its_source(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    project = income.issuance["batches"][0]["batch_id"].split("-")[2]
    out = svc.prices.set_factors(svc.actor("centre"), "pf-1", project_code=project, factors=factors())
    assert out["product"] == "1.242"
    trade(income, "m1", day="2025-03-03", price=7000)
    trade(income, "m2", day="2025-03-04", price=7000)
    trade(income, "m3", day="2025-03-05", price=7000, seller="ENT-1-H", buyer="ENT-2-H")
    svc.clock.day = "2025-04-02"
    preview = svc.prices.reference_price(svc.actor("clerk"), seller_account="CENTRE-1-H", quantity=10)
    (line,) = preview["lines"]
    assert line["reference_index"]["window"] == "2025-03" and line["reference_price_fen_per_t"] == 8694
    sale = trade(income, "m4", day="2025-04-02", price=9000, quantity=10)
    assert sale["pricing"]["lines"][0]["reference_price_fen_per_t"] == 8694
    with svc.db.read() as s:
        body = s.execute(text("SELECT body FROM journal_entry WHERE seq = :s"), {"s": sale["seq"]}).scalar_one()
    pricing = json.loads(body)["payload"]["pricing"]
    (recorded,) = pricing["lines"]
    assert [f["factor"] for f in recorded["factors"]] == ["biodiversity", "co_benefits"]
    assert recorded["factors"][0]["evidence_sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    assert recorded["factors"][0]["set_seq"] == out["seq"] and recorded["reference_index"]["index_fen_per_t"] == 7000
    assert svc.prices.project_factors(project_code=project)["product"] == "1.242"
    assert svc.verify().ok
    with svc.db.engine.begin() as conn:
        conn.execute(text("UPDATE pricing_factor SET value = '2.5' WHERE factor = 'biodiversity'"))
    assert not svc.verify().ok


def test_bad_factors_are_refused(market):  # type: ignore[no-untyped-def]
    income = market
    svc = income.service
    project = income.issuance["batches"][0]["batch_id"].split("-")[2]
    centre = svc.actor("centre")
    assert_refused("pricing_factor_out_of_range", lambda: svc.prices.set_factors(
        centre, "pf-x", project_code=project, factors=factors(value="3.5")))
    assert_refused("pricing_factor_out_of_range", lambda: svc.prices.set_factors(
        centre, "pf-x", project_code=project, factors=factors(value="1.00001")))
    assert_refused("value_invalid", lambda: svc.prices.set_factors(
        centre, "pf-x", project_code=project, factors=factors(factor="beauty")))
    assert_refused("field_required", lambda: svc.prices.set_factors(
        centre, "pf-x", project_code=project, factors=factors(evidence_content=b"")))
    assert_refused("project_not_found", lambda: svc.prices.set_factors(
        centre, "pf-x", project_code="NOPE", factors=factors()))
    assert_refused("not_permitted", lambda: svc.prices.set_factors(
        svc.actor("clerk"), "pf-x", project_code=project, factors=factors()))
