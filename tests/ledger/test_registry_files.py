"""Every file in ../shared/data/registry imports with its full history held and reconciled
(issue 20), on SQLite and PostgreSQL.

The expected figures are computed here from the files themselves with the csv and json modules
(never from the reader under test): rows, credits issued, to the buffer, retired and cancelled,
the rows that issue nothing, the pools whose retirements exceed their issuance, the retirements
beyond the registry's published totals, dates out of order. Then each import must account for
every row (booked, kept as a project, noted as issuing nothing, or refused: nothing silently
dropped), report every anomaly the files hold, and leave a ledger that verifies.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import pytest

from ledger.domain import Role
from ledger.permissions import Actor

pytestmark = pytest.mark.shared_data

ADMIN = Actor(username="admin", role=Role.admin, party_id="REGISTRY")
SAMPLES = ("registry", "offsetsdb_samples")
FILES = {
    "verra": ["verra/transactions.csv", "verra/projects.csv"],
    "gold-standard": ["gold-standard/issuances.csv", "gold-standard/retirements.csv", "gold-standard/projects.csv"],
    "acr": [f"american-carbon-registry/{f}.csv" for f in ("issuances", "retirements", "cancellations", "projects")],
    "car": [f"climate-action-reserve/{f}.csv" for f in ("issuances", "retirements", "cancellations", "projects")],
    "art-trees": [f"art-trees/{f}.csv" for f in ("issuances", "retirements", "cancellations", "projects")],
    "cercarbono": [f"cercarbono/{f}.csv" for f in ("issuances", "retirements", "projects")],
    "isometric": [f"isometric/{f}.csv" for f in ("issuances", "retirements", "projects")],
    "arb": ["arb/nc-arboc_issuance_sheet3.csv"],
    "carbonplan": ["../carbonplan_forest_offsets/projects-crediting.json"],
}


def _paths(shared_data: Path, registry: str) -> list[Path]:
    paths = [shared_data.joinpath(*SAMPLES, f).resolve() for f in FILES[registry]]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"registry export not found: {missing[0]}")
    return paths


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def t(value: str) -> int:
    """A quantity cell in tonnes ("28,571", "79565.0", "") as whole tonnes."""
    text = value.strip().replace(",", "")
    return int(float(text)) if text else 0


def test_every_registry_file_in_the_reference_data_has_a_mapping(shared_data: Path) -> None:
    """No file is left without an importer: every CSV and JSON under ../shared/data/registry is
    named in FILES, and the command line names its registry from its columns alone."""
    from ledger.registry_import import detect_registry

    root = shared_data / "registry"
    found = sorted(p.resolve() for p in root.rglob("*") if p.suffix in (".csv", ".json"))
    named = sorted(p for registry in FILES for p in _paths(shared_data, registry))
    assert found == named
    for registry in FILES:
        assert detect_registry(_paths(shared_data, registry)) == registry


# --- the figures, from the files ------------------------------------------------------------------

def expected_verra(paths: list[Path]) -> dict[str, Any]:
    tx = rows(paths[0])
    dated = [r for r in tx if r["Retirement/Cancellation Date"].strip()]
    claims = ("Retirement Beneficiary", "Retirement Reason", "Retirement Details")
    retired = [r for r in dated if any(r[c].strip() for c in claims)]
    per_vintage: dict[tuple, int] = defaultdict(int)
    published: dict[tuple, int] = {}
    for r in tx:
        key = (r["ID"], r["Vintage Start"], r["Vintage End"])
        per_vintage[key] += t(r["Quantity Issued"])
        published[key] = t(r["Total Vintage Quantity"])
    return {"rows": len(tx) + len(rows(paths[1])), "created_t": sum(t(r["Quantity Issued"]) for r in tx),
            "retired_t": sum(t(r["Quantity Issued"]) for r in retired),
            "ended_t": sum(t(r["Quantity Issued"]) for r in dated if r not in retired), "cancelled_t": 0,
            "anomalies": {("registry_vintage_quantity_exceeded", k[0]) for k in per_vintage
                          if per_vintage[k] > published[k]},
            "notices": len(dated) - len(retired)}


def _gs_range(serial: str) -> tuple[str, int, int]:
    cer = re.match(r"^([A-Z]{2}-\d+)-(\d+)-(\S+) - \1-(\d+)-\3$", serial)
    if cer:
        return f"{cer[1]}-{cer[3]}", int(cer[2]), int(cer[4])
    head, first, last = serial.rsplit("-", 2)
    return head, int(first), int(last)


def expected_gold_standard(paths: list[Path]) -> dict[str, Any]:
    issued, ended = rows(paths[0]), rows(paths[1])
    blocks = [_gs_range(r["Serial Number"]) for r in issued]
    inside = [r for r in ended if any(p == q and a <= b0 and b1 <= b for (p, a, b), (q, b0, b1)
                                      in ((blk, _gs_range(r["Serial Number"])) for blk in blocks))]
    by_status = defaultdict(int)
    for r in ended:
        by_status[r["Credit Status"]] += t(r["Quantity"])
    return {"rows": len(issued) + len(ended) + len(rows(paths[2])),
            "created_t": sum(t(r["Quantity"]) for r in issued) + sum(t(r["Quantity"]) for r in ended if r not in inside),
            "retired_t": by_status["Retired"], "cancelled_t": by_status["Canceled"], "ended_t": 0,
            "anomalies": set(), "notices": 0}


def _pooled(issued: list[tuple[str, int, int]], events: list[tuple[str, str, int]],
            *, other_part: bool) -> dict[str, Any]:
    """Pools from (key, project t, buffer t) issuances and (key, status, t) events, as the module
    docstring of ledger/registry_import/pools.py states them, computed independently."""
    project, buffer = defaultdict(int), defaultdict(int)
    for key, p, b in issued:
        project[key] += p
        buffer[key] += b
    orphaned = defaultdict(int)  # events of pools with no issuance: held aside pending, not booked
    for key, status, q in events:
        if key not in project and key not in buffer:
            orphaned[status] += q
    taken = defaultdict(int)
    for key, _, q in events:
        taken[key] += q
    excess = {k: taken[k] - project[k] - (buffer[k] if other_part else 0) for k in taken if k in project}
    excess = {k: v for k, v in excess.items() if v > 0}
    by_status = defaultdict(int)
    for _, status, q in events:
        by_status[status] += q
    booked = {status: q - orphaned[status] for status, q in by_status.items()}
    return {"created_t": sum(project.values()) + sum(buffer.values()),
            "created_buffer_t": sum(buffer.values()), "discrepancy_t": sum(excess.values()),
            "incomplete_t": sum(orphaned.values()), "pending_t": sum(orphaned.values()) + sum(excess.values()),
            "excess_pools": set(excess), "by_status": defaultdict(int, booked)}


def expected_acr(paths: list[Path]) -> dict[str, Any]:
    iss, ret, can, proj = (rows(p) for p in paths)
    pools = _pooled([((r["Project ID"], r["Vintage"]), t(r["Credits Issued to Project"]),
                      t(r["Credits Issued to Buffer Pool"])) for r in iss],
                    [((r["Project ID"], r["Vintage"]), "retired", t(r["Quantity of Credits"])) for r in ret]
                    + [((r["Project ID"], r["Vintage"]), "cancelled", t(r["Quantity of Credits"])) for r in can],
                    other_part=True)
    return {"rows": len(iss) + len(ret) + len(can) + len(proj), **pools,
            "retired_t": pools["by_status"]["retired"], "cancelled_t": pools["by_status"]["cancelled"],
            "ended_t": 0, "anomalies": set()}


def expected_car(paths: list[Path]) -> dict[str, Any]:
    iss, ret, can, proj = (rows(p) for p in paths)
    pools = _pooled([((r["Project ID"], r["Vintage"]), t(r["Total Offset Credits Issued"]), 0) for r in iss],
                    [((r["Project ID"], r["Vintage"]), "retired", t(r["Quantity of Offset Credits"])) for r in ret]
                    + [((r["Project ID"], r["Vintage"]), "cancelled", t(r["Quantity of Offset Credits"]))
                       for r in can], other_part=False)
    return {"rows": len(iss) + len(ret) + len(can) + len(proj), **pools,
            "retired_t": pools["by_status"]["retired"], "cancelled_t": pools["by_status"]["cancelled"],
            "ended_t": 0, "anomalies": set()}


def expected_art(paths: list[Path]) -> dict[str, Any]:
    iss, ret, can, proj = (rows(p) for p in paths)
    pools = _pooled([((r["Program ID"], r["Vintage"]), t(r["Credits Verified"]), t(r["Credits Deposited in Buffer"]))
                     for r in iss],
                    [((r["Program ID"], r["Vintage"]), "retired", t(r["Quantity of Credits"])) for r in ret]
                    + [((r["Program ID"], r["Vintage"]), "cancelled", t(r["Quantity of Credits"])) for r in can],
                    other_part=False)
    return {"rows": len(iss) + len(ret) + len(can) + len(proj), **pools,
            "retired_t": pools["by_status"]["retired"], "cancelled_t": pools["by_status"]["cancelled"],
            "ended_t": 0, "anomalies": set()}


def expected_cercarbono(paths: list[Path]) -> dict[str, Any]:
    iss, ret, proj = (rows(p) for p in paths)
    return {"rows": len(iss) + len(ret) + len(proj), "created_t": sum(t(r["issued_quantity"]) for r in iss),
            "created_buffer_t": sum(t(r["issued_quantity"]) for r in iss if r["is_buffer"] == "True"),
            "retired_t": sum(t(r["quantity"]) for r in ret), "cancelled_t": 0, "ended_t": 0,
            "anomalies": set(), "notices": len({r["serial"] for r in ret if r["from"] == "0"})}


def expected_isometric(paths: list[Path]) -> dict[str, Any]:
    iss, ret, proj = (rows(p) for p in paths)
    kg = "credit_batch_size_total.credit_kgs"
    pools = _pooled([(r["project_id"], int(r["supplier_" + kg]) // 1000, int(r["buffer_pool_" + kg]) // 1000)
                     for r in iss], [(r["project_id"], "retired", int(r[kg]) // 1000) for r in ret], other_part=False)
    retired_kg, published = defaultdict(int), {p["id"]: int(p["retired_credits_total.credit_kgs"]) for p in proj}
    for r in ret:
        retired_kg[r["project_id"]] += int(r[kg])
    below = sum(int(r["supplier_" + kg]) % 1000 + int(r["buffer_pool_" + kg]) % 1000 for r in iss)
    return {"rows": len(iss) + len(ret) + len(proj), **pools, "cancelled_t": 0, "ended_t": 0,
            "retired_t": pools["by_status"]["retired"] - pools["discrepancy_t"],
            "below_a_tonne_kg": below + sum(int(r[kg]) % 1000 for r in ret),
            "anomalies": {("registry_retired_exceeds_issued", k) for k in pools["excess_pools"]}
            | {("registry_retired_exceeds_published", k) for k in retired_kg if retired_kg[k] > published[k]}}


ARB_RETIRED = ("Buffer Pool Retired", "Retired for Intentional Reversal", "Retired Voluntarily",
               "Retired 1st Compliance Period (CA)", "Retired 2nd Compliance Period (CA)",
               "Retired 3rd Compliance Period (CA)", "Retired 4th Compliance Period (CA)",
               "Retired 5th Compliance Period (CA)", "Retired for Compliance in Quebec")


def expected_arb(paths: list[Path]) -> dict[str, Any]:
    sheet = rows(paths[0])
    issued = [r for r in sheet if t(r["ARB Offset Credits Issued"])]
    return {"rows": len(sheet), "rows_without_credits": len(sheet) - len(issued),
            "created_t": sum(t(r["ARB Offset Credits Issued"]) + t(r["Forest Buffer Account Contribution"])
                             for r in issued),
            "created_buffer_t": sum(t(r["Forest Buffer Account Contribution"]) for r in issued),
            "retired_t": sum(t(r[c]) for r in issued for c in ARB_RETIRED),
            "cancelled_t": sum(t(r["Invalidated or Canceled"]) for r in issued), "ended_t": 0,
            "reversals_t": sorted(abs(t(r["Intentional Reversal"])) for r in sheet if r["Intentional Reversal"]),
            "anomalies": set()}


def expected_carbonplan(paths: list[Path]) -> dict[str, Any]:
    projects = json.loads(paths[0].read_text(encoding="utf-8"))
    return {"rows": len(projects), "created_t": 0, "retired_t": 0, "cancelled_t": 0, "ended_t": 0,
            "projects": {p["id"]: p for p in projects}, "anomalies": set()}


EXPECTED: dict[str, Callable[[list[Path]], dict[str, Any]]] = {
    "verra": expected_verra, "gold-standard": expected_gold_standard, "acr": expected_acr, "car": expected_car,
    "art-trees": expected_art, "cercarbono": expected_cercarbono, "isometric": expected_isometric,
    "arb": expected_arb, "carbonplan": expected_carbonplan}


def _dates_out_of_order(paths: list[Path]) -> int:
    """Rows whose retirement or cancellation is dated before the row's own issuance date."""
    pairs = (("Date Issued (GMT)", "Status Effective (GMT)"), ("Date Issued (GMT)", "Status Effective  (GMT)"),
             ("Date Approved", "Status Effective"), ("Issuance Date", "Retirement Date"),
             ("Issuance Date", "Retirement/Cancellation Date"))
    count = 0
    for path in paths:
        if path.suffix != ".csv":
            continue
        for r in rows(path):
            for issued, ended in pairs:
                if r.get(issued, "").strip() and r.get(ended, "").strip():
                    count += _day(r[ended]) < _day(r[issued])
    return count


