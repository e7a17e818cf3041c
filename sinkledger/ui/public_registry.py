"""The public registry page (no sign-in): search by serial, retirement or beneficiary, journal
entry, project and parcel; every result links to the others, the proof downloads for an offline
check, and the registry downloads in OffsetsDB's format. Also the retirement certificate's
check, which the certificate page shows for a ``?retirement=`` link (a certificate's QR code).

Every read is one call of ``service.public`` (:mod:`sinkledger.services.public_registry`);
deep links (``registry?serial=…``, ``?entry=``, ``?project=``, ``?parcel=``, ``?beneficiary=``)
open the page on that search.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from sinkledger.ui import format as fmt
from sinkledger.ui import figures, maps, session, widgets
from sinkledger.ui.common import attempt, get_service, sink_name
from sinkledger.ui.text import entry_kind, labeller, t, t_or

KINDS = ("serial", "retirements", "entry", "project", "parcel")
QUERY_OF_KIND = {"serial": "serial", "retirements": "beneficiary", "entry": "entry", "project": "project",
                 "parcel": "parcel"}
PAGE_SIZE = 20
OFFSET_KEY = session.REGISTRY_OFFSET


def link(text: str, page: str = "registry", **params: Any) -> str:
    """A markdown link to a public page with query parameters (relative: works under any base path)."""
    return f"[{text}]({page}?{urlencode(params)})"


def registry_page() -> None:
    st.title(t("page_registry"))
    st.write(t("pr_intro"))
    linked = next((kind for kind in KINDS if QUERY_OF_KIND[kind] in st.query_params), "serial")
    given = st.session_state.get(session.REGISTRY_SEARCH, linked)
    # The widget's key carries the language so that its labels follow a switch; the choice lives on.
    kind = st.radio(t("pr_search_by"), KINDS, index=KINDS.index(given), horizontal=True,
                    format_func=labeller("pr_kind_"), key=f"pr_kind_{session.lang()}")
    st.session_state[session.REGISTRY_SEARCH] = kind
    {"serial": _serial, "retirements": _retirements, "entry": _entry, "project": _project,
     "parcel": _parcel}[kind]()
    st.divider()
    _export()
    st.divider()
    _checkpoints()


def _searched(kind: str, label_key: str, placeholder: str = "") -> str:
    """The text searched for: the query parameter of a deep link, else the form's."""
    given = st.query_params.get(QUERY_OF_KIND[kind], "")
    with st.form(f"pr_form_{kind}"):
        value = st.text_input(t(label_key), value=given, key=f"pr_input_{kind}", placeholder=placeholder)
        st.form_submit_button(t("pr_search"))
    return (value or given).strip()


def _answer(kind: str, label_key: str, read: Callable[[str], Any], placeholder: str = "") -> Any:
    """What ``read`` answers for the text searched; None before a search or after a refusal (shown)."""
    value = _searched(kind, label_key, placeholder)
    return attempt(read, value) if value else None


def _who(party: dict[str, Any]) -> str:
    if party.get("kind") == "registry":
        return t("pr_holder_registry")
    kind = t_or(f"party_kind_{party.get('kind')}", str(party.get("kind") or "—"))
    return party["name"] if party.get("name") else t("pr_holder_person", kind=kind)


# -- serial ---------------------------------------------------------------------------------------

def _serial() -> None:
    out = _answer("serial", "pr_serial_input", get_service().public.serial, "CN330523-BF-AJBF01-2024-000000001")
    if out is None:
        return
    lang = session.lang()
    batch = out["batch"]
    st.success(t("pr_serial_found", serial=out["serial"], batch=batch["batch_id"], project=out["project_code"],
                 vintage=out["vintage_year"], state=t(f"state_{out['state']}")))
    rows = [(t("pr_block"), f"`{out['block']['serials']}` ({fmt.tonnes(out['block']['quantity'], lang)})"),
            (t("pr_holder"), _who(out["holder"])),
            (t("pr_kind_project"), link(out["project_code"], project=out["project_code"])),
            (t("col_sink_type"), sink_name(out["sink_type"], lang)),
            (t("pr_methodology"), f"{batch['methodology_id']} {batch['methodology_version']}"),
            (t("pr_period"), f"{batch['period_start']} – {batch['period_end']}")]
    if out["issuance"]:
        rows.append((t("pr_issued_by_entry"), link(t("pr_entry_link", seq=out["issuance"]["seq"]),
                                                   entry=out["issuance"]["seq"])))
    st.markdown("\n".join(f"- **{label}**: {value}" for label, value in rows))
    if out["retirement"]:
        _retirement_summary(out["retirement"])


