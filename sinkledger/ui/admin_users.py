"""Administrator: users and roles (create, change role, deactivate, reset password), parties, and
sign-in locks (user names and client addresses held back after failed sign-ins, with the log of
failures and an unlock action: :mod:`sinkledger.services.signin_guard`), and institutions' API
keys (create, with the key shown once; revoke; the latest uses: :mod:`sinkledger.services.apikeys`).

A role change, deactivation or password reset also ends the user's open web sessions (each
session re-checks its user on every click anyway; this removes them at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from ledger.domain import ROLE_PARTY_KINDS, PartyKind, Role
from sinkledger.services import admin, apikeys, signin_guard
from sinkledger.services import sessions as web_sessions
from sinkledger.ui import format as fmt
from sinkledger.ui import session
from sinkledger.ui.common import get_service, require_roles, role_name, show_recorded, submit_once
from sinkledger.ui.text import labeller, t

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

ROLES = [r.value for r in Role if r is not Role.public]
PARTY_KINDS = [k.value for k in PartyKind if k not in (PartyKind.registry, PartyKind.public)]


def users_page() -> None:
    actor = require_roles("admin")
    service = get_service()
    st.title(t("page_users"))
    users = admin.list_users(service, actor)
    st.dataframe(pd.DataFrame([{t("username"): u["username"], t("display_name"): u["display_name"],
                                t("col_role"): role_name(u["role"]), t("col_party"): u["party_name"] or u["party_id"],
                                t("col_active"): t("yes") if u["active"] else t("no")} for u in users]),
                 hide_index=True, width="stretch")
    parties = {p["party_id"]: f'{p["name"] or p["party_id"]} ({p["party_id"]})' for p in service.parties()}
    tab_new, tab_edit, tab_party, tab_locks, tab_keys = st.tabs([t("create_user"), t("edit_user"),
                                                                 t("register_party"), t("signin_locks_tab"),
                                                                 t("api_keys_tab")])
    with tab_new:
        _create_form(actor, service, parties)
    with tab_edit:
        _edit_user(actor, service, users, parties)
    with tab_party:
        _party_form(actor, service)
    with tab_locks:
        _sign_in_locks(actor, service)
    with tab_keys:
        _api_keys(actor, service, users, parties)


NEW_USER_FIELDS = ("new_username", "new_display", "new_password")


def _create_form(actor: Actor, service: Service, parties: dict[str, str]) -> None:
    """A new user: the party choices follow the role chosen (a cooperative's user acts for a
    collective, a bank's for a bank...); once created, the user is in the table above at once."""
    created = session.locked("create_user")
    if created:
        show_recorded("create_user", t("user_created", username=created["username"]), seq=created["seq"],
                      new_label_key="new_user", fields=NEW_USER_FIELDS)
        return
    kinds = {p["party_id"]: p["kind"] for p in service.parties()}
    c1, c2 = st.columns(2)
    username = c1.text_input(t("username"), key="new_username")
    display = c2.text_input(t("display_name"), key="new_display")
    role = c1.selectbox(t("col_role"), ROLES, format_func=labeller("role_"), key="new_role")
    allowed = {k.value for k in ROLE_PARTY_KINDS.get(Role(role), ())}
    choices = [p for p in parties if kinds.get(p) in allowed]
    party = c2.selectbox(t("col_party"), choices, format_func=parties.get, key=f"new_party_{role}",
                         index=0 if len(choices) == 1 else None, placeholder=t("choose_party_for_role"))
    if not choices:
        c2.caption(t("no_party_for_role"))
    password = c1.text_input(t("password"), type="password", key="new_password")
    if st.button(t("create_user"), type="primary", key="create_user", disabled=party is None):
        submit_once("create_user", lambda **kw: admin.create_user(service, **kw), actor=actor, username=username,
                    password=password, role=role, party_id=party, display_name=display)


def _edit_user(actor: Actor, service: Service, users: list[dict[str, Any]], parties: dict[str, str]) -> None:
    """Change a user's role, activate or deactivate, reset the password: one change per form
    instance (shown with its entry, the buttons locked until the next change is started); each
    also ends the user's open web sessions."""
    changed = session.locked("edit_user")
    if changed:
        show_recorded("edit_user", _user_change_text(changed), seq=changed["seq"], fields=("reset_password",))
        return
    names = [u["username"] for u in users]
    chosen = st.selectbox(t("username"), names, key="edit_username")
    user = next(u for u in users if u["username"] == chosen)
    c1, c2 = st.columns(2)
    role = c1.selectbox(t("col_role"), ROLES, index=ROLES.index(user["role"]), format_func=labeller("role_"),
                        key="edit_role")
    end_sessions = {"on_success": lambda _: web_sessions.close_user_sessions(service, chosen)}
    if c1.button(t("set_role"), key="set_role"):
        submit_once("edit_user", lambda **kw: admin.set_role(service, **kw), actor=actor, username=chosen, role=role,
                    **end_sessions)  # signed in under the old role: ended now
    label = t("deactivate") if user["active"] else t("activate")
    if c2.button(label, key="toggle_active"):
        submit_once("edit_user", lambda **kw: admin.set_active(service, **kw), actor=actor, username=chosen,
                    active=not user["active"], **end_sessions)
    password = c2.text_input(t("new_password"), type="password", key="reset_password")
    if c2.button(t("reset_password"), key="reset_password_button"):
        submit_once("edit_user", lambda **kw: admin.reset_password(service, **kw), actor=actor, username=chosen,
                    password=password, **end_sessions)


def _user_change_text(change: dict[str, Any]) -> str:
    if change["change"] == "password_reset":
        return t("password_was_reset", username=change["username"])
    if change["change"] == "role_set":
        return t("user_role_set", username=change["username"], role=role_name(change["role"]))
    return t(f"user_{change['change']}", username=change["username"])


PARTY_FIELDS = ("party_id", "party_name", "party_county")


def _party_form(actor: Actor, service: Service) -> None:
    done = session.locked("party")
    if done:
        show_recorded("party", t("party_registered", party=done["party_id"], account=done["account_id"]),
                      seq=done["seq"], new_label_key="new_party", fields=PARTY_FIELDS)
        return
    with st.form("party_form"):
        c1, c2 = st.columns(2)
        party_id = c1.text_input(t("party_id"), key="party_id", placeholder="DEF-0001")
        kind = c2.selectbox(t("party_kind"), PARTY_KINDS, format_func=labeller("party_kind_"),
                            key="party_kind")
        name = c1.text_input(t("party_name"), key="party_name")
        county = c2.text_input(t("county_code"), key="party_county", placeholder="330521")
        ok = st.form_submit_button(t("register_party"), type="primary")
    if ok:
        submit_once("party", service.register_party, actor=actor, party_id=party_id.strip(), kind=kind,
                    name=name.strip(), county_code=county.strip() or None)


def _sign_in_locks(actor: Actor, service: Service) -> None:
    """User names and clients held back after failed sign-ins, an unlock action, and the log."""
    limits = service.settings.sign_in
    st.caption(t("signin_locks_rule", user_failures=limits.user_failures, client_failures=limits.client_failures,
                 delay_s=limits.delay_s, max_delay_s=limits.max_delay_s, forget_minutes=limits.forget_minutes))
    locks = signin_guard.locks(service, actor)
    # keyed by scope and subject (not by position: the list may change between two runs)
    by_key = {f'{k["scope"]}:{k["subject"]}': k for k in locks}
    if not locks:
        st.info(t("signin_locks_none"))
    else:
        st.dataframe(pd.DataFrame([{t("signin_col_scope"): t(f"signin_scope_{k['scope']}"),
                                    t("signin_col_subject"): k["subject"], t("signin_col_failures"): k["failures"],
                                    t("signin_col_last_failure"): fmt.moment_text(k["last_failure_at"]),
                                    t("signin_col_locked_until"): fmt.moment_text(k["locked_until"]),
                                    t("signin_col_locked"): t("yes") if k["locked"] else t("no"),
                                    t("signin_col_known"): t("yes") if k["known_user"] else t("no")}
                                   for k in locks]), hide_index=True, width="stretch")
    _unlock(actor, service, by_key)
    failures = signin_guard.recent_failures(service, actor, limit=200)
    if failures:
        st.subheader(t("signin_failures_header"))
        st.dataframe(pd.DataFrame([{t("signin_col_at"): fmt.moment_text(f["at"]),
                                    t("username"): f["username"], t("signin_col_client"): f["client"],
                                    t("signin_col_event"): t(f'signin_event_{f["event"]}'),
                                    } for f in failures]), hide_index=True, width="stretch")


def _unlock(actor: Actor, service: Service, by_key: dict[str, dict[str, Any]]) -> None:
    """Lift one lock; locked once done (the list moves on: a second press must not lift the next)."""
    lifted = session.locked("signin_unlock")
    if lifted:
        show_recorded("signin_unlock", t("signin_unlocked", subject=lifted["subject"]))
        return
    if not by_key:
        return
    labels = {key: t(f"signin_scope_{k['scope']}") + f": {k['subject']}" for key, k in by_key.items()}
    chosen = st.selectbox(t("signin_unlock_choice"), list(labels), format_func=labels.get, key="signin_unlock_choice")
    if st.button(t("signin_unlock"), key="signin_unlock") and chosen is not None:
        lock = by_key[chosen]  # lifting a lifted lock changes nothing: no request id of its own
        submit_once("signin_unlock", lambda **kw: signin_guard.unlock(service, **kw), by_content=True, actor=actor,
                    scope=lock["scope"], subject=lock["subject"])


def _api_keys(actor: Actor, service: Service, users: list[dict[str, Any]], parties: dict[str, str]) -> None:
    """Institutions' API keys: create one (shown once), the list, revoke, the latest uses."""
    limits = service.settings.api
    st.caption(t("api_keys_rule", rate_per_minute=limits.rate_per_minute, burst=limits.burst))
    made = session.locked("api_key")
    if made:
        key = made.pop("key", None)  # shown this once: the next run of the page no longer has it
        show_recorded("api_key", t("api_key_created", key_id=made["key_id"]), new_label_key="api_key_new",
                      fields=("api_key_label",))
        if key:
            st.code(key, language=None)
    else:
        _api_key_form(actor, service, users, parties)
    _api_key_list(actor, service)


def _api_key_form(actor: Actor, service: Service, users: list[dict[str, Any]], parties: dict[str, str]) -> None:
    own = t("api_key_own_actor")
    with st.form("api_key_form"):
        c1, c2 = st.columns(2)
        username = c1.selectbox(t("api_key_acts_as"), [own] + [u["username"] for u in users if u["active"]],
                                key="api_key_user")
        label = c2.text_input(t("api_key_label"), key="api_key_label", max_chars=80)
        role = c1.selectbox(t("col_role"), ROLES, format_func=labeller("role_"), key="api_key_role")
        party = c2.selectbox(t("col_party"), list(parties), format_func=parties.get, key="api_key_party")
        ok = st.form_submit_button(t("api_key_create"), type="primary")
    if ok:
        chosen = next((u for u in users if u["username"] == username), None)
        # a new key each call: only the form's lock keeps a second press from making another
        submit_once("api_key", lambda **kw: apikeys.create_key(service, **kw), by_content=True, actor=actor,
                    label=label, username=chosen["username"] if chosen else None,
                    role=chosen["role"] if chosen else role, party_id=chosen["party_id"] if chosen else party)


def _api_key_list(actor: Actor, service: Service) -> None:
    keys = apikeys.keys(service, actor)
    if not keys:
        st.info(t("api_keys_none"))
        return
    st.dataframe(pd.DataFrame([{t("api_key_col_id"): k["key_id"], t("col_role"): role_name(k["role"]),
                                t("col_party"): k["party_id"], t("api_key_col_actor"): k["username"],
                                t("api_key_label"): k["label"], t("api_key_col_created"): _minute(k["created_at"]),
                                t("api_key_col_last_used"): _minute(k["last_used_at"]),
                                t("api_key_col_revoked"): _minute(k["revoked_at"])} for k in keys]),
                 hide_index=True, width="stretch")
    active = [k["key_id"] for k in keys if k["revoked_at"] is None]
    revoked = session.locked("api_key_revoke")
    if revoked:
        show_recorded("api_key_revoke", t("api_key_revoked_toast", key_id=revoked["key_id"]))
    elif active:
        chosen = st.selectbox(t("api_key_revoke_choice"), active, key="api_key_revoke_choice")
        if st.button(t("api_key_revoke"), key="api_key_revoke") and chosen is not None:
            # revoking a revoked key changes nothing: no request id of its own
            submit_once("api_key_revoke", lambda **kw: apikeys.revoke_key(service, **kw), by_content=True,
                        actor=actor, key_id=chosen)
    uses = apikeys.uses(service, actor, limit=200)
    if uses:
        st.subheader(t("api_key_uses_header"))
        st.dataframe(pd.DataFrame([{t("signin_col_at"): _minute(u["at"]), t("api_key_col_id"): u["key_id"],
                                    t("signin_col_client"): u["client"],
                                    t("api_key_col_request"): f'{u["method"]} {u["path"]}',
                                    t("api_key_col_event"): t(f"api_key_event_{u['event']}")} for u in uses]),
                     hide_index=True, width="stretch")


def _minute(moment: str | None) -> str:
    return fmt.moment_text(moment)
