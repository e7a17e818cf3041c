"""The public registry's reads (``service.public``) on SQLite and PostgreSQL, against the demo
plus a pledge and a judicial retirement (tests/public_world.py): answers checked against the
ledger's own tables, refusals by code with both messages, and nothing written by any read."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text

from ledger.domain import format_serial
from ledger.proofs import check_proof_document
from sinkledger import catalogue
from sinkledger_base.errors import SinkLedgerError
from tests.public_world import PLEDGED_T


def rows(service, sql, **params):  # type: ignore[no-untyped-def]
    with service.db.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def head(service):  # type: ignore[no-untyped-def]
    return rows(service, "SELECT max(seq), count(*) FROM journal_entry")[0]


def assert_refused(call, code):  # type: ignore[no-untyped-def]
    """The refusal ``code`` with a Chinese and an English message that differ."""
    with pytest.raises(SinkLedgerError) as caught:
        call()
    assert caught.value.code == code
    zh, en = catalogue.messages(caught.value)
    assert zh and en and zh != en
    return caught.value


def block_with(service, state):  # type: ignore[no-untyped-def]
    """A block of ``state`` with at least 2 credits: (prefix, first, last, account, tag, batch)."""
    found = rows(service, "SELECT b.serial_prefix, c.first, c.last, c.account_id, c.tag, b.id FROM credit_block c "
                          "JOIN batch b ON b.id = c.batch_id WHERE c.state = :s ORDER BY c.last - c.first DESC, b.id",
                 s=state)
    assert found, f"the world has no {state} block"
    return found[0]


def test_a_serial_inside_a_retired_block_names_its_block_batch_and_retirement(world):  # type: ignore[no-untyped-def]
    """Given a retired block, when any serial inside it is looked up, then the answer names that
    block, its batch and the retirement that tagged it, and the holder is the registry's."""
    service, _ = world
    before = head(service)
    prefix, first, last, _, tag, batch_id = block_with(service, "retired")
    middle = (first + last) // 2
    out = service.public.serial(format_serial(prefix, middle))
    assert out["state"] == "retired"
    assert (out["block"]["first"], out["block"]["last"]) == (first, last)
    assert out["batch"]["batch_id"] == batch_id
    assert out["retirement"]["retirement_id"] == tag
    assert out["holder"]["account_kind"] == "retirement"
    assert any(format_serial(prefix, first) in b["serials"] for b in out["retirement"]["blocks"])
    assert head(service) == before


def test_a_pledged_serial_shows_the_pledge_state_and_the_collective_by_name(world):  # type: ignore[no-untyped-def]
    service, _ = world
    from sinkledger.demo.roles import PLEDGE

    prefix, first, last, account, _, _ = block_with(service, "pledged")
    assert last - first + 1 <= max(PLEDGED_T, PLEDGE["quantity"])  # the world's pledge or the demo's own
    out = service.public.serial(format_serial(prefix, last))
    party = rows(service, "SELECT p.kind, p.name FROM account a JOIN party p ON p.id = a.party_id WHERE a.id = :a",
                 a=account)[0]
    assert out["state"] == "pledged" and out["retirement"] is None
    assert (out["holder"]["kind"], out["holder"]["name"]) == (party[0], party[1]) == ("collective", party[1])


def test_a_judicial_retirement_does_not_name_the_defendant(world):  # type: ignore[no-untyped-def]
    """A defendant may be a natural person: the public sees the party's kind, never its name."""
    service, ids = world
    out = service.public.retirement(ids["judicial_retirement"])
    assert out["kind"] == "judicial"
    assert out["retired_by"] == {"kind": "defendant", "name": None}
    prefix, number = out["blocks"][0]["serials"].split("..")[0].rsplit("-", 1)
    assert service.public.serial(f"{prefix}-{number}")["retirement"]["retired_by"]["name"] is None


@pytest.mark.parametrize("bad", ["", "CN330523-BF-AJBF01-2024", "CN330523-BF-AJBF01-2024-000000000",
                                 "CN330523-BF-AJBF01-2024-00000001", "cn330523-bf-ajbf01-2024-000000001",
                                 "CN330523-BF-AJBF01-2024-000000001..000000002", "x" * 500, None, 7,
                                 "CN330523-BF-AJBF01-２０２４-000000001"])
def test_what_is_not_a_serial_is_refused(world, bad):  # type: ignore[no-untyped-def]
    service, _ = world
    assert_refused(lambda: service.public.serial(bad), "serial_invalid")


