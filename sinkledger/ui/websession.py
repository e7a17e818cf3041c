"""Signing in and out, and staying signed in across a reload or a new tab.

Sign-in opens a server-side session (:mod:`sinkledger.services.sessions`) whose random token the
browser keeps in the cookie ``sinkledger_session``; :func:`restore` (run first on every script
run) resumes it on a new websocket and re-checks it on every run, so deactivating a user,
changing its role or resetting its password ends its open sessions at their next click.
Sign-out deletes the session and the cookie. ``docs/app.md`` ("Staying signed in") has the
reasoning.
"""

from __future__ import annotations

import json
import logging

import streamlit as st

from ledger.permissions import Actor
from sinkledger.services import sessions as web_sessions
from sinkledger.services import signin_guard
from sinkledger.services.sessions import COOKIE_NAME, LIFETIME
from sinkledger.ui.session import LANG, TOKEN, USER, lang
from sinkledger.ui.text import t
from sinkledger.ui.wiring import get_service

log = logging.getLogger("sinkledger.app")


def sign_in(signed: Actor, display_name: str) -> None:
    """Sign ``signed`` (just authenticated) in: a new server-side session, whose token the
    browser keeps. Any session this tab had before is ended first (a fresh token at every
    sign-in, never one the browser offered)."""
    service = get_service()
    web_sessions.close_session(service, st.session_state.get(TOKEN))
    st.session_state[TOKEN] = web_sessions.open_session(service, signed)
    st.session_state[USER] = {"username": signed.username, "role": signed.role.value,
                              "party_id": signed.party_id, "display_name": display_name}


def sign_out() -> None:
    """End the server-side session, forget the user and everything they had under way (keep
    only the language); the next run clears the browser's cookie."""
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
    try:
        return st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - no request context (bare scripts, some test harnesses)
        return None


def client_address() -> str:
    """The address sign-in attempts are counted under (:mod:`sinkledger.services.signin_guard`).

    ``st.context.ip_address`` is the TCP peer of the websocket as uvicorn sees it (uvicorn already
    resolves ``X-Forwarded-For`` for a loopback peer; Streamlit reports a loopback peer as None);
    when that peer is a trusted proxy (``SINKLEDGER_TRUSTED_PROXIES``, by default
    127.0.0.1 and ::1), the right-most untrusted address of its ``X-Forwarded-For`` header is the
    client. ``unknown`` when there is no request context at all. ``docs/app.md`` has the details.
    """
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no request context (bare scripts, some test harnesses)
        return signin_guard.UNKNOWN_CLIENT
    try:
        return signin_guard.client_address(peer, forwarded, get_service().settings.sign_in.trusted_proxies)
    except Exception:  # noqa: BLE001 - never let a strange header break the sign-in page
        log.exception("could not tell the client address")
        return signin_guard.UNKNOWN_CLIENT


def restore() -> None:
    """Resume the browser's session on a new websocket (reload, new tab), and re-check an open
    one on every run: a session that ended (sign-out elsewhere, expiry, the user deactivated,
    given another role or a new password) signs this tab out. Never raises."""
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
