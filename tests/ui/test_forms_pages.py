"""Issue 19's form pattern on the pages that joined it (AppTest; the double clicks themselves are
in tests/browser/test_forms_browser.py): what was recorded is shown with a link to its entry and
the form locks; the form instance keeps its request id, so a retry is the same command; an
irreversible act is asked first, and cancelling changes nothing.
"""

from __future__ import annotations

from sinkledger.demo import income as demo
from sinkledger.ui.text import text
from tests.ui.conftest import button, no_errors, open_app, service_for

CASE = "(2025)浙0521民初19号"
OTHER_CASE = "(2025)浙0521民初20号"


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def _links(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.value for m in at.markdown if "registry?entry=" in m.value]


def _journal_length(service) -> int:  # type: ignore[no-untyped-def]
    return service.journal(limit=1)[0]["seq"]


def _register_case(at, case_no: str = CASE) -> None:  # type: ignore[no-untyped-def]
    at.text_input(key="case_no").set_value(case_no)
    at.multiselect(key="case_defendants").set_value(["ENT-0002"])
    at.text_input(key="case_ecosystem").set_value("下渚湖湿地（演示）")
    at.text_area(key="case_description").set_value("非法捕捞（演示）")
    button(at, zh("register_case")).click().run()


def case_choice(at):  # type: ignore[no-untyped-def]
    """The case list's selectbox (its key changes with each case registered)."""
    [box] = [s for s in at.selectbox if s.label == zh("choose_case")]
    return box


def test_a_registered_case_opens_though_another_was_chosen_and_a_stale_choice_cannot_undo_it(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="court", page="cases")
    _register_case(at, "(2025)浙0521民初31号")
    at.button(key="new_case").click().run()
    _register_case(at, "(2025)浙0521民初32号")
    no_errors(at)
    assert case_choice(at).value == "(2025)浙0521民初32号"
    case_choice(at).set_value("(2025)浙0521民初31号").run()  # the user goes back to the first case
    assert case_choice(at).value == "(2025)浙0521民初31号"
    first_key = case_choice(at).key
    at.button(key="new_case").click().run()
    _register_case(at, "(2025)浙0521民初33号")
    no_errors(at)
    # the list opened on the new case under a new key: the browser's choice of the old selectbox,
    # arriving with a second press after this run, names a widget that is no longer on the page
    assert case_choice(at).value == "(2025)浙0521民初33号" and case_choice(at).key != first_key
    at.session_state[first_key] = "(2025)浙0521民初31号"
    at.run()
    assert case_choice(at).value == "(2025)浙0521民初33号"
    assert at.subheader[0].value == zh("case_heading", case_no="(2025)浙0521民初33号")


