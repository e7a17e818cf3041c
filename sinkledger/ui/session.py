"""Every ``st.session_state`` key the app uses, in one place, with small accessors.

A signed-in user is kept as a plain dict (``username``, ``role``, ``party_id``,
``display_name``) under :data:`USER`; the service's ``Actor`` is rebuilt from it for each call,
so every page acts with exactly the identity the sign-in established.

Staying signed in across a reload or a new tab: sign-in opens a server-side session
(:mod:`sinkledger.web_sessions`) whose random token the browser keeps in the cookie
``sinkledger_session``; :func:`restore` (run first on every script run) resumes it on a new
websocket and re-checks it on every run, so deactivating a user, changing its role or resetting
its password ends its open sessions at their next click. Sign-out deletes the session and the
cookie. ``docs/app.md`` ("Staying signed in") has the reasoning.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import streamlit as st

from ledger.domain import Role
from ledger.permissions import Actor

LANG = "lang"  # "zh" (default) or "en"; also the language radio's widget key
USER = "user"  # the signed-in user, or absent for the public
REQUEST_IDS = "request_ids"  # form name → the request id its next submission uses
LAST_RESULT = "last_result"  # form name → the result of its last successful submission
DRAWN = "drawn_geometry"  # a GeoJSON geometry injected by tests instead of the draw tool
UPLOAD_PREVIEW = "upload_preview"  # the preview of the file being registered
BASEMAP = "basemap"  # "none" (offline) or "osm" / "tianditu"
TOKEN = "session_token"  # this browser's web-session token (also in its cookie); absent if none
READS = "people_reads"  # page name → its last read of personal data (each read is logged: no rereads)
ERASE_PENDING = "erase_pending"  # the party id an administrator asked to erase, awaiting confirmation
BATCH_RESULT = "batch_result"  # the last batch estimate's summary
DEFAULT_LANG = "zh"

log = logging.getLogger("sinkledger.app")


def lang() -> str:
    return st.session_state.get(LANG, DEFAULT_LANG)


def user() -> dict[str, Any] | None:
    return st.session_state.get(USER)


def actor() -> Actor | None:
    u = user()
    return Actor(u["username"], Role(u["role"]), u["party_id"]) if u else None


def role() -> str:
    u = user()
    return u["role"] if u else Role.public.value


def sign_in(signed: Actor, display_name: str) -> None:
    """Sign ``signed`` (just authenticated) in: a new server-side session, whose token the
    browser keeps. Any session this tab had before is ended first (a fresh token at every
    sign-in, never one the browser offered)."""
    from sinkledger import web_sessions
    from sinkledger.ui.common import get_service

    service = get_service()
    web_sessions.close_session(service, st.session_state.get(TOKEN))
    st.session_state[TOKEN] = web_sessions.open_session(service, signed)
    st.session_state[USER] = {"username": signed.username, "role": signed.role.value,
                              "party_id": signed.party_id, "display_name": display_name}


def sign_out() -> None:
    """End the server-side session, forget the user and everything they had under way (keep
    only the language); the next run clears the browser's cookie."""
    from sinkledger import web_sessions
    from sinkledger.ui.common import get_service

    token = st.session_state.get(TOKEN)
    if token:
        try:
            web_sessions.close_session(get_service(), token)
        except Exception:
            log.exception("could not end the web session")
    _forget()


def _forget() -> None:
    keep = {LANG: lang()}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state.update(keep)


def browser_token() -> str | None:
    """The session token the browser sent when this websocket opened (its cookie), if any."""
    from sinkledger.web_sessions import COOKIE_NAME

    try:
        return st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - no request context (bare scripts, some test harnesses)
        return None


def restore() -> None:
    """Resume the browser's session on a new websocket (reload, new tab), and re-check an open
    one on every run: a session that ended (sign-out elsewhere, expiry, the user deactivated,
    given another role or a new password) signs this tab out. Never raises."""
    from sinkledger import web_sessions
    from sinkledger.ui.common import get_service

    token = st.session_state.get(TOKEN) if USER in st.session_state else browser_token()
    if not token:
        return  # the public, or a user put in the session directly by a trusted caller (tests)
    try:
        found = web_sessions.resume(get_service(), token)
    except Exception:
        log.exception("could not resume the web session")
        return
    if found is None:
        if USER in st.session_state:
            _forget()
            from sinkledger.ui.text import t

            st.toast(t("session_ended"))
        return
    st.session_state[TOKEN] = token
    st.session_state[USER] = found


def cookie_script() -> str | None:
    """The script that keeps the browser's cookie in step with this tab: set to the session's
    token while signed in, removed once signed out (None when there is nothing to do).

    The token goes only into the cookie: ``Path=/`` (every page), ``SameSite=Strict`` (never
    sent by another site's requests), ``Secure`` under https, and a lifetime no longer than
    the session's. It is not ``HttpOnly``, because Streamlit has no server route to set one.
    """
    from sinkledger.web_sessions import COOKIE_NAME, LIFETIME

    token = st.session_state.get(TOKEN) if USER in st.session_state else None
    if token:
        value, max_age = token, int(LIFETIME.total_seconds())
    elif browser_token() is not None:
        value, max_age = "", 0
    else:
        return None
    cookie = json.dumps(f"{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; SameSite=Strict")
    return ("<script>(function(){var c=" + cookie + ";if(location.protocol==='https:'){c+='; Secure';}"
            "document.cookie=c;})();</script>")


def request_id(form: str) -> str:
    """The request id for ``form``'s next submission: a retry (double click, lost reply) reuses
    it, so the ledger records the command once; :func:`done` starts a fresh one."""
    ids = st.session_state.setdefault(REQUEST_IDS, {})
    if form not in ids:
        ids[form] = f"ui:{form}:{uuid.uuid4().hex}"
    return ids[form]


def done(form: str, result: Any) -> None:
    st.session_state.setdefault(REQUEST_IDS, {}).pop(form, None)
    st.session_state.setdefault(LAST_RESULT, {})[form] = result


def last_result(form: str) -> Any:
    return st.session_state.get(LAST_RESULT, {}).get(form)


def kept_read(name: str) -> Any:
    """The last read of personal data a page kept (reading again would log another access)."""
    return st.session_state.get(READS, {}).get(name)


def keep_read(name: str, value: Any) -> None:
    st.session_state.setdefault(READS, {})[name] = value


def drop_read(*names: str) -> None:
    reads = st.session_state.get(READS, {})
    for name in names or tuple(reads):
        reads.pop(name, None)