def test_a_serial_never_issued_is_unknown(world):  # type: ignore[no-untyped-def]
    """Past the end of the last batch of a prefix, and under a prefix never used."""
    service, _ = world
    prefix, last = rows(service, "SELECT serial_prefix, max(last) FROM batch GROUP BY serial_prefix "
                                 "ORDER BY serial_prefix")[0]
    assert_refused(lambda: service.public.serial(format_serial(prefix, last + 1)), "serials_unknown")
    assert_refused(lambda: service.public.serial("CN999999-BF-NOPE-2024-000000001"), "serials_unknown")


def test_retirements_filter_by_beneficiary_purpose_and_year_newest_first(world):  # type: ignore[no-untyped-def]
    service, _ = world
    every = rows(service, "SELECT id, beneficiary, purpose, recorded_at FROM retirement ORDER BY recorded_at DESC, seq DESC")
    page = service.public.retirements(limit=200)
    assert [r["retirement_id"] for r in page["items"]] == [r[0] for r in every] and not page["more"]
    beneficiary, purpose, year = every[-1][1], every[-1][2], int(every[-1][3][:4])
    by_name = service.public.retirements(beneficiary=beneficiary[:3])
    assert [r["retirement_id"] for r in by_name["items"]] == [r[0] for r in every if r[1].startswith(beneficiary[:3])]
    by_purpose = service.public.retirements(purpose=purpose[:6], year=year)
    assert [r["retirement_id"] for r in by_purpose["items"]] == \
        [r[0] for r in every if r[2].startswith(purpose[:6]) and r[3].startswith(str(year))]
    assert service.public.retirements(year=year - 30)["items"] == []
    assert service.public.retirements(beneficiary="无此受益方")["items"] == []


def test_retirements_come_a_page_at_a_time(world):  # type: ignore[no-untyped-def]
    service, _ = world
    total = rows(service, "SELECT count(*) FROM retirement")[0][0]
    assert total >= 3
    seen = []
    for offset in range(total):
        page = service.public.retirements(limit=1, offset=offset)
        seen += [r["retirement_id"] for r in page["items"]]
        assert page["more"] == (offset < total - 1)
    assert len(seen) == len(set(seen)) == total


@pytest.mark.parametrize("kwargs, code", [
    ({"year": 1200}, "year_out_of_range"), ({"year": 99999}, "year_out_of_range"), ({"year": "2025"}, "value_invalid"),
    ({"year": True}, "value_invalid"), ({"limit": 0}, "page_invalid"), ({"limit": 201}, "page_invalid"),
    ({"offset": -1}, "page_invalid"), ({"limit": "10"}, "page_invalid"), ({"beneficiary": "x" * 201}, "text_too_long"),
    ({"purpose": "a\x00b"}, "value_invalid"), ({"beneficiary": 5}, "value_invalid")])
def test_bad_retirement_queries_are_refused(world, kwargs, code):  # type: ignore[no-untyped-def]
    service, _ = world
    assert_refused(lambda: service.public.retirements(**kwargs), code)


def test_an_entry_by_hash_or_seq_comes_with_a_proof_that_checks_offline(world):  # type: ignore[no-untyped-def]
    service, _ = world
    before = head(service)
    seq, digest = rows(service, "SELECT seq, entry_hash FROM journal_entry WHERE kind = 'retirement' ORDER BY seq")[0]
    by_hash = service.public.entry(digest.upper())
    by_seq = service.public.entry(str(seq))
    assert by_hash == by_seq and by_hash["seq"] == seq and by_hash["entry_hash"] == digest
    assert by_hash["proof_ok"] and check_proof_document(by_hash["proof"]) == (True, "ok")
    assert json.loads(by_hash["body"])["seq"] == seq
    tampered = json.loads(json.dumps(by_hash["proof"]))
    tampered["entry"]["body"] = tampered["entry"]["body"].replace('"retirement"', '"sale"', 1)
    assert check_proof_document(tampered)[0] is False
    assert "proof" not in service.public.entry(seq, proof=False)
    assert head(service) == before


@pytest.mark.parametrize("bad", ["abc", "0", "-3", "1.5", "f" * 63, "g" * 64, "", None, True, 0, "１２"])
def test_what_is_neither_a_seq_nor_a_hash_is_refused(world, bad):  # type: ignore[no-untyped-def]
    service, _ = world
    assert_refused(lambda: service.public.entry(bad), "entry_ref_invalid")


def test_an_unknown_entry_is_not_found(world):  # type: ignore[no-untyped-def]
    service, _ = world
    assert_refused(lambda: service.public.entry("0" * 64), "entry_not_found")
    assert_refused(lambda: service.public.entry(10**12), "entry_not_found")


