"""Every ``st.session_state`` key the app uses, in one place, with small accessors.

A signed-in user is kept as a plain dict (``username``, ``role``, ``party_id``,
``display_name``) under :data:`USER`; the service's ``Actor`` is rebuilt from it for each call,
so every page acts with exactly the identity the sign-in established.

Signing in and out, and staying signed in across reloads, is :mod:`sinkledger.ui.websession`;
this module is the bottom of the UI package: it imports nothing else of the app.
"""

from __future__ import annotations

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
REGISTRY_SEARCH = "registry_search"  # the public registry page's search kind (kept across a language switch)
REGISTRY_OFFSET = "registry_offset"  # the first item of the public registry's retirement list shown
LOCKED = "locked_forms"  # form name → what its instance recorded (the form shows it, locked, until a new one)
CONFIRMING = "confirming"  # form name → True while an irreversible act waits for its confirmation
UPLOAD_COLUMNS = "upload_columns"  # an uploaded file's id → its columns (read once, for the field mapping)
EXPORT_FILE = "export_file"  # the parcel export last prepared (name, format, count, bytes) for download
SALES_PREVIEW = "sales_preview"  # (file id, ledger version, preview) of the sales file being imported
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


def request_id(form: str) -> str:
    """The request id for ``form``'s next submission: a retry (double click, lost reply) reuses
    it, so the ledger records the command once; :func:`done` starts a fresh one."""
    ids = st.session_state.setdefault(REQUEST_IDS, {})
    if form not in ids:
        ids[form] = f"ui:{form}:{uuid.uuid4().hex}"
    return ids[form]


def use_request_id(form: str, request_id: str) -> None:
    """``form``'s next submission uses ``request_id``: one derived from what it submits (a file's
    rows), so that submitting the same thing again, even from another instance, is a retry."""
    st.session_state.setdefault(REQUEST_IDS, {})[form] = request_id


def done(form: str, result: Any) -> None:
    st.session_state.setdefault(REQUEST_IDS, {}).pop(form, None)
    st.session_state.setdefault(LAST_RESULT, {})[form] = result


def lock(form: str, result: Any) -> None:
    """``form``'s instance recorded ``result``: it keeps its request id (a second click, a reload
    or a retry of the same instance is the same command: the ledger records it once) and shows
    the result, locked, until :func:`new_form` starts another instance."""
    st.session_state.setdefault(LOCKED, {})[form] = result


def locked(form: str) -> Any:
    """What ``form``'s current instance recorded, or None while it is open."""
    return st.session_state.get(LOCKED, {}).get(form)


def new_form(form: str, *fields: str) -> None:
    """Start a new instance of ``form``: a fresh request id, no result, its ``fields`` (widget
    keys) back to their defaults. Meant as a button's ``on_click`` (before the widgets exist)."""
    st.session_state.setdefault(REQUEST_IDS, {}).pop(form, None)
    st.session_state.setdefault(LOCKED, {}).pop(form, None)
    st.session_state.setdefault(LAST_RESULT, {}).pop(form, None)
    for field in fields:
        st.session_state.pop(field, None)


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
