"""The administrator's API-keys tab (issue 18): a key made on the page is shown once and works,
it is listed without its secret, it is revoked from the page and then refused; the page shows
the key-use log."""

from __future__ import annotations

import pytest

from sinkledger.services import apikeys
from sinkledger.ui.text import text
from sinkledger_base.errors import NotPermitted
from tests.ui.conftest import button, no_errors, open_app, service_for


def test_a_key_made_on_the_page_works_until_revoked_there(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = open_app(app_env, user="admin", page="users")
    no_errors(at)
    at.selectbox(key="api_key_user").set_value("bank")
    at.text_input(key="api_key_label").set_value("信贷系统")
    button(at, text("api_key_create", "zh")).click().run()
    no_errors(at)
    shown = [c.value for c in at.code if c.value.startswith("slk_")]
    assert len(shown) == 1
    key = shown[0]
    actor = apikeys.authenticate(service, key, client="127.0.0.1", method="GET", path="/v1/whoami")
    assert (actor.username, actor.role.value, actor.party_id) == ("bank", "bank", "BANK-0001")
    key_id = key.split("_")[1]
    listed = next(k for k in apikeys.keys(service, service.actor("admin")) if k["key_id"] == key_id)
    assert listed["label"] == "信贷系统" and listed["created_by"] == "admin"
    at.run()  # the next run of the page no longer shows the key
    assert not [c for c in at.code if c.value.startswith("slk_")]
    at.selectbox(key="api_key_revoke_choice").set_value(key_id)
    at.button(key="api_key_revoke").click().run()
    no_errors(at)
    with pytest.raises(NotPermitted) as refused:
        apikeys.authenticate(service, key, client="127.0.0.1", method="GET", path="/v1/whoami")
    assert refused.value.code == "api_key_revoked"
    at.run()
    assert any(text("api_key_event_revoked", "zh") in str(df.value.to_dict()) for df in at.dataframe)
