"""Refusals where input first meets sinkledger: the command line's own parsing, the database URL,
paths, the values a command may carry into the journal, and the text a refusal echoes.

The fuzz suite (``tests/fuzz``) sends every bad value to every call; these tests pin down what a
user sees for the cases that once escaped as tracebacks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from ledger.domain import check_content
from ledger.permissions import Actor
from sinkledger import catalogue
from sinkledger_base.errors import InvalidInput, NotFound, NotPermitted, printable
from tests.ledger.conftest import assert_refused, registry  # noqa: F401 - the fixture

HOME = tempfile.mkdtemp(prefix="sinkledger-edges-")


def cli(*args: str, url: str = "sqlite:///:memory:") -> tuple[int, dict | str, str]:
    env = {**os.environ, "SINKLEDGER_HOME": HOME, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "sinkledger", "--database-url", url, *args], capture_output=True,
                          text=True, env=env, timeout=300)
    try:
        out: dict | str = json.loads(proc.stdout)
    except ValueError:
        out = proc.stdout
    return proc.returncode, out, proc.stderr


# -- the command line ---------------------------------------------------------------------------

def test_a_value_click_cannot_parse_is_a_json_refusal_with_json():
    code, out, err = cli("sell", "--actor", "clerk", "--from", "A-H", "--to", "B-H", "--quantity", "abc",
                         "--price-fen", "1", "--contract", "c", "--json")
    assert code == 2 and isinstance(out, dict), err
    assert out["error"]["code"] == "usage_invalid" and "--quantity" in out["error"]["message_en"]
    assert "命令用法有误" in out["error"]["message_zh"] and "Traceback" not in err


def test_without_json_click_usage_text_goes_to_stderr():
    code, out, err = cli("sell", "--quantity", "abc")
    assert code == 2 and out == "" and "Usage:" in err and "Traceback" not in err


def test_help_and_version_still_exit_zero():
    assert cli("--help")[0] == 0 and cli("--version")[0] == 0


@pytest.mark.parametrize(("url", "expected"), [
    ("not a url", "database_url_invalid"),
    ("nosuchdriver://x/y", "database_url_invalid"),
    ("postgresql+psycopg://someone:s3cret@127.0.0.1:1/nowhere", "database_unreachable"),
    ("sqlite:////proc/no/such/folder/x.db", "database_unreachable"),
])
def test_a_bad_database_url_is_refused_without_revealing_its_password(url, expected):
    code, out, err = cli("balances", "--json", url=url)
    assert code == 2 and isinstance(out, dict), err
    assert out["error"]["code"] == expected
    assert "s3cret" not in json.dumps(out) and "Traceback" not in err


def test_writing_into_a_missing_folder_is_a_refusal(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert cli("init", "--json", url=url)[0] == 0
    code, out, _ = cli("export", str(tmp_path / "missing" / "backup.zip"), "--json", url=url)
    assert code == 2 and out["error"]["code"] == "path_unusable"
    assert "missing" in out["error"]["details"]["path"]


def test_a_json_file_nested_too_deeply_is_refused_not_a_crash(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, out, err = cli("estimate", "--methodology", "sinkledger.bamboo-moso-management", "--inputs", str(deep),
                         "--json")
    assert code == 2 and out["error"]["code"] == "value_invalid", err
    assert "nested too deeply" in out["error"]["message_en"]


# -- what a refusal echoes ----------------------------------------------------------------------

def test_a_refusal_clips_and_escapes_what_the_caller_sent():
    err = InvalidInput("value_invalid", field="name", value="名" * 20_000 + "\udcff")
    assert len(err.params["value"]) == 200 and err.params["value"].endswith("…")
    json.dumps(catalogue.refusal_dict(err), ensure_ascii=False).encode("utf-8")  # printable: no lone surrogate left
    assert printable("AJ\udcff") == "AJ\\udcff"


# -- values a command may carry -----------------------------------------------------------------

@pytest.mark.parametrize(("content", "field"), [
    ({"quantity": float("nan")}, "quantity"), ({"quantity": 1.5}, "quantity"), ({"note": b"x"}, "note"),
    ({"serials": {"a"}}, "serials"), ({"name": "A\x00B"}, "name"), ({"name": "A\udcffB"}, "name"),
    ({"quantity": 2**63}, "quantity"), ({"parts": [{"code": [1.0]}]}, "parts[0].code[0]"),
])
def test_check_content_names_the_field_that_cannot_be_recorded(content, field):
    with pytest.raises(InvalidInput) as exc:
        check_content(content)
    assert exc.value.code == "value_invalid" and exc.value.params["field"] == field


def test_check_content_refuses_nesting_deeper_than_a_record_needs():
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(InvalidInput):
        check_content({"inputs": deep})


def test_check_content_accepts_what_records_hold():
    """What passes the check is exactly what canonical JSON records and reads back unchanged."""
    from sinkledger_base.canonical import canonical_json

    content = {"a": 1, "b": "文本", "c": None, "d": True, "e": [1, {"f": "2.5"}], "g": 2**63 - 1}
    assert check_content(content) is None
    assert json.loads(canonical_json(content)) == content


# -- the service boundary -----------------------------------------------------------------------

def test_an_actor_that_is_not_one_is_refused(registry):  # noqa: F811
    assert_refused("actor_required", lambda: registry.sell(None, "r1", seller_account="COL-1-H", buyer_account="ENT-1-H",
                                                     quantity=1, price_fen_per_t=1, contract_no="c"))
    assert_refused("actor_required", lambda: registry.sell("clerk", "r2", seller_account="COL-1-H",
                                                     buyer_account="ENT-1-H", quantity=1, price_fen_per_t=1,
                                                     contract_no="c"))


def test_lookups_with_values_no_database_can_bind_are_refused(registry):  # noqa: F811
    for bad in ({"x": 1}, ["x"], "A\udcffB", 2**70):
        with pytest.raises((InvalidInput, NotFound)):
            registry.account_balance(bad)
    with pytest.raises(NotFound):
        registry.account_balance("NO-SUCH-H")


def test_users_are_checked_when_created_directly(registry):  # noqa: F811
    ok = dict(username="new-user", password="long-enough-1", role="enterprise", party_id="ENT-1", display_name="新用户")
    for field, value in [("username", "a b"), ("username", "'; DROP TABLE x;--"), ("password", "short"),
                         ("password", "x" * 2000), ("role", "emperor"), ("display_name", ""),
                         ("display_name", "A\x00")]:
        with pytest.raises(InvalidInput):
            registry.create_user(**{**ok, field: value})
    registry.create_user(**ok)
    assert registry.authenticate("new-user", "long-enough-1").role.value == "enterprise"


def test_authentication_with_anything_but_text_is_just_a_wrong_password(registry):  # noqa: F811
    for password in (None, 7, "AJ\udcff", ["pw"]):
        with pytest.raises(NotPermitted) as exc:
            registry.authenticate("admin", password)
        assert exc.value.code == "credentials_invalid"


def test_journal_and_proof_take_positive_whole_numbers(registry):  # noqa: F811
    for bad in (0, -1, True, "5", 1.5, 10**9):
        assert_refused("value_invalid", lambda bad=bad: registry.journal(limit=bad))
    assert_refused("value_invalid", lambda: registry.journal(kind=["sale"]))
    assert_refused("value_invalid", lambda: registry.proof(True))
    last = registry.journal(limit=2)
    assert len(last) == 2 and last[0]["seq"] < last[1]["seq"] == registry.journal(limit=1)[0]["seq"]
    assert all(e["kind"] == "party_registered" for e in registry.journal(kind="party_registered"))


def test_parties_are_named_with_ascii_ids_and_real_county_codes(registry):  # noqa: F811
    from sinkledger.services.registry import SYSTEM_ACTOR

    for field, value in [("party_id", "地块一"), ("party_id", "A" * 40), ("name", ""), ("name", "A\x00"),
                         ("county_code", "33052"), ("county_code", 330523)]:
        args = dict(party_id="NEW-1", kind="enterprise", name="示例企业", county_code="330523") | {field: value}
        with pytest.raises(InvalidInput):
            registry.register_party(SYSTEM_ACTOR, f"p:{field}:{value!r}", **args)


def test_payment_terms_name_one_kind():
    from ledger.collection import check_payment_terms

    assert check_payment_terms({"kind": "proceeds_share", "share_bp": 8000}) == {"kind": "proceeds_share",
                                                                                "share_bp": 8000}
    for terms in ({"kind": "proceeds_share", "share_bp": 8000, "fen_per_mu_per_year": 100},
                  {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 100, "share_bp": 8000},
                  {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 100, "cost_share_bp": 500},
                  {"kind": "proceeds_share", "share_bp": 8000, "bogus": 1}):
        assert_refused("value_invalid", lambda terms=terms: check_payment_terms(terms))


def test_a_repair_preview_refuses_what_is_no_parcel(registry):  # noqa: F811
    assert_refused("geometry_not_polygonal", lambda: registry.repair_geometry({"type": "Point", "coordinates": [119.5, 30.6]}))
    assert_refused("geometry_outside_region", lambda: registry.repair_geometry(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}))
    bowtie = {"type": "Polygon", "coordinates": [[[119.5, 30.6], [119.51, 30.61], [119.51, 30.6], [119.5, 30.61],
                                                  [119.5, 30.6]]]}
    assert registry.repair_geometry(bowtie)["valid"] is False


def test_actor_lookup_refuses_non_text(registry):  # noqa: F811
    assert_refused("actor_unknown", lambda: registry.actor(7))
    assert isinstance(registry.actor("admin"), Actor)


def test_a_cooperative_estimates_only_its_own_parcels(registry):  # noqa: F811
    """Given a parcel of another collective, a cooperative may not record its estimate (the verifier may)."""
    from ledger.domain import PartyKind
    from sinkledger.services.registry import SYSTEM_ACTOR
    from tests.ledger.conftest import BAMBOO, demo_parcel_inputs

    registry.register_party(SYSTEM_ACTOR, "p:COL-2", party_id="COL-2", kind=PartyKind.collective.value,
                            name="另一示例村股份经济合作社", county_code="330523")
    geometry, inputs = demo_parcel_inputs("AJ-BF-0001")
    registry.register_parcel(registry.actor("admin"), "reg:other", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                             holder_party_id="COL-2", geometry=geometry, county_code="330523")
    assert_refused("not_permitted", lambda: registry.record_estimate(registry.actor("coop"), "est:other",
                                                               parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                                                               inputs=inputs))
    est = registry.record_estimate(registry.actor("verifier"), "est:verifier", parcel_codes=["AJ-BF-0001"],
                                   methodology_id=BAMBOO, inputs=inputs)
    assert est["net_kg_co2e"] > 0


def test_the_parties_list_is_every_party_with_its_holding_account(registry):  # noqa: F811
    """``parties()`` (one statement on the driver) gives what the rows hold: every party by id,
    its kind, name and county, and its holding account (none for a party without one)."""
    from sqlmodel import select

    from ledger.store import AccountRow, PartyRow
    from sinkledger.services.registry import SYSTEM_ACTOR

    registry.register_party(SYSTEM_ACTOR, "p:listed", party_id="NEW-LISTED", kind="enterprise", name="示例企业",
                            county_code="330523")
    with registry.db.read() as s:
        holding = {a.party_id: a.id for a in s.exec(select(AccountRow).where(AccountRow.kind == "holding"))}
        expected = [{"party_id": p.id, "kind": p.kind, "name": p.name, "county_code": p.county_code,
                     "account_id": holding.get(p.id)} for p in s.exec(select(PartyRow).order_by(PartyRow.id))]
    listed = registry.parties()
    assert listed == expected and any(p["party_id"] == "NEW-LISTED" for p in listed)