def _retirement_summary(r: dict[str, Any]) -> None:
    lang = session.lang()
    st.info(t("pr_retired_for", at=fmt.datetime_text(r["recorded_at"], lang), beneficiary=r["beneficiary"],
              purpose=r["purpose"], id=r["retirement_id"]))
    st.markdown(" · ".join([link(t("pr_certificate_link"), "certificate", retirement=r["retirement_id"]),
                            link(t("pr_entry_link", seq=r["seq"]), entry=r["seq"])]))


# -- retirements ----------------------------------------------------------------------------------

def _retirements() -> None:
    with st.form("pr_form_retirements"):
        c1, c2, c3 = st.columns([3, 3, 1])
        beneficiary = c1.text_input(t("beneficiary"), value=st.query_params.get("beneficiary", ""),
                                    key="pr_beneficiary")
        purpose = c2.text_input(t("purpose"), key="pr_purpose")
        year = c3.text_input(t("pr_year"), key="pr_year_input")
        if st.form_submit_button(t("pr_search")):
            st.session_state[OFFSET_KEY] = 0
    offset = st.session_state.get(OFFSET_KEY, 0)
    year_value = int(year) if year.strip().isascii() and year.strip().isdigit() else (year.strip() or None)
    page = attempt(get_service().public.retirements, beneficiary=beneficiary or None, purpose=purpose or None,
                   year=year_value, limit=PAGE_SIZE, offset=offset)
    if page is None:
        return
    if not page["items"]:
        st.caption(t("pr_none_found"))
        return
    lang = session.lang()
    rows = [{t("pr_col_retirement"): f"certificate?retirement={r['retirement_id']}", t("col_date"):
             fmt.date_text(r["recorded_at"], lang), t("col_quantity_t"): r["quantity"],
             t("beneficiary"): r["beneficiary"], t("purpose"): r["purpose"], t("pr_col_retired_by"): _who(r["retired_by"]),
             t("col_entry"): f"registry?entry={r['seq']}"} for r in page["items"]]
    figures.list_table(rows, links={t("pr_col_retirement"): figures.RETIREMENT_LINK,
                                    t("col_entry"): figures.ENTRY_LINK})
    st.caption(t("pr_page", first=offset + 1, last=offset + len(page["items"])))
    left, right = st.columns(2)
    if offset and left.button(t("pr_previous"), key="pr_previous"):
        st.session_state[OFFSET_KEY] = max(0, offset - PAGE_SIZE)
        st.rerun()
    if page["more"] and right.button(t("pr_more"), key="pr_more"):
        st.session_state[OFFSET_KEY] = offset + PAGE_SIZE
        st.rerun()


# -- entries --------------------------------------------------------------------------------------

def _entry() -> None:
    out = _answer("entry", "pr_entry_input", get_service().public.entry)
    if out is not None:
        show_entry(out)


def show_entry(out: dict[str, Any]) -> None:
    """An entry, its proof's check and the proof to download for the offline check."""
    lang = session.lang()
    st.success(t("pr_entry_found", seq=out["seq"], kind=entry_kind(out["kind"]),
                 at=fmt.datetime_text(out["recorded_at"], lang)))
    st.markdown(f"- **{t('pr_entry_hash')}**: `{out['entry_hash']}`\n- **{t('pr_prev_hash')}**: `{out['prev_hash']}`")
    proof = out["proof"]
    if out["proof_ok"]:
        st.success(t("pr_proof_ok", size=proof["tree_size"], root=proof["root"]))
    else:
        st.error(t("pr_proof_bad", reason=out["proof_reason"]))
    name = f"proof-{out['seq']}.json"
    st.download_button(t("pr_proof_download"), json.dumps(proof, ensure_ascii=False, indent=2).encode("utf-8"),
                       file_name=name, mime="application/json", key=f"pr_proof_{out['seq']}")
    st.caption(t("pr_proof_offline", file=name))
    with st.expander(t("pr_body")):
        st.code(json.dumps(json.loads(out["body"]), ensure_ascii=False, indent=2), language="json")


