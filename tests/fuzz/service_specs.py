"""What the bad-input suite sends to each public call of the service API.

One :class:`CallSpec` per public method of :class:`sinkledger.services.registry.Service` and of its
sub-APIs (``Service.court``): a *baseline*, a valid call built from the world's ids, and the
kind of value each parameter takes. The suite replaces one parameter at a time with each bad
value of its kind (``tests/fuzz/values.py``), so every parameter's own check is reached with
the others valid.

``test_service_fuzz.py`` enumerates the API with :mod:`inspect` and fails when a public method
or parameter has no spec here and is not in :data:`NO_INPUT` or a spec's ``trusted``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely

from sinkledger import catalogue
from tests.fuzz.samples import published
from tests.fuzz.values import HTML, LONG, SQL, SURROGATE, Lazy, deep

BAMBOO = "sinkledger.bamboo-moso-management"
FREE_SQUARE = {"type": "Polygon", "coordinates": [[[119.37532, 30.44852], [119.37689, 30.44852], [119.37689, 30.44988],
                                                   [119.37532, 30.44988], [119.37532, 30.44852]]]}
TEA_PARCELS = ("AJ-TG-0005", "AJ-TG-0007")  # COL-0030's, never issued

# Public methods that take no input at all (nothing to fuzz), and why each is safe to call.
NO_INPUT: dict[str, str] = {
    "is_initialised": "read-only, no input", "initialise": "idempotent set-up, no input",
    "require_initialised": "read-only, no input", "users": "read-only, no input",
    "refresh_statistics": "no input (the planner's statistics)", "balances": "read-only, no input", "last_verified": "read-only, no input", "last_verify_run": "read-only, no input", "checkpoint": "no input",
    "verify_parcels": "read-only, no input", "parties": "read-only, no input",
    "court.today": "read-only, no input", "income.today": "read-only, no input",
    "registry_mappings": "read-only, no input",  # issue 20 (helper h4)
    "registry_cross_sources": "read-only, no input",  # issue 20 (helper h5)
}
# Public callables that take configuration, not user input.
TRUSTED_CALLS: dict[str, str] = {
    "open": "takes the Settings built by sinkledger.config.load_settings (configuration, not user input)",
    "verify": "read-only unless record=True (then one verified-checkpoint row); its options (full, record, observers, "
              "progress, jobs) come from code (the CLI's --full and --jobs flags, the UI's checkbox), not from user "
              "text; jobs other than 1 or 2 is refused (value_invalid)",
}


def rid() -> str:
    return f"fuzz-{uuid.uuid4().hex}"


def actor(name: str) -> Lazy:
    return Lazy(lambda world: world.service.actor(name), f"actor:{name}")


def wrong_role(name: str) -> Lazy:
    return Lazy(lambda world: world.service.actor(name), f"wrong_role:{name}")


ACTOR_BAD = [("none", None), ("username", "admin"), ("int", 7), ("dict", {"username": "admin", "role": "admin"})]


@dataclass(frozen=True)
class CallSpec:
    """A public call, its valid baseline and the kind of each fuzzed parameter.

    ``read_only`` calls may answer a bad value normally (an empty list, a report with
    ``ok: false``); every other call must refuse it. ``skip`` names (parameter, label) pairs of
    the value grid that are valid for this call. ``trusted`` parameters are not user input.
    """

    name: str
    baseline: Callable[[Any], dict[str, Any]]
    params: Mapping[str, str]
    actor_role_refused: str | None = None  # a user whose role may not make this call
    read_only: bool = False
    skip: frozenset[tuple[str, str]] = frozenset()
    trusted: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, list[tuple[str, Any]]] = field(default_factory=dict)  # more (label, value) per param
    accepts: Callable[[Any], bool] | None = None  # a normal answer that counts as a clean refusal
    filters: frozenset[str] = frozenset()  # query filters: a value that matches nothing may answer "nothing"


def _tea_half(world: Any, code: str, which: int) -> dict[str, Any]:
    geom = shapely.geometry.shape(world.service.parcel(code)["geometry"])
    x0, y0, x1, y1 = geom.bounds
    mid = (x0 + x1) / 2
    box = shapely.box(x0 - 1, y0 - 1, mid, y1 + 1) if which == 0 else shapely.box(mid, y0 - 1, x1 + 1, y1 + 1)
    return shapely.geometry.mapping(geom.intersection(box))


def _import_file(world: Any) -> str:
    path = world.workdir / "one-parcel.geojson"
    if not path.exists():
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "parcel_code": "FZ-IMPORT-1", "sink_type": "bamboo_forest", "holder": "COL-0001", "county_code": "330523"},
            "geometry": FREE_SQUARE}]}), encoding="utf-8")
    return str(path)


def _plot_sheet(world: Any) -> bytes:
    """A sample-plot inventory of two strata of two plots each (Chinese columns, CSV)."""
    rows = ["调查日期,样地号,层,层面积（公顷）,样地面积（平方米）,年龄/度,胸径（cm）"]
    for plot, stratum, dbh in (("P1", "A", "9.5"), ("P2", "A", "10.2"), ("P3", "B", "11"),
                               ("P4", "B", "8.7")):
        rows += [f"2020-10-01,{plot},{stratum},10,400,1度,{dbh}",
                 f"2020-10-01,{plot},{stratum},10,400,2度,{dbh}"]
    return "\n".join(rows).encode("utf-8")


def _sales_sheet(world: Any) -> bytes:
    """A sheet of one sale the world can record (the importer's Chinese columns)."""
    import io

    from openpyxl import Workbook

    from sinkledger.services.sales_files import TEMPLATE_COLUMNS

    book = Workbook()
    book.active.append(list(TEMPLATE_COLUMNS["zh"]))
    book.active.append([world.ids["seller_account"], "ENT-0001-H", 1, "73.41", "FZ-XLSX-1", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _document(world: Any) -> str:
    path = world.workdir / "judgment.txt"
    path.write_text("判决书（演示）", encoding="utf-8")
    return str(path)


def _monitoring() -> dict[str, Any]:
    from sinkledger.config import REPO_ROOT
    from sinkledger.services.batch_estimates import load_monitoring

    return load_monitoring(REPO_ROOT / "gis_data" / "demo_monitoring.json")


def _last_sale_seq(world: Any) -> int:
    return world.service.journal(kind="sale", limit=1)[-1]["seq"]


def _last_sale_of_a_collective(world: Any) -> int:
    """A demo sale by a collective's own account: no collection contract of the seller."""
    return world.ids["collective_sale_seq"]


def _retirement_seq(world: Any) -> int:
    return world.service.journal(kind="retirement", limit=1)[-1]["seq"]


def _verra_file(world: Any) -> str:
    """A Verra transactions export with one sound row (sample from the registry-import tests)."""
    from tests.fuzz.samples import verra_transactions

    path = world.workdir / "transactions.csv"
    path.write_text(verra_transactions(), encoding="utf-8")
    return str(path)


BAD_OPTIONS = [("unknown_key", {"bogus": 1}), ("crs_sql", {"crs": SQL}), ("crs_unknown", {"crs": "EPSG:999999"}),
               ("crs_surrogate", {"crs": SURROGATE}), ("layer_int", {"layer": 7}), ("mapping_str", {"mapping": "a=b"}),
               ("mapping_unknown_field", {"mapping": {"parcel_code": "bogus_field"}}),
               ("default_bad_sink", {"defaults": {"sink_type": "nope"}}), ("keep_int", {"keep_columns": 7}),
               ("keep_personal", {"keep_columns": ["姓名"]}), ("encoding_unknown", {"encoding": "nope-enc"}),
               ("encoding_surrogate", {"encoding": SURROGATE}), ("prefix_sql", {"parcel_code_prefix": SQL}),
               ("gcj02_str", {"from_gcj02": "false"}), ("repair_int", {"repair": 2}), ("str", "crs=EPSG:4549"),
               ("int", 7), ("list", [("crs", "EPSG:4549")]), ("deep", {"defaults": deep(5000)}),
               ("prefix_nan", {"parcel_code_prefix": float("nan")})]
BAD_DECIMALS = [("negative", "-1"), ("zero", "0"), ("nan_str", "NaN"), ("inf_str", "Infinity"), ("nan", float("nan")),
                ("inf", float("inf")), ("word", "one"), ("huge", "1e400"), ("list", [1]), ("dict", {"mu": 1}),
                ("bool", True), ("surrogate", SURROGATE), ("sql", SQL), ("negative_float", -1.5)]
BAD_ATTRIBUTES = [("out_of_range", {"culm_density_per_ha": -5}), ("nan", {"mean_dbh_cm": float("nan")}),
                  ("nan_str", {"mean_dbh_cm": "nan"}), ("personal", {"姓名": "张三"}),
                  ("wrong_sink_type", {"wetland_class": "lake"}), ("choice", {"management_regime": HTML}),
                  ("shares_sum", {"age_class_shares": {"I": "0.9"}}), ("str", "culm_density_per_ha=5"),
                  ("list", [1]), ("deep", {"x": deep(5000)}), ("surrogate", {"management_regime": SURROGATE})]
BAD_SHARES = [("unknown_household", {"HH-NOPE": 10_000}), ("not_summing", {"HH-0001": 5_000}),
              ("negative", {"HH-0001": -10_000, "HH-0002": 20_000}), ("float", {"HH-0001": 10_000.0}),
              ("nan", {"HH-0001": float("nan")}), ("str_value", {"HH-0001": "10000"}), ("str", "HH-0001:100%"),
              ("list", ["HH-0001"]), ("not_household", {"ENT-0001": 10_000}), ("huge", {"HH-0001": 10**30})]
BAD_PARTS = [("empty", []), ("one", None), ("str", "AJ-TG-0005-A"), ("missing_geometry", [{"parcel_code": "FZ-A"}]),
             ("missing_code", [{"geometry": FREE_SQUARE}]), ("dict", {"parcel_code": "FZ-A"}), ("int_item", [7]),
             ("bad_geometry", [{"parcel_code": "FZ-A", "geometry": "{x"}, {"parcel_code": "FZ-B", "geometry": "{y"}]),
             ("sql_code", Lazy(lambda w: [{"parcel_code": SQL, "geometry": _tea_half(w, "AJ-TG-0005", 0)},
                                          {"parcel_code": "FZ-B", "geometry": _tea_half(w, "AJ-TG-0005", 1)}])),
             ("outside", Lazy(lambda w: [{"parcel_code": "FZ-A", "geometry": FREE_SQUARE},
                                         {"parcel_code": "FZ-B", "geometry": _tea_half(w, "AJ-TG-0005", 1)}]))]
BAD_TERMS = [("unknown_kind", {"kind": "bogus"}), ("negative", {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": -1}),
             ("float", {"kind": "fixed_per_mu_year", "fen_per_mu_per_year": 1.5}),
             ("share_over", {"kind": "proceeds_share", "share_bp": 10_001}),
             ("share_nan", {"kind": "proceeds_share", "share_bp": float("nan")}),
             ("both", {"kind": "proceeds_share", "share_bp": 1, "fen_per_mu_per_year": 1}),
             ("note_long", {"kind": "proceeds_share", "share_bp": 8000, "costs_note": LONG})]
BAD_CHANGES = [("unknown", {"bogus": 1}), ("holder_unknown", {"holder_party_id": "NOPE-1"}),
               ("county", {"county_code": "33052X"}), ("area_nan", {"declared_area_mu": float("nan")}),
               ("area_negative", {"declared_area_mu": "-3"}), ("shares", {"household_shares_bp": {"HH-NOPE": 10_000}}),
               ("cert_long", {"tenure_cert_no": LONG}), ("attributes", {"attributes": {"tea_variety": LONG}}),
               ("parcel_code", {"parcel_code": "OTHER"}), ("status", {"status": "active"}),
               ("sink_type", {"sink_type": "wetland"})]
BAD_CALCULATION = [("years_negative", {"years_to_recovery": -1}), ("years_nan", {"years_to_recovery": float("nan")}),
                   ("years_huge", {"years_to_recovery": 10**30}), ("estimate_unknown", {"years_to_recovery": 5,
                                                                                       "estimate_id": "EST-NOPE"}),
                   ("methodology_unknown", {"years_to_recovery": 5, "methodology_id": "x", "inputs": {}}),
                   ("unknown_key", {"bogus": 1})]
BAD_AMEND = [("unknown", {"bogus": 1}), ("quantity_negative", {"quantity_t": -1}), ("due", {"due_date": "x"}),
             ("amount_nan", {"amount_fen": float("nan")}), ("flag_str", {"same_county": "false"}),
             ("huge", {"quantity_t": 10**30}), ("nothing", {"due_date": None})]
BAD_FILTERS = [("unknown", {"bogus": 1}), ("year_str", {"year": "2025"}), ("as_of_str", {"as_of": "2025-01-01"})]

SPECS: list[CallSpec] = [
    # -- users and actors ------------------------------------------------------------------------
    CallSpec("create_user", lambda w: dict(username=f"fz{uuid.uuid4().hex[:8]}", password="pw-123456", role="enterprise",
                                           party_id="ENT-0002", display_name="Fuzz"),
             {"username": "code", "password": "text", "role": "choice", "party_id": "ref", "display_name": "text"},
             skip=frozenset({("password", "html"), ("password", "sql")})),
    CallSpec("authenticate", lambda w: dict(username="clerk", password="demo1234"),
             {"username": "ref", "password": "text", "client": "text", "now": "date_obj"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("actor", lambda w: dict(username="clerk"), {"username": "ref"}, read_only=True, accepts=lambda out: False),
    CallSpec("register_party", lambda w: dict(actor=actor("admin"), request_id=rid(), party_id=f"FZ-{uuid.uuid4().hex[:6]}",
                                              kind="enterprise", name="示例企业（模糊测试）", county_code="330523"),
             {"party_id": "code", "kind": "choice", "name": "text", "county_code": "opt_code"},
             actor_role_refused="clerk"),
    # -- parcels ---------------------------------------------------------------------------------
    CallSpec("register_parcel", lambda w: dict(actor=actor("coop"), request_id=rid(), parcel_code="FZ-REG-1",
                                               sink_type="bamboo_forest", holder_party_id="COL-0001",
                                               geometry=FREE_SQUARE, county_code="330523"),
             {"parcel_code": "code", "sink_type": "choice", "holder_party_id": "ref", "geometry": "geometry",
              "county_code": "opt_code", "tenure_cert_no": "opt_text", "declared_area_mu": "decimal",
              "attributes": "attributes", "tenure_cert_kind": "opt_choice", "tenure_ownership": "opt_choice",
              "household_shares_bp": "shares", "from_gcj02": "bool", "repair": "bool"},
             actor_role_refused="clerk",
             skip=frozenset({("household_shares_bp", "str_value")})),  # "10000" is read as 10,000 bp, as in a file
    CallSpec("import_parcels", lambda w: dict(actor=actor("coop"), request_id=rid(), path=Lazy(_import_file),
                                              options=None),
             {"path": "path", "options": "options"}, actor_role_refused="clerk",
             trusted={"progress": "a callback from the caller's own code"},
             skip=frozenset({("options", "default_bad_sink")})),  # the file has a sink type: the default is unused
    CallSpec("preview_parcels", lambda w: dict(actor=actor("coop"), path=Lazy(_import_file), options=None),
             {"path": "path", "options": "options", "with_geometry": "bool"}, actor_role_refused="clerk", read_only=True,
             trusted={"progress": "a callback from the caller's own code"},
             accepts=lambda out: out["ok"] is False and all(p["message_zh"] for p in catalogue.localise(out["problems"])),
             skip=frozenset({("options", "default_bad_sink")})),
    CallSpec("upload_mapping", lambda w: dict(actor=actor("coop")), {}, actor_role_refused="clerk", read_only=True),
    CallSpec("save_upload_mapping", lambda w: dict(actor=actor("coop"), fields={"parcel_code": "小班号"},
                                                   defaults={"sink_type": "bamboo_forest"}),
             {"fields": "doc", "defaults": "doc"}, actor_role_refused="clerk",
             # an empty mapping is a valid one (nothing mapped: the importer's recognised columns; no defaults)
             accepts=lambda out: out["fields"] == {} or out["defaults"] == {}),
    CallSpec("repair_geometry", lambda w: dict(geometry=FREE_SQUARE), {"geometry": "geometry"}, read_only=True,
             skip=frozenset({("geometry", "bowtie"), ("geometry", "outside_region")}), accepts=lambda out: False),
    CallSpec("parcel", lambda w: dict(parcel_code="AJ-BF-0001"), {"parcel_code": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("parcel_history", lambda w: dict(parcel_code="AJ-BF-0001"), {"parcel_code": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("parcels", lambda w: dict(status="active", holder=None), {"status": "opt_choice", "holder": "opt_ref"},
             read_only=True, filters=frozenset({"holder"})),
    CallSpec("update_parcel", lambda w: dict(actor=actor("admin"), request_id=rid(), parcel_code=TEA_PARCELS[0],
                                             changes={"tenure_cert_no": "FZ-CERT-1"}),
             {"parcel_code": "ref", "geometry": "opt_geometry", "changes": "changes", "from_gcj02": "bool",
              "repair": "bool"}, actor_role_refused="clerk"),
    CallSpec("split_parcel", lambda w: dict(actor=actor("admin"), request_id=rid(), parcel_code=TEA_PARCELS[0],
                                            parts=[{"parcel_code": "FZ-SPLIT-A", "geometry": _tea_half(w, TEA_PARCELS[0], 0)},
                                                   {"parcel_code": "FZ-SPLIT-B", "geometry": _tea_half(w, TEA_PARCELS[0], 1)}]),
             {"parcel_code": "ref", "parts": "parts"}, actor_role_refused="clerk"),
    CallSpec("merge_parcels", lambda w: dict(actor=actor("admin"), request_id=rid(), parcel_codes=list(TEA_PARCELS),
                                             new_parcel_code="FZ-MERGED-1"),
             {"parcel_codes": "ref_list", "new_parcel_code": "code"}, actor_role_refused="clerk",
             extra={"parcel_codes": [("one", [TEA_PARCELS[0]]), ("same_twice", [TEA_PARCELS[0]] * 2)]}),
    CallSpec("retire_parcel", lambda w: dict(actor=actor("admin"), request_id=rid(), parcel_code=TEA_PARCELS[0],
                                             retired_from="2030-01-01", reason="退耕（模糊测试）"),
             {"parcel_code": "ref", "retired_from": "date", "reason": "text"}, actor_role_refused="clerk"),
    CallSpec("delete_parcel", lambda w: dict(actor=actor("admin"), request_id=rid(), parcel_code=TEA_PARCELS[0],
                                             reason="误登记（模糊测试）"),
             {"parcel_code": "ref", "reason": "text"}, actor_role_refused="clerk",
             extra={"parcel_code": [("issued", "AJ-BF-0001")]}),
    CallSpec("export_parcels", lambda w: dict(path=str(w.workdir / "export.gpkg"), file_format=None, status="active",
                                              holder=None, encoding="UTF-8"),
             {"path": "out_path", "file_format": "opt_choice", "status": "opt_choice", "holder": "opt_ref",
              "encoding": "choice"}, read_only=True,
             accepts=lambda out: False, filters=frozenset({"status", "holder"}), skip=frozenset({("file_format", "empty")})),
    # -- estimates -------------------------------------------------------------------------------
    CallSpec("record_estimate", lambda w: dict(actor=actor("centre"), request_id=rid(), parcel_codes=["AJ-TG-0001"],
                                               methodology_id="sinkledger.tea-garden", inputs=w.ids["tea_inputs"]),
             {"parcel_codes": "ref_list", "methodology_id": "choice", "inputs": "doc", "gwp_profile": "choice"},
             actor_role_refused="clerk", extra={"parcel_codes": [("other_sink_type", ["AJ-BF-0001"])]}),
    CallSpec("estimate_dry", lambda w: dict(methodology_id="sinkledger.tea-garden", inputs=w.ids["tea_inputs"]),
             {"methodology_id": "choice", "inputs": "doc", "gwp_profile": "choice"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("read_plot_file", lambda w: dict(data=Lazy(_plot_sheet), file_name="plots.csv"),
             {"data": "bytes", "file_name": "text", "inputs": "opt_doc"}, read_only=True),
    CallSpec("batch_estimate", lambda w: dict(actor=actor("centre"), request_id=rid(), methodology_id=BAMBOO,
                                              project_code="AJBF01", parcel_codes=["AJ-BF-0001"], monitoring=_monitoring()),
             {"methodology_id": "choice", "project_code": "code", "period": "period", "parcel_codes": "opt_ref_list",
              "base_inputs": "opt_doc", "monitoring": "opt_doc", "rasters": "raster_list", "gwp_profile": "choice",
              "min_valid_fraction": "fraction", "zonal_rule": "choice"},
             actor_role_refused="clerk", trusted={"progress": "a callback from the caller's own code"},
             accepts=lambda out: out["recorded"] == [] and out["refused"] >= 1),
    CallSpec("estimate", lambda w: dict(estimate_id=w.ids["estimate_id"]), {"estimate_id": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("estimate_report", lambda w: dict(estimate_id=w.ids["estimate_id"], fmt="md", lang="en"),
             {"estimate_id": "ref", "fmt": "choice", "lang": "choice"}, read_only=True, accepts=lambda out: False),
    # -- credits ---------------------------------------------------------------------------------
    CallSpec("collect", lambda w: dict(actor=actor("centre"), request_id=rid(), contract_no="FZ-SC-1",
                                       collective_party_id=w.ids["tea_holder"], parcel_codes=[TEA_PARCELS[1]],
                                       term_start="2026-01-01", term_end="2036-01-01", signed_date="2025-12-01",
                                       payment_terms={"kind": "proceeds_share", "share_bp": 8000}),
             {"contract_no": "text", "collective_party_id": "ref", "parcel_codes": "ref_list", "term_start": "date",
              "term_end": "date", "signed_date": "date", "payment_terms": "terms"}, actor_role_refused="clerk",
             extra={"term_end": [("before_start", "2025-01-01")]}),
    CallSpec("issue", lambda w: dict(actor=actor("verifier"), request_id=rid(), estimate_id=w.ids["estimate_id"],
                                     verified_kg_co2e=1000, project_code="FZTG01", buffer_share_bp=1000),
             {"estimate_id": "ref", "verified_kg_co2e": "pos_int", "project_code": "code", "buffer_share_bp": "bp",
              "to_account": "opt_ref", "acknowledged_matches": "opt_ref_list"}, actor_role_refused="clerk",
             extra={"verified_kg_co2e": [("over_estimate", 10**12)], "estimate_id": [("issued", Lazy(
                 lambda w: w.ids["issued_estimate"]))]}),
    CallSpec("sell", lambda w: dict(actor=actor("clerk"), request_id=rid(), seller_account=w.ids["seller_account"],
                                    buyer_account="ENT-0001-H", quantity=1, price_fen_per_t=7341, contract_no="FZ-1"),
             {"seller_account": "ref", "buyer_account": "ref", "quantity": "pos_int", "price_fen_per_t": "nonneg_int",
              "contract_no": "text", "serials": "opt_ref_list", "sale_date": "opt_date", "contract_date": "opt_date"},
             actor_role_refused="verifier",
             extra={"buyer_account": [("same_as_seller", Lazy(lambda w: w.ids["seller_account"])),
                                      ("system", "SYS-RETIRED")]}),
    CallSpec("import_sales", lambda w: dict(actor=actor("clerk"), request_id=rid(), data=Lazy(_sales_sheet),
                                            file_name="day.xlsx"),
             {"data": "bytes", "file_name": "text"}, actor_role_refused="verifier",
             skip=frozenset({("request_id", "none")})),  # None: the default id, from the sheet's rows
    CallSpec("preview_sales", lambda w: dict(actor=actor("clerk"), data=Lazy(_sales_sheet), file_name="day.xlsx"),
             {"data": "bytes", "file_name": "text"}, actor_role_refused="verifier", read_only=True,
             skip=frozenset({("request_id", "none")}), accepts=lambda out: False),
    CallSpec("retire", lambda w: dict(actor=actor("clerk"), request_id=rid(), account_id=w.ids["seller_account"],
                                      quantity=1, beneficiary="示例企业（模糊测试）", purpose="模糊测试"),
             {"account_id": "ref", "quantity": "pos_int", "beneficiary": "text", "purpose": "text", "kind": "choice",
              "serials": "opt_ref_list"}, actor_role_refused="verifier"),
    CallSpec("pledge", lambda w: dict(actor=actor("bank"), request_id=rid(), account_id=w.ids["seller_account"],
                                      quantity=1, loan_reference="FZ-LOAN", loan_amount_fen=100_000,
                                      term_end="2030-12-31"),
             {"account_id": "ref", "quantity": "pos_int", "loan_reference": "text", "loan_amount_fen": "pos_int",
              "term_end": "date", "serials": "opt_ref_list"}, actor_role_refused="clerk"),
    CallSpec("release", lambda w: dict(actor=actor("bank"), request_id=rid(), pledge_id=w.ids["pledge_id"]),
             {"pledge_id": "ref"}, actor_role_refused="clerk"),
    CallSpec("default_pledge", lambda w: dict(actor=actor("bank"), request_id=rid(), pledge_id=w.ids["pledge_id"]),
             {"pledge_id": "ref"}, actor_role_refused="clerk"),
    CallSpec("reverse", lambda w: dict(actor=actor("insurer"), request_id=rid(), quantity=1, reason="雪灾（模糊测试）",
                                       loss_event_ref="FZ-LOSS-1"),
             {"quantity": "pos_int", "reason": "text", "loss_event_ref": "text"}, actor_role_refused="clerk"),
    CallSpec("correct", lambda w: dict(actor=actor("admin"), request_id=rid(), entry_seq=Lazy(_last_sale_seq),
                                       reason="录入错误（模糊测试）"),
             {"entry_seq": "seq", "reason": "text"}, actor_role_refused="verifier",
             extra={"entry_seq": [("a_retirement", Lazy(_retirement_seq)), ("genesis", 1)]}),
    CallSpec("import_registry", lambda w: dict(actor=actor("admin"), request_id=rid(), registry="verra",
                                               paths=[Lazy(_verra_file)]),
             {"registry": "choice", "paths": "path_list", "allow_partial": "bool"}, actor_role_refused="clerk"),
    # issue 20 (helper h4): imported projects and import reports
    CallSpec("imported_projects", lambda w: dict(registry=None, sink_category=None, country=None,
                                                 project_type=None, methodology=None),
             {"registry": "opt_text", "sink_category": "opt_text", "country": "opt_text", "project_type": "opt_text",
              "methodology": "opt_text"}, read_only=True,
             filters=frozenset({"registry", "sink_category", "country", "project_type", "methodology"})),
    CallSpec("registry_import_report", lambda w: dict(seq=w.ids["import_seq"]), {"seq": "seq"}, read_only=True),
    # issue 20 (helper h5): the matches the verifier is shown before issuing
    CallSpec("double_counting_matches", lambda w: dict(actor=actor("verifier"), estimate_id=w.ids["estimate_id"],
                                                       project_code="FZTG01"),
             {"estimate_id": "ref", "project_code": "code"}, actor_role_refused="clerk", read_only=True),
    # -- queries ---------------------------------------------------------------------------------
    CallSpec("account_balance", lambda w: dict(account_id="ENT-0001-H"), {"account_id": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("proof", lambda w: dict(seq=1, tree_size=None), {"seq": "seq", "tree_size": "opt_int"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("consistency_proof", lambda w: dict(old_size=1, new_size=2), {"old_size": "seq", "new_size": "seq"},
             read_only=True, accepts=lambda out: False),
    CallSpec("verify_against", lambda w: dict(published_file=Lazy(lambda w: published(w)["checkpoint"]),
                                              public_key=Lazy(lambda w: published(w)["public_key"])),
             {"published_file": "path", "public_key": "opt_text"}, read_only=True, accepts=lambda out: out["ok"] is False,
             trusted={"report": "a VerifyReport the caller made in-process (the CLI's own verify), not user input"}),
    # Without a signing key configured (the world has none) every file asked for is refused
    # (checkpoint_key_not_configured); None means "no file" and records an unsigned checkpoint.
    CallSpec("publish_checkpoint", lambda w: dict(out=None), {"out": "out_path"}, skip=frozenset({("out", "none")})),
    CallSpec("journal", lambda w: dict(limit=5, kind="sale"), {"limit": "opt_int", "kind": "opt_choice"}, read_only=True,
             extra={"limit": [("zero", 0)]}),
    # -- court -----------------------------------------------------------------------------------
    CallSpec("court.register_case", lambda w: dict(
        actor=actor("court"), request_id=rid(), case_no=f"（2025）浙0521刑初{uuid.uuid4().int % 10**6}号",
        judgment_date="2025-03-01", defendants=["ENT-0002"], sink_type="bamboo_forest", county_code="330521",
        ecosystem_name="示例山林（演示）", damaged_area_ha="1.5", description="滥伐林木（模糊测试）"),
        {"case_no": "text", "judgment_date": "date", "defendants": "ref_list", "sink_type": "choice",
         "county_code": "code", "ecosystem_name": "text", "damaged_area_ha": "decimal", "description": "text",
         "parcel_code": "opt_ref", "geometry": "opt_geometry"}, actor_role_refused="clerk",
        extra={"case_no": [("taken", Lazy(lambda w: w.ids["case_no"]))]}),
    CallSpec("court.register_document", lambda w: dict(actor=actor("court"), request_id=rid(), case_no=w.ids["case_no"],
                                                       title="判决书", content="判决书".encode(), file_name="judgment.txt"),
             {"case_no": "ref", "title": "text", "content": "bytes", "file_name": "text", "media_type": "opt_text"},
             actor_role_refused="clerk", skip=frozenset({("content", "garbage")})),
    CallSpec("court.register_document_file", lambda w: dict(actor=actor("court"), request_id=rid(),
                                                            case_no=w.ids["case_no"], title="判决书",
                                                            path=Lazy(_document)),
             {"case_no": "ref", "title": "text", "path": "path"}, actor_role_refused="clerk",
             skip=frozenset({("path", "garbage"), ("path", "empty_file"), ("path", "nan_coordinates"),
                             ("path", "wrong_suffix"), ("path", "dev_null")})),
    CallSpec("court.propose", lambda w: dict(actor=actor("court"), case_no=w.ids["case_no"],
                                             calculation={"years_to_recovery": 5}),
             {"case_no": "ref", "calculation": "calculation"}, actor_role_refused="enterprise", read_only=True,
             accepts=lambda out: False),
    CallSpec("court.issue_order", lambda w: dict(actor=actor("court"), request_id=rid(), case_no=w.ids["case_no"],
                                                 item="判决第三项", kind="quantity", due_date="2026-12-31", quantity_t=2),
             {"case_no": "ref", "item": "text", "kind": "choice", "due_date": "date", "quantity_t": "opt_pos_int",
              "amount_fen": "opt_pos_int", "same_sink_type": "bool", "same_county": "bool",
              "calculation": "calculation", "override_reason": "opt_text"}, actor_role_refused="clerk"),
    CallSpec("court.amend_order", lambda w: dict(actor=actor("court"), request_id=rid(), order_id=w.ids["order_id"],
                                                 reason="更正（模糊测试）", due_date="2027-06-30"),
             {"order_id": "ref", "reason": "text", "changes": "amend"}, actor_role_refused="clerk"),
    CallSpec("court.withdraw_order", lambda w: dict(actor=actor("court"), request_id=rid(), order_id=w.ids["order_id"],
                                                    reason="撤回（模糊测试）"),
             {"order_id": "ref", "reason": "text"}, actor_role_refused="clerk"),
    CallSpec("court.fulfil", lambda w: dict(actor=actor("clerk"), request_id=rid(), order_id=w.ids["order_id"],
                                            seller_account=w.ids["seller_account"], price_fen_per_t=7341,
                                            contract_no="FZ-FULFIL-1", quantity_t=1),
             {"order_id": "ref", "seller_account": "ref", "price_fen_per_t": "nonneg_int", "contract_no": "text",
              "quantity_t": "opt_pos_int", "buyer_account": "opt_ref", "purchase_date": "opt_date",
              "serials": "opt_ref_list"}, actor_role_refused="verifier"),
    CallSpec("court.issue_certificate", lambda w: dict(actor=actor("court"), order_id=w.ids["order_id"]),
             {"order_id": "ref"}, actor_role_refused="verifier"),
    CallSpec("court.certificate_pdf", lambda w: dict(code="NOPE-CODE", verify_url=None),
             {"code": "ref", "verify_url": "opt_text", "lang": "choice"}, read_only=True, accepts=lambda out: False),
    CallSpec("court.verify_certificate", lambda w: dict(code="NOPE-CODE"), {"code": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("court.verify_certificate_pdf", lambda w: dict(data=b"%PDF-1.4\n"), {"data": "bytes"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("court.cases", lambda w: dict(actor=actor("court")), {}, actor_role_refused="enterprise", read_only=True),
    CallSpec("court.status", lambda w: dict(actor=actor("court"), case_no=w.ids["case_no"]),
             {"case_no": "opt_ref", "order_id": "opt_ref", "as_of": "date_obj"}, actor_role_refused="enterprise",
             read_only=True, accepts=lambda out: False),
    CallSpec("court.report", lambda w: dict(actor=actor("court")),
             {"court_party_id": "opt_ref", "year": "opt_int", "as_of": "date_obj"}, actor_role_refused="enterprise",
             read_only=True),
    CallSpec("court.export_report", lambda w: dict(actor=actor("court"), path=str(w.workdir / "report.xlsx")),
             {"path": "out_path", "filters": "filters"}, actor_role_refused="enterprise", read_only=True,
             skip=frozenset({("path", "wrong_suffix")})),
]


# -- income (docs/income.md): the world's records are made by tests/fuzz/conftest.py seed_income ----
def _due(world: Any, amount: Any) -> list[dict[str, Any]]:
    return [{"due_id": world.ids["due_id"], "amount_fen": amount}]


UNKNOWN_DUE = "DS-99999999-001"
BAD_ITEMS = [("empty", []), ("str", "DS-1=100"), ("int", 7), ("dict", {"due_id": "DS-1", "amount_fen": 1}),
             ("none_item", [None]), ("int_item", [7]), ("str_item", ["DS-1"]), ("missing_amount", [{"due_id": "DS-1"}]),
             ("unknown_key", Lazy(lambda w: [{**_due(w, 1)[0], "bogus": 1}])),
             ("unknown_due", [{"due_id": UNKNOWN_DUE, "amount_fen": 1}]), ("due_sql", [{"due_id": SQL, "amount_fen": 1}]),
             ("due_int", [{"due_id": 7, "amount_fen": 1}]), ("due_surrogate", [{"due_id": SURROGATE, "amount_fen": 1}]),
             ("due_long", [{"due_id": LONG, "amount_fen": 1}]),
             ("zero", Lazy(lambda w: _due(w, 0))), ("negative", Lazy(lambda w: _due(w, -1))),
             ("float", Lazy(lambda w: _due(w, 1.5))), ("nan", Lazy(lambda w: _due(w, float("nan")))),
             ("str_amount", Lazy(lambda w: _due(w, "1"))), ("bool", Lazy(lambda w: _due(w, True))),
             ("none_amount", Lazy(lambda w: _due(w, None))), ("over_int64", Lazy(lambda w: _due(w, 2**63))),
             ("over_outstanding", Lazy(lambda w: _due(w, 10**12))),
             ("same_twice", Lazy(lambda w: _due(w, 1) * 2)),
             ("many", Lazy(lambda w: _due(w, 1) * 10_000))]


def _loss(code: Any = "AJ-BF-0001", area: Any = "0.1", share: Any = 1000) -> list[dict[str, Any]]:
    return [{"parcel_code": code, "affected_area_ha": area, "damage_share_bp": share}]


BAD_LOSS_PARCELS = [("empty", []), ("none", None), ("str", "AJ-BF-0001=0.1"), ("int", 7), ("dict", _loss()[0]),
                    ("none_item", [None]), ("int_item", [7]), ("missing_area", [{"parcel_code": "AJ-BF-0001"}]),
                    ("unknown_parcel", _loss(code="NOPE-404")), ("code_sql", _loss(code=SQL)),
                    ("code_int", _loss(code=7)), ("code_none", _loss(code=None)),
                    ("code_surrogate", _loss(code=SURROGATE)), ("code_long", _loss(code=LONG)),
                    ("not_issued", _loss(code="AJ-TG-0005")), ("wetland_no_estimate", _loss(code="DQ-WL-0001")),
                    ("area_zero", _loss(area="0")), ("area_negative", _loss(area="-1")),
                    ("area_word", _loss(area="one")), ("area_nan", _loss(area="NaN")),
                    ("area_inf", _loss(area="Infinity")), ("area_nan_float", _loss(area=float("nan"))),
                    ("area_huge", _loss(area="1e9")), ("area_none", _loss(area=None)), ("area_list", _loss(area=[1])),
                    ("share_zero", _loss(share=0)), ("share_over", _loss(share=10_001)),
                    ("share_float", _loss(share=1.5)), ("share_str", _loss(share="1000")),
                    ("share_bool", _loss(share=True)), ("share_negative", _loss(share=-1)),
                    ("same_twice", _loss() * 2), ("unknown_key", [{**_loss()[0], "bogus": 1}]),
                    ("deep", [{**_loss()[0], "x": deep(5000)}])]
INCOME_SALE = Lazy(lambda w: w.ids["distributed_sale_seq"], "distributed_sale")


def _statement(world: Any) -> dict[str, Any]:
    return dict(actor=actor("household"), party_id=world.ids["household_party"], period_start="2025-01-01",
                period_end="2026-12-31")


STATEMENT_PARAMS = {"party_id": "ref", "period_start": "date", "period_end": "date"}
PAGE_PARAMS = {"limit": "opt_pos_int", "offset": "nonneg_int"}  # a page of a list (limit None: every row): bad
# bounds are refused, not answered (the calls are reads, but not "read-only" in the suite's sense)
DOCUMENT_PARAMS = STATEMENT_PARAMS | {"lang": "choice"}  # statements written as PDF or Excel
STATEMENT_EXTRA = {"period_end": [("before_start", "2024-12-31")],
                   "party_id": [("other_household", "HH-0002"), ("collective", "COL-0001")]}

SPECS += [
    # -- income: contracts and documents ---------------------------------------------------------
    CallSpec("income.contracts", lambda w: dict(actor=actor("centre")), {"collective_party_id": "opt_ref"},
             actor_role_refused="enterprise", read_only=True, filters=frozenset({"collective_party_id"})),
    CallSpec("income.contract", lambda w: dict(actor=actor("centre"), contract_no="FZ-SC-SHARE"),
             {"contract_no": "ref"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False),
    CallSpec("income.register_contract_document", lambda w: dict(
        actor=actor("centre"), request_id=rid(), contract_no="FZ-SC-SHARE", title="收储合同附件", content="附件".encode(),
        file_name="annex.txt"),
        {"contract_no": "ref", "title": "text", "content": "bytes", "file_name": "text", "media_type": "opt_text"},
        actor_role_refused="clerk", skip=frozenset({("content", "garbage")})),  # any bytes are a document
    CallSpec("income.register_contract_document_file", lambda w: dict(
        actor=actor("centre"), request_id=rid(), contract_no="FZ-SC-SHARE", title="收储合同附件", path=Lazy(_document)),
        {"contract_no": "ref", "title": "text", "path": "path"}, actor_role_refused="clerk",
        skip=frozenset({("path", "garbage"), ("path", "empty_file"), ("path", "nan_coordinates"),
                        ("path", "wrong_suffix"), ("path", "dev_null")})),  # any readable file is a document
    # -- income: bundled projects ----------------------------------------------------------------
    CallSpec("income.register_project", lambda w: dict(
        actor=actor("centre"), request_id=rid(), project_code="FZBUNDLE2", name="示例打捆项目二（模糊测试）",
        sink_type="bamboo_forest", methodology_id=BAMBOO, monitoring_start="2024-11-15", interval_months=24,
        parcel_codes=["AJ-BF-0002"]),
        {"project_code": "code", "name": "text", "sink_type": "choice", "methodology_id": "choice",
         "monitoring_start": "date", "interval_months": "pos_int", "parcel_codes": "ref_list"},
        actor_role_refused="clerk",
        extra={"project_code": [("taken", "FZBUNDLE1"), ("lower", "fzbundle2")],
               "sink_type": [("other_than_parcels", "tea_garden")], "interval_months": [("over_max", 121)],
               "parcel_codes": [("bundled", ["AJ-BF-0001"]), ("not_collected", ["AJ-TG-0005"]),
                                ("other_sink_type", ["AJ-TG-0001"]), ("same_twice", ["AJ-BF-0002"] * 2)]}),
    CallSpec("income.add_project_parcels", lambda w: dict(actor=actor("centre"), request_id=rid(),
                                                          project_code="FZBUNDLE1", parcel_codes=["AJ-BF-0002"]),
             {"project_code": "ref", "parcel_codes": "ref_list"}, actor_role_refused="clerk",
             extra={"parcel_codes": [("bundled", ["AJ-BF-0001"]), ("not_collected", ["AJ-TG-0005"])]}),
    CallSpec("income.projects", lambda w: dict(actor=actor("centre")), {}, actor_role_refused="enterprise",
             read_only=True),
    CallSpec("income.project", lambda w: dict(actor=actor("centre"), project_code="FZBUNDLE1"),
             {"project_code": "ref"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False),
    CallSpec("income.estimate_project", lambda w: dict(actor=actor("centre"), request_id=rid(), project_code="FZBUNDLE1",
                                                       inputs=w.ids["project_inputs"], period_index=2),
             {"project_code": "ref", "inputs": "doc", "period_index": "opt_nonneg_int", "gwp_profile": "choice"},
             actor_role_refused="clerk", extra={"period_index": [("over_max", 1_001)]}),
    CallSpec("income.issue_project", lambda w: dict(actor=actor("verifier"), request_id=rid(), project_code="FZBUNDLE1",
                                                    estimate_id=w.ids["project_estimate_id"], verified_kg_co2e=1000,
                                                    buffer_share_bp=1000),
             {"project_code": "ref", "estimate_id": "ref", "verified_kg_co2e": "pos_int", "buffer_share_bp": "bp",
              "acknowledged_matches": "opt_ref_list"},
             actor_role_refused="clerk",
             extra={"estimate_id": [("not_of_the_project", Lazy(lambda w: w.ids["estimate_id"])),
                                    ("issued", Lazy(lambda w: w.ids["issued_estimate"]))],
                    "verified_kg_co2e": [("over_estimate", 10**12)]}),
    # -- income: traces ----------------------------------------------------------------------------
    CallSpec("income.trace_batch", lambda w: dict(actor=actor("centre"), batch_id=w.ids["project_batch_id"]),
             {"batch_id": "ref", "parcel_code": "opt_ref"}, actor_role_refused="enterprise", read_only=True,
             accepts=lambda out: False, filters=frozenset({"parcel_code"})),
    CallSpec("income.trace_serial", lambda w: dict(actor=actor("centre"), serial=w.ids["project_serials"]),
             {"serial": "ref"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False,
             extra={"serial": [("unknown_range", "CN330523-BF-NOPE01-2024-000000001..000000001"),
                               ("huge", "CN330523-BF-FZBUNDLE1-2025-" + "9" * 30)]}),
    # -- income: distribution --------------------------------------------------------------------
    CallSpec("income.preview_distribution", lambda w: dict(actor=actor("centre"), sale_seq=w.ids["open_sale_seq"]),
             {"sale_seq": "seq"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False,
             extra={"sale_seq": [("not_a_sale", 1)]}),  # a sale of no contract previews as the seller's (D6)
    CallSpec("income.distribute", lambda w: dict(actor=actor("centre"), sale_seq=w.ids["open_sale_seq"],
                                                 request_id=rid()),
             {"sale_seq": "seq"}, actor_role_refused="clerk",
             extra={"sale_seq": [("distributed", INCOME_SALE), ("not_a_sale", 1),
                                 ("no_contract", Lazy(_last_sale_of_a_collective))]},
             skip=frozenset({("request_id", "none")})),  # None: the default request id distribution:<seq>
    CallSpec("income.distributions", lambda w: dict(actor=actor("centre")), {}, actor_role_refused="enterprise",
             read_only=True),
    CallSpec("income.distribution", lambda w: dict(actor=actor("centre"), distribution_id=w.ids["distribution_id"]),
             {"distribution_id": "ref"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False),
    # -- income: fixed payments and payments -------------------------------------------------------
    CallSpec("income.schedule_payments", lambda w: dict(actor=actor("centre"), request_id=rid(),
                                                        contract_no="FZ-SC-FIXED", through="2030-01-01"),
             {"contract_no": "ref", "through": "opt_date"}, actor_role_refused="clerk",
             extra={"contract_no": [("proceeds_share", "FZ-SC-SHARE")], "through": [("already_scheduled", "2023-01-01"),
                                                                                     ("before_term", "2020-01-01")]}),
    CallSpec("income.due_items", lambda w: dict(actor=actor("centre")),
             {"party_id": "opt_ref", "contract_no": "opt_ref", "source_id": "opt_ref", "parcel_code": "opt_ref",
              "outstanding_only": "bool"},
             actor_role_refused="enterprise", read_only=True,
             filters=frozenset({"party_id", "contract_no", "source_id", "parcel_code"})),
    CallSpec("income.payments", lambda w: dict(actor=actor("centre")),
             {"party_id": "opt_ref", "due_id": "opt_ref", "contract_no": "opt_ref", "date_from": "opt_date",
              "date_to": "opt_date"}, actor_role_refused="enterprise", read_only=True,
             filters=frozenset({"party_id", "due_id", "contract_no"})),
    CallSpec("income.record_payment", lambda w: dict(actor=actor("centre"), request_id=rid(), items=_due(w, 1),
                                                     paid_date=w.ids["sale_date"], reference="FZ-PAY-2"),
             {"items": "items", "paid_date": "date", "reference": "text"}, actor_role_refused="clerk"),
    CallSpec("income.pay_outstanding", lambda w: dict(actor=actor("centre"), request_id=rid(),
                                                      source_id=w.ids["distribution_id"], paid_date=w.ids["sale_date"],
                                                      reference="FZ-PAY-3"),
             {"source_id": "ref", "paid_date": "date", "reference": "text", "party_id": "opt_ref"},
             actor_role_refused="clerk", extra={"party_id": [("not_owed", "COL-0002")]}),
    # -- income: liens ---------------------------------------------------------------------------
    CallSpec("income.register_lien", lambda w: dict(actor=actor("bank"), request_id=rid(), contract_no="FZ-SC-SHARE",
                                                    loan_reference="FZ-LIEN-2", loan_amount_fen=100_000,
                                                    term_end="2030-12-31", parcel_codes=["AJ-BF-0001"]),
             {"contract_no": "ref", "loan_reference": "text", "loan_amount_fen": "pos_int", "term_end": "date",
              "parcel_codes": "opt_ref_list"}, actor_role_refused="clerk",
             extra={"parcel_codes": [("under_lien", ["AJ-BF-0006"]), ("not_in_contract", ["AJ-BF-0002"])]}),
    CallSpec("income.release_lien", lambda w: dict(actor=actor("bank"), request_id=rid(), lien_id=w.ids["lien_id"]),
             {"lien_id": "ref"}, actor_role_refused="clerk"),
    CallSpec("income.default_lien", lambda w: dict(actor=actor("bank"), request_id=rid(), lien_id=w.ids["lien_id"]),
             {"lien_id": "ref"}, actor_role_refused="clerk"),
    CallSpec("income.liens", lambda w: dict(actor=actor("bank")), {}, actor_role_refused="enterprise", read_only=True),
    # -- income: losses and claims ---------------------------------------------------------------
    CallSpec("income.preview_loss", lambda w: dict(actor=actor("insurer"), event_date="2025-02-01", parcels=_loss()),
             {"event_date": "date", "parcels": "loss_parcels"}, actor_role_refused="clerk", read_only=True,
             accepts=lambda out: False, extra={"event_date": [("before_any_estimate", "2000-01-01")]}),
    CallSpec("income.record_loss", lambda w: dict(actor=actor("insurer"), request_id=rid(), cause="fire",
                                                  event_date="2025-02-01", parcels=_loss(),
                                                  description="山火（模糊测试）"),
             {"cause": "choice", "event_date": "date", "parcels": "loss_parcels", "description": "text",
              "policy_no": "opt_text"}, actor_role_refused="clerk",
             extra={"event_date": [("before_any_estimate", "2000-01-01")]}),
    CallSpec("income.record_claim", lambda w: dict(actor=actor("insurer"), request_id=rid(), claim_no="FZ-CLAIM-2",
                                                   event_id=w.ids["event_id"], policy_no="FZ-POL-1",
                                                   product="毛竹碳汇价值恢复补偿保险", insured_party_id="CENTRE-AJ",
                                                   payout_fen=5_000),
             {"claim_no": "text", "event_id": "ref", "policy_no": "text", "product": "text", "insured_party_id": "ref",
              "payout_fen": "nonneg_int", "paid_date": "opt_date", "reference": "opt_text"},
             actor_role_refused="centre", extra={"claim_no": [("taken", "FZ-CLAIM-1")]}),
    CallSpec("income.losses", lambda w: dict(actor=actor("insurer")), {}, actor_role_refused="enterprise",
             read_only=True),
    # -- issue 18 (helper h3): the lists as pages of the database, the court report's workbook, estimates
    *[CallSpec(f"income.{name}_page", lambda w, who=who: dict(actor=actor(who)), PAGE_PARAMS | more,
               actor_role_refused="enterprise", filters=frozenset(more) - {"outstanding_only"})
      for name, who, more in (("contracts", "centre", {"collective_party_id": "opt_ref"}),
                              ("projects", "centre", {}), ("distributions", "centre", {}),
                              ("due_items", "centre", {"party_id": "opt_ref", "contract_no": "opt_ref",
                                                       "source_id": "opt_ref", "parcel_code": "opt_ref",
                                                       "outstanding_only": "bool"}),
                              ("payments", "centre", {"party_id": "opt_ref", "due_id": "opt_ref",
                                                      "contract_no": "opt_ref", "date_from": "opt_date",
                                                      "date_to": "opt_date"}),
                              ("liens", "bank", {}), ("losses", "insurer", {}))],
    CallSpec("court.cases_page", lambda w: dict(actor=actor("court")), PAGE_PARAMS, actor_role_refused="enterprise"),
    CallSpec("court.report_xlsx", lambda w: dict(actor=actor("court")), {"filters": "filters"},
             actor_role_refused="enterprise", read_only=True),
    CallSpec("estimates_page", lambda w: dict(actor=actor("verifier")),
             PAGE_PARAMS | {"parcel_code": "opt_ref", "state": "opt_choice"}, actor_role_refused="enterprise",
             filters=frozenset({"parcel_code"})),
    CallSpec("estimate_with_state", lambda w: dict(actor=actor("verifier"), estimate_id=w.ids["estimate_id"]),
             {"estimate_id": "ref"}, actor_role_refused="enterprise", read_only=True, accepts=lambda out: False),
    # -- income: statements ----------------------------------------------------------------------
    CallSpec("income.statement", _statement, STATEMENT_PARAMS, actor_role_refused="enterprise", read_only=True,
             accepts=lambda out: False, extra=STATEMENT_EXTRA),
    CallSpec("income.statement_pdf", _statement, DOCUMENT_PARAMS, actor_role_refused="enterprise", read_only=True,
             accepts=lambda out: False, extra=STATEMENT_EXTRA),
    CallSpec("income.statement_xlsx", lambda w: _statement(w) | dict(path=str(w.workdir / "statement.xlsx")),
             {**DOCUMENT_PARAMS, "path": "out_path"}, actor_role_refused="enterprise", read_only=True,
             accepts=lambda out: False, extra=STATEMENT_EXTRA),
]


def _public_serial(world: Any) -> str:
    """A serial inside the first issued block (the world's demo issued it)."""
    batch = world.service.public.projects(limit=1)["items"][0]["project_code"]
    first = world.service.public.project(batch)["issuances"][0]["serials"].split("..")[0]
    return first


def _public_retirement(world: Any) -> str:
    return world.service.public.retirements(limit=1)["items"][0]["retirement_id"]


# The public registry (issue 18): reads without an actor; a bad value is refused, a filter that
# matches nothing may answer "nothing".
SPECS += [
    CallSpec("public.serial", lambda w: dict(serial=Lazy(_public_serial, "serial")), {"serial": "ref"},
             read_only=True, accepts=lambda out: False),
    CallSpec("public.retirements", lambda w: dict(beneficiary=None, purpose=None, year=None, limit=20, offset=0),
             {"beneficiary": "opt_text", "purpose": "opt_text", "year": "opt_int", "limit": "pos_int",
              "offset": "nonneg_int"}, read_only=True, accepts=lambda out: False,
             filters=frozenset({"beneficiary", "purpose"}), extra={"year": [("year_1899", 1899), ("year_2200", 2200)],
                                                                  "limit": [("over_page", 201)]}),
    CallSpec("public.retirement", lambda w: dict(retirement_id=Lazy(_public_retirement, "retirement"), proof=False),
             {"retirement_id": "ref", "proof": "bool"}, read_only=True, accepts=lambda out: False),
    CallSpec("public.entry", lambda w: dict(ref="1", proof=False), {"ref": "ref", "proof": "bool"}, read_only=True,
             accepts=lambda out: False, skip=frozenset({("ref", "int")}),  # 7 is a sequence number
             extra={"ref": [("short_hash", "a" * 63), ("zero", 0), ("unknown_hash", "f" * 64)]}),
    CallSpec("public.parcel", lambda w: dict(parcel_code="AJ-BF-0001"), {"parcel_code": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("public.projects", lambda w: dict(limit=20, offset=0), {"limit": "pos_int", "offset": "nonneg_int"},
             read_only=True, accepts=lambda out: False),
    CallSpec("public.project", lambda w: dict(project_code="AJBF01"), {"project_code": "ref"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("public.retirement_certificate", lambda w: dict(retirement_id=Lazy(_public_retirement, "retirement")),
             {"retirement_id": "ref"}, read_only=True, accepts=lambda out: False),
    CallSpec("public.retirement_certificate_pdf",
             lambda w: dict(retirement_id=Lazy(_public_retirement, "retirement"), lang="zh", verify_url=None),
             {"retirement_id": "ref", "lang": "choice", "verify_url": "opt_text"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("public.check_retirement_certificate_pdf", lambda w: dict(data=b"%PDF-1.4\n"), {"data": "bytes"},
             read_only=True, accepts=lambda out: False),
    CallSpec("public.offsetsdb_projects_csv", lambda w: dict(project_url=None), {"project_url": "opt_text"},
             read_only=True, accepts=lambda out: False),
]
NO_INPUT["public.offsetsdb_credits_csv"] = "read-only, no input (streams the credits file)"
# issue 20 (helper h5): the same files as JSON
SPECS.append(CallSpec("public.offsetsdb_projects_json", lambda w: dict(project_url=None), {"project_url": "opt_text"},
                      read_only=True, accepts=lambda out: False))
NO_INPUT["public.offsetsdb_credits_json"] = "read-only, no input (streams the credits file as JSON)"

# Issue 22 (helper h7): the price index (public), index insurance and pricing factors.
def _policy_period(world: Any) -> tuple[str, str]:
    from datetime import date, timedelta

    today = date.today()
    return (today + timedelta(days=10)).isoformat(), (today + timedelta(days=100)).isoformat()


def _policy(world: Any) -> dict[str, Any]:
    start, end = _policy_period(world)
    return dict(actor=actor("insurer"), request_id=rid(), policy_no=f"FZ-JZ-{uuid.uuid4().hex[:8]}",
                insured_party_id="COL-0001", contract_no="FZ-SC-SHARE", sink_type="bamboo_forest",
                county_code="330523", period_start=start, period_end=end, strike_fen_per_t=8000, insured_t=100,
                premium_fen=10_000, product=None)


def _factor_items() -> list[dict[str, Any]]:
    return [{"factor": "co_benefits", "value": "1.05", "evidence_title": "协同效益（模糊测试）",
             "evidence_file_name": "b.pdf", "evidence_content": b"co"}]


BAD_FACTORS = [("empty", []), ("none", None), ("str", "biodiversity"), ("unknown_factor", [{**_factor_items()[0],
               "factor": "beauty"}]), ("too_high", [{**_factor_items()[0], "value": "3.01"}]),
               ("float_value", [{**_factor_items()[0], "value": 1.1}]), ("no_content", [{**_factor_items()[0],
               "evidence_content": b""}]), ("str_content", [{**_factor_items()[0], "evidence_content": "co"}]),
               ("extra_key", [{**_factor_items()[0], "note": "x"}]), ("twice", _factor_items() * 2),
               ("surrogate_title", [{**_factor_items()[0], "evidence_title": SURROGATE}])]
BAD_TRACES = [("none", None), ("str", "{}"), ("empty", {}), ("list", []), ("no_inputs", {"rule": {}}),
              ("bad_seq", {"rule": {}, "sink_type": "bamboo_forest", "county_code": "330523", "window": "2025-03",
                           "date_from": "2025-03-01", "date_to": "2025-03-31", "as_of_seq": 1,
                           "inputs": [{"seq": "1", "entry_hash": "0"}], "result": {}})]
SPECS += [
    CallSpec("prices.markets", lambda w: dict(), {}, read_only=True, accepts=lambda out: False),
    CallSpec("prices.index", lambda w: dict(sink_type="bamboo_forest", county_code="330523", frequency="monthly",
                                            date_from=None, date_to=None),
             {"sink_type": "choice", "county_code": "code", "frequency": "choice", "date_from": "opt_date",
              "date_to": "opt_date"}, read_only=True, accepts=lambda out: False,
             extra={"date_from": [("far_back", "1990-01-01")]}),
    CallSpec("prices.trace", lambda w: dict(sink_type="bamboo_forest", county_code="330523", frequency="monthly",
                                            window="2025-03"),
             {"sink_type": "choice", "county_code": "code", "frequency": "choice", "window": "ref"},
             read_only=True, accepts=lambda out: False, extra={"window": [("month_13", "2025-13")]}),
    CallSpec("prices.check_trace", lambda w: dict(document={}), {"document": "trace"}, read_only=True,
             accepts=lambda out: False),
    CallSpec("prices.project_factors", lambda w: dict(project_code="FZBUNDLE1"), {"project_code": "ref"},
             read_only=True, accepts=lambda out: False),
    CallSpec("prices.set_factors", lambda w: dict(actor=actor("centre"), request_id=rid(), project_code="FZBUNDLE1",
                                                  factors=_factor_items()),
             {"project_code": "ref", "factors": "factors"}, actor_role_refused="clerk"),
    CallSpec("prices.reference_price", lambda w: dict(actor=actor("clerk"), seller_account="CENTRE-AJ-H", quantity=1,
                                                      sale_date=None),
             {"seller_account": "ref", "quantity": "pos_int", "sale_date": "opt_date"}, actor_role_refused="court",
             read_only=True, accepts=lambda out: False),
    CallSpec("prices.issue_policy", _policy,
             {"policy_no": "text", "insured_party_id": "ref", "contract_no": "ref", "sink_type": "choice",
              "county_code": "code", "period_start": "date", "period_end": "date", "strike_fen_per_t": "pos_int",
              "insured_t": "pos_int", "premium_fen": "pos_int", "product": "opt_text"},
             actor_role_refused="clerk", extra={"period_start": [("past", "2020-01-01")],
                                                "insured_party_id": [("not_the_collective", "COL-0002")],
                                                "premium_fen": [("over_cover", 800_001)]}),
    CallSpec("prices.preview_settlement", lambda w: dict(actor=actor("insurer"), policy_no="FZ-JZ-1"),
             {"policy_no": "ref"}, actor_role_refused="clerk", read_only=True, accepts=lambda out: False),
    CallSpec("prices.settle_policy", lambda w: dict(actor=actor("insurer"), request_id=rid(), policy_no="FZ-JZ-1",
                                                    paid_date=None, reference="FZ-PAY"),
             {"policy_no": "ref", "paid_date": "opt_date", "reference": "opt_text"}, actor_role_refused="clerk",
             extra={"paid_date": [("in_period", "2024-03-01")]}),
    CallSpec("prices.policies", lambda w: dict(actor=actor("insurer"), limit=100, offset=0), PAGE_PARAMS,
             actor_role_refused="clerk"),
    CallSpec("prices.policy", lambda w: dict(actor=actor("insurer"), policy_no="FZ-JZ-1"), {"policy_no": "ref"},
             actor_role_refused="clerk", read_only=True, accepts=lambda out: False),
    CallSpec("prices.check_settlement", lambda w: dict(actor=actor("insurer"), policy_no="FZ-JZ-1"),
             {"policy_no": "ref"}, actor_role_refused="clerk", read_only=True, accepts=lambda out: False),
]
NO_INPUT["prices.today"] = "read-only, no input"

# -- issue 22 (helper h8): compensation programmes and quota obligations (docs/instruments.md); the
# world's programme FZ-PROG and obligation come from tests/fuzz/conftest.py seed_instruments ------
NO_INPUT["compensation.today"] = "read-only, no input"
NO_INPUT["obligations.today"] = "read-only, no input"
_PROGRAMME = dict(code="FZ-NEW-1", name="模糊测试项目", reference="FZ-REF", basis="per_t", rate_fen=100,
                  budget_fen=100_000, sink_types=["bamboo_forest"], vintage_from=2020, vintage_to=2026,
                  period_start="2026-01-01", period_end="2026-12-31", county_codes=["330523"])
_OBLIGATION = dict(enterprise_party_id="ENT-0001", quantity_t=5, deadline="2030-12-31", sink_types=["bamboo_forest"],
                   vintage_from=2020, vintage_to=2026, reference="FZ-REF", county_codes=None, start_date="2026-01-01")
SPECS += [
    CallSpec("compensation.register_programme", lambda w: dict(actor=actor("authority"), request_id=rid(), **_PROGRAMME),
             {"code": "code", "name": "text", "reference": "text", "basis": "choice", "rate_fen": "pos_int",
              "budget_fen": "pos_int", "sink_types": "ref_list", "vintage_from": "pos_int", "vintage_to": "pos_int",
              "period_start": "date", "period_end": "date", "county_codes": "ref_list"},
             actor_role_refused="centre", skip=frozenset({("county_codes", "empty"), ("county_codes", "none")})),
    CallSpec("compensation.pay", lambda w: dict(actor=actor("authority"), request_id=rid(), programme_code="FZ-PROG",
                                                estimate_id=w.ids["payable_estimate"], paid_date="2026-06-30",
                                                reference="FZ-PAY", vintages=None),
             {"programme_code": "ref", "estimate_id": "ref", "paid_date": "date", "reference": "text",
              "vintages": "ref_list"}, actor_role_refused="centre", skip=frozenset({("vintages", "none")})),
    CallSpec("compensation.preview_payment", lambda w: dict(actor=actor("authority"), programme_code="FZ-PROG",
                                                            estimate_id=w.ids["payable_estimate"], vintages=None),
             {"programme_code": "ref", "estimate_id": "ref", "vintages": "ref_list"}, actor_role_refused="centre",
             read_only=True, accepts=lambda out: False, skip=frozenset({("vintages", "none")})),
    CallSpec("compensation.programmes", lambda w: dict(actor=actor("authority")), {}, actor_role_refused="household",
             read_only=True),
    CallSpec("compensation.programmes_page", lambda w: dict(actor=actor("authority")), PAGE_PARAMS,
             actor_role_refused="household"),
    CallSpec("compensation.programme", lambda w: dict(actor=actor("authority"), code="FZ-PROG"), {"code": "ref"},
             actor_role_refused="household", read_only=True, accepts=lambda out: False),
    CallSpec("compensation.payments", lambda w: dict(actor=actor("authority"), programme_code=None),
             {"programme_code": "opt_ref"}, actor_role_refused="household", read_only=True,
             filters=frozenset({"programme_code"})),
    CallSpec("compensation.payment", lambda w: dict(actor=actor("authority"), payment_id=w.ids["compensation_payment"]),
             {"payment_id": "ref"}, actor_role_refused="household", read_only=True, accepts=lambda out: False),
    CallSpec("compensation.payable_estimates", lambda w: dict(actor=actor("authority"), programme_code="FZ-PROG"),
             {"programme_code": "ref"}, actor_role_refused="centre", read_only=True, accepts=lambda out: False),
    CallSpec("obligations.set_obligation", lambda w: dict(actor=actor("authority"), request_id=rid(), **_OBLIGATION),
             {"enterprise_party_id": "ref", "quantity_t": "pos_int", "deadline": "date", "sink_types": "ref_list",
              "vintage_from": "pos_int", "vintage_to": "pos_int", "reference": "text", "county_codes": "ref_list",
              "start_date": "opt_date"}, actor_role_refused="enterprise",
             skip=frozenset({("county_codes", "empty"), ("county_codes", "none")})),
    CallSpec("obligations.surrender", lambda w: dict(actor=actor("clerk"), request_id=rid(),
                                                     obligation_id=w.ids["obligation_id"], quantity_t=1,
                                                     seller_account=w.ids["seller_account"], price_fen_per_t=7341,
                                                     contract_no="FZ-SURRENDER"),
             {"obligation_id": "ref", "quantity_t": "pos_int", "seller_account": "opt_ref",
              "price_fen_per_t": "opt_nonneg_int", "contract_no": "opt_text"}, actor_role_refused="verifier"),
    CallSpec("obligations.claim", lambda w: dict(actor=actor("enterprise"), request_id=rid(),
                                                 obligation_id=w.ids["obligation_id"], retirement_id=w.ids["claimable"]),
             {"obligation_id": "ref", "retirement_id": "ref"}, actor_role_refused="verifier"),
    CallSpec("obligations.issue_certificate", lambda w: dict(actor=actor("authority"),
                                                             obligation_id=w.ids["obligation_id"]),
             {"obligation_id": "ref"}, actor_role_refused="verifier"),
    CallSpec("obligations.obligations", lambda w: dict(actor=actor("authority")), {"as_of": "date_obj"},
             actor_role_refused="household", read_only=True, accepts=lambda out: False),
    CallSpec("obligations.obligations_page", lambda w: dict(actor=actor("authority")),
             {"as_of": "date_obj", **PAGE_PARAMS}, actor_role_refused="household"),
    CallSpec("obligations.obligation", lambda w: dict(actor=actor("authority"), obligation_id=w.ids["obligation_id"]),
             {"obligation_id": "ref", "as_of": "date_obj"}, actor_role_refused="household", read_only=True,
             accepts=lambda out: False),
    CallSpec("obligations.verify_certificate", lambda w: dict(code=w.ids["obligation_code"]), {"code": "ref"},
             read_only=True, accepts=lambda out: False),
    CallSpec("obligations.verify_certificate_pdf", lambda w: dict(data=b"%PDF-1.4\n"), {"data": "bytes"},
             read_only=True, accepts=lambda out: False),
    CallSpec("obligations.certificate_pdf", lambda w: dict(code=w.ids["obligation_code"], verify_url=None),
             {"code": "ref", "verify_url": "opt_text", "lang": "choice"}, read_only=True, accepts=lambda out: False),
]


# Kinds only some calls take: (label, value) lists beside tests/fuzz/values.py's.
LOCAL_KINDS: dict[str, list[tuple[str, Any]]] = {
    "options": BAD_OPTIONS, "decimal": BAD_DECIMALS, "attributes": BAD_ATTRIBUTES, "shares": BAD_SHARES,
    "parts": BAD_PARTS, "terms": BAD_TERMS, "changes": BAD_CHANGES, "calculation": BAD_CALCULATION,
    "amend": BAD_AMEND, "filters": BAD_FILTERS, "items": BAD_ITEMS, "loss_parcels": BAD_LOSS_PARCELS,
    "factors": BAD_FACTORS, "trace": BAD_TRACES,  # issue 22 (helper h7)
}


SPEC_BY_NAME = {spec.name: spec for spec in SPECS}

# issue 16: the public registry's published checkpoints and consistency proofs
SPECS += [
    CallSpec("public.checkpoints", lambda w: dict(limit=20, offset=0), {"limit": "pos_int", "offset": "nonneg_int"},
             read_only=True, accepts=lambda out: False),
    CallSpec("public.checkpoint_document", lambda w: dict(tree_size=None), {"tree_size": "opt_nonneg_int"},
             read_only=True, accepts=lambda out: False),
    CallSpec("public.consistency", lambda w: dict(old_size=1, new_size=2), {"old_size": "seq", "new_size": "seq"},
             read_only=True, accepts=lambda out: False),
]
