"""Public pages (no sign-in): the landing page, the parcel map, the statistics and the certificate check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from sinkledger.services import queries as ui_queries
from sinkledger.services import tiles
from sinkledger.ui import charts, instruments, maps, navigation, public_registry, session
from sinkledger.ui import format as fmt
from sinkledger.ui.common import attempt, cached_version, county_names, get_service, sink_name
from sinkledger.ui.figures import headline, summary_table
from sinkledger.ui.text import labeller, t
from sinks import SINK_TYPES

if TYPE_CHECKING:  # for annotations only
    from sinkledger.services.registry import Service


@st.cache_data(show_spinner=False, max_entries=4, ttl=60)
def integrity_report(version: int) -> dict[str, Any]:
    """The last verified checkpoint and the journal's size (two reads, no replay), once per ledger
    version and minute."""
    return ui_queries.integrity(get_service())


@st.cache_data(show_spinner=False, max_entries=16)
def parcel_totals(version: int, holder_party_id: str | None = None) -> dict[str, tuple[int, float]]:
    """Active parcels per sink type: (count, area in ha), one aggregate query per parcels version."""
    return tiles.parcel_summary(get_service(), holder=holder_party_id)


@st.cache_data(show_spinner=False, max_entries=16)
def parcel_bounds(version: int, holder_party_id: str | None = None) -> tuple[float, float, float, float] | None:
    """Where the active parcels (of a holder) are: one aggregate query per parcels version."""
    return tiles.parcels_bounds(get_service(), holder=holder_party_id)


@st.cache_data(show_spinner=False, max_entries=4)
def ledger_summary(version: int) -> dict[str, Any]:
    """The overview's figures, once per ledger version (each entry makes a new one): credits by
    sink type and vintage, the buffer, sales totals, totals by county and the monthly activity,
    every one summed by the database."""
    service = get_service()
    return {**ui_queries.public_totals(service), "sales": ui_queries.sales_page(service, limit=0),
            "counties": ui_queries.totals_by_county(service), "months": ui_queries.monthly_activity(service)}


def parcels_version() -> int:
    """The parcels version the map's tile URLs carry: every change to a parcel writes a journal
    entry, so it is looked up once per ledger version."""
    return _parcels_version_at(cached_version())


@st.cache_data(show_spinner=False, max_entries=4)
def _parcels_version_at(version: int) -> int:
    return tiles.parcels_version(get_service())


def tianditu_key() -> str | None:
    return getattr(get_service().settings, "tianditu_key", None)


def parcel_map(*, key: str, holder_party_id: str | None = None, extra: list[Any] = ()) -> str | None:
    """The parcel map: vector tiles of the active and retired parcels (of one holder, or all) over
    the offline county outlines unless a web base map is chosen; legend and caption. The page
    holds the tiles' URL, never the parcels. Returns the code of the parcel clicked, if any."""
    service = get_service()
    lang = session.lang()
    version = parcels_version()
    counties = maps.counties_geojson(str(service.settings.counties_path))
    basemap = basemap_choice()
    bounds = parcel_bounds(version, holder_party_id) or service.settings.region.bounds_lonlat
    deck = maps.parcel_deck(maps.tiles_layer(version, lang, holder=holder_party_id), counties, bounds,
                            basemap=basemap, tianditu_key=tianditu_key(), extra=list(extra))
    event = st.pydeck_chart(deck, height=560, key=key, on_select="rerun", selection_mode="single-object")
    st.markdown(maps.legend_markdown(lang), unsafe_allow_html=True)
    n = sum(count for count, _ in parcel_totals(version, holder_party_id).values())
    st.caption(t("map_caption", n=n))
    clicked = maps.clicked_parcel(event)
    if clicked:
        st.markdown(t("map_clicked", code=clicked["code"], sink=clicked["sink"], holder=clicked["holder"] or "—",
                      area=clicked["area"], status=clicked["status"]))
        if not clicked.get("cell"):  # a parcel: its credits, and its page in the public registry
            credits = ui_queries.parcel_credits(service, clicked["code"])
            vintages = ", ".join(str(v) for v in credits["vintages"]) or "—"
            st.markdown(t("map_clicked_credits", issued=fmt.tonnes(credits["issued_t"], lang), vintages=vintages,
                          link=f"registry?parcel={quote(clicked['code'])}"))
    return clicked["code"] if clicked and not clicked.get("cell") else None


def basemap_choice() -> str:
    """The chosen base map; a web base map that cannot be used here says so plainly and the map
    falls back to the offline county outlines."""
    chosen = navigation.basemap_selector()
    if chosen == "tianditu" and not tianditu_key():
        st.warning(t("basemap_tianditu_no_key"))
        return "none"
    if chosen != "none" and not maps.basemap_reachable(chosen):
        st.warning(t("basemap_offline", name=t(f"basemap_{chosen}")))
        return "none"
    return chosen


