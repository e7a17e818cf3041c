"""A command's outcome is kept whole even when a second press asks for a rerun meanwhile.

Streamlit ends a run at the next read or write of ``st.session_state`` once a rerun is requested
(``SafeSessionState`` calls the runner's yield check on every access). ``submit_once`` updates the
form's lock inside :func:`sinkledger.ui.common.uninterrupted`, so the lock is written before the
run ends; otherwise the next run, still carrying the press, sends the command again (seen in the
browser: a double-clicked erasure said "already erased"). Checked here on Streamlit's own
``SafeSessionState``: should Streamlit rename what this relies on, this test fails."""

from __future__ import annotations

import pytest
from streamlit.runtime.state import SafeSessionState, SessionState

from sinkledger.ui import common


class Rerun(Exception):
    pass


class Ctx:
    def __init__(self, state: SafeSessionState) -> None:
        self.session_state = state


def test_state_updates_inside_the_block_are_not_cut_short_and_the_check_comes_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked = []

    def pending_rerun() -> None:  # what the runner does once a rerun was requested
        asked.append(True)
        raise Rerun

    state = SafeSessionState(SessionState(), pending_rerun)
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx",
                        lambda suppress_warning=False: Ctx(state))
    with pytest.raises(Rerun):  # outside the block: the first access ends the run, nothing written
        state["lock"] = "first"
    assert "lock" not in state._state  # type: ignore[attr-defined]
    with common.uninterrupted():
        state["lock"] = {"seq": 7}
        state["confirming"] = {}
        assert state["lock"] == {"seq": 7}
    assert len(asked) == 1  # not called inside the block
    with pytest.raises(Rerun):  # the pending rerun happens at the next access
        state["other"] = 1
    assert state._state["lock"] == {"seq": 7}  # type: ignore[attr-defined]


def test_outside_a_script_run_or_on_other_internals_the_block_just_runs(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No run context (a service call from a script or a test): the block's body runs, nothing
    is patched. A context whose state has no yield check (Streamlit changed): the same, and the
    state is left as it was."""
    ran = []
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx", lambda suppress_warning=False: None)
    with common.uninterrupted():
        ran.append("no context")

    class Plain:
        pass

    state = Plain()
    monkeypatch.setattr("streamlit.runtime.scriptrunner.get_script_run_ctx",
                        lambda suppress_warning=False: Ctx(state))  # type: ignore[arg-type]
    with common.uninterrupted():
        ran.append("other internals")
    assert ran == ["no context", "other internals"]
    assert vars(state) == {}
