"""Issue 22's pages: the public carbon-sink price index, the insurer's price index insurance, the
collective's policies, a project's pricing factors, and the reference price beside the clerk's
sale form. Every figure comes from ``service.prices`` (docs/prices.md); pages hold no rule.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import streamlit as st

from sinkledger.ui import charts, session, widgets
from sinkledger.ui import format as fmt
from sinkledger.ui.common import (
    attempt,
    confirmed,
    county_names,
    get_service,
    require_roles,
    show_recorded,
    sink_name,
    submit_once,
)
from sinkledger.ui.figures import headline, summary_table
from sinkledger.ui.income_common import parse_yuan, party_label, table
from sinkledger.ui.text import t, text

if TYPE_CHECKING:  # for annotations only
    from ledger.permissions import Actor
    from sinkledger.services.registry import Service

SINKS = ("bamboo_forest", "wetland", "tea_garden")
FACTORS = ("biodiversity", "ecological_product_value", "co_benefits")


# -- the public index ---------------------------------------------------------------------------------
def _window_row(w: dict[str, Any], lang: str) -> dict[str, Any]:
    published = w["published"]
    return {t("px_window"): w["window"],
            t("px_index"): fmt.price(w["index_fen_per_t"], lang) if published else t("px_not_published"),
            t("px_trades"): w["trades"], t("px_trades_used"): w["trades_used"] if published else "—",
            t("px_outliers"): w["outliers"] if published else "—",
            t("px_volume_t"): fmt.tonnes(w["volume_t"], lang) if published else "—",
            t("px_note"): "" if published else t("px_reason_no_trades") if not w["trades"] else
            t(f"px_reason_{w['reason']}")}


def index_window(market: dict[str, Any], frequency: str) -> tuple[date, date]:
    """The window the index page shows first for ``market`` (a row of ``prices.markets()``):
    monthly, the two years to its last trade (the service's default) from its first trade on;
    daily, the 90 days to its last trade."""
    last = date.fromisoformat(market["last_trade_date"])
    if frequency != "monthly":
        return last - timedelta(days=89), last
    first = date.fromisoformat(market["first_trade_date"])
    start = max(date(last.year - 2, last.month, 1) + timedelta(days=31), date(first.year, first.month, 1))
    return start.replace(day=1), last


def index_section(service: Service, lang: str, *, key: str = "px") -> None:
    """The index of one market: monthly or daily, a table and a chart; the method; a window's trace."""
    markets = service.prices.markets()
    counties = county_names(service)
    if not markets:
        st.info(t("px_no_trades"))
        return
    # A market is a sink type in a county: two short rows of choices rather than one long list, as
    # radios, whose scripts the sidebar has loaded already (a select box brings 16 more for a first
    # visit to fetch and compile: BENCHMARKS.md, issue 17). Only counties with trades of the sink type.
    c1, c2, c3 = st.columns([4, 5, 2])
    sinks = list(dict.fromkeys(m["sink_type"] for m in markets))
    # the language in the keys: a widget whose option labels change keeps showing the old ones
    sink = c1.radio(t("px_sink_type"), sinks, format_func=lambda s: sink_name(s, lang), horizontal=True,
                    key=f"{key}_sink_{lang}")
    trades = {m["county_code"]: m["trades"] for m in markets if m["sink_type"] == sink}
    county = c2.radio(t("px_county"), list(trades), horizontal=True, key=f"{key}_county_{sink}_{lang}",
                      format_func=lambda c: f"{counties.get(c, c)} ({fmt.integer(trades[c], lang)})")
    frequency = c3.radio(t("px_frequency"), ("monthly", "daily"), format_func=lambda f: text(f"px_{f}", lang),
                         horizontal=True, key=f"{key}_frequency_{lang}")
    chosen = (sink, county)
    market = next(m for m in markets if (m["sink_type"], m["county_code"]) == chosen)
    start, last = index_window(market, frequency)
    out = attempt(service.prices.index, sink_type=chosen[0], county_code=chosen[1], frequency=frequency,
                  date_from=start.isoformat(), date_to=last.isoformat())
    if out is None:
        return
    published = [w for w in out["windows"] if w["published"]]
    if published:
        latest = published[-1]
        headline([
            (t("px_latest", window=latest["window"]), fmt.price(latest["index_fen_per_t"], lang)),
            (t("px_windows_published"), f'{len(published)} / {len(out["windows"])}'),
            (t("px_trades"), f'{sum(w["trades"] for w in out["windows"]):,}')])
        names = [w["window"] for w in out["windows"]]
        span = names.index(published[-1]["window"]) - names.index(published[0]["window"]) + 1
        windows, index = [w["window"] for w in published], [w["index_fen_per_t"] / 100 for w in published]
        # consecutive windows: a line; with gaps (windows not published), points with no line across them
        chart = charts.line if span == len(published) else charts.points
        charts.draw(chart(windows, index, charts.COLOURS[1], y_title=t("px_chart_unit"), x_title=t("px_window")))
    else:
        st.info(t("px_none_published"))
    shown = [w for w in out["windows"] if w["trades"]] if frequency == "daily" else out["windows"]
    # figures to read, not to sort or edit: a static table (sinkledger/ui/figures.py)
    summary_table([_window_row(w, lang) for w in reversed(shown)])
    with st.expander(t("px_method")):
        st.markdown(t("px_method_text", min_trades=out["rule"]["min_trades"], min_sellers=out["rule"]["min_sellers"],
                      version=out["rule"]["version"]))
    windows = [w["window"] for w in shown if w["trades"]]
    if windows:
        # a window's trace on demand: the expander runs its content only when opened, so a visit
        # that does not ask for a trace neither reads one nor loads a select box's scripts
        # The expander's identity includes its label, so a language switch makes a new one: it
        # opens as the last run left it (remembered here), not closed.
        remembered = f"{key}_trace_was_open"
        box = st.expander(t("px_trace_title"), expanded=st.session_state.get(remembered, False),
                          key=f"{key}_trace_open", on_change="rerun")
        st.session_state[remembered] = bool(box.open)
        with box:
            if box.open:
                _trace(service, chosen, frequency, windows, key)


def _trace(service: Service, chosen: tuple[str, str], frequency: str, windows: list[str], key: str) -> None:
    widgets.localise_widgets()  # a select box on a page that goes without the script (navigation.PLAIN_PAGES)
    window = st.selectbox(t("px_trace_window"), list(reversed(windows)), key=f"{key}_trace")
    trace = attempt(service.prices.trace, sink_type=chosen[0], county_code=chosen[1], frequency=frequency,
                    window=window)
    if trace is not None:
        st.caption(t("px_trace_note", n=len(trace["inputs"]), seq=trace["as_of_seq"]))
        st.download_button(t("px_trace_download"), json.dumps(trace, ensure_ascii=False, indent=1).encode(),
                           file_name=f"price-index-{chosen[0]}-{chosen[1]}-{window}.json",
                           mime="application/json", key=f"{key}_trace_dl")


def public_index_page() -> None:
    service = get_service()
    lang = session.lang()
    st.title(t("page_price_index"))
    st.write(t("px_intro"))
    index_section(service, lang)


# -- the insurer -------------------------------------------------------------------------------------
POLICY_FIELDS = ("pol_no", "pol_strike", "pol_tonnes", "pol_premium")


def index_insurance_page() -> None:
    actor = require_roles("insurer")
    service = get_service()
    lang = session.lang()
    st.title(t("page_index_insurance"))
    st.write(t("pol_intro"))
    policies = attempt(service.prices.policies, actor, limit=200) or {"items": []}
    tabs = st.tabs([t("pol_tab_issue"), t("pol_tab_settle"), t("pol_tab_list")])
    with tabs[0]:
        _policy_form(actor, service, lang)
    with tabs[1]:
        _settle_form(actor, service, lang, [p for p in policies["items"] if p["status"] == "open"])
    with tabs[2]:
        policies_table(policies["items"], lang)


def _policy_form(actor: Actor, service: Service, lang: str) -> None:
    done = session.locked("index_policy")
    if done:
        show_recorded("index_policy", t("pol_issued", policy=done["policy_no"],
                                        cover=fmt.money(done["max_payout_fen"], lang)),
                      seq=done["seq"], new_label_key="pol_new", fields=POLICY_FIELDS)
        return
    contracts = attempt(service.income.contracts, actor) or []
    if not contracts:
        st.caption(t("pol_no_contracts"))
        return
    by_no = {c["contract_no"]: c for c in contracts}
    counties = county_names(service)
    today = fmt.local_time(datetime.now(UTC)).date()  # the insurer's calendar day (Asia/Shanghai)
    with st.form("policy_form"):
        c1, c2 = st.columns(2)
        policy_no = c1.text_input(t("inc_policy_no"), key="pol_no")
        contract_no = c2.selectbox(t("pol_contract"), list(by_no), key="pol_contract",
                                   format_func=lambda no: f'{no} · {party_label(by_no[no]["collective_party_id"])}')
        sink = c1.selectbox(t("px_sink_type"), SINKS, format_func=lambda s: sink_name(s, lang), key=f"pol_sink_{lang}")
        county = c2.selectbox(t("px_county"), sorted(counties), format_func=lambda c: f"{counties[c]} ({c})",
                              index=sorted(counties).index("330523") if "330523" in counties else 0, key="pol_county")
        start = c1.date_input(t("pol_period_start"), value=today + timedelta(days=1), key="pol_start")
        end = c2.date_input(t("pol_period_end"), value=today + timedelta(days=91), key="pol_end")
        strike = c1.text_input(t("pol_strike_yuan"), value="70.00", key="pol_strike")
        tonnes = c2.number_input(t("pol_insured_t"), min_value=0, step=100, value=1000, key="pol_tonnes")
        premium = c1.text_input(t("pol_premium_yuan"), key="pol_premium")
        product = c2.text_input(t("inc_product"), value="竹林碳汇价格指数保险", key="pol_product")
        ok = st.form_submit_button(t("pol_issue"), type="primary")
    if not ok:
        return
    strike_fen, premium_fen = parse_yuan(strike), parse_yuan(premium)
    if strike_fen is None or premium_fen is None:
        return
    submit_once("index_policy", service.prices.issue_policy, actor=actor, policy_no=policy_no.strip(),
                insured_party_id=by_no[contract_no]["collective_party_id"], contract_no=contract_no,
                sink_type=sink, county_code=county, period_start=start.isoformat(), period_end=end.isoformat(),
                strike_fen_per_t=strike_fen, insured_t=int(tonnes), premium_fen=premium_fen,
                product=product.strip() or None)


def _settle_form(actor: Actor, service: Service, lang: str, open_policies: list[dict[str, Any]]) -> None:
    done = session.locked("index_settlement")
    if done:
        show_recorded("index_settlement", t("pol_settled", policy=done["policy_no"],
                                            payout=fmt.money(done["payout_fen"], lang)),
                      seq=done["seq"], new_label_key="pol_new_settlement", fields=("pol_reference",))
        return
    if not open_policies:
        st.caption(t("pol_none_open"))
        return
    policy_no = st.selectbox(t("pol_choose"), [p["policy_no"] for p in open_policies], key="pol_settle_choice")
    plan = attempt(service.prices.preview_settlement, actor, policy_no=policy_no)
    if plan is None:
        return
    headline([(t("pol_index_used"), fmt.price(plan["index_fen_per_t"], lang) if plan["published"]
               else t("px_not_published")),
              (t("pol_strike"), fmt.price(plan["strike_fen_per_t"], lang)),
              (t("pol_payout"), fmt.money(plan["payout_fen"], lang))])
    st.caption(t(f"pol_basis_{plan['basis']}", window=plan["trace"]["window"], n=plan["trace"]["result"]["trades"]))
    table([{t("col_role"): t(f"inc_role_{line['role']}"), t("col_party"): party_label(line["party_id"]),
            t("col_parcel"): line["parcel_code"], t("pol_amount"): fmt.money(line["amount_fen"], lang)}
           for line in plan["lines"]])
    reference = st.text_input(t("inc_reference"), key="pol_reference")
    asked = st.button(t("pol_settle"), type="primary", key="pol_settle")
    if confirmed("index_settlement", asked, t("pol_settle_confirm", policy=policy_no,
                                              payout=fmt.money(plan["payout_fen"], lang))):
        submit_once("index_settlement", service.prices.settle_policy, actor=actor, policy_no=policy_no,
                    reference=reference.strip() or None)


def policies_table(items: list[dict[str, Any]], lang: str) -> None:
    rows = []
    for p in items:
        s = p["settlement"] or {}
        # what a reader looks for first (period, status, index, payout) before what scrolls off on a narrow screen
        rows.append({t("inc_policy_no"): p["policy_no"], t("pol_period"): f'{p["period_start"]} – {p["period_end"]}',
                     t("pol_status"): t(f"pol_status_{p['status']}"),
                     t("pol_strike"): fmt.price(p["strike_fen_per_t"], lang),
                     t("pol_index_used"): (fmt.price(s["index_fen_per_t"], lang) if s.get("published")
                                           else (t("px_not_published") if s else "—")),
                     t("pol_payout"): fmt.money(s["payout_fen"], lang) if s else "—",
                     t("pol_insured_t"): fmt.tonnes(p["insured_t"], lang),
                     t("pol_premium"): fmt.money(p["premium_fen"], lang),
                     t("inc_insured"): party_label(p["insured_party_id"]),
                     t("px_market"): f'{sink_name(p["sink_type"], lang)} · {p["county_code"]}'})
    table(rows)


def coop_policies_page() -> None:
    """The insured collective's view: its policies, their settlements and what it owes its households."""
    actor = require_roles("cooperative")
    service = get_service()
    lang = session.lang()
    st.title(t("page_my_policies"))
    st.write(t("pol_coop_intro"))
    out = attempt(service.prices.policies, actor, limit=200)
    if out is None:
        return
    policies_table(out["items"], lang)
    for p in out["items"]:
        if p["settlement"] and p["settlement"]["due_items"]:
            st.subheader(t("pol_lines_of", policy=p["policy_no"]))
            table([{t("col_party"): party_label(d["party_id"]), t("col_parcel"): d["parcel_code"],
                    t("pol_amount"): fmt.money(d["amount_fen"], lang),
                    t("inc_outstanding"): fmt.money(d["outstanding_fen"], lang)}
                   for d in p["settlement"]["due_items"]])
    st.caption(t("pol_pay_hint"))


# -- pricing factors -----------------------------------------------------------------------------------
def pricing_factors_page() -> None:
    actor = require_roles("collection_centre", "admin")
    service = get_service()
    st.title(t("page_pricing_factors"))
    st.write(t("pf_intro"))
    projects = attempt(service.income.projects, actor) if actor.role.value == "collection_centre" else None
    codes = [p["project_code"] for p in projects or []] or [p["project_code"] for p in
                                                          service.public.projects(limit=200)["items"]]
    if not codes:
        st.caption(t("nothing_yet"))
        return
    code = st.selectbox(t("pf_project"), codes, key="pf_project")
    current = attempt(service.prices.project_factors, project_code=code)
    if current and current["factors"]:
        table([{t("pf_factor"): t(f"pf_{f['factor']}"), t("pf_value"): f["value"], t("pf_evidence"): f["evidence_title"],
                t("pf_file"): f["evidence_file_name"], "SHA-256": f["evidence_sha256"][:16] + "…"}
               for f in current["factors"]])
        st.caption(t("pf_product", product=current["product"]))
    done = session.locked("pricing_factors")
    if done:
        show_recorded("pricing_factors", t("pf_recorded", project=done["project_code"], product=done["product"]),
                      seq=done["seq"], new_label_key="pf_new")
        return
    items = []
    for factor in FACTORS:
        with st.container(border=True):
            st.markdown(f"**{t(f'pf_{factor}')}**")
            c1, c2, c3 = st.columns([1, 2, 2])
            value = c1.text_input(t("pf_value"), key=f"pf_{factor}_value", placeholder="1.10")
            title = c2.text_input(t("pf_evidence"), key=f"pf_{factor}_title")
            upload = c3.file_uploader(t("pf_file"), key=f"pf_{factor}_file")
            if value.strip():
                if upload is None:
                    st.caption(t("pf_needs_file"))
                    continue
                items.append({"factor": factor, "value": value.strip(), "evidence_title": title.strip(),
                              "evidence_file_name": upload.name, "evidence_content": upload.getvalue()})
    if st.button(t("pf_record"), type="primary", disabled=not items, key="pf_record"):
        submit_once("pricing_factors", service.prices.set_factors, actor=actor, project_code=code, factors=items)


# -- beside the clerk's sale form -----------------------------------------------------------------------
def _signed_price(fen_per_t: int, lang: str) -> str:
    """The price's distance from the reference, its sign first (the metric's arrow follows it)."""
    return ("-" if fen_per_t < 0 else "+") + fmt.price(abs(fen_per_t), lang)


def reference_panel(service: Service, actor: Actor, *, seller: str, quantity: int, sale_day: str, price_fen: int,
                    lang: str) -> None:
    """The index and, for projects with pricing factors, the reference price of the credits the sale
    would take (the price agreed stays the parties')."""
    out = attempt(service.prices.reference_price, actor, seller_account=seller, quantity=quantity,
                  sale_date=sale_day)
    if not out or not out["lines"]:
        return
    with st.container(border=True):
        st.markdown(f"**{t('px_reference_title')}**")
        for line in out["lines"]:
            index = line["reference_index"]
            shown = [(t("px_reference_index", window=index["window"] or "—"),
                      fmt.price(index["index_fen_per_t"], lang) if index["published"] else t("px_not_published"))]
            if line["factors"]:
                ref = line["reference_price_fen_per_t"]
                shown += [(t("px_factors_product"), str(line["product"])),
                          (t("px_reference_price"), fmt.price(ref, lang) if ref is not None else "—",
                           _signed_price(price_fen - ref, lang) if ref is not None else None)]
            headline(shown)
            if line["factors"]:
                st.caption(" · ".join(f"{_factor_label(f['factor'])} {f['value']} ({f['evidence_title']}, "
                                      f"SHA-256 {f['evidence_sha256'][:12]}…)" for f in line["factors"]))
            st.caption(t("px_reference_of", project=line["project_code"], tonnes=fmt.tonnes(line["quantity_t"], lang),
                         sink=sink_name(line["sink_type"], lang), county=line["county_code"]))


def _factor_label(factor: str) -> str:
    """A pricing factor's name in the page's language (pf_biodiversity, pf_ecological_product_value, pf_co_benefits)."""
    return t(f"pf_{factor}")