# -- explorer ---------------------------------------------------------------------------------

def explorer_page() -> None:
    """The landing page: what the registry holds and whether its ledger checks out, with the way
    to the parcel map, the statistics and the public registry. It draws no map: deck.gl costs a
    visitor more than the rest of the page together (BENCHMARKS.md, issue 17); the map has its
    own page."""
    st.title(t("app_title"))
    st.write(t("app_subtitle"))
    st.info(t("synthetic_notice"))
    balances = ledger_summary(cached_version())
    _headline(balances)
    # one above the other, not side by side: a Markdown table in a column overflows it on a
    # narrow screen (over the integrity box beside it, at 700 px)
    st.subheader(t("balances_header"))
    _sink_table(balances, parcel_totals(parcels_version()))
    st.subheader(t("integrity_header"))
    _integrity()
    st.subheader(t("explore_header"))
    for url_path, key in (("map", "explore_map"), ("statistics", "explore_statistics"),
                          ("registry", "explore_registry"), ("prices", "explore_prices")):
        st.page_link(navigation.page(url_path), label=t(key))


def map_page() -> None:
    """The parcel map over vector tiles (issue 17): every active and retired parcel, coloured by
    sink type; a click says what the parcel is, what it was credited and links to its page."""
    st.title(t("page_map"))
    parcel_map(key="overview_map")


def statistics_page() -> None:
    """The registry's figures in detail: by vintage and sink type, by county, and the monthly
    issuance, sales, retirements and average price."""
    st.title(t("page_statistics"))
    balances = ledger_summary(cached_version())
    st.subheader(t("vintage_header"))
    _vintage_table(balances)
    st.subheader(t("county_header"))
    _county_table(get_service(), balances["counties"])
    st.subheader(t("activity_header"))
    _activity_charts(balances["months"])


def _headline(balances: dict[str, Any]) -> None:
    rows, sales = balances["by_sink_type"], balances["sales"]
    lang = session.lang()
    headline([
        (t("metric_issued"), fmt.tonnes(sum(r["issued_t"] for r in rows), lang)),
        (t("metric_retired"), fmt.tonnes(sum(r["retired_t"] for r in rows), lang)),
        (t("metric_sold"), fmt.tonnes(sales["quantity"], lang)),
        (t("metric_sales_value"), fmt.money(sales["amount_fen"], lang))])


def _sink_table(balances: dict[str, Any], parcels: dict[str, tuple[int, float]]) -> None:
    buffer_t = balances["buffer_held_t"]
    lang = session.lang()
    rows = []
    for sink_type in SINK_TYPES:
        mine = [r for r in balances["by_sink_type"] if r["sink_type"] == sink_type.value]
        count, area_ha = parcels.get(sink_type.value, (0, 0.0))
        rows.append({
            t("col_sink_type"): sink_name(sink_type.value, lang),
            t("col_parcels"): count,
            t("col_area_ha"): round(area_ha, 1),
            t("col_issued"): sum(r["issued_t"] for r in mine),
            t("col_held"): sum(r["held_t"] for r in mine),
            t("col_pledged"): sum(r["pledged_t"] for r in mine),
            t("col_retired"): sum(r["retired_t"] for r in mine),
            t("col_cancelled"): sum(r["cancelled_t"] for r in mine),  # buffer credits cancelled by reversals
        })
    summary_table(rows)
    st.caption(t("buffer_caption", n=f"{buffer_t:,}"))  # (grouped as the table's figures are)


def _vintage_table(balances: dict[str, Any]) -> None:
    rows = [{t("col_vintage"): str(r["vintage_year"]), t("col_sink_type"): sink_name(r["sink_type"]),
             t("col_issued"): r["issued_t"], t("col_held"): r["held_t"], t("col_pledged"): r["pledged_t"],
             t("col_retired"): r["retired_t"], t("col_cancelled"): r["cancelled_t"]}
            for r in balances["by_sink_type"]]
    summary_table(rows)


def _county_table(service: Service, totals: list[dict[str, Any]]) -> None:
    names = county_names(service)
    rows = [{t("col_county"): names.get(r["county_code"], r["county_code"]), t("col_issued"): r["issued_t"],
             t("col_held"): r["held_t"], t("col_pledged"): r["pledged_t"], t("col_retired"): r["retired_t"],
             t("col_cancelled"): r["cancelled_t"]} for r in totals]
    summary_table(rows)


MOST_PERIODS = 24  # more months than this are drawn by quarter, more quarters by year