def test_court_forms_lock_on_what_they_recorded_and_a_withdrawal_is_asked_first(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    court = service.actor("court")
    at = open_app(app_env, user="court", page="cases")
    _register_case(at)
    no_errors(at)
    seq = _journal_length(service)
    assert zh("case_registered", case_no=CASE) in [s.value for s in at.success]
    assert f"registry?entry={seq}" in " ".join(_links(at))
    assert not [b for b in at.button if b.label == zh("register_case")]  # locked: a second press has no button
    assert case_choice(at).value == CASE  # the case list opens on the new case
    rid = at.session_state["request_ids"]["case"]
    # a retry of this form instance (a press the page had not redrawn for) is the same command
    case = service.court.status(court, case_no=CASE)["case"]
    again = service.court.register_case(court, rid, case_no=CASE, judgment_date=case["judgment_date"],
                                        defendants=["ENT-0002"], sink_type="bamboo_forest", county_code="330521",
                                        ecosystem_name="下渚湖湿地（演示）", damaged_area_ha="1",
                                        description="非法捕捞（演示）")
    assert again["replayed"] and again["seq"] == seq and _journal_length(service) == seq
    at.number_input(key="order_quantity").set_value(6)
    button(at, zh("issue_order")).click().run()
    no_errors(at)
    order = service.court.status(court, case_no=CASE)["orders"][0]
    assert zh("order_issued", order=order["order_id"]) in [s.value for s in at.success]
    # amend: a new entry with the reason; the earlier terms stay in the journal
    form = f"amend_{order['order_id']}"
    at.number_input(key=f"{form}_quantity").set_value(4)
    at.text_input(key=f"{form}_reason").set_value("二审改判（演示）")
    button(at, zh("amend_submit")).click().run()
    no_errors(at)
    assert service.court.status(court, case_no=CASE)["orders"][0]["quantity_t"] == 4
    assert service.journal(limit=1)[0]["kind"] == "court_order_amended"
    assert zh("order_amended", order=order["order_id"]) in [s.value for s in at.success]
    at.button(key=f"new_{form}").click().run()
    # withdraw: asked first; cancelling changes nothing
    before = _journal_length(service)
    withdraw = f"withdraw_{order['order_id']}"
    button(at, zh("withdraw_order")).click().run()  # no reason: said so, nothing asked
    assert zh("withdraw_reason_needed") in [e.value for e in at.error]
    assert not any("撤回不可撤销" in w.value for w in at.warning)
    at.text_input(key=f"{withdraw}_reason").set_value("被告已自行修复（演示）")
    button(at, zh("withdraw_order")).click().run()
    assert any("撤回不可撤销" in w.value for w in at.warning)
    at.button(key=f"cancel_{withdraw}").click().run()
    assert _journal_length(service) == before and not any("撤回不可撤销" in w.value for w in at.warning)
    assert service.court.status(court, case_no=CASE)["orders"][0]["status"] == "ordered"
    button(at, zh("withdraw_order")).click().run()
    at.button(key=f"confirm_{withdraw}").click().run()
    no_errors(at)
    assert service.court.status(court, case_no=CASE)["orders"][0]["status"] == "withdrawn"
    assert zh("order_withdrawal_recorded", order=order["order_id"]) in [s.value for s in at.success]
    assert f"registry?entry={before + 1}" in " ".join(_links(at))
    assert not [b for b in at.button if b.label == zh("fulfil_order")]  # nothing more for a withdrawn order


def test_a_fulfilment_locks_and_a_new_one_opens_the_certificate_again(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    court = service.actor("court")
    at = open_app(app_env, user="court", page="cases")
    _register_case(at, OTHER_CASE)
    no_errors(at)
    at.number_input(key="order_quantity").set_value(3)
    button(at, zh("issue_order")).click().run()
    order_id = service.court.status(court, case_no=OTHER_CASE)["orders"][0]["order_id"]
    form = f"fulfil_{order_id}"
    at.selectbox(key=f"{form}_seller").set_value("COL-0003-H")
    at.text_input(key=f"{form}_contract").set_value("HZGX-FORMS-1")
    at.number_input(key=f"{form}_quantity").set_value(1)
    button(at, zh("fulfil_order")).click().run()
    no_errors(at)
    assert any(s.value.startswith("已认购并注销 1 吨") for s in at.success)
    assert not [b for b in at.button if b.label == zh("fulfil_order")]
    button(at, zh("issue_certificate")).click().run()
    no_errors(at)
    code = service.court.status(court, case_no=OTHER_CASE)["orders"][0]["certificates"][0]["code"]
    assert zh("certificate_issued", code=code) in [s.value for s in at.success]
    assert any(f"certificate?cert={code}" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.label == zh("issue_certificate")]  # until the next fulfilment
    at.button(key=f"new_{form}").click().run()  # the order is still open: another fulfilment
    at.selectbox(key=f"{form}_seller").set_value("COL-0003-H")
    at.text_input(key=f"{form}_contract").set_value("HZGX-FORMS-2")
    button(at, zh("fulfil_order")).click().run()
    no_errors(at)
    assert service.court.status(court, case_no=OTHER_CASE)["orders"][0]["status"] == "fulfilled"
    assert [b for b in at.button if b.label == zh("issue_certificate")]  # a new certificate may cover it
    assert not [b for b in at.button if b.key == f"new_{form}"]  # fulfilled: no further fulfilment


def test_a_lien_form_keeps_its_request_id_until_a_new_lien_is_started(app_env) -> None:  # type: ignore[no-untyped-def]
    """The old page started a fresh request id after each success, so a fast second press was a
    second lien; now the instance keeps it, and the same press is the same lien."""
    service = service_for(app_env)
    bank = service.actor("bank")
    at = open_app(app_env, user="bank", page="liens")
    at.selectbox(key="lien_contract").set_value(demo.TEA_CONTRACT_NO).run()
    at.text_input(key="lien_loan").set_value("LOAN-FORMS-1")
    button(at, zh("inc_register_lien")).click().run()
    no_errors(at)
    rid = at.session_state["request_ids"]["lien_register"]
    lien = at.session_state["locked_forms"]["lien_register"]
    again = service.income.register_lien(bank, rid, contract_no=demo.TEA_CONTRACT_NO, loan_reference="LOAN-FORMS-1",
                                         loan_amount_fen=50_000_000, term_end=lien["term_end"], parcel_codes=None)
    assert again["replayed"] and again["lien_id"] == lien["lien_id"]
    assert [r["loan_reference"] for r in service.income.liens(bank)].count("LOAN-FORMS-1") == 1
    at.button(key="new_lien_register").click().run()
    assert "lien_register" not in at.session_state["request_ids"]  # a new instance: a new id on its press


def test_a_verifier_decision_locks_until_the_next_estimate(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    estimate = app_env["facts"]["estimate_id"]
    at = open_app(app_env, user="verifier", page="verify")
    at.text_input(key="verify_project").set_value("AJBF09")
    button(at, zh("approve_and_issue")).click().run()
    no_errors(at)
    assert any(s.value.startswith(f"{estimate} 已核证签发") for s in at.success)
    assert f"registry?entry={_journal_length(service)}" in " ".join(_links(at))
    # locked: no form whose second press could reach the estimate the queue moves on to
    assert not [b for b in at.button if b.label in (zh("approve_and_issue"), zh("return_estimate"))]
    at.button(key="new_verify").click().run()
    no_errors(at)
    assert not any(s.value.startswith(f"{estimate} 已核证签发") for s in at.success)


def test_a_party_registered_from_the_page_is_shown_with_its_entry_then_the_form_clears(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = open_app(app_env, user="admin", page="users")
    at.text_input(key="party_id").set_value("DEF-0919")
    at.selectbox(key="party_kind").set_value("defendant")
    at.text_input(key="party_name").set_value("被告乙（化名）")
    button(at, zh("register_party")).click().run()
    no_errors(at)
    assert any(p["party_id"] == "DEF-0919" for p in service.parties())
    assert zh("party_registered", party="DEF-0919", account="DEF-0919-H") in [s.value for s in at.success]
    assert f"registry?entry={_journal_length(service)}" in " ".join(_links(at))
    assert not [b for b in at.button if b.label == zh("register_party")]
    at.button(key="new_party").click().run()
    assert at.text_input(key="party_id").value == ""  # a new, empty instance