def _day(text: str) -> Any:
    text = text.strip()
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date()


# --- the imports ----------------------------------------------------------------------------------

@pytest.mark.parametrize("registry", sorted(FILES))
def test_every_file_imports_whole_held_and_reconciled(service: Any, shared_data: Path, registry: str) -> None:
    paths = _paths(shared_data, registry)
    want = EXPECTED[registry](paths)
    out = service.import_registry(ADMIN, f"import:{registry}", registry=None, paths=paths)  # named from the files
    report, totals = out["report"], out["report"]["totals"]
    assert report["registry"] == registry and report["problems"] == [] and not out["partial"]
    assert totals["rows"] == want["rows"] and totals["rows_unaccounted"] == 0
    assert totals["rows_without_credits"] == want.get("rows_without_credits", 0)
    for key in ("created_t", "retired_t", "cancelled_t", "ended_t"):
        assert totals[key] == want[key], key
    for key in ("created_buffer_t", "discrepancy_t", "incomplete_t", "pending_t", "below_a_tonne_kg"):
        assert totals[key] == want.get(key, 0), key
    assert totals["held_t"] + totals["buffer_held_t"] == (
        totals["created_t"] - totals["retired_t"] - totals["cancelled_t"] - totals["ended_t"])
    assert totals["held_t"] == totals["account_held_t"] and totals["buffer_held_t"] == totals["account_buffer_held_t"]
    flagged = {(a["code"], a["params"].get("project_id") or a["params"].get("pool", "").split(":", 1)[-1])
               for a in report["anomalies"] if a["code"] != "registry_dates_out_of_order"}
    want_flagged = {(code, k if isinstance(k, str) else k[0]) for code, k in want["anomalies"]}
    assert {(c, k.split("/")[0]) for c, k in flagged} == want_flagged
    dated = [a for a in report["anomalies"] if a["code"] == "registry_dates_out_of_order"]
    assert len(dated) == _dates_out_of_order(paths)
    balances = {b["account_id"]: b for b in service.balances()["by_account"]}
    held = balances.get(out["account_id"], {}).get("held_t", 0)
    assert held == totals["held_t"]
    assert service.verify().ok


