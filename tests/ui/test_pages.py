"""Every page for every role, in-process with ``streamlit.testing.v1.AppTest``.

Each test signs in by session (see conftest) or through the sign-in page, drives native widgets,
and checks what the page shows and what the service recorded. Custom components (the drawing
map) cannot be driven here: a drawn polygon is injected through the session (GIS_NOTES §4.6).
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from sinkledger.services import queries as ui_queries
from sinkledger.ui.navigation import PUBLIC_PAGES, ROLE_PAGES
from sinkledger.ui.public import _period_text, activity_periods
from sinkledger.ui.text import text
from tests.ui.conftest import (
    CJK,
    button,
    drawn_charts,
    figure_tables,
    go,
    headline,
    list_tables,
    no_errors,
    open_app,
    registered_pages,
    service_for,
    texts,
)
from tests.ui.scenario import CASE_NO, feature_collection, square


def zh(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "zh", **params)


def en(key: str, **params) -> str:  # type: ignore[no-untyped-def]
    return text(key, "en", **params)


def deck_layers(at, index: int = 0) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Layers by id of the ``index``-th pydeck chart on the page."""
    spec = json.loads(at.get("deck_gl_json_chart")[index].proto.json)
    return {layer["id"]: layer for layer in spec["layers"]}


# -- public ----------------------------------------------------------------------------------

def test_the_overview_shows_the_last_verified_checkpoint_and_verifiers_run_a_check(app_env) -> None:  # type: ignore[no-untyped-def]
    """The public sees the last verified checkpoint and no verify button; a verifier runs the
    (incremental) check from the overview, and the result is recorded."""
    public = open_app(app_env, page="overview")
    no_errors(public)
    assert not [b for b in public.button if b.label == zh("verify_run")]
    assert any(c.startswith("校验方式：") for c in texts(public, "caption"))
    at = open_app(app_env, user="verifier", page="overview")
    button(at, zh("verify_run")).click().run()
    no_errors(at)
    service = service_for(app_env)
    try:
        last = service.last_verified()
        assert last["mode"] == "incremental" and last["tree_size"] == last["journal_size"]
        assert zh("verify_done", n=last["tree_size"]) in [s.value for s in at.success]
    finally:
        service.db.dispose()


def test_explorer_in_chinese(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env)
    no_errors(at)
    assert [t.value for t in at.title] == [zh("app_title")]
    assert [s.value for s in at.subheader] == [zh(k) for k in ("balances_header", "integrity_header", "explore_header")]
    assert any(s.value.startswith("哈希链已校验至第") for s in at.success)
    figures = headline(at)  # one HTML block, not four st.metric (BENCHMARKS.md, issue 17)
    assert [label for label, _ in figures] == [zh(k) for k in ("metric_issued", "metric_retired", "metric_sold",
                                                               "metric_sales_value")]
    assert figures[0][1].endswith(" 吨") and ("万元" in figures[3][1] or "元" in figures[3][1])
    assert not at.metric
    assert not at.get("deck_gl_json_chart") and not drawn_charts(at)  # a light landing page
    assert not at.table and not at.dataframe and len(figure_tables(at)) == 1  # figures as Markdown: no Arrow
    assert [e.proto.page for e in at.get("page_link")] == ["map", "statistics", "registry", "prices"]

    go(at, "map")  # the map has a page of its own
    no_errors(at)
    layers = deck_layers(at)
    assert layers["parcels"]["@@type"] == "MVTLayer"  # the parcels come as tiles (tests/test_tiles.py)
    assert zh("map_caption", n=106) in texts(at, "caption")  # 105 demo parcels + the scenario's one
    assert len(layers["counties"]["data"]["features"]) == 5

    go(at, "statistics")
    no_errors(at)
    assert [s.value for s in at.subheader] == [zh(k) for k in ("vintage_header", "county_header", "activity_header")]
    assert len(figure_tables(at)) == 2 and not at.table  # by vintage, by county (static Markdown, no Arrow)
    # the charts are SVG in the page (sinkledger/ui/charts.py: no chart library in the browser);
    # every mark carries its category, series and value
    volumes_chart, price_chart = drawn_charts(at)  # volumes and average price
    assert not at.get("vega_lite_chart") and not at.get("arrow_vega_lite_chart")
    assert (volumes_chart.kind, volumes_chart.y_title) == ("bars", zh("unit_t"))
    assert price_chart.y_title == zh("unit_yuan_per_t")
    volumes, price = volumes_chart.marks, price_chart.marks
    assert {v["series"] for v in volumes} == {zh(k) for k in ("series_issued", "series_sold", "series_retired")}
    service = service_for(app_env)
    try:
        months = ui_queries.monthly_activity(service)
    finally:
        service.db.dispose()
    lang = "zh"
    grain, periods = activity_periods(months)  # the demo spans more than 24 months: by quarter
    assert grain == ("month" if len(months) <= 24 else "quarter")
    labels = [_period_text(grain, p, lang) for p in periods]
    issued = {v["category"]: v["value"] for v in volumes if v["series"] == zh("series_issued")}
    assert issued == {label: p["issued_t"] for label, p in zip(labels, periods, strict=True)}
    assert sum(issued.values()) == sum(m["issued_t"] for m in months) > 0
    # a period without a priced sale has no point (a gap in the line), never a zero
    drawn = {p["category"]: p["value"] for p in price}
    assert drawn == {label: p["average_price_fen"] / 100 for label, p in zip(labels, periods, strict=True)
                     if p["average_price_fen"]}
    assert all(v > 0 for v in drawn.values())
    assert any(not p["average_price_fen"] for p in periods) and any(p["average_price_fen"] for p in periods)


