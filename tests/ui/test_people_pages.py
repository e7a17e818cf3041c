"""The person-register pages (issue 10, ``docs/personal-data.md`` §8) in AppTest: the household's
own details, correction request and "who read my data"; the centre's and the collective's
household lists with the centre's register and correct forms; the administrator's access log,
chain check, erasure with confirmation and payment-officer designations; and staying signed in
across a new websocket (a reload) through the web-session token.

All people are the demo's synthetic ones (``seed_demo_people``: names 演示…, phones 139-0000-nnnn).
"""

from __future__ import annotations

import shutil

import pytest

from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import PeopleService
from sinkledger.ui.text import text
from tests.ui.conftest import (
    CJK,
    button,
    go,
    no_errors,
    open_app,
    registered_pages,
    service_for,
    texts,
)

HOUSEHOLD = "HH-0001"  # the demo user "household"; a household of the demo collective COL-0001
ME = synthetic_person(1)


@pytest.fixture(scope="module")
def ui_db(seeded_template, tmp_path_factory) -> dict:  # type: ignore[type-arg]
    """As tests/ui/conftest.py's, plus the data key the person register was encrypted with."""
    home = tmp_path_factory.mktemp("ui_people")
    template = seeded_template["path"].parent
    shutil.copy(seeded_template["path"], home / "ui.db")
    shutil.copy(template / "data.key", home / "data.key")
    (home / "data.key").chmod(0o600)
    return {"env": {"SINKLEDGER_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'ui.db'}"},
            "facts": seeded_template["facts"], "users": seeded_template["users"], "home": home}


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def people_for(app_env) -> PeopleService:  # type: ignore[no-untyped-def]
    return PeopleService(service_for(app_env))


def frame_text(at) -> str:  # type: ignore[no-untyped-def]
    frames = [frame.value.to_csv() for frame in at.dataframe] + [table.value.to_csv() for table in at.table]
    return "\n".join(frames)


# -- navigation --------------------------------------------------------------------------------

@pytest.mark.parametrize(("user", "page"), [("household", "my_details"), ("centre", "households"),
                                            ("coop", "households"), ("admin", "personal_data")])
def test_person_pages_are_registered_for_their_roles_only(app_env, user, page) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=user)
    assert page in registered_pages(at)
    for other in ("clerk", "bank", "verifier"):
        assert page not in registered_pages(open_app(app_env, user=other))


# -- household ---------------------------------------------------------------------------------

def test_household_sees_its_own_details_in_full_once_per_read(app_env) -> None:  # type: ignore[no-untyped-def]
    people = people_for(app_env)
    before = len(people.access_log(people.service.actor("admin"), party_id=HOUSEHOLD, limit=10_000))
    at = open_app(app_env, user="household", page="my_details")
    no_errors(at)
    assert at.title[0].value == zh("page_my_details")
    shown = frame_text(at)
    for field in ("name", "resident_id", "phone", "bank_account"):
        assert ME[field] in shown, field
    at.run()  # a rerun shows the kept result: no second logged read
    after = people.access_log(people.service.actor("admin"), party_id=HOUSEHOLD, limit=10_000)
    assert len(after) == before + 1
    assert after[0]["action"] == "view" and after[0]["purpose"] == "self_access"
    # "Who read my data": organisation and role, never a staff user name.
    assert zh("pd_who_read_header") in [s.value for s in at.subheader]
    assert "cashier" not in shown and "centre" not in shown.split()


def test_household_correction_request_names_fields_not_values(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="household", page="my_details")
    button(at, zh("pd_request_submit")).click().run()
    assert [w.value for w in at.warning] == [zh("pd_request_pick")]
    at.multiselect(key="request_fields").set_value(["phone", "bank_account"])
    button(at, zh("pd_request_submit")).click().run()
    no_errors(at)
    assert any(s.value.startswith("更正申请单 CR-HH-0001-") for s in at.success)
    document = at.session_state["last_result"]["correction_request"]["text"]
    assert "电话" in document and "银行账号" in document and HOUSEHOLD in document
    for value in ME.values():
        assert value not in document


