"""The income pages (收益) for every role, in-process with ``streamlit.testing.v1.AppTest``.

The seeded demo carries the income chain of :mod:`sinkledger.demo.income` (a tea-garden contract
sold and distributed, a fixed-payment wetland contract, a lien, a loss and its claim); each test
drives the page's widgets and checks both what the page shows and what the service recorded.
"""

from __future__ import annotations

from datetime import date

import pytest

from sinkledger import catalogue
from sinkledger.demo import income as demo
from sinkledger.ui import format as fmt
from sinkledger.ui.navigation import ROLE_PAGES
from sinkledger.ui.text import text
from tests.ui.conftest import CJK, button, headline, no_errors, open_app, registered_pages, service_for, texts


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def zh_refusal(code: str, **params) -> str:  # type: ignore[no-untyped-def]
    from sinkledger_base.errors import Conflict

    return catalogue.message(Conflict(code, **params), "zh")


def metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(headline(at))


INCOME_PAGES = [("tea_household", "income", "page_inc_my_income"), ("tea_coop", "income_coop", "page_inc_coop"),
                ("centre", "income_contracts", "page_inc_contracts"), ("centre", "income_centre", "page_inc_centre"),
                ("cashier", "income_paylist", "page_inc_paylist"), ("bank", "liens", "page_inc_liens"),
                ("insurer", "losses", "page_losses")]


@pytest.mark.parametrize(("user", "page", "title"), INCOME_PAGES)
def test_each_income_page_opens_for_its_role_in_both_languages(app_env, user, page, title) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=user, page=page)
    no_errors(at)
    assert [t.value for t in at.title] == [zh(title)]
    assert page in registered_pages(at) and page in ROLE_PAGES[app_env["users"][user]["role"]]
    at = open_app(app_env, user=user, page=page, lang="en")
    no_errors(at)
    assert [t.value for t in at.title] == [en(title)]
    chrome = texts(at, "title", "subheader") + [label for label, _ in headline(at)] + [b.label for b in at.button]
    assert not [s for s in chrome if CJK.search(s)], chrome  # data (names, contract numbers) may be Chinese


def test_income_pages_are_not_registered_for_other_roles(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="clerk")
    assert not registered_pages(at) & {"income", "income_coop", "income_contracts", "income_centre",
                                       "income_paylist", "liens"}


# -- household -------------------------------------------------------------------------------------

def test_household_sees_its_statement_with_downloads(app_env) -> None:  # type: ignore[no-untyped-def]
    """Given the demo's tea household (paid its share of the sale), its page shows exactly its own
    due items, all paid, and offers the PDF and the Excel statement."""
    service = service_for(app_env)
    actor = service.actor("tea_household")
    items = service.income.due_items(actor)
    assert items and {i["party_id"] for i in items} == {actor.party_id}
    at = open_app(app_env, user="tea_household", page="income")
    no_errors(at)
    shown = metrics(at)
    due = sum(i["amount_fen"] for i in items)
    assert shown[zh("inc_due")] == fmt.money(due, "zh") and shown[zh("inc_paid")] == fmt.money(due, "zh")
    assert shown[zh("inc_outstanding")] == fmt.money(0, "zh")
    frames = {tuple(f.value.columns): f.value for f in at.dataframe}
    item_frame = next(v for k, v in frames.items() if zh("inc_col_due_id") in k)
    assert sorted(item_frame[zh("inc_col_due_id")]) == sorted(i["id"] for i in items)
    assert set(item_frame[zh("col_status")]) == {zh("inc_status_paid")}
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [zh("inc_download_pdf"), zh("inc_download_xlsx")]


def test_household_period_without_items_and_a_reversed_period(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="tea_household", page="income", lang="en")
    at.date_input(key="hh_statement_start").set_value(date(2020, 1, 1))
    at.date_input(key="hh_statement_end").set_value(date(2020, 12, 31)).run()
    no_errors(at)
    assert en("inc_nothing_due") in [i.value for i in at.info]
    assert metrics(at)[en("inc_due")] == "CNY 0.00"
    at.date_input(key="hh_statement_start").set_value(date(2021, 1, 1)).run()
    at.date_input(key="hh_statement_end").set_value(date(2020, 1, 1)).run()
    assert not at.exception and [e.value for e in at.error] == [en("inc_period_reversed")]


def test_statement_pdf_is_chinese_and_names_the_household(app_env) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    service = service_for(app_env)
    actor = service.actor("tea_household")
    pdf = service.income.statement_pdf(actor, party_id=actor.party_id, period_start="2020-01-01",
                                       period_end=date.today().isoformat())
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "收益对账单" in page and actor.party_id in page


