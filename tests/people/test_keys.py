"""The data key: from configuration or a 0600 key file, generated only where that is safe,
never mixed with another key, and binding each ciphertext to its person and field."""

from __future__ import annotations

import copy
import os
import stat
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from ledger.people.keys import generate_key_text, parse_key
from sinkledger.catalogue import REFUSALS_BY_AREA

PEOPLE_REFUSALS = REFUSALS_BY_AREA["people"]
from sinkledger.demo.people import synthetic_person
from sinkledger.services.people import PeopleService
from tests.people.conftest import CONSENT, PURPOSE, TEST_KEY, add_households, assert_refused

SQLITE_ONLY = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("backend_url", ["postgres"], indirect=True)


def register_one(api, actor) -> None:  # type: ignore[no-untyped-def]
    api.register(actor, party_id="HH-1", **synthetic_person(1), purpose=PURPOSE, consent_date=CONSENT,
                 handler_party_id="CENTRE-1")


def test_key_text_round_trips_and_bad_keys_are_refused():
    key = generate_key_text()
    assert len(parse_key(key)) == 32 and parse_key(key.replace("+", "-").replace("/", "_")) == parse_key(key)
    for bad in ("", "not base64!", "QUJD", generate_key_text()[:20]):
        assert_refused("data_key_invalid", lambda bad=bad: parse_key(bad))


@SQLITE_ONLY
def test_sqlite_generates_a_private_key_file_once(registry, tmp_path):  # type: ignore[no-untyped-def]
    """Given no configured key, when the register is first used with SQLite, then a key is written
    to $SINKLEDGER_HOME/data.key with mode 0600, and every later instance uses that key."""
    add_households(registry)
    first = PeopleService(registry)
    register_one(first, registry.actor("admin"))
    path = tmp_path / "data.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = PeopleService(registry)
    assert again.view(registry.actor("hh"), "HH-1", "self_access")["name"] == synthetic_person(1)["name"]
    os.chmod(path, 0o644)
    assert_refused("data_key_file_exposed", lambda: PeopleService(registry).view(registry.actor("hh"), "HH-1"))


@POSTGRES_ONLY
def test_postgresql_needs_a_configured_key(registry):  # type: ignore[no-untyped-def]
    """Many app instances share one PostgreSQL: a key generated on one machine would not be the
    others', so none is generated; the refusal says how to configure one."""
    add_households(registry)
    err = assert_refused("data_key_missing", lambda: register_one(PeopleService(registry), registry.actor("admin")))
    assert err.params["path"].endswith("data.key")
    assert "SINKLEDGER_DATA_KEY" in PEOPLE_REFUSALS["data_key_missing"][1]


def test_a_configured_key_is_used(registry, tmp_path):  # type: ignore[no-untyped-def]
    """``SINKLEDGER_DATA_KEY`` (Settings.data_key) wins over the key file."""
    add_households(registry)
    svc = copy.copy(registry)
    svc.settings = SimpleNamespace(is_sqlite=registry.settings.is_sqlite, home=tmp_path / "elsewhere",
                                   data_key=generate_key_text(), data_key_file=None)
    register_one(PeopleService(svc), registry.actor("admin"))
    assert not (tmp_path / "elsewhere" / "data.key").exists()
    assert PeopleService(svc).view(registry.actor("hh"), "HH-1", "self_access")["phone"] == "13900000001"


def test_another_key_is_refused_rather_than_mixed(registry):  # type: ignore[no-untyped-def]
    add_households(registry)
    register_one(PeopleService(registry, data_key=TEST_KEY), registry.actor("admin"))
    other = PeopleService(registry, data_key=bytes(32))
    assert_refused("data_key_mismatch", lambda: other.view(registry.actor("hh"), "HH-1", "self_access"))
    assert_refused("data_key_mismatch", lambda: other.register(registry.actor("admin"), party_id="HH-2",
                                                        **synthetic_person(2), purpose=PURPOSE, consent_date=CONSENT,
                                                        handler_party_id="CENTRE-1"))


def test_a_ciphertext_moved_to_another_person_does_not_decrypt(people):  # type: ignore[no-untyped-def]
    """Each value is bound to its party, field and version: copying HH-2's account into HH-1's row
    (what someone with database access might try) is detected, not shown as HH-1's account."""
    with people.api.service.db.engine.begin() as conn:
        conn.execute(text("UPDATE person SET bank_account_enc = (SELECT bank_account_enc FROM person p "
                          "WHERE p.party_id = 'HH-2') WHERE party_id = 'HH-1'"))
    assert_refused("personal_data_undecryptable", lambda: people.api.my_details(people.actor("hh")))
    assert people.api.my_details(people.actor("hh2"))["bank_account"] == people.details["HH-2"]["bank_account"]