def test_my_details_in_english_has_no_chinese_labels(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="household", page="my_details", lang="en")
    no_errors(at)
    assert at.title[0].value == en("page_my_details")
    leftovers = [s for s in texts(at, "title", "subheader", "caption") if CJK.search(s)]
    assert leftovers == []
    assert not any(CJK.search(str(c)) for frame in at.dataframe for c in frame.value.columns)


# -- collection centre and collective ----------------------------------------------------------

def test_centre_lists_households_masked(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="households")
    no_errors(at)
    shown = frame_text(at)
    assert ME["name"] in shown  # names in full for the centre
    assert ME["resident_id"] not in shown and ME["resident_id"][:4] + "**" in shown
    assert ME["phone"] not in shown and "139****0001" in shown
    assert [t.label for t in at.tabs] == [zh("pd_tab_list"), zh("pd_tab_register"), zh("pd_tab_correct")]


def test_centre_corrects_a_phone_and_a_bad_value_is_refused_in_words(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="households")
    at.selectbox(key="pc_party").set_value("HH-0002")
    at.text_input(key="pc_phone").set_value("77777")
    at.text_input(key="pc_reason").set_value("申请单 C-UI-1")
    button(at, zh("pd_correct_submit")).click().run()
    assert not at.exception
    assert [e.value for e in at.error] and "电话" in at.error[0].value  # the field named, not the value
    assert "77777" not in at.error[0].value
    at.text_input(key="pc_phone").set_value("13900009999")
    button(at, zh("pd_correct_submit")).click().run()
    no_errors(at)
    assert any("已更正 HH-0002" in s.value for s in at.success)
    people = people_for(app_env)
    assert people.view(people.service.actor("cashier"), "HH-0002", "data_correction")["phone"] == "13900009999"


