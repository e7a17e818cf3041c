"""Scenario: 2,000 t sold at 73.41 CNY/t under 80 % proceeds-share contracts, to three villages.

Given a collection centre that has collected six bamboo parcels of three collectives (80 % of
net proceeds to the villages, each contract with its own stated costs), bundled them into one
project and had the bundle issued, when it sells 2,000 t at 73.41 CNY/t and distributes the
proceeds, then every fen of the 146,820.00 yuan is allocated, to the fen, along the trace
sale → batches → parcels → contracts → collectives → households; a household's statement shows
its part, and the distribution, its payments and the ledger stay verifiable.
"""

from __future__ import annotations

from collections import defaultdict

from tests.income.conftest import (
    CENTRE,
    PARCELS,
    PRICE_FEN_PER_T,
    SOLD_T,
    TERMS,
    assert_refused,
    contract_no,
)

AMOUNT_FEN = SOLD_T * PRICE_FEN_PER_T  # 14,682,000 fen = 146,820.00 yuan


def test_bundle_issuance_records_each_parcels_contribution(issued):  # type: ignore[no-untyped-def]
    """Then each batch's credits are split over the six parcels by area and sum to the batch."""
    income = issued
    out = issued.issuance
    assert out["to_account"] == f"{CENTRE}-H" and set(out["contributions_t"]) == set(PARCELS)
    assert sum(out["contributions_t"].values()) == out["issued_t"]
    for batch in out["batches"]:
        trace = income.trace_batch(income.service.actor("centre"), batch["batch_id"])
        assert trace["recorded"] and sum(p["quantity_t"] for p in trace["parcels"]) == batch["quantity"]
        assert {p["contract_no"] for p in trace["parcels"]} == {contract_no(c) for c in TERMS}
    serial = out["batches"][0]["serials"].split("..")[0]
    assert income.trace_serial(income.service.actor("hh-a1"), serial)["batch_id"] == out["batches"][0]["batch_id"]


def test_distribution_sums_to_the_fen(sold):  # type: ignore[no-untyped-def]
    income = sold
    centre = income.service.actor("centre")
    out = income.distribute(centre, sale_seq=sold.sale["seq"])
    assert out["amount_fen"] == AMOUNT_FEN == 14_682_000
    assert out["totals"]["sum_fen"] == AMOUNT_FEN
    record = income.distribution(centre, out["distribution_id"])
    lines = record["lines"]
    assert sum(line["amount_fen"] for line in lines) == AMOUNT_FEN
    assert all(line["amount_fen"] >= 0 for line in lines)
    assert sum(t["sold_t"] for t in record["sold"]) == SOLD_T
    for c in record["contracts"]:
        assert c["gross_fen"] - c["costs_fen"] == c["net_fen"] == c["villages_fen"] + c["centre_fen"]
        assert abs(c["villages_fen"] * 10_000 - c["net_fen"] * 8000) <= 10_000  # 80 % to the fen
        to_villages = sum(x["amount_fen"] for x in lines if x["contract_no"] == c["contract_no"]
                          and x["role"] in ("household", "collective"))
        assert to_villages == c["villages_fen"]
    assert {c["contract_no"] for c in record["contracts"]} == {contract_no(c) for c in TERMS}
    assert sum(c["gross_fen"] for c in record["contracts"]) == AMOUNT_FEN


def test_stated_costs_follow_each_contract(sold):  # type: ignore[no-untyped-def]
    income = sold
    out = income.distribute(income.service.actor("centre"), sale_seq=sold.sale["seq"])
    by_no = {c["contract_no"]: c for c in out["contracts"]}
    a, b, c = (by_no[contract_no(x)] for x in ("COL-A", "COL-B", "COL-C"))
    assert a["costs_fen"] == a["gross_fen"] * 500 // 10_000 + 200 * a["quantity_t"]
    assert b["costs_fen"] == 300 * b["quantity_t"]
    assert c["costs_fen"] == 0


def test_households_get_their_parcels_shares(sold):  # type: ignore[no-untyped-def]
    """Each parcel's part goes to its households by share; a parcel without shares to the collective."""
    income = sold
    out = income.distribute(income.service.actor("centre"), sale_seq=sold.sale["seq"])
    lines = income.distribution(income.service.actor("centre"), out["distribution_id"])["lines"]
    by_parcel = defaultdict(list)
    for line in lines:
        if line["parcel_code"]:
            by_parcel[line["parcel_code"]].append(line)
    for code, (collective, _, shares) in PARCELS.items():
        parcel_lines = by_parcel[code]
        assert {x["party_id"] for x in parcel_lines} == (set(shares) or {collective})
        assert sum(x["attributed_kg"] for x in parcel_lines) == parcel_lines[0]["parcel_tonnes"] * 1000
        total = sum(x["amount_fen"] for x in parcel_lines)
        for x in parcel_lines:
            if shares:  # within a fen of the exact share
                assert abs(x["amount_fen"] * 10_000 - total * shares[x["party_id"]]) < 10_000


