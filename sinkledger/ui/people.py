"""Households' personal data (个人信息, ``docs/personal-data.md`` §8): the household's own
details and who read them; the collection centre's and the collective's household lists, with
the centre's register and correct forms.

Every read goes through :class:`sinkledger.services.people.PeopleService`, which checks the role,
masks per the matrix and logs the read; the page keeps each result in the session (a rerun
must not log the read again) until the user reads again.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import (attempt, get_people, get_service, party_names, require_roles, show_recorded,
                                  submit_once)
from sinkledger.ui.text import labeller, t
from sinkledger_base.errors import NotFound

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.people import PeopleService

FIELDS = ("name", "resident_id", "phone", "bank_name", "bank_account")
OPTIONAL_FIELDS = ("phone", "bank_account", "bank_name")
LIST_ROLES = ("collection_centre", "cooperative")


def show(value: Any) -> str:
    return t("pd_not_recorded") if value in (None, "") else str(value)


def reread_button(name: str, key: str) -> None:
    """Read again (a new, logged read) on request; otherwise the kept result is shown."""
    st.caption(t("pd_read_logged"))
    if st.button(t("pd_refresh"), key=key):
        session.drop_read(name)
        st.rerun()


def read_once(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(...)`` once per page visit: the result is kept until :func:`reread_button`."""
    found = session.kept_read(name)
    if found is None:
        found = attempt(fn, *args, **kwargs)
        if found is not None:
            session.keep_read(name, found)
    return found


# -- household: my details -----------------------------------------------------------------------

def my_details_page() -> None:
    actor = require_roles("household")
    people = get_people()
    st.title(t("page_my_details"))
    details = session.kept_read("my_details")
    if details is None:
        details = _read_my_details(people, actor)
    if details is False:
        st.info(t("pd_my_none"))
    elif details is not None:
        _my_details(details)
        _correction_request(details)
    st.subheader(t("pd_who_read_header"))
    st.caption(t("pd_who_read_intro"))
    log = attempt(people.access_log, actor, limit=200)
    if log is not None:
        access_table(log, household=True)
    reread_button("my_details", "reread_my_details")


def _read_my_details(people: PeopleService, actor: Actor) -> Any:
    """The household's own details (a logged self-access read), or False if none are registered."""
    def read() -> Any:
        try:
            return people.my_details(actor)
        except NotFound:
            return False

    details = attempt(read)
    if details is None:
        return None
    session.keep_read("my_details", details)
    return details


def _my_details(d: dict[str, Any]) -> None:
    lang = session.lang()
    if d["erased"]:
        st.info(t("pd_my_erased", date=fmt.date_text((d["erased_at"] or "")[:10], lang)))
        return
    st.caption(t("pd_my_intro"))
    names = party_names()
    rows = [(t(f"pd_field_{f}"), show(d[f])) for f in FIELDS]
    rows += [(t("pd_field_purpose"), d["collection_purpose"]),
             (t("pd_field_consent_date"), fmt.date_text(d["consent_date"], lang)),
             (t("pd_col_handler"), names.get(d["handler_party_id"], d["handler_party_id"])),
             (t("pd_col_pseudonym"), f'{d["pseudonym"]} ({d["party_id"]})'),
             (t("pd_col_version"), str(d["version"]))]
    st.table(pd.DataFrame(rows, columns=[t("pd_col_field"), t("pd_col_value")]).set_index(t("pd_col_field")))


def _correction_request(d: dict[str, Any]) -> None:
    """A correction request to hand to the centre (the register has no request queue yet)."""
    if d["erased"]:
        return
    st.subheader(t("pd_request_header"))
    st.caption(t("pd_request_intro"))
    with st.form("correction_request"):
        fields = st.multiselect(t("pd_request_fields"), list(FIELDS), format_func=labeller("pd_field_"),
                                key="request_fields", placeholder=t("pd_choose"))
        note = st.text_input(t("pd_request_note"), max_chars=200, key="request_note")
        ok = st.form_submit_button(t("pd_request_submit"))
    if ok and not fields:
        st.warning(t("pd_request_pick"))
    elif ok:
        session.done("correction_request", _request_document(d, fields, note.strip()))
    request = session.last_result("correction_request")
    if request:
        st.success(t("pd_request_ready", ref=request["ref"]))
        st.download_button(t("pd_request_download"), request["text"].encode("utf-8"),
                           file_name=f'{request["ref"]}.txt', mime="text/plain", key="request_download")


