"""Work pages added after issue 8, in AppTest: staying signed in across a new websocket (what a
reload or a new tab opens) through the web-session token; batch estimates with progress, result,
refusals per parcel and the trace report; parcel imports with progress.

A new ``AppTest`` is a new Streamlit session, as a reload is; the browser's cookie is simulated by
patching :func:`sinkledger.ui.websession.browser_token` (AppTest sends no cookies). The real cookie
round trip is in tests/browser/test_people_browser.py.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sinkledger.services import admin
from sinkledger.services import queries as ui_queries
from sinkledger.services import sessions as web_sessions
from sinkledger.ui import session as ui_session
from sinkledger.ui import websession
from sinkledger.ui.navigation import PUBLIC_PAGES
from sinkledger.ui.text import text
from tests.ui.conftest import CJK, button, list_tables, no_errors, open_app, registered_pages, service_for, texts
from tests.ui.scenario import feature_collection, square


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def sign_in_through_page(app_env, username: str):  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="signin")
    at.text_input(key="signin_username").set_value(username)
    at.text_input(key="signin_password").set_value("demo1234")
    button(at, zh("sign_in")).click().run()
    no_errors(at)
    return at


@pytest.fixture
def cookie(monkeypatch):  # type: ignore[no-untyped-def]
    """What the browser's cookie holds for the next new session (``None``: no cookie)."""
    jar: dict[str, str | None] = {"token": None}
    monkeypatch.setattr(websession, "browser_token", lambda: jar["token"])
    return jar


# -- staying signed in ---------------------------------------------------------------------------

def test_sign_in_opens_a_hashed_session_and_a_reload_resumes_it(app_env, cookie) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = sign_in_through_page(app_env, "verifier")
    token = at.session_state[ui_session.TOKEN]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert web_sessions.session_count(service, "verifier") == 1
    with service.db.read() as s:  # only the token's hash is stored
        row = s.get(web_sessions.WebSessionRow, web_sessions.token_hash(token))
        assert row is not None and token not in row.model_dump_json()
    assert set(at.query_params) <= {"lang"}  # nothing in the URL but the language: no token, no role
    assert any("sinkledger_session=" in h.proto.body for h in at.get("html"))
    cookie["token"] = token
    reloaded = open_app(app_env)  # a new session, as after a reload or in a new tab
    no_errors(reloaded)
    assert reloaded.session_state["user"]["username"] == "verifier"
    assert "verify" in registered_pages(reloaded)


def test_sign_out_ends_the_session_everywhere(app_env, cookie) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = sign_in_through_page(app_env, "bank")
    cookie["token"] = at.session_state[ui_session.TOKEN]
    other_tab = open_app(app_env)
    assert other_tab.session_state["user"]["username"] == "bank"
    at.sidebar.button(key="sign_out").click().run()
    assert web_sessions.session_count(service, "bank") == 0
    assert any("Max-Age=0" in h.proto.body for h in at.get("html"))  # the cookie is removed
    reloaded = open_app(app_env)  # the browser still sends the old cookie: refused
    assert "user" not in reloaded.session_state
    assert registered_pages(reloaded) == set(PUBLIC_PAGES) | {"signin"}
    other_tab.run()  # the other tab's next click signs it out too
    assert "user" not in other_tab.session_state


@pytest.mark.parametrize("change", ["deactivate", "role", "password"])
def test_an_account_change_ends_its_open_sessions(app_env, cookie, change) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    boss = service.actor("admin")
    name = f"temp_{change}"
    admin.create_user(service, boss, f"t:u:{name}", username=name, password="demo1234", role="insurer",
                      party_id="INS-0001", display_name="临时")
    at = sign_in_through_page(app_env, name)
    assert at.session_state["user"]["role"] == "insurer"
    if change == "deactivate":
        admin.set_active(service, boss, f"t:u:{name}:off", username=name, active=False)
    elif change == "role":
        admin.set_role(service, boss, f"t:u:{name}:role", username=name, role="bank")
    else:
        admin.reset_password(service, boss, f"t:u:{name}:pw", username=name, password="another-pass-1")
    at.run()
    assert "user" not in at.session_state
    assert web_sessions.session_count(service, name) == 0


