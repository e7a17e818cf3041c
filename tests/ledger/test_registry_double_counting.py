"""Double counting across registries (issue 20, point 4), on SQLite and PostgreSQL.

Rule: before an issuance, a Huzhou parcel or project that matches an imported registry's project
(by geometry where the registry gives a centroid, by name, or by registry id) is flagged to the
verifier, who must acknowledge each match by its id; the acknowledgement is kept in the entry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import text
from sqlmodel import Session

from ledger import journal
from ledger.domain import Role
from ledger.permissions import Actor
from ledger.registry_import.matching import find_matches, normalise_name, sound_key
from ledger.sql import Tx
from sinkledger import catalogue
from sinkledger_base.errors import Conflict, InvalidInput
from tests.ledger.conftest import BAMBOO, demo_parcel_inputs

ADMIN = Actor(username="admin", role=Role.admin, party_id="REGISTRY")


def import_projects(service: Any, tmp_path: Path, projects: list[dict[str, Any]], request: str = "i:cp") -> None:
    """Projects in CarbonPlan's crediting layout (centroid, acres), imported."""
    path = tmp_path / f"{request.replace(':', '-')}.json"
    path.write_text(json.dumps(projects), encoding="utf-8")
    service.import_registry(ADMIN, request, registry="carbonplan", paths=[path])


def project(pid: str, name: str, lon: float, lat: float, acres: float | None = None) -> dict[str, Any]:
    return {"id": pid, "name": name, "developers": ["Someone"], "shape_centroid": [lon, lat], "arbocs": 1000,
            **({"area": acres} if acres is not None else {})}


def estimate(service: Any, code: str, request: str) -> dict[str, Any]:
    geometry, inputs = demo_parcel_inputs(code)
    coop = service.actor("coop")
    service.register_parcel(coop, f"reg:{request}", parcel_code=code, sink_type="bamboo_forest",
                            holder_party_id="COL-1", geometry=geometry, county_code="330523")
    return service.record_estimate(coop, f"est:{request}", parcel_codes=[code], methodology_id=BAMBOO, inputs=inputs)


def issue(service: Any, est: dict[str, Any], request: str, project_code: str = "AJBF01",
          acknowledged: list[str] | None = None) -> dict[str, Any]:
    return service.issue(service.actor("verifier"), request, estimate_id=est["estimate_id"],
                         verified_kg_co2e=est["net_kg_co2e"], project_code=project_code, buffer_share_bp=1000,
                         acknowledged_matches=acknowledged)


def centroid(code: str) -> tuple[float, float]:
    point = shapely.geometry.shape(demo_parcel_inputs(code)[0]).representative_point()
    return point.x, point.y


def test_a_parcel_inside_an_imported_project_is_flagged_until_the_verifier_acknowledges_it(
        registry: Any, tmp_path: Path) -> None:
    """Given an imported project whose area (by its centroid) covers parcel AJ-BF-0001, when the
    verifier issues that parcel's estimate, then it is refused naming the match; acknowledging an
    id that is no match is refused too; acknowledging the match issues, and the entry keeps it."""
    lon, lat = centroid("AJ-BF-0001")
    import_projects(registry, tmp_path, [project("CAR9001", "Anji Moso Bamboo IFM", lon + 0.0005, lat, acres=100),
                                         project("CAR9002", "Far away", lon + 5, lat + 5, acres=100)])
    est = estimate(registry, "AJ-BF-0001", "a")
    before = registry.verify().head_hash
    with pytest.raises(Conflict) as exc:
        issue(registry, est, "iss:1")
    assert exc.value.code == "registry_double_counting_suspected"
    matches = exc.value.params["matches"]
    assert [(m["match_id"], m["by"], m["detail"]) for m in matches] == [("carbonplan:CAR9001", "geometry", "AJ-BF-0001")]
    zh, en = catalogue.messages(exc.value)
    assert "carbonplan:CAR9001" in zh and "must acknowledge" in en
    with pytest.raises(Conflict) as exc:
        issue(registry, est, "iss:2", acknowledged=["carbonplan:CAR9001", "carbonplan:CAR9002"])
    assert exc.value.code == "registry_match_unknown" and exc.value.params["match_id"] == "carbonplan:CAR9002"
    with pytest.raises(InvalidInput):
        issue(registry, est, "iss:3", acknowledged="carbonplan:CAR9001")  # type: ignore[arg-type]
    assert registry.verify().head_hash == before
    out = issue(registry, est, "iss:4", acknowledged=["carbonplan:CAR9001"])
    with registry.db.read() as s:
        payload = journal.Entry.from_row(next(r for r in journal.iter_rows(s) if r.seq == out["seq"])).payload
    assert [m["match_id"] for m in payload["double_counting_acknowledged"]] == ["carbonplan:CAR9001"]
    assert registry.verify().ok


