"""The one service and person register per server process, built once (``st.cache_resource``).

The service modules are imported inside the functions on purpose: they pull in the database
layer and geopandas, and Streamlit renders the first paint before the first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from sinkledger.ui.text import t

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.people import PeopleService
    from sinkledger.services.registry import Service


@st.cache_resource(show_spinner=False)
def get_service() -> Service:
    """The one service per server process; an empty default database is seeded with the demo."""
    # deferred on purpose: the service stack loads on first use, after the first paint
    from sinkledger.config import load_settings
    from sinkledger.services.registry import Service

    settings = load_settings()
    service = Service.open(settings)
    if not service.is_initialised() and settings.seeds_demo_when_empty:
        # deferred on purpose: the service stack loads on first use, after the first paint
        from sinkledger.demo.seed import seed_demo

        with st.spinner(t("seeding")):
            bar = st.progress(0.0)
            # one full verify, at the end of the seeding, recorded: the overview shows its checkpoint
            seed_demo(service, progress=lambda i, n, label: bar.progress(min(i / max(n, 1), 1.0), text=label),
                      record=True)
            bar.empty()
    elif service.is_initialised():
        service.refresh_statistics()  # once a server process: the planner needs the tables' sizes
    return service


def get_people() -> PeopleService:
    """The person-register API of the one service (its key and cipher are built once)."""
    return get_service().people