# -- projects and parcels ---------------------------------------------------------------------------

def _project() -> None:
    service = get_service()
    listed = attempt(service.public.projects, limit=200)
    codes = [p["project_code"] for p in listed["items"]] if listed else []
    given = st.query_params.get("project", "")
    options = codes if given in codes or not given else [given, *codes]
    if not options:
        st.caption(t("pr_none_found"))
        return
    widgets.localise_widgets()  # a select box on a page that goes without the script (navigation.PLAIN_PAGES)
    code = st.selectbox(t("pr_project_input"), options, index=options.index(given) if given else 0, key="pr_project")
    out = attempt(service.public.project, code)
    if out is not None:
        show_project(out)


def show_project(out: dict[str, Any]) -> None:
    lang = session.lang()
    name = out["name"] or (sink_name(out["sink_type"], lang) if out["sink_type"] else "—")
    st.subheader(t("pr_project_header", code=out["project_code"], name=name))
    figures.headline([(t("pr_issued_t"), fmt.tonnes(out["issued_t"], lang)),
                      (t("pr_retired_t"), fmt.tonnes(out["retired_t"], lang)),
                      (t("col_sink_type"), sink_name(out["sink_type"], lang) if out["sink_type"] else "—")])
    facts = [(t("pr_methodology"), f"{out['methodology_id'] or '—'} {out['methodology_version'] or ''}")]
    if out["proponent"]:
        facts.append((t("pr_proponent"), _who(out["proponent"])))
    st.markdown("\n".join(f"- **{label}**: {value}" for label, value in facts))
    st.markdown(f"**{t('pr_issuances')}**")
    figures.list_table([{t("pr_col_batch"): b["batch_id"], t("col_vintage"): str(b["vintage_year"]),
                         t("col_serials"): b["serials"], t("col_quantity_t"): b["quantity"],
                         t("pr_col_buffer"): b["buffer_quantity"],
                         t("col_entry"): f"registry?entry={b['issuance_seq']}"} for b in out["issuances"]],
                       links={t("col_entry"): figures.ENTRY_LINK})
    st.markdown(f"**{t('pr_vintages')}**")
    figures.list_table([{t("col_vintage"): str(v["vintage_year"]), t("col_quantity_t"): v["issued_t"]}
                        for v in out["vintages"]])
    st.markdown(f"**{t('pr_parcels', n=len(out['parcel_codes']))}**")
    st.markdown(" ".join(link(code, parcel=code) for code in out["parcel_codes"]) or "—")
    _map(out["map"]["features"], key=f"pr_map_{out['project_code']}")
    st.markdown(f"**{t('pr_documents')}**")
    figures.list_table([{t("pr_col_title"): d["title"], t("pr_col_contract"): d["contract_no"], "SHA-256": d["sha256"]}
                        for d in out["documents"]])


def _parcel() -> None:
    out = _answer("parcel", "pr_parcel_input", get_service().public.parcel)
    if out is None:
        return
    lang = session.lang()
    st.success(t("pr_parcel_found", code=out["parcel_code"], sink=sink_name(out["sink_type"], lang),
                 area=out["area_ha"], status=out["status"]))
    facts = [(t("pr_holder"), _who(out["holder"])), (t("pr_county"), out["county_code"] or "—")]
    if out["project_code"]:
        facts.append((t("pr_project_of"), link(out["project_code"], project=out["project_code"])))
    st.markdown("\n".join(f"- **{label}**: {value}" for label, value in facts))
    figures.list_table([{t("pr_col_batch"): b["batch_id"], t("col_serials"): b["serials"],
                         t("col_quantity_t"): b["quantity"]} for b in out["batches"]])
    feature = {"type": "Feature", "geometry": out["geometry"],
               "properties": {"parcel_code": out["parcel_code"], "sink_type": out["sink_type"]}}
    _map([feature], key=f"pr_map_{out['parcel_code']}")