def test_centre_registers_a_new_household(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    admin = service.actor("admin")
    service.register_party(admin, "t:party:hh-new", party_id="HH-0900", kind="household", name="农户 HH-0900（化名）",
                           county_code="330523")
    new = synthetic_person(900)
    at = open_app(app_env, user="centre", page="households")
    at.selectbox(key="pr_party").set_value("HH-0900")
    for field in ("name", "resident_id", "phone", "bank_account", "bank_name"):
        at.text_input(key=f"pr_{field}").set_value(new[field])
    at.text_input(key="pr_purpose").set_value("收益分配与支付（测试）")
    import datetime

    at.date_input(key="pr_consent").set_value(datetime.date(2025, 1, 2))
    button(at, zh("pd_register_submit")).click().run()
    no_errors(at)
    assert any("已登记 HH-0900" in s.value for s in at.success)
    assert "HH-0900" in frame_text(at)


def test_collective_sees_its_households_masked_without_forms(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="households")
    no_errors(at)
    shown = frame_text(at)
    assert HOUSEHOLD in shown and ME["name"] in shown
    assert ME["resident_id"] not in shown and ME["bank_account"] not in shown
    assert [t.label for t in at.tabs] == [zh("pd_tab_list")]
    # Only the households with shares in the collective's own parcels (three per demo collective).
    assert set(at.dataframe[0].value[zh("party_id")]) == {"HH-0001", "HH-0002", "HH-0003"}
    assert zh("pd_field_bank_name") not in at.dataframe[0].value.columns  # hidden from a collective


# -- administrator -----------------------------------------------------------------------------

def test_admin_access_log_filters_and_chain_check(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="admin", page="personal_data")
    no_errors(at)
    at.text_input(key="log_party").set_value(HOUSEHOLD).run()
    log = at.dataframe[0].value
    assert len(log) >= 1 and set(log[zh("pd_col_person")]) == {HOUSEHOLD}
    at.checkbox(key="log_full_only").check().run()
    assert all(zh("pd_visibility_full") in f for f in at.dataframe[0].value[zh("pd_col_fields")])
    button(at, zh("pd_verify_log")).click().run()
    assert any(s.value.startswith("个人信息登记簿完整") for s in at.success)


def test_admin_erases_with_grounds_and_confirmation(app_env) -> None:  # type: ignore[no-untyped-def]
    target = synthetic_person(3)
    at = open_app(app_env, user="admin", page="personal_data")
    at.text_input(key="erase_resident_id").set_value(target["resident_id"])
    at.text_input(key="erase_lookup_note").set_value("删除申请 E-UI-1")
    button(at, zh("pd_find")).click().run()
    no_errors(at)
    assert any(s.value.startswith("找到：HH-0003") for s in at.success)
    button(at, zh("pd_erase_start")).click().run()  # the first of two buttons: the one for the found person
    assert at.session_state["erase_pending"] == "HH-0003"
    at.text_input(key="erase_reason").set_value("删除申请 E-UI-1（2025-05-01）")
    button(at, zh("pd_erase_confirm")).click().run()
    assert [w.value for w in at.warning] == [zh("pd_erase_tick")]  # not ticked: nothing erased
    people = people_for(app_env)
    assert not people.view(people.service.actor("admin"), "HH-0003")["erased"]
    at.checkbox(key="erase_sure").check()
    button(at, zh("pd_erase_confirm")).click().run()
    no_errors(at)
    assert any("已删除 HH-0003" in s.value for s in at.success)
    assert people.view(people.service.actor("admin"), "HH-0003")["erased"]
    # issue 19: locked on what was erased; another erasure is a new form instance
    assert not [b for b in at.button if b.label == zh("pd_erase_confirm")]
    at.button(key="new_erasure").click().run()
    no_errors(at)
    assert [b for b in at.button if b.label == zh("pd_find")]


def test_admin_erasure_without_grounds_is_refused_in_words(app_env) -> None:  # type: ignore[no-untyped-def]
    people = people_for(app_env)
    lists_before = [r for r in people.access_log(people.service.actor("admin"), user="admin", limit=10_000)
                    if r["action"] == "list"]
    at = open_app(app_env, user="admin", page="personal_data", lang="en")
    assert len([r for r in people.access_log(people.service.actor("admin"), user="admin", limit=10_000)
                if r["action"] == "list"]) == len(lists_before)  # the list is read only on request
    button(at, en("pd_load_list")).click().run()
    at.selectbox(key="erase_choose").set_value("HH-0004")
    button(at, en("pd_erase_start")).click().run()
    at.checkbox(key="erase_sure").check()
    button(at, en("pd_erase_confirm")).click().run()
    assert not at.exception and len(at.error) == 1 and not CJK.search(at.error[0].value)
    assert not people.view(people.service.actor("admin"), "HH-0004")["erased"]


def test_admin_designates_and_revokes_a_payment_officer(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="admin", page="personal_data")
    assert "cashier" in frame_text(at)
    button(at, f'{zh("pd_revoke")}: cashier').click().run()
    no_errors(at)
    people = people_for(app_env)
    assert people.designations(people.service.actor("admin")) == []
    # issue 19: one change per form instance (the list moved: a second press must not act on it)
    assert zh("pd_revoked", username="cashier") in [s.value for s in at.success]
    assert not [b for b in at.button if b.key == "designate"]
    at.button(key="new_designation").click().run()
    at.selectbox(key="designate_user").set_value("cashier")
    button(at, zh("pd_designate")).click().run()
    no_errors(at)
    assert [d["username"] for d in people.designations(people.service.actor("admin"))] == ["cashier"]
    actions = [r["action"] for r in people.access_log(people.service.actor("admin"), user="admin", limit=10)]
    assert actions[:2] == ["designate", "revoke"]


def test_page_refuses_a_role_it_is_not_for(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="household")
    at = go(at, "personal_data")  # not registered for a household: Streamlit falls back to its pages
    assert not at.exception
    assert zh("page_personal_data") not in [t.value for t in at.title]


@pytest.mark.parametrize(("user", "page"), [("household", "my_details"), ("centre", "households"),
                                            ("coop", "households"), ("admin", "personal_data"),
                                            ("centre", "batch"), ("coop", "batch")])
def test_pages_in_english_have_no_chinese_labels(app_env, user, page) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=user, page=page, lang="en")
    no_errors(at)
    labels = texts(at, "title", "subheader", "caption", "info", "warning", "success")
    labels += [b.label for b in at.button] + [t.label for t in at.tabs]
    labels += [w.label for kind in ("text_input", "selectbox", "multiselect", "checkbox", "radio", "date_input")
               for w in getattr(at.main, kind)]  # the sidebar's language switch is bilingual
    labels += [str(c) for frame in at.dataframe for c in frame.value.columns]
    assert [s for s in labels if CJK.search(s)] == []