# -- cooperative -----------------------------------------------------------------------------------

def test_cooperative_sees_its_statement_contracts_and_a_household(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = open_app(app_env, user="tea_coop", page="income_coop")
    no_errors(at)
    assert [t.label for t in at.tabs][:4] == [zh(k) for k in ("inc_tab_statement", "inc_tab_households",
                                                              "inc_tab_contracts", "inc_tab_pay")]
    statement = service.income.statement(service.actor("tea_coop"), party_id="COL-0032", period_start="2020-01-01",
                                         period_end=date.today().isoformat())
    assert headline(at)[0] == (zh("inc_due"), fmt.money(statement["totals"]["due_fen"], "zh"))
    frames = [f.value for f in at.dataframe]
    sales = next(f for f in frames if zh("inc_col_villages_yuan") in f.columns)
    assert list(sales[zh("inc_col_gross_yuan")]) == [fmt.yuan(demo.SALE_QUANTITY_T * demo.SALE_PRICE_FEN_PER_T)]
    contracts = next(f for f in frames if zh("inc_signed") in f.columns)
    assert list(contracts[zh("contract_no")]) == [demo.TEA_CONTRACT_NO]
    at.selectbox(key="coop_household").set_value("HH-0095").run()
    no_errors(at)
    assert any("HH-0095" in c for c in texts(at, "caption"))


def test_cooperative_pays_a_household_and_overpaying_is_refused(app_env) -> None:  # type: ignore[no-untyped-def]
    """Given an outstanding line of one of its households, the collective records paying part of
    it; paying more than what is outstanding is refused with the catalogue message."""
    service = service_for(app_env)
    coop = service.actor("tea_coop")
    item = next(i for i in service.income.due_items(coop, outstanding_only=True) if i["role"] == "household")
    at = open_app(app_env, user="tea_coop", page="income_coop")
    at.multiselect(key="coop_pay_items").set_value([item["id"]])
    at.text_input(key="coop_pay_amount").set_value(fmt.yuan(item["outstanding_fen"] + 1))
    at.text_input(key="coop_pay_reference").set_value("村账 2026-01（演示）")
    button(at, zh("inc_record_payment")).click().run()
    assert not at.error and any("不可撤销" in w.value for w in at.warning)  # issue 19: confirmed first
    at.button(key="confirm_coop_pay").click().run()
    assert not at.exception and [e.value for e in at.error] == [
        zh_refusal("payment_exceeds_amount_due", due_id=item["id"], amount_fen=item["outstanding_fen"] + 1,
                   outstanding_fen=item["outstanding_fen"])]
    at.text_input(key="coop_pay_amount").set_value("10.00")
    button(at, zh("inc_record_payment")).click().run()
    at.button(key="confirm_coop_pay").click().run()
    no_errors(at)
    after = next(i for i in service.income.due_items(coop) if i["id"] == item["id"])
    assert after["paid_fen"] == item["paid_fen"] + 1000 and after["status"] == "partly_paid"
    assert any(s.value.startswith("已登记支付") for s in at.success)


# -- collection centre: contracts, documents, projects, trace --------------------------------------

def test_centre_uploads_a_contract_document(app_env) -> None:  # type: ignore[no-untyped-def]
    import hashlib

    service = service_for(app_env)
    content = "补充协议（演示，虚构）".encode()
    at = open_app(app_env, user="centre", page="income_contracts")
    at.selectbox(key="centre_contract").set_value(demo.TEA_CONTRACT_NO).run()
    at.text_input(key="doc_title").set_value("补充协议")
    at.file_uploader(key="doc_file").set_value(("supplement.txt", content, "text/plain")).run()
    button(at, zh("inc_doc_register")).click().run()
    no_errors(at)
    documents = service.income.contract(service.actor("centre"), demo.TEA_CONTRACT_NO)["documents"]
    assert hashlib.sha256(content).hexdigest() in {d["sha256"] for d in documents}
    assert any(s.value.startswith("合同文件已登记") for s in at.success)


def test_centre_registers_a_project_adds_a_parcel_and_traces_credits(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    centre = service.actor("centre")
    service.collect(centre, "t:inc:collect", contract_no="AJSC-TG-UI-01", collective_party_id="COL-0033",
                    parcel_codes=["AJ-TG-0004", "AJ-TG-0014"], term_start="2024-01-01", term_end="2054-01-01",
                    signed_date="2023-12-01", payment_terms={"kind": "proceeds_share", "share_bp": 8000})
    at = open_app(app_env, user="centre", page="income_contracts")
    at.text_input(key="project_code_new").set_value("AJTGUI")
    at.text_input(key="project_name_new").set_value("界面测试茶园项目（演示）")
    at.selectbox(key="project_sink_new").set_value("tea_garden")
    at.selectbox(key="project_methodology_new").set_value(demo.TEA_METHODOLOGY)
    at.multiselect(key="project_parcels_new").set_value(["AJ-TG-0004"])
    button(at, zh("inc_register_project")).click().run()
    no_errors(at)
    assert [p["parcel_code"] for p in service.income.project(centre, "AJTGUI")["parcels"]] == ["AJ-TG-0004"]
    at.run()  # the project list is read per ledger version
    at.selectbox(key="centre_project").set_value("AJTGUI").run()
    at.multiselect(key="project_add_parcels").set_value(["AJ-TG-0014"])
    button(at, zh("inc_add_parcels_button")).click().run()
    no_errors(at)
    assert [p["parcel_code"] for p in service.income.project(centre, "AJTGUI")["parcels"]] == ["AJ-TG-0004",
                                                                                                "AJ-TG-0014"]
    # issue 19: what was added is shown with its entry, the form locked until more are added
    assert zh("inc_parcels_added", n=1, code="AJTGUI") in [s.value for s in at.success]
    assert not [w for w in at.multiselect if w.key == "project_add_parcels"]
    at.button(key="new_project_add_AJTGUI").click().run()
    # A project parcel twice is refused with its message, not a traceback.
    at.multiselect(key="project_add_parcels").set_value(["AJ-TG-0014"])
    button(at, zh("inc_add_parcels_button")).click().run()
    assert not at.exception and len(at.error) == 1
    batch = service.income.project(centre, demo.TEA_PROJECT_CODE)["batches"][0]
    at.text_input(key="trace_serial").set_value(batch["batch_id"]).run()
    no_errors(at)
    trace = next(f.value for f in at.dataframe if zh("inc_col_kg") in f.value.columns)
    assert sorted(trace[zh("col_parcel")]) == list(demo.TEA_PARCELS)
    assert trace[zh("inc_col_tonnes")].sum() == batch["quantity"]


# -- collection centre: distribution, fixed payments, due items ------------------------------------

def test_centre_previews_and_distributes_a_sale_to_the_fen(app_env) -> None:  # type: ignore[no-untyped-def]
    """Given a new sale of the centre's tea credits, the preview's lines add up to the sale amount
    to the fen; confirming records the distribution and its due items."""
    service = service_for(app_env)
    sale = service.sell(service.actor("clerk"), "t:inc:sale", seller_account="CENTRE-AJ-H", buyer_account="ENT-0001-H",
                        quantity=3, price_fen_per_t=7777, contract_no="HZGX-UI-INC-1")
    at = open_app(app_env, user="centre", page="income_centre")
    no_errors(at)
    assert at.selectbox(key="distribute_sale").value == sale["seq"]
    lines = next(f.value for f in at.dataframe if zh("inc_line") in f.value.columns)
    total_fen = sum(fmt.yuan_to_fen(v) for v in lines[zh("inc_col_amount_yuan")])
    assert total_fen == sale["amount_fen"] == 3 * 7777
    amount = fmt.yuan(sale["amount_fen"])
    assert zh("inc_preview_sums", n=len(lines), total=amount, amount=amount) in [s.value for s in at.success]
    button(at, zh("inc_confirm_distribution")).click().run()
    no_errors(at)
    recorded = {d["sale_seq"]: d for d in service.income.distributions(service.actor("centre"))}
    assert recorded[sale["seq"]]["amount_fen"] == sale["amount_fen"]
    assert any(s.value.startswith("已登记分配") for s in at.success)
    items = service.income.due_items(service.actor("centre"), source_id=recorded[sale["seq"]]["id"])
    assert items and all(i["status"] == "due" for i in items)


def test_centre_schedules_fixed_payments_and_records_a_payment(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    centre = service.actor("centre")
    at = open_app(app_env, user="centre", page="income_centre", lang="en")
    at.selectbox(key="schedule_contract").set_value(demo.WETLAND_CONTRACT_NO)  # the demo has two fixed contracts
    at.date_input(key="schedule_through").set_value(date(2025, 12, 31))
    button(at, en("inc_schedule_button")).click().run()  # every year started by then is scheduled already
    assert not at.exception and len(at.error) == 1 and "no contract year left" in at.error[0].value
    before = len(service.income.due_items(centre, contract_no=demo.WETLAND_CONTRACT_NO))
    at.date_input(key="schedule_through").set_value(date(2026, 6, 1))
    button(at, en("inc_schedule_button")).click().run()
    no_errors(at)
    assert len(service.income.due_items(centre, contract_no=demo.WETLAND_CONTRACT_NO)) > before
    due = next(i for i in service.income.due_items(centre, contract_no=demo.WETLAND_CONTRACT_NO, outstanding_only=True))
    at.multiselect(key="centre_pay_items").set_value([due["id"]])
    at.text_input(key="centre_pay_reference").set_value("BANK-REF-UI-1")
    at.date_input(key="centre_pay_date").set_value(date(2026, 6, 5))
    button(at, en("inc_record_payment")).click().run()
    at.button(key="confirm_centre_pay").click().run()
    no_errors(at)
    paid = next(i for i in service.income.due_items(centre) if i["id"] == due["id"])
    assert paid["status"] == "paid" and paid["paid_fen"] == due["amount_fen"]


def test_centre_reads_a_household_statement(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="income_centre")
    at.selectbox(key="centre_statement_party").set_value("HH-0133").run()
    no_errors(at)
    assert any("HH-0133" in c for c in texts(at, "caption"))
    assert len(at.get("download_button")) >= 2


# -- payment officer -------------------------------------------------------------------------------

def test_payment_officer_reads_full_accounts_once_per_click(app_env) -> None:  # type: ignore[no-untyped-def]
    """The list is read (and logged) only on the button; a rerun shows it again without a new read."""
    from sinkledger.services.people import PeopleService

    service = service_for(app_env)
    people, admin = PeopleService(service), service.actor("admin")
    before = len(people.access_log(admin, user="cashier", limit=10_000))
    at = open_app(app_env, user="cashier", page="income_paylist")
    no_errors(at)
    sources = at.selectbox(key="paylist_source").options
    distribution = next(s for s in sources if s.startswith("DS-"))
    at.selectbox(key="paylist_source").set_value(distribution.split(" · ")[0]).run()
    assert not at.dataframe and len(people.access_log(admin, user="cashier", limit=10_000)) == before
    at.button(key="paylist_show").click().run()
    no_errors(at)
    shown = at.dataframe[0].value
    after_click = len(people.access_log(admin, user="cashier", limit=10_000))
    assert after_click == before + len(shown)
    accounts = list(shown[zh("inc_bank_account")])
    assert all(a.startswith("62170000") and "*" not in a for a in accounts), accounts
    at.run()
    assert len(at.dataframe) == 1 and len(people.access_log(admin, user="cashier", limit=10_000)) == after_click
    at.button(key="paylist_prepare").click().run()
    no_errors(at)
    assert [d.proto.label for d in at.get("download_button")] == [zh("inc_download_xlsx")]


def test_a_centre_user_who_is_not_the_officer_sees_masked_accounts(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="income_paylist")
    no_errors(at)
    assert zh("inc_paylist_masked_note") in [i.value for i in at.info]
    at.button(key="paylist_show").click().run()
    no_errors(at)
    accounts = [a for a in at.dataframe[0].value[zh("inc_bank_account")] if a != "—"]
    assert all("*" in a for a in accounts), accounts


# -- bank ------------------------------------------------------------------------------------------

def test_bank_registers_and_releases_a_lien(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    bank = service.actor("bank")
    at = open_app(app_env, user="bank", page="liens")
    at.selectbox(key="lien_contract").set_value(demo.TEA_CONTRACT_NO).run()
    at.text_input(key="lien_loan").set_value("LOAN-UI-LIEN-1")
    at.text_input(key="lien_amount").set_value("120000")
    button(at, zh("inc_register_lien")).click().run()
    no_errors(at)
    lien = next(r for r in service.income.liens(bank) if r["loan_reference"] == "LOAN-UI-LIEN-1")
    assert (lien["status"], lien["loan_amount_fen"], lien["parcel_codes"]) == ("active", 12_000_000,
                                                                            list(demo.TEA_PARCELS))
    # issue 19: the lien is shown with its entry and the form locked (a second press is not a
    # second lien); the next lien is a new form instance.
    assert zh("inc_lien_registered", lien=lien["id"], contract=demo.TEA_CONTRACT_NO) in [s.value for s in at.success]
    assert any("registry?entry=" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.label == zh("inc_register_lien")]
    at.button(key="new_lien_register").click().run()
    # The same parcels again: refused (one active lien per parcel), in Chinese.
    at.selectbox(key="lien_contract").set_value(demo.TEA_CONTRACT_NO).run()
    at.text_input(key="lien_loan").set_value("LOAN-UI-LIEN-2")
    button(at, zh("inc_register_lien")).click().run()
    assert not at.exception and len(at.error) == 1 and CJK.search(at.error[0].value)
    at.selectbox(key="lien_chosen").set_value(lien["id"])
    at.button(key="lien_release").click().run()
    no_errors(at)
    assert next(r for r in service.income.liens(bank) if r["id"] == lien["id"])["status"] == "released"
    assert any(s.value.startswith(f"未来签发质押 {lien['id']}：已解除") for s in at.success)


# -- insurer ---------------------------------------------------------------------------------------

def test_insurer_previews_records_a_loss_and_its_claim(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.services import queries as ui_queries

    service = service_for(app_env)
    insurer = service.actor("insurer")
    parcel = "AJ-BF-0044"
    before = ui_queries.buffer_balance_t(service)
    plan = service.income.preview_loss(insurer, event_date="2025-02-01",
                                       parcels=[{"parcel_code": parcel, "affected_area_ha": "0.8", "damage_share_bp": 4000}])
    at = open_app(app_env, user="insurer", page="losses")
    at.date_input(key="loss_date").set_value(date(2025, 2, 1))
    at.multiselect(key="loss_parcels").set_value([parcel]).run()
    at.text_input(key=f"loss_area_{parcel}").set_value("0.8")
    at.number_input(key=f"loss_share_{parcel}").set_value(40).run()
    no_errors(at)
    assert metrics(at)[zh("inc_reversed_t")] == fmt.tonnes(plan[0]["reversed_t"], "zh")
    at.text_area(key="loss_description").set_value("雪压（演示）")
    at.button(key="loss_record").click().run()
    no_errors(at)
    # issue 19: the reversal cannot be undone, so it is confirmed first; nothing before that
    assert ui_queries.buffer_balance_t(service) == before
    assert any("不可撤销" in w.value for w in at.warning)
    at.button(key="confirm_loss_event").click().run()
    no_errors(at)
    assert ui_queries.buffer_balance_t(service) == before - plan[0]["reversed_t"]
    assert metrics(at)[zh("buffer_balance")] == fmt.tonnes(before - plan[0]["reversed_t"], "zh")  # read again
    event = service.income.losses(insurer)[0]
    assert event["parcels"][0]["parcel_code"] == parcel
    at.selectbox(key="claim_event").set_value(event["id"]).run()
    at.text_input(key="claim_no").set_value("CLM-UI-1")
    at.text_input(key="claim_policy").set_value("POL-UI-1")
    at.text_input(key="claim_payout").set_value("2500.50")
    button(at, zh("inc_record_claim")).click().run()
    no_errors(at)
    claims = service.income.losses(insurer)[0]["claims"]
    assert [(c["claim_no"], c["payout_fen"], c["product"]) for c in claims] == [("CLM-UI-1", 250_050,
                                                                                  "毛竹碳汇价值恢复补偿保险")]


def test_insurer_loss_larger_than_the_parcel_is_refused_in_english(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="insurer", page="losses", lang="en")
    at.multiselect(key="loss_parcels").set_value(["AJ-BF-0044"]).run()
    at.text_input(key="loss_area_AJ-BF-0044").set_value("5000").run()
    assert not at.exception and len(at.error) == 1 and not CJK.search(at.error[0].value)
    assert "loss_record" not in [b.key for b in at.button]  # nothing to record until the input is valid


# -- cooperative parcel page -----------------------------------------------------------------------

def test_parcel_page_shows_contributions_and_distributed_amounts(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    coop = service.actor("tea_coop")
    code = demo.TEA_PARCELS[0]
    from sinkledger.ui.parcels import PARCEL_TABS_KEY

    at = open_app(app_env, user="tea_coop", page="parcels")
    at.selectbox(key="parcel_code").set_value(code).run()
    no_errors(at)
    assert zh("inc_parcel_contributions") not in texts(at, "subheader")  # drawn when its tab is open
    at.session_state[f"{PARCEL_TABS_KEY}_zh"] = zh("tab_income")
    at.run()
    no_errors(at)
    assert {zh("inc_parcel_contributions"), zh("inc_parcel_distributed")} <= set(texts(at, "subheader"))
    contributions = next(f.value for f in at.dataframe if zh("inc_col_kg") in f.value.columns)
    batches = service.income.project(coop, demo.TEA_PROJECT_CODE)["batches"]
    assert len(contributions) == len(batches)
    assert set(contributions[zh("contract_no")]) == {demo.TEA_CONTRACT_NO}
    items = [i for i in service.income.due_items(coop) if i["parcel_code"] == code]
    assert metrics(at)[zh("inc_distributed_total")] == fmt.money(sum(i["amount_fen"] for i in items), "zh")