def test_the_notices_name_every_row_kept_with_something_to_know(service: Any, shared_data: Path) -> None:
    """Verra's open rows, the ARB sheet's rows issuing nothing and its reversal, Cercarbono's
    numbering from 0: each a notice on its row, in both languages."""
    from sinkledger import catalogue

    verra = service.import_registry(ADMIN, "i:verra", registry="verra", paths=_paths(shared_data, "verra"))
    assert len(verra["report"]["notices"]) == expected_verra(_paths(shared_data, "verra"))["notices"]
    arb = service.import_registry(ADMIN, "i:arb", registry="arb", paths=_paths(shared_data, "arb"))
    reversal = [n for n in arb["report"]["notices"] if n["code"] == "registry_reversal_reported"]
    assert [n["params"]["reversal_t"] for n in reversal] == expected_arb(_paths(shared_data, "arb"))["reversals_t"]
    zh, en = catalogue.problem_messages(reversal[0])
    assert "27150" in zh and "reversal of 27150 t" in en
    cdc = service.import_registry(ADMIN, "i:cdc", registry="cercarbono", paths=_paths(shared_data, "cercarbono"))
    zero = [n for n in cdc["report"]["notices"] if n["code"] == "registry_serials_from_zero"]
    assert len(zero) == expected_cercarbono(_paths(shared_data, "cercarbono"))["notices"]