def test_sessions_expire_by_lifetime_and_idleness(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    actor = service.actor("clerk")
    token = web_sessions.open_session(service, actor)
    opened = web_sessions._now()
    assert web_sessions.resume(service, token, now=opened + timedelta(minutes=90))["role"] == "trading_clerk"
    # Used at 90 minutes: idle since then; still valid 100 minutes later, ended after 2 hours idle.
    assert web_sessions.resume(service, token, now=opened + timedelta(minutes=190)) is not None
    assert web_sessions.resume(service, token, now=opened + timedelta(minutes=190 + 121)) is None
    assert web_sessions.resume(service, token) is None  # the ended session was deleted
    token = web_sessions.open_session(service, actor)
    for minutes in range(100, 12 * 60, 100):  # kept busy, it still ends 12 hours after sign-in
        assert web_sessions.resume(service, token, now=opened + timedelta(minutes=minutes)) is not None
    assert web_sessions.resume(service, token, now=opened + timedelta(hours=12, minutes=1)) is None
    assert web_sessions.resume(service, "not-a-token") is None and web_sessions.resume(service, "") is None


# -- batch estimates -----------------------------------------------------------------------------

def test_centre_runs_a_batch_with_progress_results_refusals_and_trace(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="batch")
    no_errors(at)
    assert at.title[0].value == zh("page_batch")
    at.multiselect(key="batch_parcels").set_value(["AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0023", "AJ-BF-0901"])
    at.text_input(key="batch_project").set_value("ajbt01")
    button(at, zh("batch_run")).click().run()
    no_errors(at)
    result = at.session_state["locked_forms"]["batch"]
    assert result["project_code"] == "AJBT01"
    # AJ-BF-0901 (the scenario's square) has no monitoring data: refused with its reason, the rest recorded.
    assert {r["parcel_code"] for r in result["recorded"]} == {"AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0023"}
    assert set(result["refusals"]) == {"AJ-BF-0901"}
    assert any(s.value.startswith("完成：3/4 个地块已测算，1 个被拒绝") for s in at.success)
    recorded, refused = at.dataframe[0].value, at.dataframe[1].value
    assert list(recorded[zh("col_parcel")]) == ["AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0023"]
    assert set(refused[zh("col_parcel")]) == {"AJ-BF-0901"}  # one row per problem
    assert all(CJK.search(p) for p in refused[zh("col_problem")])
    service = service_for(app_env)
    ids = [r["estimate_id"] for r in result["recorded"]]
    assert all(service.estimate(e)["net_kg_co2e"] == r["net_kg_co2e"] for e, r in zip(ids, result["recorded"]))
    labels = [d.proto.label for d in at.get("download_button")]
    assert zh("download_trace_pdf") in labels and zh("batch_download_json") in labels
    # issue 19: the batch ran once; its form is locked (a second press cannot run it again) until a
    # new batch is started, which is a fresh request id and records anew.
    assert not [b for b in at.button if b.label == zh("batch_run")]
    before = len(ui_queries.estimates(service))
    at.button(key="new_batch").click().run()
    at.multiselect(key="batch_parcels").set_value(["AJ-BF-0001", "AJ-BF-0002", "AJ-BF-0023"])
    button(at, zh("batch_run")).click().run()
    assert len(ui_queries.estimates(service)) == before + 3  # a new batch: a fresh request id
    assert at.session_state["locked_forms"]["batch"]["batch_request_id"] != result["batch_request_id"]


def test_batch_progress_callback_drives_the_bar(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import Service

    seen: list[tuple[int, int, str]] = []
    real = Service.batch_estimate

    def spy(self, actor, request_id, **kw):  # type: ignore[no-untyped-def]
        inner = kw["progress"]
        kw["progress"] = lambda d, n, label: (seen.append((d, n, label)), inner(d, n, label))
        return real(self, actor, request_id, **kw)

    monkeypatch.setattr(Service, "batch_estimate", spy)
    at = open_app(app_env, user="centre", page="batch", lang="en")
    at.multiselect(key="batch_parcels").set_value(["AJ-BF-0003", "AJ-BF-0004"])
    button(at, en("batch_run")).click().run()
    no_errors(at)
    assert seen == [(1, 2, "AJ-BF-0003"), (2, 2, "AJ-BF-0004")]
    assert not any(CJK.search(s.value) for s in at.success)


def test_batch_from_rasters_and_bad_monitoring_file(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="centre", page="batch")
    at.multiselect(key="batch_parcels").set_value(["AJ-BF-0005", "AJ-BF-0031"])
    at.radio(key="batch_source").set_value("rasters").run()
    button(at, zh("batch_run")).click().run()
    no_errors(at)
    result = at.session_state["locked_forms"]["batch"]
    assert [r["parcel_code"] for r in result["recorded"]] == ["AJ-BF-0005"]
    assert result["refusals"]["AJ-BF-0031"][0]["code"] == "raster_coverage_is_insufficient"
    at.button(key="new_batch").click().run()
    at.radio(key="batch_source").set_value("upload").run()
    at.file_uploader(key="batch_file").set_value(("m.json", b"not json", "application/json")).run()
    button(at, zh("batch_run")).click().run()
    assert not at.exception and [e.value for e in at.error] == [zh("batch_monitoring_unreadable")]


def test_cooperative_batches_only_its_own_parcels(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="batch")
    no_errors(at)
    service = service_for(app_env)
    own = {p["parcel_code"] for p in service.parcels(status="active") if p["holder_party_id"] == "COL-0001"
           and p["sink_type"] == "bamboo_forest"}
    assert set(at.multiselect(key="batch_parcels").options) == own


def test_batch_page_is_not_for_other_roles(app_env) -> None:  # type: ignore[no-untyped-def]
    for user in ("clerk", "household", "verifier"):
        assert "batch" not in registered_pages(open_app(app_env, user=user))


# -- imports with progress -----------------------------------------------------------------------

def test_preview_reports_progress_by_stage_and_rows(app_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    path = tmp_path / "rows.geojson"
    path.write_bytes(feature_collection([("AJ-BF-0970", "bamboo_forest", square("upload_a")),
                                         ("AJ-BF-0971", "bamboo_forest", square("upload_b"))]))
    seen: list[tuple[int, int, str]] = []
    report = ui_queries.preview_parcel_file(service, service.actor("coop"), path=str(path),
                                            progress=lambda d, n, s: seen.append((d, n, s)))
    assert report["ok"] and len(report["parcels"]) == 2
    assert seen[0] == (0, 0, "reading") and (0, 2, "registry") in seen and seen[-1] == (2, 2, "done")


def test_upload_shows_progress_and_registers(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.services.registry import Service

    service = service_for(app_env)
    good = feature_collection([("AJ-BF-0980", "bamboo_forest", square("browser_a")),
                               ("AJ-BF-0981", "bamboo_forest", square("browser_b"))])
    real, seen = Service.import_parcels, []

    def spy(self, actor, request_id, **kw):  # type: ignore[no-untyped-def]
        inner = kw["progress"]  # the page's bar: what it is told, as the rows are written
        kw["progress"] = lambda d, n, label: (seen.append((d, n)), inner(d, n, label))
        return real(self, actor, request_id, **kw)

    monkeypatch.setattr(Service, "import_parcels", spy)
    at = open_app(app_env, user="coop", page="register")
    at.file_uploader(key="parcel_file").set_value(("p.geojson", good, "application/geo+json")).run()
    no_errors(at)
    button(at, zh("confirm_import", n=2)).click().run()
    no_errors(at)
    assert any(s.value == zh("imported_message", n=2) for s in at.success)
    assert seen and seen[-1] == (2, 2)
    assert {service.parcel(c)["status"] for c in ("AJ-BF-0980", "AJ-BF-0981")} == {"active"}
    # issue 19: what was imported is shown with its entry, the uploader gone until a new import
    assert any("registry?entry=" in m.value for m in at.markdown)
    assert not [u for u in at.file_uploader if u.key == "parcel_file"]


def test_admin_deactivating_a_user_ends_its_sessions_at_once(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    admin.create_user(service, service.actor("admin"), "t:u:leaver", username="leaver", password="demo1234",
                      role="bank", party_id="BANK-0001", display_name="离职")
    web_sessions.open_session(service, service.actor("leaver"))
    assert web_sessions.session_count(service, "leaver") == 1
    at = open_app(app_env, user="admin", page="users")
    at.selectbox(key="edit_username").set_value("leaver").run()
    at.button(key="toggle_active").click().run()
    no_errors(at)
    assert web_sessions.session_count(service, "leaver") == 0


def test_web_sessions_on_both_backends(service) -> None:  # type: ignore[no-untyped-def]
    """The session store itself, on SQLite and PostgreSQL: open, resume, role change, sign-out."""
    from sqlmodel import Session

    from ledger.store import UserRow
    from sinkledger.services.registry import SYSTEM_ACTOR

    service.register_party(SYSTEM_ACTOR, "t:p:bank", party_id="BANK-0009", kind="bank", name="测试银行（虚构）")
    service.create_user(username="teller", password="demo1234", role="bank", party_id="BANK-0009",
                        display_name="柜员")
    actor = service.authenticate("teller", "demo1234")
    first, second = web_sessions.open_session(service, actor), web_sessions.open_session(service, actor)
    assert first != second and web_sessions.session_count(service, "teller") == 2
    assert web_sessions.resume(service, first) == {"username": "teller", "role": "bank", "party_id": "BANK-0009",
                                                   "display_name": "柜员"}
    web_sessions.close_session(service, first)
    assert web_sessions.resume(service, first) is None and web_sessions.resume(service, second) is not None
    with Session(service.db.engine) as s:  # another role: every open session ends
        user = s.get(UserRow, "teller")
        user.role = "insurer"
        s.add(user)
        s.commit()
    assert web_sessions.resume(service, second) is None
    assert web_sessions.session_count(service, "teller") == 0


# -- issue 19: every page has an address that works ----------------------------------------------

def _open_address(app_env, page: str, *, user: str | None = None):  # type: ignore[no-untyped-def]
    """A new session whose first run asks for ``page`` by its address (a bookmark, a reload)."""
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from tests.ui.conftest import APP, RUN_TIMEOUT_S

    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT_S)
    at.session_state["lang"] = "zh"
    if user:
        u = app_env["users"][user]
        at.session_state["user"] = {"username": u["username"], "role": u["role"], "party_id": u["party_id"],
                                    "display_name": u["display_name"]}
    at._page_hash = calc_hash(page)
    at.run()
    return at


def test_a_signed_in_address_opens_the_sign_in_then_that_page(app_env) -> None:  # type: ignore[no-untyped-def]
    """The public opening ``/sales`` gets the sign-in at that address (not "Page not found" and
    the overview); once signed in as the clerk, the same address is the sales page."""
    at = _open_address(app_env, "sales")
    no_errors(at)
    assert [t.value for t in at.title] == [zh("page_signin")]
    assert "sales" in registered_pages(at)
    at.text_input(key="signin_username").set_value("clerk")
    at.text_input(key="signin_password").set_value("demo1234")
    button(at, zh("sign_in")).click().run()
    no_errors(at)
    assert at.session_state["user"]["username"] == "clerk"
    assert [t.value for t in at.title] == [zh("page_sales")]


def test_an_address_of_another_roles_page_says_so(app_env) -> None:  # type: ignore[no-untyped-def]
    at = _open_address(app_env, "pledges", user="clerk")
    no_errors(at)
    assert [w.value for w in at.warning] == [zh("page_not_for_role")]
    assert not at.dataframe and not list_tables(at)  # nothing of the bank's is shown


def test_a_signed_in_address_opens_that_page(app_env) -> None:  # type: ignore[no-untyped-def]
    at = _open_address(app_env, "sales", user="clerk")
    no_errors(at)
    assert [t.value for t in at.title] == [zh("page_sales")]


# -- the upload's field mapping (issue 19) ----------------------------------------------------------

def _bare_file(rows: list[tuple[str, dict]]) -> bytes:  # type: ignore[type-arg]
    """A file with a code under a name the importer does not know, and no sink type or holder."""
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": geometry, "properties": {"bianhao": code, "county_code": "330523"}}
        for code, geometry in rows]}).encode("utf-8")


def test_upload_maps_columns_sets_defaults_and_reuses_the_mapping(app_env) -> None:  # type: ignore[no-untyped-def]
    """A file lacking fields offers the mapping (not a bare 'missing parcel_code/sink_type/holder'
    with a 'None' cell); the mapping is applied in the preview, registers the file, and is
    offered again for the next file."""
    service = service_for(app_env)
    at = open_app(app_env, user="coop", page="register")
    at.file_uploader(key="parcel_file").set_value(
        ("bare.geojson", _bare_file([("MAP-0001", square("upload_a"))]), "application/geo+json")).run()
    assert not at.exception
    assert zh("mapping_needed") in [i.value for i in at.info]
    cells = [str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()]
    assert "None" not in cells
    at.selectbox(key="map_parcel_code").set_value("bianhao").run()
    at.selectbox(key="map_default_sink_type").set_value("bamboo_forest").run()
    at.selectbox(key="map_default_holder").set_value("COL-0001").run()
    no_errors(at)
    assert zh("preview_ok", n=1) in [s.value for s in at.success]
    assert any(c.startswith(zh("mapping_applied", pairs="")[:6]) and "bianhao" in c for c in texts(at, "caption"))
    parcels = at.dataframe[-1].value
    assert list(parcels[zh("col_parcel")]) == ["MAP-0001"]
    button(at, zh("confirm_import", n=1)).click().run()
    no_errors(at)
    assert service.parcel("MAP-0001")["sink_type"] == "bamboo_forest"
    assert service.parcel("MAP-0001")["holder_party_id"] == "COL-0001"
    # the next file of the same shape: the mapping is offered again, so it previews clean at once
    at.button(key="new_import").click().run()
    at.file_uploader(key="parcel_file").set_value(
        ("bare2.geojson", _bare_file([("MAP-0002", square("upload_b"))]), "application/geo+json")).run()
    no_errors(at)
    assert at.selectbox(key="map_parcel_code").value == "bianhao"
    assert at.selectbox(key="map_default_holder").value == "COL-0001"
    assert zh("preview_ok", n=1) in [s.value for s in at.success]


def test_the_contract_number_placeholder_follows_the_demo_s_numbering(app_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: HZGX-<this year>-<nnkk>, as the demo's contracts, not a fixed HZGX-2025-0001."""
    from datetime import UTC, datetime

    from sinkledger.ui import format as fmt

    at = open_app(app_env, user="clerk", page="sale")
    year = fmt.local_time(datetime.now(UTC)).year
    assert at.text_input(key="sale_contract").placeholder == f"HZGX-{year}-0101"


def test_the_upload_mapping_is_kept_for_the_party_in_later_sessions(app_env) -> None:  # type: ignore[no-untyped-def]
    """The mapping is the party's, stored (not the browser session's): another user of the same
    cooperative, in a new session, is offered it for a file of the same shape, which previews
    clean at once."""
    service = service_for(app_env)
    if "coop-2" not in {u["username"] for u in service.users()}:
        service.create_user(username="coop-2", password="password-1", role="cooperative", party_id="COL-0001",
                            display_name="合作社出纳")
    bare = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square("drawn"),
                       "properties": {"xbh": "MAP-0101", "county_code": "330523"}}]}).encode("utf-8")
    first = open_app(app_env, user="coop", page="register")
    first.file_uploader(key="parcel_file").set_value(("xbh.geojson", bare, "application/geo+json")).run()
    first.selectbox(key="map_parcel_code").set_value("xbh").run()
    first.selectbox(key="map_default_sink_type").set_value("tea_garden").run()
    first.selectbox(key="map_default_holder").set_value("COL-0001").run()
    no_errors(first)
    assert service.upload_mapping(service.actor("coop"))["fields"]["parcel_code"] == "xbh"
    users = {**app_env["users"], "coop-2": {u["username"]: u for u in service.users()}["coop-2"]}
    later = open_app({**app_env, "users": users}, user="coop-2", page="register")  # another user, a new session
    later.file_uploader(key="parcel_file").set_value(("xbh-2.geojson", bare, "application/geo+json")).run()
    no_errors(later)
    assert later.selectbox(key="map_parcel_code").value == "xbh"
    assert later.selectbox(key="map_default_sink_type").value == "tea_garden"
    assert zh("preview_ok", n=1) in [s.value for s in later.success]
    # a file without the party's column: the column the importer recognises, not "no column"
    named = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": square("drawn"),
                        "properties": {"parcel_code": "MAP-0102", "county_code": "330523"}}]}).encode("utf-8")
    later.file_uploader(key="parcel_file").set_value(("named.geojson", named, "application/geo+json")).run()
    no_errors(later)
    assert later.selectbox(key="map_parcel_code").value == "parcel_code"
    assert zh("preview_ok", n=1) in [s.value for s in later.success]


