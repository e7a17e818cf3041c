"""Double counting across registries: before an issuance, the imported projects its parcels or
its project may already be credited under (issue 20, point 4).

An issuance's parcels and project are matched against every imported project
(``registry_project``):

- **by registry id**: the issuance's project code is an imported project's id, short code or
  related id (``ACR731``; a CARB id's OPR id), compared without case, spaces, hyphens,
  underscores or dots;
- **by name**: the Huzhou bundled project of that code has the imported project's name, compared
  without case, width, spaces or punctuation (names of at least four characters), or read aloud
  the same (:func:`sound_key`: Chinese in toneless pinyin, simplified or traditional, accents
  dropped, a trailing "project" left out; eight letters at least);
- **by geometry**, where the registry gives a centroid: a parcel meets the disc of the project's
  area around its centroid (a point when the area is unknown), in degrees scaled by the
  latitude (a sphere of 6,371 km: enough to flag, not to survey).

Each match has an id ``<registry>:<project id>``. The verifier must acknowledge every match by its
id (``acknowledged_matches``); an issuance with a match not acknowledged is refused
(``registry_double_counting_suspected``, listing the matches), an acknowledgement that names no
match is refused too (``registry_match_unknown``), and the acknowledged matches are kept in the
issuance's journal entry (``double_counting_acknowledged``), their ids in its result too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Callable, Iterable, Sequence

from ledger.sql import Tx, in_list
from sinkledger_base.errors import Conflict, InvalidInput

M_PER_DEGREE = 6_371_000 * math.pi / 180  # on a sphere of the Earth's mean radius
MIN_NAME_CHARS = 4
MIN_SOUND_CHARS = 8  # a name read aloud matches on at least this many letters (two or three syllables more)
GENERIC_SUFFIXES = ("project", "xiangmu")  # "... Project", "...项目": said or left out alike
MAX_ACKNOWLEDGED = 100


def normalise_name(name: str) -> str:
    """A name compared without case, width, spaces or punctuation (``"Logan  IFM!"`` -> ``"loganifm"``;
    ``"Ｌｏｇａｎ"`` -> ``"logan"``; ``"安吉 竹林（碳汇）"`` -> ``"安吉竹林碳汇"``)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def sound_key(name: str) -> str:
    """A name as it is read aloud: Chinese characters in toneless pinyin (simplified and
    traditional alike), accents dropped, then compared as :func:`normalise_name`, without a
    trailing "project" (``"德清下渚湖湿地碳匯項目"`` and ``"Deqing Xiàzhǔhú Shīdì Tànhuì"`` ->
    ``"deqingxiazhuhushiditanhui"``)."""
    # deferred on purpose: the pinyin dictionary loads only when an imported project has a name
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", name)
    text = "".join(lazy_pinyin(text, style=Style.NORMAL, errors="default"))
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    key = normalise_name(text)
    for suffix in GENERIC_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[:-len(suffix)]
    return key


def _match(row: tuple, by: str, detail: str) -> dict[str, Any]:
    registry, project_id, name = row[0], row[1], row[2]
    return {"match_id": f"{registry}:{project_id}", "registry": registry, "project_id": project_id,
            "name": name, "by": by, "detail": detail}


def _id_key(column: str) -> str:
    """An id compared without case, spaces, hyphens, underscores or dots (``VCS-1340`` = ``vcs1340``)."""
    return f"REPLACE(REPLACE(REPLACE(REPLACE(UPPER({column}), '-', ''), ' ', ''), '_', ''), '.', '')"


def _by_id(tx: Tx, project_code: str) -> list[dict[str, Any]]:
    code = re.sub(r"[-\s_.]", "", project_code.upper())
    rows = tx.all(f"SELECT source_registry, project_id, name FROM registry_project WHERE {_id_key('project_id')} = :c "
                  f"OR {_id_key('project_code')} = :c OR {_id_key('related_id')} = :c", {"c": code})
    return [_match(r, "registry_id", project_code) for r in rows]


def _by_name(tx: Tx, project_code: str) -> list[dict[str, Any]]:
    own = tx.one("SELECT name FROM bundled_project WHERE project_code = :c", {"c": project_code})
    wanted = normalise_name(own[0]) if own else ""
    if len(wanted) < MIN_NAME_CHARS:
        return []
    rows = tx.all("SELECT source_registry, project_id, name FROM registry_project WHERE name <> ''", {})
    if not rows:
        return []
    sound = sound_key(own[0])
    sound = sound if len(sound) >= MIN_SOUND_CHARS else None
    return [_match(r, "name", own[0]) for r in rows
            if normalise_name(r[2]) == wanted or (sound is not None and sound_key(r[2]) == sound)]


def _radius_deg(area_m2: int | None) -> float:
    return math.sqrt(area_m2 / math.pi) / M_PER_DEGREE if area_m2 else 0.0