def _map(features: list[dict[str, Any]], *, key: str) -> None:
    """The features over the offline county outlines (no web base map needed)."""
    bounds = maps.features_bounds(features)
    if bounds is None:
        return
    coloured = [f | {"properties": f["properties"] | {"colour": maps.sink_colour(f["properties"]["sink_type"]),
                                                      "code": f["properties"]["parcel_code"]}} for f in features]
    counties = maps.counties_geojson(str(get_service().settings.counties_path))
    deck = maps.deck([maps.county_layer(counties), maps.features_layer("parcels", coloured)],
                     maps.view_for(bounds, min_zoom=9), "{code}")
    st.pydeck_chart(deck, height=380, key=key)


# -- the OffsetsDB export -------------------------------------------------------------------------

def _export() -> None:
    st.subheader(t("pr_export"))
    st.caption(t("pr_export_caption"))
    public = get_service().public
    left, right = st.columns(2)
    left.download_button(t("pr_export_projects"), lambda: "".join(public.offsetsdb_projects_csv()).encode("utf-8"),
                         file_name="projects.csv", mime="text/csv", key="pr_export_projects")
    right.download_button(t("pr_export_credits"), lambda: "".join(public.offsetsdb_credits_csv()).encode("utf-8"),
                          file_name="credits.csv", mime="text/csv", key="pr_export_credits")


# -- published checkpoints (issue 16, point 3) -----------------------------------------------------

CHECKPOINTS_SHOWN = 10


def _checkpoints() -> None:
    """The recorded Merkle roots, newest first, with their signed files to download and a
    consistency proof between any two: what anyone keeps to hold the operator to its history."""
    st.subheader(t("pr_checkpoints"))
    st.caption(t("pr_checkpoints_caption"))
    public = get_service().public
    lang = session.lang()
    page = attempt(public.checkpoints, limit=CHECKPOINTS_SHOWN)
    if page is None:
        return
    if page["operator_public_key"]:
        st.markdown(t("pr_operator_key", key_id=page["operator_key_id"]))
        st.code(page["operator_public_key"], language=None)
    if not page["items"]:
        st.caption(t("pr_no_checkpoints"))
        return
    figures.list_table([{
        t("pr_tree_size"): c["tree_size"], t("pr_root"): c["root"], t("receipt_time"): fmt.datetime_text(c["created_at"], lang),
        t("pr_signed_file"): t("pr_signed_ok") if c["signature_ok"] else t("pr_signed_bad") if c["published"]
        else t("pr_signed_none")} for c in page["items"]])
    published = [c for c in page["items"] if c["signature_ok"]]
    if published:
        newest = published[0]["tree_size"]
        st.download_button(t("pr_download_checkpoint", size=newest),
                           lambda: _document_bytes(public.checkpoint_document(newest)),
                           file_name=f"checkpoint-{newest:012d}.json", mime="application/json", key="pr_checkpoint_file")
    elif not page["folder"]:
        st.caption(t("pr_checkpoints_unsigned"))
    sizes = [c["tree_size"] for c in page["items"] if c["tree_size"] > 0]
    if len(sizes) < 2:
        return
    # number inputs, not select boxes: this page stays without the widget-localising script
    left, right = st.columns(2)
    old = int(left.number_input(t("pr_consistency_old"), min_value=1, max_value=sizes[0], value=sizes[1], step=1,
                                key="pr_consistency_old"))
    new = int(right.number_input(t("pr_consistency_new"), min_value=1, max_value=sizes[0], value=sizes[0], step=1,
                                 key="pr_consistency_new"))
    if old > new:
        st.caption(t("pr_consistency_order"))
        return
    st.download_button(t("pr_download_consistency", old=old, new=new),
                       lambda: _document_bytes(public.consistency(old, new)),
                       file_name=f"consistency-{old}-{new}.json", mime="application/json", key="pr_consistency_file")
    st.caption(t("pr_consistency_caption", old=f"checkpoint-{old:012d}.json", new=f"checkpoint-{new:012d}.json",
                 proof=f"consistency-{old}-{new}.json"))


