"""sinkledger's Streamlit app: page config, session, language, sign-in and the pages per role.

Pages live in ``sinkledger/ui/``; they read widgets, call the service API and render results,
holding no business rules and no SQL. Start with ``streamlit run app.py``: on first start with
the default SQLite database, the database is created and seeded with the synthetic demo data.

Run as a script (``__main__``: every session's run) this file draws the pages. Imported as a
module, which ``streamlit run app.py`` does first because of the ``app = st.App(...)`` below (as
would any ASGI server, ``uvicorn app:app``), it is the server: Streamlit plus the app's own routes,
the parcel vector tiles the maps draw (``sinkledger/ui/routes.py``, docs/maps.md).
"""

from __future__ import annotations

import streamlit as st

if __name__ == "__main__":
    from sinkledger.ui import activity, warmup

    warmup.wait_for_imports()  # a page never imports beside the server's warm-up (sinkledger/ui/warmup.py)
    activity.visited()  # ... whose later work waits for a quiet server (sinkledger/ui/activity.py)
    st.set_page_config(page_title="sinkledger", page_icon="🌿", layout="wide")

    from sinkledger.ui import heap, navigation, session
    from sinkledger.ui.common import get_service, show_refusal, show_unexpected
    from sinkledger_base.errors import SinkLedgerError

    def main() -> None:
        navigation.restore_language()  # from the address (?lang=en) on a reload, else the default
        navigation.sidebar()
        try:
            get_service().require_initialised()  # an empty database (not the demo's) says so on every page
            page = st.navigation(navigation.pages_for(session.role(), navigation.requested_page()))
            navigation.localise_widgets_for(page, session.role())
            page.run()
        except SinkLedgerError as exc:
            show_refusal(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen; the log keeps it
            show_unexpected(exc)
        heap.settle()  # after the process's first page (docs/architecture.md, "The app server's heap")

    main()
else:
    import os

    from sinkledger.config import file_limits_from_env
    from sinkledger.ui import heap, shell, warmup
    from sinkledger.ui.routes import ROUTES
    from sinkledger.ui.sitemap import PAGES
    from sinkledger.ui.widgets import apply_upload_limit

    # the server accepts uploads as large as the settings' largest parcel file (SINKLEDGER_MAX_FILE_MB)
    try:
        apply_upload_limit(file_limits_from_env(os.environ).max_file_bytes)
    except ValueError:
        pass  # a bad setting: every page says so (the settings are loaded again there)
    heap.arm()  # the server's heap is frozen after its first page (sinkledger/ui/heap.py)
    warmup.start()  # the pages' libraries and the overview's tiles, before the first visitor (sinkledger/ui/warmup.py)
    # each page's address answers Streamlit's index.html telling the front end where the server is
    app = st.App(__file__, routes=[*ROUTES, *shell.routes(tuple(PAGES))])