def test_projects_are_kept_with_type_methodology_country_and_sink_category(service: Any, shared_data: Path) -> None:
    """CarbonPlan's projects in hectares (the file says acres); Verra's AFOLU projects can be
    picked out of the import by sink category."""
    cp_paths = _paths(shared_data, "carbonplan")
    service.import_registry(ADMIN, "i:cp", registry="carbonplan", paths=cp_paths)
    source = expected_carbonplan(cp_paths)["projects"]
    listed = service.imported_projects(registry="carbonplan")
    assert listed["totals"]["projects"] == len(source)
    logan = next(p for p in listed["projects"] if p["project_id"] == "CAR1205")
    assert logan["area_ha"] == round(source["CAR1205"]["area"] * 0.40468564224, 2)
    assert logan["sink_category"] == "ifm" and logan["published_issued_kg"] == source["CAR1205"]["arbocs"] * 1000
    assert logan["longitude_microdeg"] == round(source["CAR1205"]["shape_centroid"][0] * 1e6)

    paths = _paths(shared_data, "verra")
    service.import_registry(ADMIN, "i:verra", registry="verra", paths=paths)
    tx = rows(paths[0])
    redd = service.imported_projects(registry="verra", sink_category="redd")
    want = {r["ID"] for r in tx if r["Methodology"] in ("VM0015", "VM0007", "VM0006", "VM0048")}
    with_credits = {p["project_id"] for p in redd["projects"] if p["issued_t"]}
    assert with_credits == want
    issued = sum(t(r["Quantity Issued"]) for r in tx if r["ID"] in want)
    assert sum(p["issued_t"] for p in redd["projects"]) == issued == redd["totals"]["issued_t"]
    bale = next(p for p in redd["projects"] if p["project_id"] == "1340")
    assert (bale["country"], bale["methodology"]) == ("Ethiopia", "VM0015")


def test_zero_width_characters_do_not_reach_the_projects(service: Any, shared_data: Path) -> None:
    """Gold Standard's projects file holds U+200B inside a name (GSID 23560); the kept name does
    not (it would never match a name typed by a person)."""
    paths = _paths(shared_data, "gold-standard")
    raw = {r["GSID"]: r["Project Name"] for r in rows(paths[-1])}
    with_zw = {k for k, v in raw.items() if "\u200b" in v}
    assert with_zw, "the reference file no longer has a zero-width character in a name"
    service.import_registry(ADMIN, "zw:gs", registry="gold-standard", paths=paths)
    kept = {p["project_id"]: p["name"] for p in service.imported_projects(registry="gold-standard")["projects"]}
    for key in with_zw:
        assert kept[key] == raw[key].replace("\u200b", "") and "\u200b" not in kept[key]