def _document_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- the retirement certificate's check (on the certificate page) ---------------------------------

def retirement_certificate_check() -> None:
    st.write(t("pr_retirement_certificate_intro"))
    public = get_service().public
    code_or_pdf_check(query="retirement", form="pr_retirement_check", label=t("pr_retirement_input"),
                      code_key="pr_retirement_id", by_code=public.retirement_certificate,
                      show=show_retirement_certificate, pdf_label=t("pr_retirement_pdf"), pdf_key="pr_retirement_pdf",
                      by_pdf=public.check_retirement_certificate_pdf,
                      show_pdf=lambda r: show_retirement_certificate(r["retirement"], ok=r["ok"]))


def code_or_pdf_check(*, query: str, form: str, label: str, code_key: str, by_code: Callable[[str], Any],
                      show: Callable[[Any], None], pdf_label: str, pdf_key: str, by_pdf: Callable[[bytes], Any],
                      show_pdf: Callable[[Any], None] | None = None, placeholder: str = "") -> None:
    """A certificate's check: by the code typed (or the ``?<query>=`` its QR code opens) with
    ``by_code``, or by the PDF uploaded with ``by_pdf``; the result shown by ``show``."""
    given = st.query_params.get(query, "")
    with st.form(form):
        code = st.text_input(label, value=given, key=code_key, placeholder=placeholder)
        checked = st.form_submit_button(t("certificate_check"))
    code = (code or given).strip()
    if (checked or given) and code:
        result = attempt(by_code, code)
        if result is not None:
            show(result)
    with st.expander(t("certificate_pdf_check")):
        upload = widgets.file_uploader(pdf_label, type=["pdf"], key=pdf_key)
        if upload is not None:
            result = attempt(by_pdf, upload.getvalue())
            if result is not None:
                (show_pdf or show)(result)


def show_retirement_certificate(out: dict[str, Any], *, ok: bool | None = None) -> None:
    """A retirement's certificate: valid or not, what it retired, its proof, the PDF in both languages."""
    lang = session.lang()
    ok = out["proof_ok"] if ok is None else ok
    rid = out["retirement_id"]
    st.subheader(t("pr_retirement_certificate_header", id=rid))
    if ok:
        st.success(t("pr_retirement_valid", id=rid))
    else:
        st.error(t("pr_retirement_invalid", id=rid))
    _retirement_summary(out)
    figures.list_table([{t("col_serials"): b["serials"], t("pr_kind_project"): b["project_code"],
                         t("col_vintage"): str(b["vintage_year"]), t("col_quantity_t"): b["quantity"]}
                        for b in out["blocks"]])
    st.caption(f"{t('pr_col_retired_by')}: {_who(out['retired_by'])} · {t('pr_entry_hash')}: `{out['entry_hash']}`")
    st.caption(t("pr_proof_ok", size=out["proof"]["tree_size"], root=out["proof"]["root"]))
    certificate_downloads(rid, lang)


def certificate_downloads(retirement_id: str, lang: str, *, key: str = "pr_cert") -> None:
    """Download buttons for the certificate PDF, the reader's language first."""
    public = get_service().public
    cols = st.columns(2)
    for col, doc_lang in zip(cols, (lang, "en" if lang == "zh" else "zh"), strict=True):
        col.download_button(f"{t('pr_download_retirement_certificate', id=retirement_id)} · {doc_lang}",
                            lambda doc_lang=doc_lang: public.retirement_certificate_pdf(retirement_id, lang=doc_lang),
                            file_name=f"retirement-{retirement_id}-{doc_lang}.pdf", mime="application/pdf",
                            key=f"{key}_{retirement_id}_{doc_lang}")
