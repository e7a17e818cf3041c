"""Settings kept per party (issue 19, point 5): a parcel upload's field mapping, offered again on the
party's next upload by any of its users, in any later session; on both backends."""

from __future__ import annotations

import pytest

from sinkledger.services.registry import SYSTEM_ACTOR
from tests.ledger.conftest import assert_refused


@pytest.fixture
def parties(service):  # type: ignore[no-untyped-def]
    for pid, kind in (("COL-1", "collective"), ("COL-2", "collective"), ("ENT-1", "enterprise")):
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind, name=pid, county_code="330523")
    for user, role, pid in (("coop", "cooperative", "COL-1"), ("coop-b", "cooperative", "COL-1"),
                            ("other", "cooperative", "COL-2"), ("ent", "enterprise", "ENT-1")):
        service.create_user(username=user, password="password-1", role=role, party_id=pid, display_name=user)
    return service


def test_a_party_s_mapping_is_offered_to_every_user_of_the_party(parties):  # type: ignore[no-untyped-def]
    svc = parties
    assert svc.upload_mapping(svc.actor("coop")) == {"fields": {}, "defaults": {}}
    saved = svc.save_upload_mapping(svc.actor("coop"), fields={"parcel_code": "小班号", "holder": "权利人"},
                                    defaults={"sink_type": "bamboo_forest"})
    assert svc.upload_mapping(svc.actor("coop-b")) == saved  # the same party, another user
    assert svc.upload_mapping(svc.actor("other")) == {"fields": {}, "defaults": {}}  # another party: its own
    svc.save_upload_mapping(svc.actor("coop-b"), fields={"parcel_code": "bianhao"}, defaults={})
    assert svc.upload_mapping(svc.actor("coop")) == {"fields": {"parcel_code": "bianhao"}, "defaults": {}}


def test_an_unchanged_mapping_writes_nothing(parties):  # type: ignore[no-untyped-def]
    from sinkledger.services.party_settings import UPLOAD_MAPPING, PartySettingRow

    svc = parties
    svc.save_upload_mapping(svc.actor("coop"), fields={"parcel_code": "小班号"}, defaults={})
    with svc.db.read() as s:
        first = s.get(PartySettingRow, ("COL-1", UPLOAD_MAPPING)).model_dump()
    svc.save_upload_mapping(svc.actor("coop-b"), fields={"parcel_code": "小班号"}, defaults={})
    with svc.db.read() as s:
        assert s.get(PartySettingRow, ("COL-1", UPLOAD_MAPPING)).model_dump() == first  # still coop's


@pytest.mark.parametrize(("fields", "defaults"), [
    ({"bogus_field": "a"}, {}), ({"parcel_code": ""}, {}), ({"parcel_code": "a\x00b"}, {}),
    ({"parcel_code": "x" * 201}, {}), ({"parcel_code": 7}, {}), ([("parcel_code", "a")], {}),
    ({}, {"county_code": "330523"}), ({}, {"holder": "x" * 61}), ({}, None),
])
def test_a_malformed_mapping_is_refused_and_keeps_the_last(parties, fields, defaults):  # type: ignore[no-untyped-def]
    svc = parties
    svc.save_upload_mapping(svc.actor("coop"), fields={"parcel_code": "小班号"}, defaults={})
    assert_refused("value_invalid", lambda: svc.save_upload_mapping(svc.actor("coop"), fields=fields,
                                                                    defaults=defaults))
    assert svc.upload_mapping(svc.actor("coop"))["fields"] == {"parcel_code": "小班号"}


def test_only_who_registers_parcels_keeps_a_mapping(parties):  # type: ignore[no-untyped-def]
    svc = parties
    assert_refused("not_permitted", lambda: svc.upload_mapping(svc.actor("ent")))
    assert_refused("not_permitted", lambda: svc.save_upload_mapping(svc.actor("ent"), fields={}, defaults={}))