def _request_document(d: dict[str, Any], fields: list[str], note: str) -> dict[str, str]:
    today = datetime.date.today().isoformat()
    ref = f'CR-{d["party_id"]}-{today.replace("-", "")}-{secrets.token_hex(2).upper()}'
    names = party_names()
    body = t("pd_request_doc_body", ref=ref, party=d["party_id"], pseudonym=d["pseudonym"],
             handler=names.get(d["handler_party_id"], d["handler_party_id"]),
             fields="、".join(t(f"pd_field_{f}") for f in fields) if session.lang() == "zh"
             else ", ".join(t(f"pd_field_{f}") for f in fields),
             note=note or "—", date=fmt.date_text(today, session.lang()))
    return {"ref": ref, "text": f'{t("pd_request_doc_title")}\n\n{body}\n'}


def access_table(rows: list[dict[str, Any]], *, household: bool = False) -> None:
    """Access-log rows as a table: when, who (organisation and role; the user too for the
    administrator), what, why, which fields and how much of each."""
    if not rows:
        st.caption(t("nothing_yet"))
        return
    names, lang = party_names(), session.lang()
    table = []
    for r in rows:
        row = {t("pd_col_seq"): r["seq"], t("pd_col_when"): f'{fmt.date_text(r["at"][:10], lang)} {r["at"][11:16]} UTC',
               t("pd_col_org"): names.get(r["actor_party_id"], r["actor_party_id"]),
               t("col_role"): t(f'role_{r["actor_role"]}')}
        if not household:
            row[t("pd_col_who")] = r["actor"]
            row[t("pd_col_person")] = r["party_id"] or ", ".join(r["detail"].get("party_ids", [])[:5])
        row |= {t("pd_col_action"): t(f'pd_action_{r["action"]}'),
                t("pd_col_purpose"): t(f'pd_purpose_{r["purpose"]}'), t("pd_col_note"): r["note"] or "",
                t("pd_col_fields"): fields_text(r["fields"])}
        table.append(row)
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


def fields_text(cells: dict[str, str]) -> str:
    sep = "、" if session.lang() == "zh" else ", "
    return sep.join(f'{t(f"pd_field_{f}")}: {t(f"pd_visibility_{v}")}' for f, v in cells.items()
                    if v != "absent")


# -- collection centre and collective: households ------------------------------------------------

def households_page() -> None:
    actor = require_roles(*LIST_ROLES)
    people = get_people()
    st.title(t("page_households"))
    caps = attempt(people.capabilities, actor) or {}
    centre = actor.role.value == "collection_centre"
    st.caption(t("pd_households_intro_centre") if centre else t("pd_households_intro_collective"))
    tabs = [t("pd_tab_list")] + [t("pd_tab_register")] * bool(caps.get("register")) \
        + [t("pd_tab_correct")] * bool(caps.get("correct"))
    tab = st.tabs(tabs)
    with tab[0]:
        listed = read_once("households", people.people, actor)
        people_table(listed or [])
        reread_button("households", "reread_households")
    if caps.get("register"):
        with tab[1]:
            register_form(actor, people, listed or [])
    if caps.get("correct"):
        with tab[-1]:
            correct_form(actor, people, listed or [])


def people_table(listed: list[dict[str, Any]]) -> None:
    if not listed:
        st.info(t("pd_nobody"))
        return
    # A field hidden from this role for everyone (a collective's view of banks) is left out.
    fields = [f for f in FIELDS if any(p["visibility"].get(f) != "hidden" for p in listed)]
    st.dataframe(pd.DataFrame([{t("party_id"): p["party_id"], t("pd_col_pseudonym"): p["pseudonym"],
                                **{t(f"pd_field_{f}"): show(p[f]) for f in fields},
                                t("pd_col_state"): t("pd_state_erased") if p["erased"] else t("pd_state_ok")}
                               for p in listed]), hide_index=True, width="stretch")
    st.caption(t("pd_masked_note"))


