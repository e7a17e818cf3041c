"""The public registry over real HTTP (uvicorn on 127.0.0.1, no key), on SQLite and PostgreSQL:
every endpoint answers what the service answers, refuses bad input with the refusal's code and
both messages, and writes nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from ledger.domain import format_serial
from ledger.proofs import check_proof_document


def journal_head(service):  # type: ignore[no-untyped-def]
    with service.db.engine.connect() as conn:
        return conn.execute(text("SELECT max(seq), count(*) FROM journal_entry")).one()


def refusal(response, status, code):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    return body


def test_a_serial_over_http_is_the_services_answer(api):  # type: ignore[no-untyped-def]
    client, service, _ = api
    before = journal_head(service)
    with service.db.engine.connect() as conn:
        prefix, first, last = conn.execute(text(
            "SELECT b.serial_prefix, c.first, c.last FROM credit_block c JOIN batch b ON b.id = c.batch_id "
            "WHERE c.state = 'held' ORDER BY c.last - c.first DESC, b.id LIMIT 1")).one()
    serial = format_serial(prefix, (first + last) // 2)
    response = client.get(f"/public/serials/{serial}")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(service.public.serial(serial)))
    assert response.json()["state"] == "held"
    refusal(client.get("/public/serials/CN330523-BF-NOPE"), 422, "serial_invalid")
    refusal(client.get(f"/public/serials/{format_serial(prefix, 999_999_999)}"), 404, "serials_unknown")
    assert journal_head(service) == before


def test_retirements_over_http_filter_and_page(api):  # type: ignore[no-untyped-def]
    client, service, _ = api
    every = service.public.retirements(limit=200)["items"]
    first = client.get("/public/retirements", params={"limit": 1})
    assert first.status_code == 200 and first.json()["more"] is (len(every) > 1)
    assert first.json()["items"][0]["retirement_id"] == every[0]["retirement_id"]
    oldest = every[-1]
    year = int(oldest["recorded_at"][:4])
    found = client.get("/public/retirements", params={"beneficiary": oldest["beneficiary"][:4],
                                                      "purpose": oldest["purpose"][:4], "year": year}).json()
    assert oldest["retirement_id"] in [r["retirement_id"] for r in found["items"]]
    assert all(r["beneficiary"].startswith(oldest["beneficiary"][:4]) for r in found["items"])
    refusal(client.get("/public/retirements", params={"year": 20250}), 422, "year_out_of_range")
    refusal(client.get("/public/retirements", params={"limit": 500}), 422, "page_invalid")
    refusal(client.get("/public/retirements/RT-99999999"), 404, "retirement_not_found")


def test_an_entry_over_http_carries_a_proof_that_checks_offline(api):  # type: ignore[no-untyped-def]
    client, service, _ = api
    retirement = service.public.retirements(limit=1)["items"][0]
    detail = client.get(f"/public/retirements/{retirement['retirement_id']}").json()
    by_hash = client.get(f"/public/entries/{detail['entry_hash']}")
    assert by_hash.status_code == 200
    doc = by_hash.json()
    assert doc["seq"] == retirement["seq"] and doc["proof_ok"] is True
    assert check_proof_document(doc["proof"]) == (True, "ok")
    assert client.get(f"/public/entries/{retirement['seq']}").json()["entry_hash"] == detail["entry_hash"]
    assert "proof" not in client.get(f"/public/entries/{retirement['seq']}", params={"proof": "false"}).json()
    refusal(client.get("/public/entries/not-a-ref"), 422, "entry_ref_invalid")
    refusal(client.get(f"/public/entries/{'a' * 64}"), 404, "entry_not_found")


@pytest.mark.parametrize("lang, title", [("zh", "碳汇注销证明"), ("en", "Retirement Certificate")])
def test_the_retirement_certificate_downloads_as_a_pdf_in_each_language(api, lang, title):  # type: ignore[no-untyped-def]
    client, service, _ = api
    rid = service.public.retirements(limit=1)["items"][0]["retirement_id"]
    response = client.get(f"/public/retirements/{rid}/certificate.pdf", params={"lang": lang})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert title in words and rid in words
    assert service.public.check_retirement_certificate_pdf(response.content)["ok"] is True
    assert client.get(f"/public/retirements/{rid}/certificate.pdf", params={"lang": "fr"}).status_code == 422


def test_projects_and_parcels_over_http(api):  # type: ignore[no-untyped-def]
    client, service, _ = api
    listed = client.get("/public/projects").json()["items"]
    assert [p["project_code"] for p in listed] == [p["project_code"] for p in service.public.projects()["items"]]
    code = next(p["project_code"] for p in listed if p["issued_t"])
    project = client.get(f"/public/projects/{code}").json()
    assert project["issued_t"] == sum(b["quantity"] for b in project["issuances"])
    parcel_code = project["parcel_codes"][0]
    parcel = client.get(f"/public/parcels/{parcel_code}").json()
    assert parcel["parcel_code"] == parcel_code and parcel["geometry"]["type"] in ("Polygon", "MultiPolygon")
    refusal(client.get("/public/projects/NOPE99"), 404, "registry_project_not_found")
    refusal(client.get("/public/parcels/NOPE-0001"), 404, "parcel_not_found")


def test_the_offsetsdb_files_stream_as_csv_with_links_that_answer(api):  # type: ignore[no-untyped-def]
    client, service, _ = api
    before = journal_head(service)
    with client.stream("GET", "/public/export/offsetsdb/credits.csv") as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.headers.get("transfer-encoding") == "chunked"  # streamed, not built whole
        credits = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"))))
    assert {c["transaction_type"] for c in credits} == {"issuance", "retirement"}
    projects = list(csv.DictReader(io.StringIO(client.get("/public/export/offsetsdb/projects.csv").text)))
    assert sum(int(p["issued"]) for p in projects) == \
        sum(int(c["quantity"]) for c in credits if c["transaction_type"] == "issuance")
    link = projects[0]["project_url"]
    assert link.endswith(f"/public/projects/{projects[0]['project_id']}")
    assert client.get(link).json()["project_code"] == projects[0]["project_id"]
    assert journal_head(service) == before


BAD_REQUESTS = [  # (path, query, status, code): one row per defect
    ("/public/serials/CN330523-BF-AJBF01-2024-00000000１", {}, 422, "serial_invalid"),
    ("/public/serials/' OR 1=1 --", {}, 422, "serial_invalid"),
    ("/public/serials/" + "9" * 300, {}, 422, "serial_invalid"),
    ("/public/retirements", {"year": "1899"}, 422, "year_out_of_range"),
    ("/public/retirements", {"limit": "0"}, 422, "page_invalid"),
    ("/public/retirements", {"offset": "-5"}, 422, "page_invalid"),
    ("/public/retirements", {"beneficiary": "x" * 201}, 422, "text_too_long"),
    ("/public/retirements", {"purpose": "a\u0007b"}, 422, "value_invalid"),
    ("/public/retirements/<script>", {}, 422, "value_invalid"),
    ("/public/retirements/RT-00000001/certificate.pdf", {}, 404, "retirement_not_found"),
    ("/public/entries/0", {}, 422, "entry_ref_invalid"),
    ("/public/entries/" + "g" * 64, {}, 422, "entry_ref_invalid"),
    ("/public/entries/99999999999", {}, 404, "entry_not_found"),
    ("/public/projects", {"limit": "1000"}, 422, "page_invalid"),
    ("/public/projects/ajbf01", {}, 422, "value_invalid"),
    ("/public/parcels/" + "A" * 41, {}, 422, "value_invalid"),
]


@pytest.mark.parametrize("path, query, status, code", BAD_REQUESTS, ids=[f"{r[0][:40]}{r[1]}" for r in BAD_REQUESTS])
def test_bad_requests_are_refused_by_code_and_change_nothing(api, path, query, status, code):  # type: ignore[no-untyped-def]
    client, service, _ = api
    before = journal_head(service)
    refusal(client.get(path, params=query), status, code)
    assert journal_head(service) == before
