"""Administrator, "personal data" (个人信息管理, ``docs/personal-data.md`` §8): the access log
with filters and its hash-chain check; erasure on request (find, then confirm with the grounds);
payment-officer designations. Every call is :class:`PeopleService`'s, which checks the role again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from sinkledger.services import admin
from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import attempt, get_people, get_service, require_roles, show_recorded, submit_once
from sinkledger.ui.people import access_table, people_table, read_once, reread_button
from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.people import PeopleService


def personal_data_page() -> None:
    actor = require_roles("admin")
    people = get_people()
    st.title(t("page_personal_data"))
    log_tab, erase_tab, officer_tab = st.tabs([t("pd_tab_log"), t("pd_tab_erase"), t("pd_tab_designate")])
    with log_tab:
        _access_log(actor, people)
    with erase_tab:
        _erasure(actor, people)
    with officer_tab:
        _designations(actor, people)


# -- access log ------------------------------------------------------------------------------------

def _access_log(actor: Actor, people: PeopleService) -> None:
    c1, c2, c3, c4 = st.columns([2, 2, 1.4, 1.2])
    party = c1.text_input(t("pd_filter_party"), key="log_party", placeholder="HH-0001")
    user = c2.text_input(t("pd_filter_user"), key="log_user")
    limit = c4.number_input(t("pd_filter_limit"), min_value=10, max_value=10_000, value=200, step=50, key="log_limit")
    full_only = c3.checkbox(t("pd_filter_full_only"), key="log_full_only")
    rows = attempt(people.access_log, actor, party_id=party.strip() or None, user=user.strip() or None,
                   unmasked_only=full_only, limit=int(limit))
    if rows is None:
        return
    st.caption(t("pd_log_count", n=len(rows)))
    access_table(rows)
    if st.button(t("pd_verify_log"), key="verify_log"):
        report = attempt(people.verify, actor)  # the whole register: its chains, seals and anchors
        if report is not None and report["ok"]:
            chains = report["chains"]
            st.success(t("pd_register_ok", rows=chains["person_access_log"]["rows"],
                         events=chains["person_event"]["rows"], versions=chains["person_version"]["rows"]))
        elif report is not None:
            st.error(t("pd_register_bad", n=len(report["problems"])))
            st.dataframe(pd.DataFrame([{t("pd_col_table"): p["table"], t("pd_col_key"): str(p["key"]),
                                        t("pd_col_problem"): p["problem"]} for p in report["problems"]]),
                         hide_index=True)


# -- erasure ---------------------------------------------------------------------------------------

def _erasure(actor: Actor, people: PeopleService) -> None:
    st.caption(t("pd_erase_intro"))
    erased = session.locked("erasure")
    if erased:  # done: what was erased, locked until another erasure is started
        _erased(erased)
        return
    pending = st.session_state.get(session.ERASE_PENDING)
    if pending:
        _confirm_erasure(actor, people, pending)
        return
    with st.form("erase_lookup"):
        c1, c2 = st.columns(2)
        number = c1.text_input(t("pd_find_by_id"), key="erase_resident_id")
        note = c2.text_input(t("pd_find_note"), key="erase_lookup_note")
        ok = st.form_submit_button(t("pd_find"))
    if ok:
        session.drop_read("erase_found")
        looked = attempt(lambda: {"found": people.lookup_resident_id(actor, number, "erasure_request",
                                                                     note=note.strip() or None)})
        if looked is not None:
            session.keep_read("erase_found", looked)
    looked = session.kept_read("erase_found")
    if looked and looked["found"] is None:
        st.info(t("pd_not_found"))
    elif looked:
        found = looked["found"]
        st.success(t("pd_found", party=found["party_id"], pseudonym=found["pseudonym"]))
        _start_button(found["party_id"], "erase_found")
    _choose_from_list(actor, people)


def _choose_from_list(actor: Actor, people: PeopleService) -> None:
    """The masked household list, read (and logged) only when the administrator asks for it."""
    listed = session.kept_read("admin_people")
    if listed is None:
        if st.button(t("pd_load_list"), key="load_admin_people"):
            read_once("admin_people", people.people, actor)
            st.rerun()
        return
    live = {p["party_id"]: f'{p["pseudonym"] or p["party_id"]} ({p["party_id"]}, {p["name"] or "—"})'
            for p in listed if not p["erased"]}
    if live:
        chosen = st.selectbox(t("pd_or_choose"), list(live), format_func=live.get, key="erase_choose")
        _start_button(chosen, "erase_chosen")
    with st.expander(t("pd_tab_list")):
        people_table(listed)
        reread_button("admin_people", "reread_admin_people")


def _start_button(party_id: str, key: str) -> None:
    if st.button(t("pd_erase_start"), key=key):
        st.session_state[session.ERASE_PENDING] = party_id
        st.rerun()


def _confirm_erasure(actor: Actor, people: PeopleService, party_id: str) -> None:
    """The second step: the grounds and an explicit tick, then the erasure itself."""
    with st.form("erase_confirm", border=True):
        st.markdown(f'**{t("pd_erase_confirm_header", party=party_id)}**')
        reason = st.text_input(t("pd_erase_reason"), key="erase_reason")
        sure = st.checkbox(t("pd_erase_check"), key="erase_sure")
        c1, c2 = st.columns(2)
        ok = c1.form_submit_button(t("pd_erase_confirm"), type="primary")
        cancel = c2.form_submit_button(t("pd_erase_cancel"))
    if cancel:
        st.session_state.pop(session.ERASE_PENDING, None)
        st.rerun()
    if ok and not sure:
        st.warning(t("pd_erase_tick"))
    elif ok:
        # no request id: erasing an erased record changes nothing (the service says "replayed")
        submit_once("erasure", people.erase, by_content=True, actor=actor, party_id=party_id, reason=reason,
                    on_success=_after_erasure)


def _after_erasure(_: dict) -> None:
    st.session_state.pop(session.ERASE_PENDING, None)
    session.drop_read("admin_people", "erase_found")


ERASE_FIELDS = ("erase_resident_id", "erase_lookup_note", "erase_reason", "erase_sure")


def _erased(out: dict) -> None:
    """The erasure just made. The person register is kept off the journal on purpose, so there
    is no entry to link; the access log holds its record, with the grounds."""
    if out.get("replayed"):
        message = t("pd_already_erased", party=out["party_id"])
    else:
        message = t("pd_erased_done", party=out["party_id"], versions=out["versions_destroyed"])
    show_recorded("erasure", message, detail=t("pd_erased_at", at=fmt.moment_text(out["erased_at"])),
                  new_label_key="pd_erase_another", fields=ERASE_FIELDS)


# -- payment officers ------------------------------------------------------------------------------

def _designations(actor: Actor, people: PeopleService) -> None:
    current = attempt(people.designations, actor)
    if current is None:
        return
    st.subheader(t("pd_designations"))
    if current:
        st.dataframe(pd.DataFrame([{t("username"): d["username"], t("col_party"): d["party_id"],
                                    t("pd_granted_by"): d["granted_by"], t("pd_granted_at"): fmt.moment_text(d["granted_at"])}
                                   for d in current]), hide_index=True, width="stretch")
    else:
        st.caption(t("pd_no_designations"))
    changed = session.locked("designation")
    if changed:  # one change per form instance: the list above moved, so the buttons wait for "continue"
        show_recorded("designation", t("pd_revoked", username=changed["username"]) if "revoked" in changed
                      else t("pd_designated", username=changed["username"]))
        return
    for d in current:
        if st.button(f'{t("pd_revoke")}: {d["username"]}', key=f'revoke_{d["username"]}'):
            submit_once("designation", people.revoke, by_content=True, actor=actor, username=d["username"])
    designated = {d["username"] for d in current}
    users = [u for u in admin.list_users(get_service(), actor)
             if u["role"] == "collection_centre" and u["active"] and u["username"] not in designated]
    if not users:
        st.caption(t("pd_no_centre_users"))
        return
    labels = {u["username"]: f'{u["display_name"] or u["username"]} ({u["username"]}, {u["party_id"]})' for u in users}
    chosen = st.selectbox(t("pd_designate_user"), list(labels), format_func=labels.get, key="designate_user")
    if st.button(t("pd_designate"), key="designate"):
        submit_once("designation", people.designate, by_content=True, actor=actor, username=chosen)
