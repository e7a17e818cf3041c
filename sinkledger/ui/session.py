"""Every ``st.session_state`` key the app uses, in one place, with small accessors.

A signed-in user is kept as a plain dict (``username``, ``role``, ``party_id``,
``display_name``) under :data:`USER`; the service's ``Actor`` is rebuilt from it for each call,
so every page acts with exactly the identity the sign-in established.
"""

from __future__ import annotations

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
DEFAULT_LANG = "zh"


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
    st.session_state[USER] = {"username": signed.username, "role": signed.role.value,
                              "party_id": signed.party_id, "display_name": display_name}


def sign_out() -> None:
    """Forget the user and everything they had under way (keep only the language)."""
    keep = {LANG: lang()}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state.update(keep)


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
