"""sinkledger's Streamlit app: page config, session, language, sign-in and the pages per role.

Pages live in ``sinkledger/ui/``; they read widgets, call the service API and render results,
holding no business rules and no SQL. Start with ``streamlit run app.py``: on first start with
the default SQLite database, the database is created and seeded with the synthetic demo data.
"""

from __future__ import annotations

import streamlit as st

from sinkledger.ui import navigation, session
from sinkledger.ui.common import get_service, show_refusal, show_unexpected
from sinkledger_base.errors import SinkLedgerError

st.set_page_config(page_title="sinkledger", page_icon="🌿", layout="wide")


def main() -> None:
    st.session_state.setdefault(session.LANG, session.DEFAULT_LANG)
    navigation.sidebar()
    try:
        get_service().require_initialised()  # an empty database (not the demo's) says so on every page
        page = st.navigation(navigation.pages_for(session.role()))
        page.run()
    except SinkLedgerError as exc:
        show_refusal(exc)
    except Exception as exc:  # noqa: BLE001 - never a traceback on screen; the log keeps it
        show_unexpected(exc)


main()