def test_a_household_statement_shows_its_part(sold, tmp_path):  # type: ignore[no-untyped-def]
    """Given the distribution and a payment to HH-A1, its statement lists its parcels, each sale's
    part and what was paid; it renders as PDF and Excel. Nobody else's statement is open to it."""
    income = sold
    svc = income.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    mine = income.due_items(svc.actor("hh-a1"))
    assert mine and {i["party_id"] for i in mine} == {"HH-A1"} and {i["parcel_code"] for i in mine} == {
        "HZ-BF-A01", "HZ-BF-A02"}
    paid = income.pay_outstanding(svc.actor("centre"), "pay-1", source_id=out["distribution_id"], party_id="HH-A1",
                                  paid_date=out["sale_date"], reference="NSYH-20240630-0001")
    assert paid["amount_fen"] == sum(i["amount_fen"] for i in mine)
    sale_date = out["sale_date"]
    statement = income.statement(svc.actor("hh-a1"), party_id="HH-A1", period_start=sale_date[:4] + "-01-01",
                                 period_end=sale_date[:4] + "-12-31")
    assert [p["parcel_code"] for p in statement["parcels"]] == ["HZ-BF-A01", "HZ-BF-A02"]
    assert statement["totals"]["due_fen"] == paid["amount_fen"] > 0
    assert all(i["sale_seq"] == sold.sale["seq"] and i["price_fen_per_t"] == PRICE_FEN_PER_T
               for i in statement["items"])
    pdf = income.statement_pdf(svc.actor("hh-a1"), party_id="HH-A1", period_start=sale_date[:4] + "-01-01",
                               period_end=sale_date[:4] + "-12-31")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2_000
    (tmp_path / "statement.pdf").write_bytes(pdf)
    xlsx = income.statement_xlsx(svc.actor("coop-a"), tmp_path / "statement.xlsx", party_id="HH-A1",
                                 period_start="2000-01-01", period_end="2100-01-01")
    assert xlsx.exists()
    assert_refused("not_permitted", lambda: income.statement(svc.actor("hh-a1"), party_id="HH-A2",
                                                      period_start="2000-01-01", period_end="2100-01-01"))
    assert_refused("not_permitted", lambda: income.statement(svc.actor("coop-b"), party_id="HH-A1",
                                                      period_start="2000-01-01", period_end="2100-01-01"))
    assert svc.verify().ok


def test_a_collective_statement_shows_the_contract_figures(sold):  # type: ignore[no-untyped-def]
    income = sold
    svc = income.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    statement = income.statement(svc.actor("coop-b"), party_id="COL-B", period_start="2000-01-01",
                                 period_end="2100-01-01")
    (sale,) = statement["sales"]
    contract = next(c for c in out["contracts"] if c["contract_no"] == contract_no("COL-B"))
    assert sale["villages_fen"] == contract["villages_fen"] == statement["totals"]["due_fen"]
    assert {g["party_id"] for g in statement["by_party"]} == {"HH-B1", "HH-B2", "COL-B"}


def test_a_sale_is_distributed_once_and_only_by_its_seller(sold):  # type: ignore[no-untyped-def]
    income = sold
    svc = income.service
    seq = sold.sale["seq"]
    assert_refused("not_permitted", lambda: income.distribute(svc.actor("coop-a"), sale_seq=seq))
    first = income.distribute(svc.actor("centre"), sale_seq=seq)
    again = income.distribute(svc.actor("centre"), sale_seq=seq)
    assert again["replayed"] and again["distribution_id"] == first["distribution_id"]
    assert_refused("sale_already_distributed", lambda: income.distribute(svc.actor("centre"), sale_seq=seq,
                                                                  request_id="other"))
    assert_refused("sale_not_found", lambda: income.distribute(svc.actor("centre"), sale_seq=10**6))