def test_a_project_point_outside_the_parcel_and_without_an_area_is_no_match(registry: Any, tmp_path: Path) -> None:
    lon, lat = centroid("AJ-BF-0002")
    import_projects(registry, tmp_path, [project("CAR9003", "Nearby, no area", lon + 0.05, lat)])
    est = estimate(registry, "AJ-BF-0002", "b")
    assert issue(registry, est, "iss:b")["seq"]


def test_an_issuance_under_an_imported_project_s_id_is_flagged(registry: Any, tmp_path: Path) -> None:
    import_projects(registry, tmp_path, [project("AJBF01", "Elsewhere", 10.0, 10.0)])
    est = estimate(registry, "AJ-BF-0001", "c")
    with pytest.raises(Conflict) as exc:
        issue(registry, est, "iss:c1")
    assert [(m["match_id"], m["by"]) for m in exc.value.params["matches"]] == [("carbonplan:AJBF01", "registry_id")]
    assert issue(registry, est, "iss:c2", acknowledged=["carbonplan:AJBF01"])["seq"]


def test_no_imported_project_no_question(registry: Any) -> None:
    est = estimate(registry, "AJ-BF-0001", "d")
    assert issue(registry, est, "iss:d")["seq"]


def test_names_compare_without_case_spaces_or_punctuation() -> None:
    assert normalise_name("Anji  Moso-Bamboo IFM!") == normalise_name("anji moso bamboo ifm") == "anjimosobambooifm"
    assert normalise_name("安吉 竹林（碳汇）项目") == "安吉竹林碳汇项目"


def test_a_bundled_project_named_as_an_imported_project_is_a_match(registry: Any, tmp_path: Path) -> None:
    """Given an imported project named "Anji Moso Bamboo Carbon Project" and a Huzhou bundled
    project of that name (case, spaces and punctuation aside), then an issuance under the bundled
    project's code matches it by name (read inside a transaction that is rolled back)."""
    import_projects(registry, tmp_path, [project("CAR9004", "Anji Moso Bamboo Carbon Project", 10.0, 10.0)])
    with registry.db.engine.connect() as conn:
        tx = conn.begin()
        conn.execute(text("INSERT INTO bundled_project (project_code, seq, name, sink_type, methodology_id, "
                          "centre_party_id, monitoring_start, interval_months) VALUES ('AJBUNDLE1', 1, "
                          "'anji moso-bamboo carbon project', 'bamboo_forest', 'x', 'COL-1', '2021-01-01', 12)"))
        with Session(bind=conn) as session:
            matches = find_matches(Tx.of(session), parcel_codes=[], project_code="AJBUNDLE1")
        tx.rollback()
    assert [(m["match_id"], m["by"]) for m in matches] == [("carbonplan:CAR9004", "name")]


# --- issue 20 (helper h5): one parcel, each way of matching; names and ids as people write them ----

@pytest.mark.parametrize("theirs", [
    "ANJI MOSO-BAMBOO Carbon Project", "Ａｎｊｉ　Ｍｏｓｏ Bamboo (Carbon) Project", "anji moso bamboo carbon project!"])