def activity_periods(months: list[dict[str, Any]], most: int = MOST_PERIODS) -> tuple[str, list[dict[str, Any]]]:
    """The monthly activity (:func:`ui_queries.monthly_activity`) at the finest grain that keeps
    at most ``most`` periods: ``("month", months)``, else by quarter (``2025-Q1``), else by year
    (``2025``). Tonnes and sales value are summed; the average price is the period's sales value
    over its tonnes sold (fen a tonne, rounded down as the monthly one), ``None`` without a sale.
    At county scale four years of months are 52 periods, 156 bars too thin to read."""
    if len(months) <= most:
        return "month", months
    quarters = _grouped(months, lambda month: f"{month[:4]}-Q{(int(month[5:7]) + 2) // 3}")
    if len(quarters) <= most:
        return "quarter", quarters
    return "year", _grouped(months, lambda month: month[:4])


def _grouped(months: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    periods: dict[str, dict[str, int]] = {}
    for m in months:
        p = periods.setdefault(key(m["month"]), {"issued_t": 0, "sold_t": 0, "retired_t": 0, "sales_fen": 0})
        for field in p:
            p[field] += m[field]
    return [{"period": k, **p, "average_price_fen": p["sales_fen"] // p["sold_t"] if p["sold_t"] else None}
            for k, p in periods.items()]


def _period_text(grain: str, period: dict[str, Any], lang: str) -> str:
    if grain == "month":
        return fmt.month_text(period["month"], lang)
    if grain == "quarter":
        year, quarter = period["period"].split("-Q")
        return f"{year}年第{quarter}季度" if lang == "zh" else f"Q{quarter} {year}"
    return f"{period['period']}年" if lang == "zh" else period["period"]


def _activity_charts(months: list[dict[str, Any]]) -> None:
    if not months:
        st.caption(t("nothing_yet"))
        return
    lang = session.lang()
    grain, periods = activity_periods(months)
    index = [_period_text(grain, p, lang) for p in periods]
    volumes = {t("series_issued"): [p["issued_t"] for p in periods], t("series_sold"): [p["sold_t"] for p in periods],
               t("series_retired"): [p["retired_t"] for p in periods]}
    # A period without a priced sale has no average price: a gap in the line, not a fall to zero.
    prices = [p["average_price_fen"] / 100 if p["average_price_fen"] else None for p in periods]
    suffix = "" if grain == "month" else f"_{grain}"
    left, right = st.columns(2)
    with left:
        st.caption(t(f"chart_volumes{suffix}"))
        charts.draw(charts.grouped_bars(index, volumes, charts.COLOURS, y_title=t("unit_t")))
    with right:
        st.caption(t(f"chart_price{suffix}"))
        # A line needs two points: with fewer periods the average price is shown as bars.
        chart = charts.line if len(periods) > 2 else charts.bars
        charts.draw(chart(index, prices, charts.COLOURS[1], y_title=t("unit_yuan_per_t")))


VERIFY_ROLES = ("admin", "verifier")


def _integrity() -> None:
    """The last verified checkpoint (size, root, head, mode, age); no page replays the journal on a
    request: an administrator or a verifier starts a check here."""
    report = integrity_report(cached_version())
    lang = session.lang()
    verified, failed = report["verified"], report["failed"]
    if failed:  # the latest run failed: that, not an older pass, is the ledger's state
        st.error(t("integrity_last_run_failed", when=fmt.datetime_text(failed["ran_at"], lang),
                   age=age_text(failed["ran_at"]), seq=failed["first_bad_seq"] if failed["first_bad_seq"] else "?",
                   n=failed["problems"], problem=failed["problem"] or "?"))
        if verified:
            st.caption(t("integrity_last_pass", n=verified["tree_size"],
                         when=fmt.datetime_text(verified["verified_at"], lang)))
    elif verified:
        st.success(t("integrity_ok", n=verified["tree_size"]))
        st.caption(f'{t("merkle_root")}: `{verified["merkle_root"]}`')
        mode = t("verify_mode_incremental", from_seq=verified["from_seq"]) if verified["mode"] == "incremental" \
            else t("verify_mode_full")
        st.caption(t("verified_caption", mode=mode, when=fmt.datetime_text(verified["verified_at"], lang),
                     age=age_text(verified["verified_at"]), head=verified["head_hash"][:16]))
        if report["entries"] > verified["tree_size"]:
            st.caption(t("verified_pending", n=report["entries"] - verified["tree_size"]))
    else:
        st.info(t("integrity_not_verified", n=report["entries"]))
    cp = report["checkpoint"]
    if cp:
        st.caption(t("checkpoint_caption", n=cp["tree_size"], root=cp["root"][:16],
                     when=fmt.datetime_text(cp["created_at"], lang)))
    if session.role() in VERIFY_ROLES:
        _verify_action()


def age_text(moment: str, now: datetime | None = None) -> str:
    """How long ago ``moment`` (an ISO timestamp, UTC when it names no zone) was: minutes, hours or days."""
    then = datetime.fromisoformat(moment)
    then = then if then.tzinfo else then.replace(tzinfo=UTC)
    minutes = max(0, int(((now or datetime.now(UTC)) - then).total_seconds() // 60))
    if minutes < 120:
        return t("age_minutes", n=minutes)
    if minutes < 48 * 60:
        return t("age_hours", n=minutes // 60)
    return t("age_days", n=minutes // (24 * 60))


def _verify_action() -> None:
    """Run verify (incremental unless a full replay is asked for) with a progress bar, record it."""
    full = st.checkbox(t("verify_run_full"), key="verify_full")
    if not st.button(t("verify_run"), key="verify_run"):
        return
    bar = st.progress(0.0, text=t("verify_progress", done=0, total="…"))

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=t("verify_progress", done=done, total=total))

    report = attempt(get_service().verify, full=full, record=True, progress=progress)
    bar.empty()
    if report is None:
        return
    integrity_report.clear()
    if report.ok:
        st.success(t("verify_done", n=report.entries))
    else:
        st.error(t("integrity_broken", seq=report.first_bad_seq))


# -- certificate check ------------------------------------------------------------------------

CERTIFICATE_KINDS = ("court", "retirement", "obligation")  # obligation: issue 22 (helper h8)


def certificate_page() -> None:
    st.title(t("page_certificate"))
    # A retirement certificate's QR code links here with ?retirement=RT-...; a court's with ?cert=CODE.
    asked = 1 if "retirement" in st.query_params else 2 if "ocert" in st.query_params else 0
    kind = st.radio(t("pr_search_by"), CERTIFICATE_KINDS, index=asked,
                    horizontal=True, format_func=labeller("pr_kind_"), key="certificate_kind")
    if kind == "retirement":
        public_registry.retirement_certificate_check()
        return
    if kind == "obligation":
        instruments.obligation_certificate_check()
        return
    st.write(t("certificate_intro"))
    court = get_service().court
    public_registry.code_or_pdf_check(query="cert", form="certificate_check", label=t("certificate_code"),
                                      code_key="certificate_code", by_code=court.verify_certificate,
                                      show=show_certificate, pdf_label=t("certificate_pdf"), pdf_key="certificate_pdf",
                                      by_pdf=court.verify_certificate_pdf, placeholder="XXXX-XXXX-XXXX-XXXX")


def show_certificate(result: dict[str, Any]) -> None:
    """What a certificate proves, in plain words, then the checks behind it."""
    lang = session.lang()
    record = result["record"]
    case, order, totals = record["case"], record["order"], record["totals"]
    if result["ok"]:
        st.success(t("certificate_valid", code=result["code"]))
    else:
        st.error(t("certificate_invalid", code=result["code"], problems="; ".join(result["problems"])))
    retired = sum(f["quantity_t"] for f in record["fulfilments"])
    st.markdown(t("certificate_proves", court=case["court_name"], case_no=case["case_no"],
                  quantity=fmt.tonnes(retired, lang), ecosystem=case["ecosystem_name"],
                  sink=sink_name(case["sink_type"], lang), amount=fmt.money(totals.get("amount_fen") or 0, lang)))
    status = t(f"order_status_{totals['status']}")
    st.markdown(t("certificate_order", item=order["item"], due=fmt.date_text(order["due_date"], lang),
                  status=status))
    rows = [{t("col_date"): fmt.date_text(f["purchase_date"], lang), t("col_seller"): f["seller_account"],
             t("col_quantity_t"): f["quantity_t"], t("col_price"): fmt.price(f["price_fen_per_t"], lang),
             t("col_serials"): ", ".join(b["serials"] for b in f["blocks"]), t("col_entry"): f["seq"]}
            for f in record["fulfilments"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    hashes_ok = all(e.get("hash_ok") for e in result["entries"])
    proofs_ok = bool(result["proofs"]) and all(p["proof_ok"] for p in result["proofs"])
    st.markdown(f'- {t("check_hashes_ok") if hashes_ok else t("check_hashes_bad")}\n'
                f'- {t("check_proofs_ok") if proofs_ok else t("check_proofs_bad")}')
    if result["proofs"]:
        p = result["proofs"][0]
        st.caption(t("certificate_root", n=p["tree_size"], root=p["root"]))
    now = result["order_now"]
    if now.get("withdrawn"):
        st.warning(t("certificate_order_withdrawn"))