def test_the_sign_in_page_lists_every_demo_account_at_once(app_env) -> None:  # type: ignore[no-untyped-def]
    """The whole list, not a scrolling frame that cuts it off."""
    from sinkledger.ui.signin import DEMO_USERS

    at = open_app(app_env, page="signin")
    no_errors(at)
    assert not at.dataframe
    (table,) = at.table
    known = {u["username"] for u in service_for(app_env).users()}
    assert list(table.value.index) == [u for u in DEMO_USERS if u in known]
    assert len(table.value.index) == len(DEMO_USERS)


def test_the_verifier_is_proposed_the_estimate_s_own_project_or_none(app_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: the approval form proposes the bundled project of the estimate's parcels, else
    the project its parcels were last issued under, else nothing to type over (it once proposed
    the demo's Anji bamboo project for any estimate, a Deqing wetland's included)."""
    from sinkledger.ui.verifier import _project_of

    service = service_for(app_env)
    verifier = service.actor("verifier")
    bundled = service.income.projects(verifier)[0]
    assert _project_of(verifier, service, {"parcel_codes": bundled["parcel_codes"][:2]}) == bundled["project_code"]
    issued, never = None, None
    for parcel in service.parcels(status="active"):
        batches = service.public.parcel(parcel["parcel_code"])["batches"]
        if any(parcel["parcel_code"] in p["parcel_codes"] for p in service.income.projects(verifier)):
            continue
        if batches and issued is None:
            issued = (parcel["parcel_code"], max(batches, key=lambda b: b["issuance_seq"])["project_code"])
        elif not batches and never is None:
            never = parcel["parcel_code"]
    assert issued is not None and never is not None
    assert _project_of(verifier, service, {"parcel_codes": [issued[0]]}) == issued[1]
    assert _project_of(verifier, service, {"parcel_codes": [never]}) == ""
