"""Shared page helpers: the cached service, catalogue text, refusals, role guards."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger import catalogue
from sinkledger.services import queries as ui_queries
from sinkledger.ui import session
from sinkledger.ui.maps import counties_geojson
from sinkledger.ui.text import t
from sinkledger.ui.wiring import get_people, get_service  # noqa: F401 - the pages import them from here
from sinkledger_base.errors import SinkLedgerError
from sinks import SINK_TYPES, SinkType

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service

log = logging.getLogger("sinkledger.app")


def show_refusal(exc: SinkLedgerError) -> None:
    """A refusal's catalogue message in the chosen language, plus every listed problem."""
    st.error(catalogue.message(exc, session.lang()))
    problems = catalogue.localise(exc.params.get("problems"))
    if isinstance(problems, list):
        key = "message_zh" if session.lang() == "zh" else "message_en"
        for p in problems[:50]:
            if isinstance(p, dict) and key in p:
                st.caption(f"{t('row_label', row=p.get('row') or '-')}: {p[key]}")


def show_unexpected(exc: Exception) -> None:
    """Never a traceback: log it for the operator, tell the user in their language."""
    log.exception("unexpected error in a page")
    st.error(t("unexpected_error", kind=type(exc).__name__))


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the service; on a refusal show its message and return None."""
    try:
        return fn(*args, **kwargs)
    except SinkLedgerError as exc:
        show_refusal(exc)
    except Exception as exc:  # noqa: BLE001 - the user sees a message, the log keeps the detail
        show_unexpected(exc)
    return None


def submit_once(form: str, fn: Callable[..., Any], *, by_content: bool = False,
                on_success: Callable[[Any], None] | None = None, **kwargs: Any) -> Any:
    """Run a command as ``form``'s current instance and lock the form on success: the one way a
    page changes the ledger or the database (``tests/ui/test_forms_rule.py`` fails on any other).

    The request id stays with the form instance until :func:`session.new_form`, so a double
    click, a second press that arrives before the page is redrawn, or a retry is the same
    command and the ledger records it once. ``by_content`` is for the few commands that take no
    request id because the service makes a repeat harmless by its content (the person register:
    an erased record stays erased; a certificate of the same facts has the same code): the lock
    still keeps a second press from reaching them. A pending confirmation of ``form`` ends here,
    whatever the outcome. On success ``on_success(result)`` runs (state the next run needs, e.g.
    a read to drop) and the page reruns, so every figure on it is read again after the change.
    """
    extra = {} if by_content else {"request_id": session.request_id(form)}
    result = attempt(fn, **extra, **kwargs)
    with uninterrupted():  # what the command did is kept before a second press may end this run
        st.session_state.get(session.CONFIRMING, {}).pop(form, None)
        if result is not None:
            session.lock(form, result)
            if on_success is not None:
                on_success(result)
    if result is not None:
        st.rerun()
    return result


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Session-state updates that a rerun request cannot cut short.

    Streamlit ends a run at the first read or write of ``st.session_state`` after a rerun is
    requested (a second press that arrived while a slow command ran). Between a command's return
    and the form's lock that would drop the lock: the next run, still carrying the press, would
    send the command again (the request id makes that a replay, but the page would show the
    replay, e.g. "already erased", instead of what was done). Inside this block the state is
    updated whole; a pending rerun happens at the run's next Streamlit call. Outside a script run
    (or if Streamlit's internals differ) it changes nothing."""
    # deferred: looked up at each call, so that a test can stand in a script run
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    state = getattr(ctx, "session_state", None)
    check = getattr(state, "_yield_callback", None)
    if check is None:
        yield
        return
    object.__setattr__(state, "_yield_callback", _no_check)
    try:
        yield
    finally:
        object.__setattr__(state, "_yield_callback", check)


def _no_check() -> None:
    return None


def entry_link(seq: int) -> str:
    """A markdown link to journal entry ``seq`` on the public registry page."""
    return f"[{t('entry_link', seq=seq)}](registry?entry={int(seq)})"


def new_form_button(form: str, label_key: str, *fields: str) -> None:
    """The button that closes ``form``'s locked instance and opens a new, empty one."""
    st.button(t(label_key), key=f"new_{form}", on_click=session.new_form, args=(form, *fields))


def show_recorded(form: str, message: str, *, seq: int | None = None, detail: str | None = None,
                  new_label_key: str | None = "new_action", fields: tuple[str, ...] = ()) -> None:
    """A locked form's instance: what was recorded, the link to its journal entry (when it made
    one), and the button that opens a new instance (``None``: the page offers none)."""
    st.success(message)
    links = [part for part in (detail, entry_link(seq) if seq is not None else None) if part]
    if links:
        st.markdown(" · ".join(links))
    if new_label_key is not None:
        new_form_button(form, new_label_key, *fields)


def confirmed(form: str, asked: bool, question: str) -> bool:
    """Two steps for an irreversible act: ``asked`` (its button was pressed) shows ``question``
    with Confirm and Cancel; True on the run where Confirm is pressed, False otherwise.

    The question stays asked until the command has run (:func:`submit_once` ends it), so a
    Confirm pressed twice, or a run cut short by a second press, still reaches the command."""
    pending = st.session_state.setdefault(session.CONFIRMING, {})
    if asked:
        pending[form] = True
    if not pending.get(form):
        return False
    st.warning(question)
    yes, no = st.columns(2)
    if yes.button(t("confirm_yes"), key=f"confirm_{form}", type="primary"):
        return True
    if no.button(t("confirm_cancel"), key=f"cancel_{form}"):
        pending.pop(form, None)
        st.rerun()
    return False


def asking(form: str) -> bool:
    """Whether ``form``'s irreversible act waits for its confirmation (a question on the page)."""
    return bool(st.session_state.get(session.CONFIRMING, {}).get(form))


def require_roles(*roles: str) -> Any:
    """The signed-in actor if its role is one of ``roles``; else a notice and stop the page.

    Hidden pages are not reachable from the menu, but the check is repeated here (and again in
    the service) so that a page never acts for a role it was not meant for.
    """
    actor = session.actor()
    if actor is None or actor.role.value not in roles:
        st.warning(t("page_not_for_role"))
        st.stop()
    return actor


def sink_name(sink_type: str, lang: str | None = None) -> str:
    spec = SINK_TYPES[SinkType(sink_type)]
    return spec.name_zh if (lang or session.lang()) == "zh" else spec.name_en


def role_name(role: str) -> str:
    return t(f"role_{role}")


def county_names(service: Service) -> dict[str, str]:
    """County code → name in the chosen language, from the offline county layer."""
    lang = session.lang()
    return {f["properties"]["code"]: f["properties"]["name_zh" if lang == "zh" else "name_en"]
            for f in counties_geojson(str(service.settings.counties_path))["features"]}


def cached_version() -> int:
    """The ledger's version for cache keys (changes with every journal entry)."""
    return ui_queries.ledger_version(get_service())


@st.cache_resource(show_spinner=False, max_entries=4)
def _party_names(database: str, version: int) -> Mapping[str, str]:
    return MappingProxyType({p["party_id"]: p["name"] or p["party_id"] for p in get_service().parties()})


def party_names() -> Mapping[str, str]:
    """Party id → display name (households by their pseudonym), read once per ledger version and
    shared, read-only, by every session and run: pages look names up row by row, and a copy per
    call (what ``st.cache_data`` hands out) of 51,000 names cost about 10 ms each time."""
    service = get_service()
    return _party_names(service.settings.database_url, cached_version())