def _by_geometry(tx: Tx, parcel_codes: Sequence[str]) -> list[dict[str, Any]]:
    if not parcel_codes:
        return []
    marks, params = in_list("p", list(parcel_codes))
    parcels = tx.all(f"SELECT parcel_code, geometry_wkb, min_lon, min_lat, max_lon, max_lat FROM parcel "
                     f"WHERE parcel_code IN ({marks})", params)
    if not parcels:
        return []
    located = tx.one("SELECT COUNT(*), MAX(area_m2) FROM registry_project WHERE latitude_microdeg IS NOT NULL", {})
    if located is None or not located[0]:
        return []
    margin = _radius_deg(located[1]) * 2 + 1e-6  # a longitude degree shrinks with latitude: a generous box
    lon0, lat0 = min(p[2] for p in parcels) - margin, min(p[3] for p in parcels) - margin
    lon1, lat1 = max(p[4] for p in parcels) + margin, max(p[5] for p in parcels) + margin
    rows = tx.all("SELECT source_registry, project_id, name, latitude_microdeg, longitude_microdeg, area_m2 "
                  "FROM registry_project WHERE latitude_microdeg BETWEEN :a AND :b "
                  "AND longitude_microdeg BETWEEN :c AND :d",
                  {"a": int(lat0 * 1e6), "b": int(lat1 * 1e6) + 1, "c": int(lon0 * 1e6), "d": int(lon1 * 1e6) + 1})
    return _meeting(parcels, rows) if rows else []


def _meeting(parcels: list[tuple], projects: Iterable[tuple]) -> list[dict[str, Any]]:
    # deferred on purpose: shapely loads only when an imported project lies near the parcels
    import shapely
    from shapely import affinity

    shapes = [(code, shapely.from_wkb(bytes(wkb))) for code, wkb, *_ in parcels]
    out = []
    for row in projects:
        lat, lon, area_m2 = row[3] / 1e6, row[4] / 1e6, row[5]
        radius = _radius_deg(area_m2)
        disc = shapely.Point(lon, lat).buffer(radius, quad_segs=16) if radius else shapely.Point(lon, lat)
        disc = affinity.scale(disc, xfact=1 / max(math.cos(math.radians(lat)), 0.01), yfact=1, origin=(lon, lat))
        hits = [code for code, shape in shapes if shape.intersects(disc)]
        if hits:
            out.append(_match(row, "geometry", ", ".join(hits[:5])))
    return out


def find_matches(tx: Tx, *, parcel_codes: Sequence[str], project_code: str) -> list[dict[str, Any]]:
    """Every imported project the issuance may double count, each once (the first way it matched)."""
    if tx.one("SELECT 1 FROM registry_project LIMIT 1", {}) is None:
        return []
    found: dict[str, dict[str, Any]] = {}
    for match in [*_by_id(tx, project_code), *_by_name(tx, project_code), *_by_geometry(tx, parcel_codes)]:
        found.setdefault(match["match_id"], match)
    return [found[k] for k in sorted(found)]


def acknowledgements(value: Any) -> list[str]:
    """The acknowledged match ids, checked and sorted.

    Raises
    ------
    InvalidInput
        ``value_invalid`` when ``value`` is not a list of match ids (``<registry>:<project id>``).
    """
    if (not isinstance(value, list) or len(value) > MAX_ACKNOWLEDGED
            or not all(isinstance(a, str) and re.fullmatch(r"[a-z0-9-]{1,20}:[!-~]{1,80}", a) for a in value)):
        raise InvalidInput("value_invalid", field="acknowledged_matches", value=repr(value)[:40])
    return sorted(set(value))


def check_acknowledged(matches: list[dict[str, Any]], acknowledged: Sequence[str]) -> list[dict[str, Any]]:
    """The matches, every one acknowledged; else the refusal naming them.

    Raises
    ------
    Conflict
        ``registry_match_unknown`` for an acknowledgement of no match,
        ``registry_double_counting_suspected`` for a match not acknowledged.
    """
    ids = {m["match_id"] for m in matches}
    unknown = sorted(set(acknowledged) - ids)
    if unknown:
        raise Conflict("registry_match_unknown", match_id=unknown[0])
    missing = [m for m in matches if m["match_id"] not in acknowledged]
    if missing:
        raise Conflict("registry_double_counting_suspected", count=len(missing),
                       match_ids=", ".join(m["match_id"] for m in missing)[:300], matches=missing)
    return matches


def issue_checked(ctx: Any, *, parcel_codes: Sequence[str], project_code: str, acknowledged: Sequence[str] | None,
                  issue: Callable[[], tuple[str, dict[str, Any]]]) -> tuple[str, dict[str, Any]]:
    """Run ``issue`` (the issuance handler) once every match of its parcels and project is
    acknowledged; the entry keeps the acknowledged matches (``double_counting_acknowledged``)."""
    matches = (find_matches(ctx.tx, parcel_codes=parcel_codes, project_code=project_code)
               if isinstance(project_code, str) else [])
    check_acknowledged(matches, acknowledged or [])
    kind, payload = issue()
    if not matches:
        return kind, payload
    result = {**payload.get("result", {}), "double_counting_acknowledged": [m["match_id"] for m in matches]}
    return kind, {**payload, "double_counting_acknowledged": matches, "result": result}
