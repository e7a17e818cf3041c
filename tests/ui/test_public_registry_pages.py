"""The public registry page and the retirement certificate under AppTest, for the public (no
sign-in) and for the enterprise that retired: each search kind answers from the ledger in both
languages, and the enterprise's account page offers every retirement's certificate."""

from __future__ import annotations

import pytest

from ledger.domain import format_serial
from tests.ui.conftest import CJK, button, go, list_tables, no_errors, open_app, service_for, texts


def retirement(app_env, kind: str = "enterprise"):  # type: ignore[no-untyped-def]
    """The newest retirement by a party of ``kind``."""
    service = service_for(app_env)
    try:
        rid = next(r["retirement_id"] for r in service.public.retirements(limit=200)["items"]
                   if r["retired_by"]["kind"] == kind)
        return service.public.retirement(rid)
    finally:
        service.db.dispose()


def searched(at, kind: str, label: str, value: str):  # type: ignore[no-untyped-def]
    at.radio(key=f"pr_kind_{at.session_state['lang']}").set_value(kind).run()
    [box] = [b for b in at.text_input if b.label == label]
    box.set_value(value)
    return button(at, "查询" if at.session_state["lang"] == "zh" else "Search").click().run()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_serial_search_names_its_retirement(app_env, lang) -> None:  # type: ignore[no-untyped-def]
    r = retirement(app_env)
    prefix, first = r["blocks"][0]["serials"].split("..")[0].rsplit("-", 1)
    at = open_app(app_env, page="registry", lang=lang)
    no_errors(at)
    label = "序列号（号段内任一编号）" if lang == "zh" else "Serial number (any number inside a block)"
    at = searched(at, "serial", label, format_serial(prefix, int(first)))
    no_errors(at)
    shown = "\n".join(texts(at))
    assert r["retirement_id"] in shown and r["beneficiary"] in shown
    if lang == "en":
        assert not CJK.search(at.title[0].value)


def test_an_entry_search_checks_the_proof(app_env) -> None:  # type: ignore[no-untyped-def]
    r = retirement(app_env)
    at = open_app(app_env, page="registry")
    at = searched(at, "entry", "流水哈希（64 位十六进制）或流水序号", r["entry_hash"])
    no_errors(at)
    assert any("包含证明核验通过" in s.value for s in at.success)
    assert any(b.label == "下载包含证明（JSON）" for b in at.get("download_button"))


def test_a_bad_year_is_refused_with_its_message(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="registry")
    at.radio(key="pr_kind_zh").set_value("retirements").run()
    [year] = [b for b in at.text_input if b.key == "pr_year_input"]
    year.set_value("1066")
    at = button(at, "查询").click().run()
    assert [e.value for e in at.error] == ["年份 1066 超出范围（1900–2199）。"]


def test_the_enterprise_downloads_its_retirement_certificates(app_env) -> None:  # type: ignore[no-untyped-def]
    r = retirement(app_env)
    at = open_app(app_env, user="enterprise", page="account")
    no_errors(at)
    at.radio(key="account_section_zh").set_value("retirements").run()
    no_errors(at)
    labels = [b.label for b in at.get("download_button")]
    assert any(r["retirement_id"] in label and label.endswith("zh") for label in labels), labels
    assert any(r["retirement_id"] in label and label.endswith("en") for label in labels), labels


def test_the_certificate_page_checks_a_retirement_link(app_env) -> None:  # type: ignore[no-untyped-def]
    r = retirement(app_env)
    at = open_app(app_env)
    at.query_params["retirement"] = r["retirement_id"]
    at = go(at, "certificate")
    no_errors(at)
    assert any(f"注销证明 {r['retirement_id']} 与账本一致" in s.value for s in at.success)


def test_published_checkpoints_are_listed_with_their_signed_file_and_a_consistency_proof(app_env, monkeypatch,  # type: ignore[no-untyped-def]
                                                                                          tmp_path) -> None:
    """Issue 16, point 3: the public registry page shows the recorded roots, whether each is
    published signed, the operator's public key, and offers the newest signed file and the
    consistency proof between two roots, which check offline."""
    import dataclasses
    import json

    from ledger.published import check_consistency_between
    from ledger.signing import generate_key_file, key_id, load_private_key
    from tests.ledger.test_published import grow

    key_file, folder = tmp_path / "keys" / "checkpoint.key", tmp_path / "published"
    key_file.parent.mkdir()
    folder.mkdir()
    generate_key_file(key_file)
    monkeypatch.setenv("SINKLEDGER_CHECKPOINT_KEY", str(key_file))
    monkeypatch.setenv("SINKLEDGER_CHECKPOINT_DIR", str(folder))
    service = service_for(app_env)
    try:
        service.settings = dataclasses.replace(service.settings, checkpoint_key_file=key_file, checkpoint_dir=folder)
        first = service.publish_checkpoint()
        grow(service, 2)
        second = service.publish_checkpoint()
    finally:
        service.db.dispose()
    at = open_app(app_env, page="registry")
    no_errors(at)
    assert key_id(load_private_key(key_file).public_key()) in "\n".join(texts(at, "markdown"))
    [listed] = [d for d in list_tables(at) if "树根（SHA-256）" in d.columns]
    assert list(listed["树大小（条）"][:2]) == [second["tree_size"], first["tree_size"]]
    assert list(listed["树根（SHA-256）"][:2]) == [second["root"], first["root"]]
    assert list(listed["签名文件"][:2]) == ["已发布，签名有效"] * 2
    labels = {d.proto.label: d for d in at.get("download_button")}
    assert f"下载签名检查点（树大小 {second['tree_size']}）" in labels
    proof_label = f"下载一致性证明（{first['tree_size']} → {second['tree_size']}）"
    assert at.number_input(key="pr_consistency_old").value == first["tree_size"]
    assert proof_label in labels
    at.number_input(key="pr_consistency_old").set_value(second["tree_size"]).run()  # equal sizes: a proof too
    at.number_input(key="pr_consistency_new").set_value(first["tree_size"]).run()  # older above newer: said so
    assert "较早的树大小不能大于较新的。" in texts(at, "caption")
    assert not [d for d in at.get("download_button") if d.proto.label.startswith("下载一致性证明")]
    # what the buttons hand out checks offline: the files as published and the proof the page makes
    service = service_for(app_env)
    try:
        proof = service.public.consistency(first["tree_size"], second["tree_size"])
    finally:
        service.db.dispose()
    old, new = (json.loads((folder / f"checkpoint-{c['tree_size']:012d}.json").read_text()) for c in (first, second))
    assert check_consistency_between(old, new, proof, load_private_key(key_file).public_key()) == (True, "ok")


def test_the_registry_page_says_when_no_checkpoint_is_published_signed(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="registry", lang="en")
    no_errors(at)
    assert "Published checkpoints (Merkle roots)" in [s.value for s in at.subheader]
    shown = "\n".join(texts(at))
    assert "does not publish signed checkpoints" in shown or "No checkpoint is recorded yet." in shown
    assert not [d for d in at.get("download_button") if d.proto.label.startswith("Download the signed checkpoint")]
