"""The public registry page and the retirement certificate under AppTest, for the public (no
sign-in) and for the enterprise that retired: each search kind answers from the ledger in both
languages, and the enterprise's account page offers every retirement's certificate."""

from __future__ import annotations

import pytest

from ledger.domain import format_serial
from tests.ui.conftest import CJK, button, go, no_errors, open_app, service_for, texts


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
