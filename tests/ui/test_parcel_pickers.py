"""Pages that choose parcels without listing the register (issue 17, point 2): the batch page and
the insurer's losses page offer at most ``LIST_ROWS`` parcels matching a code search, keep what
was chosen through a new search, and never read every parcel (``Service.parcels``)."""

from __future__ import annotations

import pytest

from sinkledger.services import tiles
from sinkledger.services.registry import Service
from sinkledger.ui import pickers
from sinkledger.ui.common import sink_name
from sinkledger.ui.text import text
from tests.ui.conftest import button, no_errors, no_full_read, open_app, service_for, texts  # noqa: F401 (fixture)


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def active(service, *, holder=None, sink_type=None):  # type: ignore[no-untyped-def]
    return sorted(p["parcel_code"] for p in Service.parcels(service, status="active")
                  if (holder is None or p["holder_party_id"] == holder)
                  and (sink_type is None or p["sink_type"] == sink_type))


@pytest.mark.parametrize(("user", "page"), [("centre", "batch"), ("coop", "batch"), ("insurer", "losses")])
def test_pages_that_choose_parcels_never_read_the_register(app_env, no_full_read, user, page) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=user, page=page)
    no_errors(at)
    assert no_full_read == []
    key = "batch_parcels" if page == "batch" else "loss_parcels"
    assert at.multiselect(key=key).options  # something to choose, read through the index


def test_the_choice_is_narrowed_by_search_capped_and_keeps_what_was_chosen(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    bamboo = active(service, sink_type="bamboo_forest")
    assert len(bamboo) > 5
    monkeypatch.setattr(pickers, "LIST_ROWS", 3)
    at = open_app(app_env, user="centre", page="batch")
    no_errors(at)
    assert at.multiselect(key="batch_parcels").options == bamboo[:3]  # the first three by code, no more
    assert zh("parcel_choice_more", shown=3, n=len(bamboo)) in texts(at, "caption")
    at.multiselect(key="batch_parcels").set_value([bamboo[0]]).run()
    wanted = bamboo[-1]
    at.text_input(key="batch_parcels_search").set_value(wanted).run()  # the full code: one match
    no_errors(at)
    assert at.multiselect(key="batch_parcels").options == sorted({bamboo[0], wanted})  # the first choice kept
    at.multiselect(key="batch_parcels").set_value([bamboo[0], wanted]).run()
    assert at.multiselect(key="batch_parcels").value == [bamboo[0], wanted]
    assert not any(c.startswith(zh("parcel_choice_more", shown=3, n=1)[:6]) for c in texts(at, "caption"))


def test_a_cooperative_searches_only_its_own_parcels(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    others = [c for c in active(service, sink_type="bamboo_forest") if c not in
              active(service, holder="COL-0001", sink_type="bamboo_forest")]
    assert others
    at = open_app(app_env, user="coop", page="batch")
    at.text_input(key="batch_parcels_search").set_value(others[0]).run()
    no_errors(at)
    assert at.multiselect(key="batch_parcels").options == []  # another holder's parcel is not offered


def test_a_batch_with_nothing_chosen_runs_on_every_parcel_matching_the_search(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    prefix = "AJ-BF-000"
    matching = [c for c in active(service, sink_type="bamboo_forest") if c.startswith(prefix)]
    assert 1 < len(matching) < len(active(service, sink_type="bamboo_forest"))
    asked: list[list[str]] = []

    def batch_estimate(self, actor, request_id, **kw):  # type: ignore[no-untyped-def]
        asked.append(list(kw["parcel_codes"]))
        raise AssertionError("stop here: the codes are what this test checks")

    monkeypatch.setattr(Service, "batch_estimate", batch_estimate)
    at = open_app(app_env, user="centre", page="batch")
    at.text_input(key="batch_parcels_search").set_value(prefix).run()
    no_errors(at)
    assert zh("batch_every_matching", n=len(matching), sink=sink_name("bamboo_forest", "zh")) in texts(at, "caption")
    button(at, zh("batch_run")).click().run()
    assert asked == [matching]


def test_holders_and_counts_are_read_for_the_codes_asked(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    everything = {p["parcel_code"]: p["holder_party_id"] for p in Service.parcels(service, status="active")}
    some = sorted(everything)[::7]
    assert tiles.parcel_holders(service, [*some, "NO-SUCH-PARCEL"]) == {c: everything[c] for c in some}
    assert tiles.parcel_holders(service, []) == {}
    assert tiles.parcel_count(service) == len(everything)
    assert tiles.parcel_count(service, search="AJ-BF-000") == len([c for c in everything if c.startswith("AJ-BF-000")])
    assert tiles.parcel_codes(service, sink_type="tea_garden") == active(service, sink_type="tea_garden")
    assert tiles.parcel_codes(service, search="%") == []  # a wildcard is a character, not a pattern
