"""Choosing parcels on a page without listing the register (issue 17): a search box by code
prefix and a multiselect of at most ``LIST_ROWS`` parcels that match it, read through
:func:`sinkledger.services.tiles.parcel_list` (no geometry). Codes already chosen stay choosable
when the search changes, so a choice is built up search by search."""

from __future__ import annotations

import functools

import streamlit as st

from sinkledger.services import tiles
from sinkledger.ui.common import get_service
from sinkledger.ui.text import t

LIST_ROWS = 200  # a multiselect lists at most this many parcels (type a code's start for the others)


class Picked:
    """What a picker returned: the codes chosen, the search typed and the parcels matching it."""

    def __init__(self, chosen: list[str], search: str, listed: int, holder: str | None,
                 sink_type: str | None) -> None:
        self.chosen, self.search, self.listed = chosen, search, listed
        self.holder, self.sink_type = holder, sink_type

    @functools.cached_property
    def matching(self) -> int:
        """How many parcels match the search (one count, once; only asked when it matters)."""
        if self.listed < LIST_ROWS:
            return self.listed
        return tiles.parcel_count(get_service(), holder=self.holder, sink_type=self.sink_type, search=self.search)

    def every_matching_code(self) -> list[str]:
        """Every matching code (codes only), for a command over "all of them", read when it runs."""
        return tiles.parcel_codes(get_service(), holder=self.holder, sink_type=self.sink_type, search=self.search)


def parcel_picker(label: str, key: str, *, holder: str | None = None, sink_type: str | None = None,
                  placeholder: str = "AJ-BF-") -> Picked:
    """A search box (``{key}_search``) and a multiselect (``key``) of the active parcels of
    ``holder`` and ``sink_type`` whose code starts with the search, at most ``LIST_ROWS``."""
    search = st.text_input(t("parcel_search"), key=f"{key}_search", placeholder=placeholder)
    listed = [p["parcel_code"] for p in tiles.parcel_list(get_service(), holder=holder, sink_type=sink_type,
                                                          search=search, limit=LIST_ROWS)]
    kept = [c for c in st.session_state.get(key) or [] if c not in set(listed)]
    chosen = st.multiselect(label, sorted(kept + listed), key=key, placeholder=t("pd_choose"))
    picked = Picked(list(chosen), search.strip(), len(listed), holder, sink_type)
    if len(listed) == LIST_ROWS:
        st.caption(t("parcel_choice_more", shown=LIST_ROWS, n=picked.matching))
    return picked