def test_payments_are_refused_beyond_what_is_due(sold):  # type: ignore[no-untyped-def]
    income = sold
    svc = income.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    item = income.due_items(svc.actor("hh-a1"))[0]
    head = svc.verify().head_hash
    assert_refused("payment_exceeds_amount_due", lambda: income.record_payment(
        svc.actor("centre"), "p-over", items=[{"due_id": item["id"], "amount_fen": item["amount_fen"] + 1}],
        paid_date=out["sale_date"], reference="R1"))
    assert_refused("due_item_not_found", lambda: income.record_payment(
        svc.actor("centre"), "p-none", items=[{"due_id": "DS-99999999-001", "amount_fen": 1}],
        paid_date=out["sale_date"], reference="R1"))
    assert_refused("not_permitted", lambda: income.record_payment(
        svc.actor("coop-b"), "p-other", items=[{"due_id": item["id"], "amount_fen": 1}],
        paid_date=out["sale_date"], reference="R1"))
    assert_refused("value_invalid", lambda: income.record_payment(
        svc.actor("centre"), "p-zero", items=[{"due_id": item["id"], "amount_fen": 0}],
        paid_date=out["sale_date"], reference="R1"))
    assert svc.verify().head_hash == head
    # The collective pays its own household in two parts.
    income.record_payment(svc.actor("coop-a"), "p-1", items=[{"due_id": item["id"], "amount_fen": 100}],
                          paid_date=out["sale_date"], reference="村财务-001")
    rest = item["amount_fen"] - 100
    done = income.record_payment(svc.actor("coop-a"), "p-2", items=[{"due_id": item["id"], "amount_fen": rest}],
                                 paid_date=out["sale_date"], reference="村财务-002")
    assert done["items"][0]["outstanding_fen"] == 0
    assert income.due_items(svc.actor("hh-a1"), source_id=out["distribution_id"])[0]["status"] == "paid"
    # The payments are read back by whom they concern: the household paid and its collective (which
    # paid them), as their due items are; newest first; another collective or household sees none.
    mine = income.payments(svc.actor("hh-a1"))
    assert [(p["reference"], p["amount_fen"], p["due_id"], p["contract_no"]) for p in mine] == [
        ("村财务-002", rest, item["id"], item["contract_no"]), ("村财务-001", 100, item["id"], item["contract_no"])]
    assert all(p["party_id"] == "HH-A1" and p["payer_party_id"] == "COL-A" for p in mine)
    assert [p["id"] for p in income.payments(svc.actor("coop-a"), due_id=item["id"])] == [p["id"] for p in mine]
    assert income.payments(svc.actor("hh-b1")) == [] and income.payments(svc.actor("coop-b"), due_id=item["id"]) == []
    assert income.payments(svc.actor("hh-a1"), date_to="2000-01-01") == []
    page = income.payments_page(svc.actor("hh-a1"), limit=1, offset=1)
    assert page["total"] == 2 and [p["reference"] for p in page["items"]] == ["村财务-001"]
    assert_refused("value_invalid", lambda: income.payments(svc.actor("hh-a1"), date_from="2024-13-01"))


def test_the_recorded_distribution_is_what_the_ledger_gives_again(sold):  # type: ignore[no-untyped-def]
    """A re-run of the plan from the ledger gives the recorded lines, fen for fen."""
    income = sold
    centre = income.service.actor("centre")
    preview = income.preview_distribution(centre, sale_seq=sold.sale["seq"])
    out = income.distribute(centre, sale_seq=sold.sale["seq"])
    recorded = income.distribution(centre, out["distribution_id"])
    again = income.preview_distribution(centre, sale_seq=sold.sale["seq"])
    assert preview["lines"] == recorded["lines"] == again["lines"]
    assert recorded["sale_entry_hash"] and recorded["household_shares_bp"]["HZ-BF-A01"] == PARCELS["HZ-BF-A01"][2]


def test_a_share_of_a_sale_is_never_paid_before_the_sale(sold):  # type: ignore[no-untyped-def]
    """Given a distribution, when the centre records a payment dated before the sale, then it is
    refused (payment_before_sale) and nothing changes; on the sale's day it is recorded."""
    income = sold
    svc = income.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    item = income.due_items(svc.actor("hh-a1"))[0]
    head = svc.verify().head_hash
    assert_refused("payment_before_sale", lambda: income.record_payment(
        svc.actor("centre"), "p-early", items=[{"due_id": item["id"], "amount_fen": 1}], paid_date="2020-01-01",
        reference="R-early"))
    assert svc.verify().head_hash == head
    paid = income.record_payment(svc.actor("centre"), "p-day", items=[{"due_id": item["id"], "amount_fen": 1}],
                                 paid_date=out["sale_date"], reference="R-day")
    assert paid["amount_fen"] == 1


def test_a_parcels_due_items_are_those_of_the_whole_list_attributed_to_it(sold):  # type: ignore[no-untyped-def]
    """``due_items(parcel_code=...)`` (the parcel page's distributed proceeds, read along the due
    items' parcel index) is the actor's list filtered to that parcel, for each who may see it."""
    income = sold
    centre = income.service.actor("centre")
    income.distribute(centre, sale_seq=sold.sale["seq"])
    for who in ("centre", "hh-a1", "admin"):
        actor = income.service.actor(who)
        every = income.due_items(actor)
        assert every or who == "hh-a1"
        for code in {i["parcel_code"] for i in every} | {"HZ-NOT-HERE"}:
            assert income.due_items(actor, parcel_code=code) == [i for i in every if i["parcel_code"] == code]
    assert income.due_items(centre) and not income.due_items(centre, parcel_code="HZ-NOT-HERE")