def test_names_match_whatever_their_case_width_spaces_or_punctuation(theirs: str) -> None:
    assert normalise_name(theirs) == normalise_name("Anji Moso Bamboo Carbon Project")


@pytest.mark.parametrize("ours,theirs", [
    ("德清下渚湖湿地碳汇项目", "德清下渚湖濕地碳匯項目"),  # traditional characters
    ("德清下渚湖湿地碳汇项目", "Deqing Xiazhuhu Shidi Tanhui Project"),  # pinyin, "project" said in English
    ("德清下渚湖湿地碳汇项目", "Déqīng Xiàzhǔhú Shīdì Tànhuì"),  # pinyin with its tones
    ("安吉毛竹林经营碳汇", "ANJI MAOZHULIN JINGYING TANHUI"),
])
def test_chinese_names_match_their_traditional_and_pinyin_forms(ours: str, theirs: str) -> None:
    assert sound_key(ours) == sound_key(theirs)


@pytest.mark.parametrize("ours,theirs", [
    ("德清下渚湖湿地碳汇项目", "德清莫干山湿地碳汇项目"),  # another place
    ("安吉竹林", "Anji Zhulin Forest"),
    ("湖州", "huzhou"),  # too short to be told apart by sound (two syllables)
])
def test_different_or_too_short_names_do_not_match_by_sound(registry: Any, tmp_path: Path, ours: str,
                                                            theirs: str) -> None:
    import_projects(registry, tmp_path, [project("CAR9100", theirs, 10.0, 10.0)])
    assert _matches_of_bundled(registry, ours, "AJBUNDLE2") == []


def _matches_of_bundled(service: Any, name: str, code: str, parcels: list[str] | None = None) -> list[dict[str, Any]]:
    """The matches of an issuance under a bundled project named ``name`` (inserted in a
    transaction rolled back afterwards: the bundled project's own registration is issue 13's)."""
    with service.db.engine.connect() as conn:
        tx = conn.begin()
        conn.execute(text("INSERT INTO bundled_project (project_code, seq, name, sink_type, methodology_id, "
                          "centre_party_id, monitoring_start, interval_months) VALUES (:c, 1, :n, 'bamboo_forest', "
                          "'x', 'COL-1', '2021-01-01', 12)"), {"c": code, "n": name})
        with Session(bind=conn) as session:
            matches = find_matches(Tx.of(session), parcel_codes=parcels or [], project_code=code)
        tx.rollback()
    return matches


def test_one_huzhou_parcel_is_matched_by_geometry_by_name_and_by_registry_id(registry: Any, tmp_path: Path) -> None:
    """Given three imported projects: one whose area covers parcel AJ-BF-0001, one named as the
    bundled project in traditional characters, one whose id is the project code written with a
    hyphen and in lower case; when that parcel is issued under that project, all three are
    listed, each with how it matched and on what."""
    lon, lat = centroid("AJ-BF-0001")
    import_projects(registry, tmp_path, [
        project("CAR9201", "Somewhere in Anji", lon, lat + 0.0004, acres=50),
        project("CAR9202", "安吉毛竹林經營碳匯項目", 100.0, 10.0),
        project("ajbf-02", "Unrelated name", -60.0, 10.0),
        project("CAR9204", "Far and unrelated", lon + 3, lat + 3, acres=50)])
    estimate(registry, "AJ-BF-0001", "one")
    matches = _matches_of_bundled(registry, "安吉毛竹林经营碳汇项目", "AJBF02", ["AJ-BF-0001"])
    assert [(m["match_id"], m["by"], m["detail"]) for m in matches] == [
        ("carbonplan:CAR9201", "geometry", "AJ-BF-0001"),
        ("carbonplan:CAR9202", "name", "安吉毛竹林经营碳汇项目"),
        ("carbonplan:ajbf-02", "registry_id", "AJBF02")]