def test_projects_list_every_project_code_with_its_issued_credits(world):  # type: ignore[no-untyped-def]
    service, _ = world
    issued = dict(rows(service, "SELECT project_code, sum(last - first + 1) FROM batch GROUP BY project_code"))
    bundled = {r[0] for r in rows(service, "SELECT project_code FROM bundled_project")}
    listed = service.public.projects(limit=200)["items"]
    assert [p["project_code"] for p in listed] == sorted(set(issued) | bundled)
    assert {p["project_code"]: p["issued_t"] for p in listed} == {c: int(issued.get(c, 0)) for c in set(issued) | bundled}


def test_a_project_shows_issuances_vintages_parcels_map_and_documents(world):  # type: ignore[no-untyped-def]
    service, _ = world
    code = rows(service, "SELECT b.project_code FROM batch b JOIN bundled_project p ON p.project_code = "
                         "b.project_code ORDER BY b.project_code")[0][0]
    out = service.public.project(code)
    batches = rows(service, "SELECT id, vintage_year, last - first + 1 FROM batch WHERE project_code = :c "
                            "ORDER BY issuance_seq, id", c=code)
    assert [b["batch_id"] for b in out["issuances"]] == [b[0] for b in batches]
    assert sum(v["issued_t"] for v in out["vintages"]) == sum(b[2] for b in batches) == out["issued_t"]
    members = {r[0] for r in rows(service, "SELECT parcel_code FROM bundled_project_parcel WHERE project_code = :c",
                                  c=code)}
    assert members <= set(out["parcel_codes"])
    assert {f["properties"]["parcel_code"] for f in out["map"]["features"]} == set(out["parcel_codes"])
    assert all(len(d["sha256"]) == 64 and "content" not in d for d in out["documents"])
    assert_refused(lambda: service.public.project("NOPE99"), "registry_project_not_found")
    assert_refused(lambda: service.public.project("bad code"), "value_invalid")


def test_a_parcel_by_code_shows_no_tenure_and_no_household_shares(world):  # type: ignore[no-untyped-def]
    service, _ = world
    code, cert = rows(service, "SELECT parcel_code, tenure_cert_no FROM parcel WHERE household_shares <> '{}' "
                               "ORDER BY parcel_code")[0]
    out = service.public.parcel(code)
    assert out["parcel_code"] == code and out["geometry"]["type"] in ("Polygon", "MultiPolygon")
    shown = json.dumps(out, ensure_ascii=False)
    assert "household_shares" not in shown and "tenure" not in shown and (not cert or cert not in shown)
    assert_refused(lambda: service.public.parcel("NOPE-0001"), "parcel_not_found")


def test_the_offsetsdb_files_carry_the_ledgers_totals(world):  # type: ignore[no-untyped-def]
    """Given the world, the projects file's issued and retired per project and the credits
    file's issuance and retirement rows add up to the batch and retirement tables."""
    service, _ = world
    projects = list(csv.DictReader(io.StringIO("".join(service.public.offsetsdb_projects_csv()))))
    credits = list(csv.DictReader(io.StringIO("".join(service.public.offsetsdb_credits_csv()))))
    issued = {c: int(q) for c, q in rows(service, "SELECT project_code, sum(last - first + 1) FROM batch "
                                                  "GROUP BY project_code")}
    retired_total = rows(service, "SELECT sum(quantity) FROM retirement")[0][0]
    assert {p["project_id"]: int(p["issued"]) for p in projects if int(p["issued"])} == issued
    assert sum(int(p["retired"]) for p in projects) == retired_total
    assert sum(int(c["quantity"]) for c in credits if c["transaction_type"] == "issuance") == sum(issued.values())
    assert sum(int(c["quantity"]) for c in credits if c["transaction_type"] == "retirement") == retired_total
    assert all(c["transaction_date"][10] == "T" and c["transaction_date"][-6] in "+-" for c in credits)
    assert_refused(lambda: service.public.offsetsdb_projects_csv(project_url="http://x/no-code"), "value_invalid")


def test_a_sale_receipts_hash_is_found_on_the_public_registry(world):  # type: ignore[no-untyped-def]
    """The receipt says its entry hash can be checked on the public registry: it can."""
    from sinkledger.services import queries

    service, _ = world
    seq = rows(service, "SELECT max(s.seq) FROM sale s JOIN journal_entry j ON j.seq = s.seq WHERE j.kind = 'sale'")[0][0]
    receipt = queries.sale(service, seq)
    found = service.public.entry(receipt["entry_hash"])
    assert (found["seq"], found["kind"], found["proof_ok"]) == (seq, "sale", True)