def test_the_price_index_chart_draws_the_published_windows(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.ui.prices import index_window

    at = open_app(app_env, page="prices")
    no_errors(at)
    service = service_for(app_env)
    try:
        market = service.prices.markets()[0]  # the page shows the first market, monthly
        start, last = index_window(market, "monthly")
        out = service.prices.index(sink_type=market["sink_type"], county_code=market["county_code"],
                                   frequency="monthly", date_from=start.isoformat(), date_to=last.isoformat())
    finally:
        service.db.dispose()
    published = [w for w in out["windows"] if w["published"]]
    assert published
    (chart,) = drawn_charts(at)
    assert [(p["category"], p["value"]) for p in chart.marks] == [(w["window"], w["index_fen_per_t"] / 100)
                                                                   for w in published]
    assert chart.y_title == zh("px_chart_unit") and chart.kind in ("line", "points")


def test_the_price_index_market_is_chosen_by_sink_type_then_county(app_env) -> None:  # type: ignore[no-untyped-def]
    """Two rows of radios choose the market (no select box: its scripts cost a first visit); the
    counties offered are those with trades of the chosen sink type, each with its number of trades."""
    from sinkledger.ui.common import sink_name
    from sinkledger.ui.prices import index_window

    service = service_for(app_env)
    try:
        markets = service.prices.markets()
        expected = {}
        for m in markets:
            start, last = index_window(m, "monthly")
            out = service.prices.index(sink_type=m["sink_type"], county_code=m["county_code"], frequency="monthly",
                                       date_from=start.isoformat(), date_to=last.isoformat())
            expected[m["sink_type"], m["county_code"]] = [(w["window"], w["index_fen_per_t"] / 100)
                                                          for w in out["windows"] if w["published"]]
    finally:
        service.db.dispose()
    assert len({m["sink_type"] for m in markets}) > 1  # the demo trades more than one sink type
    at = open_app(app_env, page="prices")
    # nothing on the public page loads a select box's scripts until a trace is asked for
    assert not at.selectbox and not at.get("download_button")
    sink_radio = at.radio(key="px_sink_zh")
    assert list(sink_radio.options) == [sink_name(s, "zh") for s in dict.fromkeys(m["sink_type"] for m in markets)]
    for m in markets:
        at.radio(key="px_sink_zh").set_value(m["sink_type"]).run()
        county_radio = at.radio(key=f"px_county_{m['sink_type']}_zh")
        offered = [x["county_code"] for x in markets if x["sink_type"] == m["sink_type"]]
        assert len(county_radio.options) == len(offered)
        assert all(o.endswith(f"({x['trades']:,})") for o, x in
                   zip(county_radio.options, [x for x in markets if x["sink_type"] == m["sink_type"]], strict=True))
        county_radio.set_value(m["county_code"]).run()
        no_errors(at)
        charts_drawn = drawn_charts(at)
        if expected[m["sink_type"], m["county_code"]]:
            (chart,) = charts_drawn
            assert [(p["category"], p["value"]) for p in chart.marks] == expected[m["sink_type"], m["county_code"]]
        else:
            assert not charts_drawn and zh("px_none_published") in [i.value for i in at.info]


def test_a_price_index_trace_is_read_only_when_asked_for(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The trace expander runs its content only when opened: closed, the page reads no trace;
    opened, it offers each window with trades, newest first, and the trace of the one chosen."""
    import sinkledger.services.prices as prices_service

    calls = []
    original = prices_service.PriceService.trace

    def counted(self, **kw):  # type: ignore[no-untyped-def]
        calls.append(kw)
        return original(self, **kw)

    monkeypatch.setattr(prices_service.PriceService, "trace", counted)
    at = open_app(app_env, page="prices")
    no_errors(at)
    assert calls == [] and not at.selectbox
    at.session_state["px_trace_open"] = True
    at.run()
    no_errors(at)
    (window_box,) = at.selectbox
    assert window_box.label == zh("px_trace_window")
    assert list(window_box.options) == sorted(window_box.options, reverse=True) and calls
    latest = window_box.options[0]
    assert calls[-1]["window"] == latest and calls[-1]["frequency"] == "monthly"
    (download,) = at.get("download_button")
    assert download.proto.label == zh("px_trace_download")
    window_box.set_value(window_box.options[-1]).run()
    assert calls[-1]["window"] == window_box.options[-1]


def _localise_scripts(at) -> int:  # type: ignore[no-untyped-def]
    return sum("__slWidgetLocalise" in h.value for h in at.get("html"))


LOCALISED_WIDGETS = ("selectbox", "multiselect", "date_input", "file_uploader")


@pytest.mark.parametrize("page", [None, "map", "statistics", "registry", "certificate", "prices"])
def test_a_page_without_widgets_to_localise_goes_without_the_script(app_env, page) -> None:  # type: ignore[no-untyped-def]
    """The widget-localising script (sinkledger/ui/widgets.py) is on every page that draws an
    uploader, a select box, a multiselect or a date input, and only there (navigation.PLAIN_PAGES:
    its scripts in the browser cost a first visit)."""
    from sinkledger.ui.navigation import PLAIN_PAGES

    at = open_app(app_env, page=page)
    no_errors(at)
    drawn = [kind for kind in LOCALISED_WIDGETS if at.get(kind)]
    if (page or "overview") in PLAIN_PAGES:
        assert drawn == [] and _localise_scripts(at) == 0
    else:
        assert _localise_scripts(at) == 1
    if page in ("map", "certificate"):  # each draws one of them
        assert drawn


def test_the_price_index_trace_brings_the_script_with_its_select_box(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="prices")
    assert _localise_scripts(at) == 0
    at.session_state["px_trace_open"] = True
    at.run()
    no_errors(at)
    assert at.selectbox and _localise_scripts(at) == 1
    at = open_app(app_env, page="prices", lang="en")  # a fresh session (docs/app.md: AppTest's limits)
    assert not at.selectbox and _localise_scripts(at) == 0
    at.session_state["px_trace_open"] = True
    at.run()
    (script,) = [h.value for h in at.get("html") if "__slWidgetLocalise" in h.value]
    assert '"No results": "No results"' not in script and text("no_results", "en") in script


def test_explorer_in_english_has_no_chinese(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env)
    at.sidebar.radio(key="lang").set_value("en").run()
    no_errors(at)
    assert [t.value for t in at.title] == [en("app_title")]
    assert headline(at)[3][1].startswith("CNY ")
    tables = 0
    for page in (None, "map", "statistics"):
        if page:
            go(at, page)
            no_errors(at)
        leftovers = [t for t in texts(at) if CJK.search(t)]
        assert leftovers == [], page
        tables += len(figure_tables(at))
        for frame in [*(d.value for d in at.dataframe), *list_tables(at)]:
            assert not any(CJK.search(str(c)) for c in frame.columns), list(frame.columns)
            assert not any(CJK.search(str(c)) for c in frame.index), list(frame.index)
        for table in figure_tables(at):  # (their cells are in texts() above too)
            assert not any(CJK.search(str(c)) for row in table for c in row.items()), table
    assert tables == 3  # credits by sink type, by vintage, by county


def test_public_sees_only_public_pages(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env)
    assert registered_pages(at) == {"overview", "map", "statistics", "registry", "certificate", "prices", "signin"}  # issue 22: the price index


@pytest.mark.parametrize("role_user", ["coop", "household", "centre", "clerk", "verifier", "enterprise", "court",
                                       "procurator", "bank", "insurer", "admin"])
def test_each_role_sees_its_pages_and_lands_on_its_work(app_env, role_user) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user=role_user)
    no_errors(at)
    role = app_env["users"][role_user]["role"]
    assert registered_pages(at) == set(ROLE_PAGES[role]) | set(PUBLIC_PAGES)
    first = ROLE_PAGES[role][0]
    at2 = go(at, first)
    no_errors(at2)
    assert at2.title, f"{first} shows no title"
    # The same page in English (a fresh session: AppTest cannot re-serialise widgets whose
    # option labels changed language between runs; a browser can, see tests/browser).
    at3 = open_app(app_env, user=role_user, page=first, lang="en")
    no_errors(at3)
    assert not CJK.search(at3.title[0].value)


def test_certificate_check_valid_code(app_env) -> None:  # type: ignore[no-untyped-def]
    code = app_env["facts"]["certificate"]
    at = open_app(app_env, page="certificate")
    at.text_input(key="certificate_code").set_value(code)
    button(at, zh("certificate_check")).click().run()
    no_errors(at)
    assert [s.value for s in at.success] == [zh("certificate_valid", code=code)]
    proves = " ".join(texts(at, "markdown"))
    assert CASE_NO in proves and "3 吨" in proves


def test_certificate_check_from_qr_query_parameter(app_env) -> None:  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP

    code = app_env["facts"]["certificate"]
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["cert"] = code
    at.run()
    go(at, "certificate")
    assert [s.value for s in at.success] == [zh("certificate_valid", code=code)]


def test_certificate_check_unknown_code_is_a_message_not_a_traceback(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="certificate", lang="en")
    at.text_input(key="certificate_code").set_value("AAAA-BBBB-CCCC-DDDD")
    button(at, en("certificate_check")).click().run()
    assert not at.exception
    assert len(at.error) == 1 and "may be forged" in at.error[0].value


# -- sign-in ---------------------------------------------------------------------------------

def test_sign_in_wrong_password_then_right(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, page="signin")
    at.text_input(key="signin_username").set_value("clerk")
    at.text_input(key="signin_password").set_value("wrong")
    button(at, zh("sign_in")).click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    at.text_input(key="signin_password").set_value("demo1234")
    button(at, zh("sign_in")).click().run()
    no_errors(at)
    assert at.session_state["user"]["role"] == "trading_clerk"
    assert "sale" in registered_pages(at)
    # Sign out: back to the public pages, language kept; the address of the page left (the sale
    # page) is the sign-in now, not "Page not found" (issue 19)
    at.sidebar.button(key="sign_out").click().run()
    assert "user" not in at.session_state
    assert registered_pages(at) == set(PUBLIC_PAGES) | {"signin", "sale"}
    assert [t.value for t in at.title] == [zh("page_signin")]


def test_deactivated_user_cannot_sign_in(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.services import admin

    service = service_for(app_env)
    admin.create_user(service, service.actor("admin"), "t:user:gone", username="gone", password="longenough1",
                      role="bank", party_id="BANK-0001", display_name="离职")
    admin.set_active(service, service.actor("admin"), "t:user:gone:off", username="gone", active=False)
    at = open_app(app_env, page="signin")
    at.text_input(key="signin_username").set_value("gone")
    at.text_input(key="signin_password").set_value("longenough1")
    button(at, zh("sign_in")).click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


def test_repeated_failures_lock_a_name_until_the_administrator_lifts_it(app_env) -> None:  # type: ignore[no-untyped-def]
    """Five wrong passwords through the page: the right one is then refused with a message
    saying when to try again; the administrator's page lists the lock and lifts it."""
    from sinkledger.services import admin, signin_guard

    service = service_for(app_env)
    admin.create_user(service, service.actor("admin"), "t:user:lockme", username="lockme", password="longenough1",
                      role="bank", party_id="BANK-0001", display_name="试错")
    at = open_app(app_env, page="signin")
    at.text_input(key="signin_username").set_value("lockme")
    for _ in range(5):
        at.text_input(key="signin_password").set_value("wrong-guess")
        button(at, zh("sign_in")).click().run()
        assert [e.value for e in at.error] == ["用户名或密码错误。"]
    at.text_input(key="signin_password").set_value("longenough1")
    button(at, zh("sign_in")).click().run()
    assert len(at.error) == 1 and at.error[0].value.startswith("登录失败次数过多") and "(UTC+8)" in at.error[0].value
    assert "user" not in at.session_state
    boss = open_app(app_env, user="admin", page="users")
    no_errors(boss)
    boss.selectbox(key="signin_unlock_choice").set_value("user:lockme")
    boss.button(key="signin_unlock").click().run()
    no_errors(boss)
    assert not [k for k in signin_guard.locks(service, service.actor("admin")) if k["subject"] == "lockme"]
    assert signin_guard.recent_failures(service, service.actor("admin"), limit=1)[0]["event"] == "unlocked"
    button(at, zh("sign_in")).click().run()
    no_errors(at)
    assert at.session_state["user"]["username"] == "lockme"


# -- trading-centre clerk --------------------------------------------------------------------

def test_sale_with_live_checks_receipt_and_balance_change(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    before = service.account_balance("COL-0001-H")["held_t"]
    at = open_app(app_env, user="clerk", page="sale")
    no_errors(at)
    at.selectbox(key="sale_seller").set_value("COL-0001-H")
    at.selectbox(key="sale_buyer").set_value("ENT-0002-H")
    at.number_input(key="sale_quantity").set_value(before + 1000).run()
    assert any("可用余额不足" in e.value for e in at.error)
    assert button(at, zh("record_sale")).disabled
    at.number_input(key="sale_quantity").set_value(4)
    at.text_input(key="sale_price").set_value("300").run()
    assert any("中位价" in w.value for w in at.warning)  # price sanity
    at.text_input(key="sale_price").set_value("80.50")
    at.text_input(key="sale_contract").set_value("HZGX-UI-0001").run()
    button(at, zh("record_sale")).click().run()
    no_errors(at)
    assert any("交易已记录" in s.value for s in at.success)
    after = service.account_balance("COL-0001-H")["held_t"]
    assert after == before - 4
    assert any(f"{before} 吨 → **{after} 吨**" in m.value for m in at.markdown)
    assert [d.key for d in at.get("download_button")] == ["receipt_last", "sales_template"]  # + the import tab's
    sale = ui_queries.sales(service, contract="HZGX-UI-0001")[0]
    assert (sale["quantity"], sale["price_fen_per_t"], sale["amount_fen"]) == (4, 8050, 32200)
    # issue 19: the recorded sale links to its entry, shows the seller's balance now, and the form
    # is locked (no second sale from a second click) until the clerk starts a new one, empty
    assert any(f"(registry?entry={sale['seq']})" in m.value for m in at.markdown)
    assert [v for label, v in headline(at) if label == zh("available_balance")] == [f"{after:,} 吨"]
    assert zh("record_sale") not in [b.label for b in at.button]
    at.button(key="new_sale").click().run()
    no_errors(at)
    assert at.text_input(key="sale_contract").value == "" and button(at, zh("record_sale")).disabled
    at.text_input(key="sale_contract").set_value("HZGX-UI-0001").run()
    assert any("HZGX-UI-0001" in w.value and str(sale["seq"]) in w.value for w in at.warning)  # already used
    assert len(ui_queries.sales(service, contract="HZGX-UI-0001")) == 1


def test_a_sale_retried_by_its_form_instance_is_recorded_once(app_env) -> None:  # type: ignore[no-untyped-def]
    """A second press of the same form instance (a double click whose second press arrives before
    the page is locked, a retry after a lost reply) uses the same request id: one sale."""
    service = service_for(app_env)
    at = open_app(app_env, user="clerk", page="sale")
    at.selectbox(key="sale_seller").set_value("COL-0001-H")
    at.selectbox(key="sale_buyer").set_value("ENT-0002-H")
    at.text_input(key="sale_contract").set_value("HZGX-UI-TWICE").run()
    button(at, zh("record_sale")).click().run()
    first = at.session_state["locked_forms"]["sale"]
    at.session_state["locked_forms"] = {}  # as if the second press ran before the lock was kept,
    at.run()  # with the values the browser still shows
    at.selectbox(key="sale_seller").set_value("COL-0001-H")
    at.selectbox(key="sale_buyer").set_value("ENT-0002-H")
    at.text_input(key="sale_contract").set_value("HZGX-UI-TWICE").run()
    button(at, zh("record_sale")).click().run()
    no_errors(at)
    assert at.session_state["locked_forms"]["sale"]["seq"] == first["seq"]
    assert len(ui_queries.sales(service, contract="HZGX-UI-TWICE")) == 1


def test_sales_history_filters_and_export(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="clerk", page="sales")
    no_errors(at)
    [listed] = list_tables(at)
    everything = len(listed)
    assert everything >= 3
    # each row's entry links to the entry in the public registry
    assert all(re.fullmatch(r"registry\?entry=\d+", link) for link in listed[zh("col_entry")])
    at.text_input(key="sales_contract").set_value("HZGX-2024-0101").run()  # the demo's first sale (2024 spring)
    [listed] = list_tables(at)
    assert len(listed) == 1 and listed[zh("contract_no")].tolist()[0].startswith("HZGX-2024-0101")
    labels = [d.proto.label for d in at.get("download_button")]
    assert zh("export_excel") in labels and zh("download_receipt") in labels


def test_receipt_pdf_and_excel_bytes() -> None:
    from sinkledger.documents.receipts import table_xlsx
    from sinkledger.ui.receipt import receipt_pdf

    sale = {"seq": 7, "recorded_at": "2025-03-01T08:00:00+00:00", "contract_no": "C-1", "seller_name": "卖方合作社",
            "seller_account": "COL-0001-H", "buyer_name": "买方企业", "buyer_account": "ENT-0001-H", "quantity": 3,
            "price_fen_per_t": 7341, "amount_fen": 22023, "actor": "clerk", "entry_hash": "ab" * 32,
            "blocks": [{"serials": "CN330523-BF-AJBF01-2022-000000001..000000003", "quantity": 3}]}
    pdf = receipt_pdf(sale, "zh")
    assert pdf[:5] == b"%PDF-"
    import io

    from pypdf import PdfReader

    page_text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "碳汇交易凭证" in page_text and "220.23" in page_text
    xlsx = table_xlsx([{"a": 1, "b": "二"}], sheet_title="交易")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx)).active
    assert [c.value for c in ws[1]] == ["a", "b"] and [c.value for c in ws[2]] == [1, "二"]


# -- court -----------------------------------------------------------------------------------

def test_court_case_order_fulfil_certificate(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="court", page="cases")
    no_errors(at)
    at.text_input(key="case_no").set_value("(2025)浙0521民初77号")
    at.multiselect(key="case_defendants").set_value(["ENT-0002"])
    at.text_input(key="case_ecosystem").set_value("下渚湖湿地（演示）")
    at.text_input(key="case_area").set_value("1.5")
    at.selectbox(key="case_sink").set_value("bamboo_forest")
    at.text_area(key="case_description").set_value("非法排污（演示）")
    assert at.selectbox(key="case_county").value == "330521"  # issue 19: the Deqing court's county, not 吴兴区
    button(at, zh("register_case")).click().run()
    no_errors(at)
    assert [s.value for s in at.selectbox if s.label == text("choose_case", "zh")] == ["(2025)浙0521民初77号"]
    case = service_for(app_env).court.status(service_for(app_env).actor("court"), case_no="(2025)浙0521民初77号")
    assert case["case"]["county_code"] == "330521"
    at.number_input(key="order_quantity").set_value(2)
    button(at, zh("issue_order")).click().run()
    no_errors(at)
    order_id = [o for o in service_for(app_env).court.status(service_for(app_env).actor("court"),
                                                              case_no="(2025)浙0521民初77号")["orders"]][0]["order_id"]
    form = f"fulfil_{order_id}"
    at.selectbox(key=f"{form}_seller").set_value("COL-0003-H")
    at.text_input(key=f"{form}_contract").set_value("HZGX-COURT-1")
    button(at, zh("fulfil_order")).click().run()
    no_errors(at)
    assert any("履行完毕" in m.value for m in at.markdown)
    button(at, zh("issue_certificate")).click().run()
    no_errors(at)
    labels = [d.proto.label for d in at.get("download_button")]
    assert any(label.startswith("下载证明") for label in labels)


def test_court_calculator(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="court", page="calculator")
    no_errors(at)
    at.selectbox(key="calc_case").set_value(CASE_NO)
    at.number_input(key="calc_years").set_value(5).run()
    no_errors(at)
    assert headline(at) == [(zh("proposed_quantity"), "27 吨")]  # floor(2.5 ha × 0.59 × 44/12 × 5 yr)


def test_procurator_reads_cases_without_forms(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="procurator", page="cases")
    no_errors(at)
    labels = [b.label for b in at.button]
    assert zh("register_case") not in labels and zh("fulfil_order") not in labels
    assert len(at.dataframe) >= 1


# -- verifier --------------------------------------------------------------------------------

def test_verifier_sees_trace_and_parcel_then_approves(app_env) -> None:  # type: ignore[no-untyped-def]
    estimate = app_env["facts"]["estimate_id"]
    at = open_app(app_env, user="verifier", page="verify")
    no_errors(at)
    assert at.selectbox(key="verify_estimate").value == estimate
    [queue] = list_tables(at)  # the queue, each estimate once, the one chosen among them
    assert estimate in queue[zh("col_estimate")].tolist() and queue[zh("col_estimate")].is_unique
    assert "AJ-BF-0901" in json.dumps(deck_layers(at)["parcels"]["data"])
    assert any("计算过程" in m.value for m in at.markdown)
    limit_kg = service_for(app_env).estimate(estimate)["net_kg_co2e"]
    # issue 19: the verifier enters whole tonnes, as every other credit figure; the ledger gets t × 1000 kg
    assert at.number_input(key="verified_t").value == limit_kg // 1000
    at.number_input(key="verified_t").set_value(limit_kg // 1000 - 1)
    # a parcel never issued from and in no bundled project: no project code is proposed, and
    # none given is refused (the form once proposed the demo's Anji project for any estimate)
    assert at.text_input(key="verify_project").value == ""
    button(at, zh("approve_and_issue")).click().run()
    assert [e.value for e in at.error] == ["缺少必填项：项目代码。"]
    at.text_input(key="verify_project").set_value("AJBF09")
    button(at, zh("approve_and_issue")).click().run()
    no_errors(at)
    assert any("已核证签发" in s.value for s in at.success)
    issued = next(e for e in service_for(app_env).journal(limit=5) if e["kind"] == "issuance")
    assert issued["result"]["estimate_id"] == estimate and issued["result"]["issued_t"] == limit_kg // 1000 - 1
    assert {b["batch_id"].split("-")[2] for b in issued["result"]["batches"]} == {"AJBF09"}
    assert all(e["estimate_id"] != estimate for e in ui_queries.estimates_waiting(service_for(app_env)))


def test_verifier_returns_with_comments(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    inputs = service.estimate(app_env["facts"]["estimate_id"])["inputs"]
    again = service.record_estimate(service.actor("centre"), "t:estimate:again", parcel_codes=["AJ-BF-0901"],
                                     methodology_id="sinkledger.bamboo-moso-management",
                                     inputs=inputs)
    at = open_app(app_env, user="verifier", page="verify")
    at.selectbox(key="verify_estimate").set_value(again["estimate_id"]).run()
    button(at, zh("return_estimate")).click().run()  # without comments: refused, in Chinese
    assert [e.value for e in at.error] == ["退回时必须填写意见。"]
    at.text_area(key="return_comments").set_value("样地照片缺失，请补充。")
    button(at, zh("return_estimate")).click().run()
    no_errors(at)
    returned = [e for e in ui_queries.estimates(service) if e["estimate_id"] == again["estimate_id"]][0]
    assert returned["state"] == "returned" and returned["returns"][0]["comments"] == "样地照片缺失，请补充。"
    assert service.verify().ok


# -- cooperative -----------------------------------------------------------------------------

def test_cooperative_map_shows_only_its_parcels_and_parcel_page(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="parcels")
    no_errors(at)
    parcels = deck_layers(at)["parcels"]
    assert parcels["@@type"] == "MVTLayer" and parcels["data"].endswith("?lang=zh&holder=COL-0001")
    service = service_for(app_env)
    own = [p["parcel_code"] for p in service.parcels(status="active") if p["holder_party_id"] == "COL-0001"]
    assert zh("map_caption", n=len(own)) in texts(at, "caption")
    assert sorted(at.selectbox(key="parcel_code").options) == sorted(own)
    at.selectbox(key="parcel_code").set_value("AJ-BF-0001").run()
    no_errors(at)
    assert [h.value for h in at.header] == [zh("parcel_heading", code="AJ-BF-0001")]
    from sinkledger.ui.parcels import PARCEL_TABS, PARCEL_TABS_KEY

    tabs = [t.label for t in at.tabs]
    assert tabs == [zh(k) for k in ("tab_attributes", "tab_history", "tab_estimates", "tab_credits", "tab_income")]
    # only the open tab is drawn: the attributes first, then each tab as it is chosen
    drawn = {}
    for name in PARCEL_TABS:
        at.session_state[f"{PARCEL_TABS_KEY}_zh"] = zh(name)
        at.run()
        no_errors(at)
        drawn[name] = (len(at.dataframe), [s.value for s in at.subheader], [b.label for b in at.get("download_button")])
    tables = {name: n for name, (n, _, _) in drawn.items()}
    # one table a tab beside the page's own (before: every tab's tables on every run)
    assert len({tables[name] for name in PARCEL_TABS[:4]}) == 1 and tables["tab_income"] > tables["tab_credits"]
    assert [name for name in PARCEL_TABS if drawn[name][2]] == ["tab_estimates"]  # the report's PDF
    assert drawn["tab_estimates"][2] == [zh("download_trace_pdf")]
    assert [name for name in PARCEL_TABS if zh("inc_parcel_contributions") in drawn[name][1]] == ["tab_income"]


def test_cooperative_registers_a_drawn_parcel(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.ui.session import DRAWN

    at = open_app(app_env, user="coop")
    at.session_state[DRAWN] = square("drawn")
    go(at, "register")
    no_errors(at)
    at.text_input(key="draw_code").set_value("AJ-BF-0950")
    button(at, zh("register_parcel")).click().run()
    no_errors(at)
    assert [s.value for s in at.success] == [zh("parcel_registered", code="AJ-BF-0950")]
    assert service_for(app_env).parcel("AJ-BF-0950")["holder_party_id"] == "COL-0001"


def test_a_drawn_parcels_county_is_derived_from_where_it_lies(app_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: a parcel drawn inside Anji is stored as Anji (330523), not the first county of a
    list (吴兴区 330502); the page shows the derived county and offers no choice."""
    import shapely

    from sinkledger.ui.session import DRAWN

    inside_anji = shapely.geometry.mapping(shapely.box(119.400, 30.500, 119.403, 30.503))
    at = open_app(app_env, user="coop")
    at.session_state[DRAWN] = inside_anji
    go(at, "register")
    no_errors(at)
    shown = at.text_input(key="draw_county_derived_330523")
    assert shown.disabled and "330523" in shown.value
    assert not [s for s in at.selectbox if s.key == "draw_county"]
    at.text_input(key="draw_code").set_value("AJ-BF-0952")
    button(at, zh("register_parcel")).click().run()
    no_errors(at)
    assert service_for(app_env).parcel("AJ-BF-0952")["county_code"] == "330523"


def test_drawn_parcel_overlapping_is_refused_with_the_reason(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.ui.session import DRAWN

    service = service_for(app_env)
    at = open_app(app_env, user="coop", lang="en")
    at.session_state[DRAWN] = service.parcel("AJ-BF-0001")["geometry"]
    go(at, "register")
    at.text_input(key="draw_code").set_value("AJ-BF-0951")
    button(at, en("register_parcel")).click().run()
    assert not at.exception
    assert any("overlaps the registered AJ-BF-0001" in e.value for e in at.error)


def test_cooperative_uploads_a_file_with_preview(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    bad = feature_collection([("AJ-BF-0960", "bamboo_forest", square("upload_a")),
                              ("AJ-BF-0961", "bamboo_forest", service.parcel("AJ-BF-0002")["geometry"])])
    at = open_app(app_env, user="coop", page="register")
    at.file_uploader(key="parcel_file").set_value(("parcels.geojson", bad, "application/geo+json")).run()
    no_errors_but_preview = [e.value for e in at.error]
    assert any("问题" in e for e in no_errors_but_preview)
    layers = deck_layers(at)
    assert len(layers["preview"]["data"]["features"]) == 2
    assert len(layers["overlaps"]["data"]["features"]) >= 1
    assert layers["existing"]["@@type"] == "MVTLayer"  # the registered parcels as tiles, not inline
    assert zh("confirm_import", n=2) not in [b.label for b in at.button]
    good = feature_collection([("AJ-BF-0960", "bamboo_forest", square("upload_a")),
                               ("AJ-BF-0962", "bamboo_forest", square("upload_b"))])
    at.file_uploader(key="parcel_file").set_value(("good.geojson", good, "application/geo+json")).run()
    no_errors(at)
    assert any(s.value == zh("preview_ok", n=2) for s in at.success)
    button(at, zh("confirm_import", n=2)).click().run()
    no_errors(at)
    assert any(s.value == zh("imported_message", n=2) for s in at.success)
    assert {service.parcel(c)["status"] for c in ("AJ-BF-0960", "AJ-BF-0962")} == {"active"}


def test_cooperative_account_shows_income(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="coop", page="account")
    no_errors(at)
    assert [label for label, _ in headline(at)] == [zh("available_balance"), zh("pledged_balance"), zh("income")]


# -- household, enterprise -------------------------------------------------------------------

def test_household_reads_its_statement_and_cannot_retire(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="household", page="account")
    no_errors(at)
    assert zh("retire_credits") not in [b.label for b in at.button]


def test_enterprise_retires_credits(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    before = service.account_balance("ENT-0001-H")["held_t"]
    at = open_app(app_env, user="enterprise", page="account")
    at.number_input(key="retire_quantity").set_value(1)
    at.text_input(key="retire_beneficiary").set_value("示例绿色纺织有限公司（虚构）")
    at.text_input(key="retire_purpose").set_value("2025 年会议碳中和（演示）")
    button(at, zh("retire_credits")).click().run()
    no_errors(at)
    # issue 19: a retirement cannot be undone, so it is confirmed first; nothing happens before
    assert service.account_balance("ENT-0001-H")["held_t"] == before
    assert any("不可撤销" in w.value for w in at.warning)
    at.button(key="confirm_retire").click().run()
    no_errors(at)
    assert service.account_balance("ENT-0001-H")["held_t"] == before - 1
    assert [v for label, v in headline(at) if label == zh("available_balance")] == [f"{before - 1:,} 吨"]
    assert any(s.value == zh("retired_message", quantity="1 吨") for s in at.success)
    retirement = service.public.retirements(beneficiary="示例绿色纺织有限公司（虚构）")["items"][0]
    assert any(f"certificate?retirement={retirement['retirement_id']}" in m.value for m in at.markdown)
    assert any(retirement["retirement_id"] in b.label for b in at.get("download_button"))
    assert zh("retire_credits") not in [b.label for b in at.button]  # locked until a new retirement


def test_cancelling_a_retirement_retires_nothing(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    before = service.account_balance("ENT-0001-H")["held_t"]
    at = open_app(app_env, user="enterprise", page="account")
    at.text_input(key="retire_beneficiary").set_value("取消者")
    at.text_input(key="retire_purpose").set_value("演示")
    button(at, zh("retire_credits")).click().run()
    at.button(key="cancel_retire").click().run()
    no_errors(at)
    assert not at.warning and service.account_balance("ENT-0001-H")["held_t"] == before


@pytest.mark.parametrize(("blank", "said"), [("retire_beneficiary", "注销必须写明受益方。"),
                                             ("retire_purpose", "注销必须写明用途。")])
def test_a_retirement_without_beneficiary_or_purpose_is_refused_before_its_confirmation(app_env, blank, said) -> None:  # type: ignore[no-untyped-def]
    """What the service would refuse is said at once, not after the user has confirmed an act
    that cannot be undone; nothing is asked, nothing retired."""
    service = service_for(app_env)
    before = service.account_balance("ENT-0001-H")["held_t"]
    at = open_app(app_env, user="enterprise", page="account")
    for key in ("retire_beneficiary", "retire_purpose"):
        at.text_input(key=key).set_value("" if key == blank else "示例（虚构）")
    button(at, zh("retire_credits")).click().run()
    assert [e.value for e in at.error] == [said]
    assert not at.warning and not [b for b in at.button if b.key == "confirm_retire"]
    assert service.account_balance("ENT-0001-H")["held_t"] == before


# -- bank, insurer ---------------------------------------------------------------------------

def test_bank_pledges_and_releases(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    at = open_app(app_env, user="bank", page="pledges")
    at.selectbox(key="pledge_account").set_value("COL-0002-H")
    at.number_input(key="pledge_quantity").set_value(5)
    at.text_input(key="pledge_loan").set_value("LOAN-UI-1")
    button(at, zh("record_pledge")).click().run()
    no_errors(at)
    assert service.account_balance("COL-0002-H")["pledged_t"] == 5
    assert any("registry?entry=" in m.value for m in at.markdown)  # issue 19: what was recorded, linked
    # issue 19: more than is available, with credits pledged: the refusal gives the figures, in 吨
    held = service.account_balance("COL-0002-H")["held_t"]
    at.button(key="new_pledge").click().run()
    at.selectbox(key="pledge_account").set_value("COL-0002-H")
    at.number_input(key="pledge_quantity").set_value(held + 2)
    at.text_input(key="pledge_loan").set_value("LOAN-UI-2")
    button(at, zh("record_pledge")).click().run()
    assert [e.value for e in at.error] == [
        f"可用 {held} 吨，不足所需的 {held + 2} 吨；另有 5 吨处于质押状态，解押前不能交易、注销或再次质押。"]
    # issue 19: a default is confirmed first
    at.button(key="default").click().run()
    assert service.account_balance("COL-0002-H")["pledged_t"] == 5 and any("不可撤销" in w.value for w in at.warning)
    at.button(key="cancel_pledge_action").click().run()
    assert service.account_balance("COL-0002-H")["pledged_t"] == 5  # cancelled: nothing changed
    ours = max(at.selectbox(key="pledge_chosen").options)  # the newest pledge (the demo has one of its own)
    at.selectbox(key="pledge_chosen").set_value(ours).run()
    at.button(key="release").click().run()
    no_errors(at)
    assert service.account_balance("COL-0002-H")["pledged_t"] == 0
    # released: what was recorded, linked; the actions locked until the next one is started
    assert any(s.value.startswith("质押 PL-") and "已解押" in s.value for s in at.success)
    assert any("registry?entry=" in m.value for m in at.markdown)
    assert not [b for b in at.button if b.key in ("release", "default")]
    at.button(key="new_pledge_action").click().run()
    assert not any(s.value.startswith("质押 PL-") for s in at.success)


def test_the_bank_page_lists_its_newest_pledges_and_offers_every_active_one(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A bank of the county dataset has 26,960 pledges: its page lists the newest
    ``PLEDGES_SHOWN`` and says how many there are; the actions offer the active ones, also those
    older than the list."""
    from sinkledger.ui import bank

    service = service_for(app_env)
    banker = service.actor("bank")
    for i in range(3):
        service.pledge(banker, f"ui-pl:{i}", account_id="COL-0002-H", quantity=1, loan_reference=f"L-{i}",
                       loan_amount_fen=100_000, term_end="2030-12-31")
    every = ui_queries.pledges(service, bank_party_id=banker.party_id)
    assert len(every) >= 4 and [p["seq"] for p in every] == sorted((p["seq"] for p in every), reverse=True)
    page = ui_queries.pledges_page(service, bank_party_id=banker.party_id, limit=2)
    assert page == {"items": every[:2], "count": len(every)}
    active = [p["id"] for p in every if p["status"] == "active"]
    assert [p["id"] for p in ui_queries.pledges(service, bank_party_id=banker.party_id, status="active")] == active
    monkeypatch.setattr(bank, "PLEDGES_SHOWN", 2)
    at = open_app(app_env, user="bank", page="pledges")
    no_errors(at)
    assert zh("account_newest_shown", n=2, total=len(every)) in [c.value for c in at.caption]
    [listed] = list_tables(at)  # the newest two, newest first
    assert listed[zh("col_pledge")].tolist() == [p["id"] for p in every[:2]]
    assert at.selectbox(key="pledge_chosen").options == active[:2]


def test_insurer_records_a_loss_against_the_buffer(app_env) -> None:  # type: ignore[no-untyped-def]
    service = service_for(app_env)
    before = ui_queries.buffer_balance_t(service)
    at = open_app(app_env, user="insurer", page="losses")
    at.text_input(key="loss_event").set_value("LOSS-UI-1")
    at.number_input(key="loss_quantity").set_value(2)
    at.text_input(key="loss_reason").set_value("2025 年 1 月雪灾（演示）")
    button(at, zh("record_loss")).click().run()
    no_errors(at)
    assert ui_queries.buffer_balance_t(service) == before  # issue 19: confirmed first
    at.button(key="confirm_loss").click().run()
    no_errors(at)
    assert ui_queries.buffer_balance_t(service) == before - 2
    assert zh("record_loss") not in [b.label for b in at.button]  # locked until another reversal
    at.button(key="new_loss").click().run()
    at.text_input(key="loss_event").set_value("LOSS-UI-2")
    at.number_input(key="loss_quantity").set_value(before + 100)
    at.text_input(key="loss_reason").set_value("雪灾（演示）")
    button(at, zh("record_loss")).click().run()
    at.button(key="confirm_loss").click().run()
    assert not at.exception and any("缓冲池余额不足" in e.value for e in at.error)


# -- administrator ---------------------------------------------------------------------------

def test_admin_creates_changes_and_deactivates_a_user(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.services import admin

    service = service_for(app_env)
    at = open_app(app_env, user="admin", page="users")
    no_errors(at)
    at.text_input(key="new_username").set_value("clerk2")
    at.text_input(key="new_display").set_value("第二经办人")
    at.selectbox(key="new_role").set_value("cooperative").run()
    # issue 19: the party choices follow the role (a cooperative's user acts for a collective)
    kinds = {p["party_id"]: p["kind"] for p in service.parties()}
    options = at.selectbox(key="new_party_cooperative").options
    assert options and {kinds[o.rsplit("(", 1)[1].rstrip(")")] for o in options} == {"collective"}
    assert not any("BANK-0001" in o for o in options)
    at.selectbox(key="new_role").set_value("trading_clerk").run()
    at.selectbox(key="new_party_trading_clerk").set_value("TRADE-HZ")
    at.text_input(key="new_password").set_value("short")
    button(at, zh("create_user")).click().run()
    assert [e.value for e in at.error] == ["密码至少需要 8 个字符。"]
    at.text_input(key="new_password").set_value("long-enough-1")
    button(at, zh("create_user")).click().run()
    no_errors(at)
    # issue 19: the new user is in the list above at once (no reload)
    assert "clerk2" in at.dataframe[0].value[zh("username")].tolist()
    assert zh("user_created", username="clerk2") in [s.value for s in at.success]
    assert service.authenticate("clerk2", "long-enough-1").role.value == "trading_clerk"
    at.selectbox(key="edit_username").set_value("clerk2").run()
    at.selectbox(key="edit_role").set_value("enterprise")
    at.button(key="set_role").click().run()
    no_errors(at)
    # issue 19: one change per form instance, shown with its entry; the next change starts anew
    assert zh("user_role_set", username="clerk2", role=zh("role_enterprise")) in [s.value for s in at.success]
    assert not [b for b in at.button if b.key == "toggle_active"]
    at.button(key="new_edit_user").click().run()
    at.selectbox(key="edit_username").set_value("clerk2").run()
    at.button(key="toggle_active").click().run()
    users = {u["username"]: u for u in admin.list_users(service, service.actor("admin"))}
    assert users["clerk2"]["role"] == "enterprise" and users["clerk2"]["active"] is False
    assert service.verify().ok  # every change is a journal entry; the chain still verifies
    assert [e["kind"] for e in service.journal(limit=3)] == ["user_changed"] * 3


def test_admin_cannot_lock_itself_out(app_env) -> None:  # type: ignore[no-untyped-def]
    at = open_app(app_env, user="admin", page="users", lang="en")
    at.selectbox(key="edit_username").set_value("admin").run()
    at.button(key="toggle_active").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Administrators cannot deactivate their own account or change their own role."]


def test_service_refuses_what_the_ui_hides() -> None:
    """Roles are enforced again in the service: a clerk cannot manage users, a bank cannot sell."""
    from ledger.domain import Role
    from ledger.permissions import Actor
    from sinkledger.services import admin
    from sinkledger_base.errors import NotPermitted

    with pytest.raises(NotPermitted):
        admin.list_users(object(), Actor("clerk", Role.trading_clerk, "TRADE-HZ"))  # type: ignore[arg-type]


def test_the_clerk_corrects_a_sale_with_a_reason_as_a_new_entry(app_env) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: a sale recorded by mistake is corrected from the app: the reason, a confirmation,
    then a new journal entry reversing it (the original stays); the credits are back with the seller."""
    service = service_for(app_env)
    sale = service.sell(service.actor("clerk"), "t:sale:mistake", seller_account="COL-0001-H",
                        buyer_account="ENT-0002-H", quantity=2, price_fen_per_t=7000, contract_no="HZGX-MISTAKE")
    before = service.account_balance("COL-0001-H")["held_t"]
    at = open_app(app_env, user="clerk", page="sales")
    no_errors(at)
    at.selectbox(key="correct_seq").set_value(sale["seq"])
    at.text_input(key="correct_reason").set_value("录入错误：买方填错（演示）").run()
    at.button(key="correct_sale_button").click().run()
    assert service.account_balance("COL-0001-H")["held_t"] == before  # nothing before the confirmation
    at.button(key="confirm_correct_sale").click().run()
    no_errors(at)
    assert service.account_balance("COL-0001-H")["held_t"] == before + 2
    last = service.journal(limit=1)[0]
    assert last["kind"] == "correction" and last["result"]["corrected_seq"] == sale["seq"]
    assert last["result"]["reason"] == "录入错误：买方填错（演示）"
    assert any(f"registry?entry={last['seq']}" in m.value for m in at.markdown)
    assert service.verify().ok


def test_a_clerk_cannot_correct_an_issuance(app_env) -> None:  # type: ignore[no-untyped-def]
    from sinkledger_base.errors import NotPermitted

    service = service_for(app_env)
    issuance = next(e for e in service.journal(limit=500) if e["kind"] == "issuance")
    with pytest.raises(NotPermitted):
        service.correct(service.actor("clerk"), "t:correct:issuance", entry_seq=issuance["seq"], reason="x")


def test_the_headline_shows_its_figures_escaped() -> None:
    from sinkledger.ui.figures import headline_html

    block = headline_html([("<b>issued</b>", "1,000 吨"), ("sold & paid", "CNY 2.00")])
    assert "<b>" not in block and "&lt;b&gt;issued&lt;/b&gt;" in block and "sold &amp; paid" in block
    assert block.count("<dt") == block.count("<dd") == 2 and "1,000 吨" in block


def test_a_figure_table_without_rows_says_there_is_nothing_yet() -> None:
    """``summary_table([])`` (a new registry's statistics, a market's days without trades) is a
    caption in the chosen language, never an empty or broken table."""
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import streamlit as st

        from sinkledger.ui.figures import summary_table

        st.session_state["lang"] = "en"
        summary_table([])
        summary_table([{"month": "2026-09", "t": 3}])

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert [c.value for c in at.caption] == [text("nothing_yet", "en")]
    assert [m.value.splitlines()[0] for m in at.markdown] == ["| month | t |"]


def test_the_account_page_lists_the_newest_rows_and_says_how_many_there_are(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An enterprise of the county dataset bought 4,511 times: its page lists the newest
    ``ROWS_SHOWN`` of each list and says how many there are in all."""
    from sinkledger.ui import account

    service = service_for(app_env)
    bought = ui_queries.party_statement(service, "ENT-0001")["bought"]
    assert len(bought) > 2
    monkeypatch.setattr(account, "ROWS_SHOWN", 2)
    at = open_app(app_env, user="enterprise", page="account")
    no_errors(at)
    # one list at a time, each named with how many rows it has; the holdings first
    section = at.radio(key="account_section_zh")
    assert section.value == "holdings" and f"{zh('sales_in')} ({len(bought)})" in section.options
    assert len(list_tables(at)) == 1
    section.set_value("sales_in").run()
    no_errors(at)
    assert zh("account_newest_shown", n=2, total=len(bought)) in [c.value for c in at.caption]
    [listed] = list_tables(at)  # the newest two, newest first
    assert listed[zh("contract_no")].tolist() == [s["contract_no"] for s in bought[:2]]


def test_a_statement_holds_the_first_rows_of_each_list_and_counts_them_all(app_env) -> None:  # type: ignore[no-untyped-def]
    """``party_statement(rows=n)`` reads n rows of each list: the head of the whole list, the
    counts and the income those rows alone could not give."""
    service = service_for(app_env)
    whole = ui_queries.party_statement(service, "ENT-0001", rows=100_000)
    short = ui_queries.party_statement(service, "ENT-0001", rows=1)
    assert whole["bought_count"] == len(whole["bought"]) > 1
    for name in ("holdings", "sold", "bought", "retirements", "pledges"):
        assert short[name] == whole[name][:1], name
        assert short[f"{name}_count"] == whole[f"{name}_count"] == len(whole[name]), name
    assert [s["seq"] for s in whole["bought"]] == sorted((s["seq"] for s in whole["bought"]), reverse=True)
    assert short["income_fen"] == whole["income_fen"] == sum(s["amount_fen"] for s in whole["sold"])
    everything = ui_queries.sales(service, account_id="ENT-0001-H")
    assert whole["bought"] == [s for s in everything if s["buyer_account"] == "ENT-0001-H"]
    assert whole["sold"] == [s for s in everything if s["seller_account"] == "ENT-0001-H"]
    sellers = Counter(s["seller_account"] for s in ui_queries.sales(service))
    seller, n = sellers.most_common(1)[0]  # a seller with more than one sale: its income is every sale's
    assert n > 1 and seller.endswith("-H")
    village = ui_queries.party_statement(service, seller.removesuffix("-H"), rows=1)
    sold = [s for s in ui_queries.sales(service, account_id=seller) if s["seller_account"] == seller]
    assert village["income_fen"] == sum(s["amount_fen"] for s in sold) > 0 and village["sold_count"] == len(sold) == n
    assert village["sold"] == sold[:1]


def test_the_sales_page_lists_the_newest_page_of_sales_and_says_so(app_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sinkledger.ui import clerk

    monkeypatch.setattr(clerk, "PAGE_ROWS", 2)
    at = open_app(app_env, user="clerk", page="sales")
    no_errors(at)
    assert len(list_tables(at)[0]) == 2
    assert zh("sales_newest_shown", n=2) in [c.value for c in at.caption]
    assert len(at.selectbox(key="receipt_seq").options) == 2
