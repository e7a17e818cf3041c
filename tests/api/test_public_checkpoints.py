"""Published checkpoints in the public registry over real HTTP (issue 16, point 3: "published as
files, and by the public registry page and API"), on SQLite and PostgreSQL: the recorded roots
newest first with their signed files and whether each signature holds, a signed file by tree
size, and the consistency proof between two; a user who downloaded two files and the proof checks
offline, with the command line, that the newer extends the older."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from ledger.published import check_consistency_between
from ledger.signing import check_checkpoint_document, generate_key_file, key_id, load_private_key
from tests.api.test_public_api import journal_head, refusal
from tests.ledger.test_published import grow


@pytest.fixture(scope="module")
def published(api, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Two signed, published checkpoints, then one recorded but not published."""
    client, service, _ = api
    folder = tmp_path_factory.mktemp("published")
    key_file = folder.parent / f"{folder.name}.key"
    generate_key_file(key_file)
    service.settings = dataclasses.replace(service.settings, checkpoint_key_file=key_file, checkpoint_dir=folder)
    first = service.publish_checkpoint()
    grow(service, 5)
    second = service.publish_checkpoint()
    grow(service, 3)
    third = service.checkpoint()
    service.settings = dataclasses.replace(service.settings, checkpoint_key_file=key_file, checkpoint_dir=folder)
    return {"client": client, "service": service, "folder": folder, "key": load_private_key(key_file).public_key(),
            "sizes": (first["tree_size"], second["tree_size"], third["tree_size"])}


def test_the_roots_are_listed_newest_first_with_their_signed_files(published) -> None:  # type: ignore[no-untyped-def]
    client, (first, second, third) = published["client"], published["sizes"]
    assert first < second < third
    body = client.get("/public/checkpoints").json()
    sizes = [c["tree_size"] for c in body["items"]]
    assert sizes == sorted(sizes, reverse=True) and sizes[:3] == [third, second, first]
    by_size = {c["tree_size"]: c for c in body["items"]}
    assert (by_size[third]["published"], by_size[third]["signature_ok"]) == (False, False)  # recorded only
    for size in (first, second):
        assert (by_size[size]["published"], by_size[size]["signature_ok"]) == (True, True)
        assert by_size[size]["key_id"] == key_id(published["key"])
    assert body["operator_key_id"] == key_id(published["key"]) and body["operator_public_key"]
    with published["service"].db.engine.connect() as conn:  # each root is the recorded one
        rows = dict(conn.execute(text("SELECT tree_size, root FROM checkpoint")).all())
    assert all(c["root"] == rows[c["tree_size"]] for c in body["items"])
    page = client.get("/public/checkpoints", params={"limit": 1, "offset": 1}).json()
    assert [c["tree_size"] for c in page["items"]] == [second] and page["more"] is True


def test_two_downloaded_files_and_their_proof_check_offline(published, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.cli.main import main

    client, (first, second, _) = published["client"], published["sizes"]
    latest = client.get("/public/checkpoints/latest")
    assert latest.status_code == 200 and f"checkpoint-{second:012d}.json" in latest.headers["content-disposition"]
    new = latest.json()
    old = client.get(f"/public/checkpoints/{first}").json()
    assert new == json.loads((published["folder"] / f"checkpoint-{second:012d}.json").read_text(encoding="utf-8"))
    assert check_checkpoint_document(old, published["key"]) == (True, "ok")
    proof = client.get("/public/consistency", params={"old": first, "new": second}).json()
    assert check_consistency_between(old, new, proof, published["key"]) == (True, "ok")
    files = {}
    for name, doc in (("old", old), ("new", new), ("proof", proof)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(doc), encoding="utf-8")
    # offline: a database that does not exist is never opened when the proof is given
    argv = ["--database-url", f"sqlite:///{tmp_path / 'none.db'}", "consistency-check", str(files["old"]),
            str(files["new"]), "--proof", str(files["proof"]), "--json"]
    done = CliRunner().invoke(main, argv)
    assert done.exit_code == 0 and json.loads(done.output)["ok"] is True, done.output
    swapped = CliRunner().invoke(main, [*argv[:3], str(files["new"]), str(files["old"]), *argv[5:]])
    assert swapped.exit_code != 0 and json.loads(swapped.output)["ok"] is False
    assert not (tmp_path / "none.db").exists()


def test_a_file_whose_signature_does_not_hold_is_shown_so(published) -> None:  # type: ignore[no-untyped-def]
    client, (first, _, _) = published["client"], published["sizes"]
    path = published["folder"] / f"checkpoint-{first:012d}.json"
    kept = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(kept)
        doc["created_at"] = "2020-01-01T00:00:00+00:00"  # altered after signing
        path.write_text(json.dumps(doc), encoding="utf-8")
        row = next(c for c in client.get("/public/checkpoints").json()["items"] if c["tree_size"] == first)
        assert (row["published"], row["signature_ok"]) == (True, False)
    finally:
        path.write_text(kept, encoding="utf-8")


@pytest.mark.parametrize("path, query, status, code", [
    ("/public/checkpoints/{third}", {}, 404, "checkpoint_not_published"),
    ("/public/checkpoints/abc", {}, 422, "request_invalid"),
    ("/public/checkpoints", {"limit": "0"}, 422, "page_invalid"),
    ("/public/consistency", {"old": "{second}", "new": "{first}"}, 422, "consistency_sizes_invalid"),
    ("/public/consistency", {"old": "0", "new": "{first}"}, 422, "value_invalid"),
    ("/public/consistency", {"old": "1", "new": "99999999999"}, 422, "consistency_sizes_invalid"),
])
def test_bad_checkpoint_requests_are_refused_and_change_nothing(published, path, query, status, code) -> None:  # type: ignore[no-untyped-def]
    client, service = published["client"], published["service"]
    first, second, third = published["sizes"]
    names = {"first": first, "second": second, "third": third}
    before = journal_head(service)
    response = client.get(path.format(**names), params={k: v.format(**names) for k, v in query.items()})
    refusal(response, status, code)
    assert journal_head(service) == before


def test_without_a_folder_nothing_is_published_and_the_roots_are_still_listed(published) -> None:  # type: ignore[no-untyped-def]
    service = published["service"]
    kept = service.settings
    service.settings = dataclasses.replace(kept, checkpoint_key_file=None, checkpoint_dir=None)
    try:
        body = published["client"].get("/public/checkpoints").json()
        assert body["items"] and not any(c["published"] for c in body["items"])
        assert body["operator_public_key"] is None and body["folder"] is False
        refusal(published["client"].get("/public/checkpoints/latest"), 404, "checkpoint_none_published")
    finally:
        service.settings = kept