def register_form(actor: Actor, people: PeopleService, listed: list[dict[str, Any]]) -> None:
    if _registered_message():
        return
    st.caption(t("pd_register_intro"))
    live = {p["party_id"] for p in listed if not p["erased"]}
    households = {p["party_id"]: f'{p["name"] or p["party_id"]} ({p["party_id"]})'
                  for p in get_service().parties() if p["kind"] == "household" and p["party_id"] not in live}
    if not households:
        st.info(t("pd_no_unregistered"))
        return
    with st.form("person_register"):
        c1, c2 = st.columns(2)
        party = c1.selectbox(t("pd_household"), list(households), format_func=households.get, key="pr_party")
        values = {f: (c2 if i % 2 else c1).text_input(t(f"pd_field_{f}"), key=f"pr_{f}")
                  for i, f in enumerate(FIELDS)}
        purpose = c1.text_input(t("pd_field_purpose"), key="pr_purpose")
        consent = c2.date_input(t("pd_field_consent_date"), value=None, key="pr_consent",
                                max_value=datetime.date.today())
        ok = st.form_submit_button(t("pd_register_submit"), type="primary")
    if ok:
        # no request id: the same details again are a harmless retry (the service says "replayed");
        # the list is read again, with the new household
        submit_once("person_register", people.register, by_content=True, actor=actor, party_id=party,
                    purpose=purpose.strip(), consent_date=consent.isoformat() if consent else "",
                    **{f: (v.strip() or None) if f in OPTIONAL_FIELDS else v.strip() for f, v in values.items()},
                    on_success=lambda _: session.drop_read("households"))


REGISTER_FIELDS = tuple(f"pr_{f}" for f in (*FIELDS, "purpose", "consent"))
CORRECT_FIELDS = tuple(f"pc_{f}" for f in (*FIELDS, "purpose", "reason")) + tuple(f"pc_clear_{f}" for f in OPTIONAL_FIELDS)


def _registered_message() -> bool:
    """The registration just made, locked until another is started; False when there is none."""
    out = session.locked("person_register")
    if not out:
        return False
    if out["replayed"]:
        message = t("pd_register_replayed", party=out["party_id"])
    else:
        message = t("pd_registered", party=out["party_id"], version=out["version"])
    if "party_name_reveals_person" in out["warnings"]:
        st.warning(t("pd_warning_pseudonym"))
    show_recorded("person_register", message, new_label_key="pd_register_another", fields=REGISTER_FIELDS)
    return True


def correct_form(actor: Actor, people: PeopleService, listed: list[dict[str, Any]]) -> None:
    live = {p["party_id"]: f'{p["pseudonym"] or p["party_id"]} ({p["party_id"]})' for p in listed if not p["erased"]}
    if not live:
        st.info(t("pd_nobody"))
        return
    if _corrected_message():
        return
    st.caption(t("pd_correct_intro"))
    with st.form("person_correct"):
        party = st.selectbox(t("pd_household"), list(live), format_func=live.get, key="pc_party")
        c1, c2 = st.columns(2)
        values = {f: (c2 if i % 2 else c1).text_input(t(f"pd_field_{f}"), key=f"pc_{f}")
                  for i, f in enumerate(FIELDS + ("purpose",))}
        clear = {f: c1.checkbox(t("pd_clear_field", field=t(f"pd_field_{f}")), key=f"pc_clear_{f}")
                 for f in OPTIONAL_FIELDS}
        reason = st.text_input(t("pd_correct_reason"), key="pc_reason")
        ok = st.form_submit_button(t("pd_correct_submit"), type="primary")
    if not ok:
        return
    changes: dict[str, Any] = {f: v.strip() for f, v in values.items() if v.strip()}
    changes |= {f: None for f, on in clear.items() if on}
    if not changes:
        st.warning(t("pd_nothing_to_correct"))
        return
    # no request id: the register keeps every version; the form's lock keeps a second press away
    submit_once("person_correct", people.correct, by_content=True, actor=actor, party_id=party, changes=changes,
                reason=reason, on_success=lambda _: session.drop_read("households"))


def _corrected_message() -> bool:
    """The correction just made, locked until another is started; False when there is none."""
    out = session.locked("person_correct")
    if not out:
        return False
    sep = "、" if session.lang() == "zh" else ", "
    show_recorded("person_correct", t("pd_corrected", party=out["party_id"], version=out["version"],
                                      fields=sep.join(t(f"pd_field_{f}") for f in out["changed"])),
                  new_label_key="pd_correct_another", fields=CORRECT_FIELDS)
    return True
