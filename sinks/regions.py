"""Region profiles: where a registry's parcels may lie, in which counties, and how areas are measured.

A region is data, not code. Each profile is a JSON file in ``sinks/regions/`` (``huzhou.json``,
``zhuzhou-shifeng.json``), checked on load against ``sinks/regions/region-profile.schema.json``
and then against the rules a schema cannot state (bounds in order, county codes unique, a
retired county's successor listed, the area CRS a CGCS2000 Gauss-Krüger zone covering the bounds).
``docs/parcels.md`` ("Region profiles") describes the format.

A profile holds:

* the region's name, GB/T 2260 administrative code and bounds (lon/lat, CGCS2000), with a source;
* the EPSG code of the CGCS2000 3-degree Gauss-Krüger zone used for areas;
* its county-level divisions with their validity dates: a code no longer in use keeps its entry
  with ``valid_to`` (the day it ceased) and, when known, its ``successor`` code;
* the sink types in use, the authorities (registry, trading centre, courts ...), and a reference
  to a GeoJSON file of county outlines.

A broken or invalid profile is refused with :class:`RegionProfileInvalid`, a ``ValueError``
carrying a stable code and parameters (``region_profile_unreadable``, ``region_profile_invalid``;
their messages are in the one catalogue, :data:`sinkledger.catalogue.REFUSALS`, with those of
``county_code_unknown``, ``county_code_retired`` and ``sink_type_not_in_region``, which
:meth:`Region.county_problem` and :meth:`Region.sink_type_problem` return as values);
``sinkledger.config`` turns it into a refusal at start-up.

This module imports nothing of ours: callers that know the sink-type registry pass its keys to
:func:`load_region` (``known_sink_types``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

PROFILE_DIR = Path(__file__).resolve().parent / "regions"
SCHEMA_PATH = PROFILE_DIR / "region-profile.schema.json"
FORMAT_VERSION = 1
NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
MAX_PROFILE_BYTES = 1024 * 1024

# CGCS2000 3-degree Gauss-Krüger zones without the zone prefix: EPSG 4534 (CM 75E) ... 4554 (CM 135E).
GK3_FIRST_EPSG, GK3_FIRST_CM_DEG, GK3_LAST_EPSG = 4534, 75, 4554
GK3_HALF_WIDTH_DEG = 1.5

class RegionProfileInvalid(ValueError):
    """A region profile that cannot be used: ``code`` and ``params`` of its refusal."""

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(f"{code}: {params}")


@dataclass(frozen=True, kw_only=True)
class County:
    """A county-level division (县级区划) and the days its code was in use (``None``: open)."""

    code: str
    name_zh: str
    name_en: str
    valid_from: date | None = None
    valid_to: date | None = None  # the first day the code is no longer in use
    successor: str | None = None

    def in_use(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)


@dataclass(frozen=True, kw_only=True)
class Authority:
    """An organisation of the region in one role (registry, trading centre, court ...)."""

    role: str
    name_zh: str
    name_en: str = ""
    county_code: str | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Outlines:
    """Where the county outlines are: ``path`` relative to the profile's folder or to the demo
    layers folder (``SINKLEDGER_GIS_DATA``), and whether they are schematic or synthetic."""

    path: str
    relative_to: str = "profile"  # "profile" or "gis_data"
    schematic: bool = True
    note: str = ""

    def resolve(self, profile_dir: Path, gis_data_dir: Path) -> Path:
        return (gis_data_dir if self.relative_to == "gis_data" else profile_dir) / self.path


@dataclass(frozen=True, kw_only=True)
class Region:
    """A registry's region: where parcels may lie, in which counties, and how areas are measured.

    Examples
    --------
    >>> huzhou = load_region("huzhou")
    >>> huzhou.area_epsg, huzhou.bounds_lonlat
    (4549, (119.12, 30.35, 120.52, 31.2))
    >>> huzhou.county_problem("330523") is None
    True
    >>> huzhou.county_problem("330599")[0]
    'county_code_unknown'
    """

    key: str
    name_zh: str
    name_en: str
    admin_code: str  # GB/T 2260 administrative division code of the region (prefecture or county).
    bounds_lonlat: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    area_epsg: int  # CGCS2000 3-degree Gauss-Krüger zone used for areas.
    storage_epsg: int = 4490  # CGCS2000 geographic.
    currency: str = "CNY"
    counties: tuple[County, ...] = ()
    sink_types: tuple[str, ...] = ()  # empty: every registered sink type
    authorities: tuple[Authority, ...] = ()
    outlines: Outlines | None = None
    profile_path: Path | None = field(default=None, compare=False)

    def county(self, code: str) -> County | None:
        return next((c for c in self.counties if c.code == code), None)

    def counties_in_use(self, on: date | None = None) -> tuple[County, ...]:
        day = on or date.today()
        return tuple(c for c in self.counties if c.in_use(day))

    def county_problem(self, code: str, on: date | None = None) -> tuple[str, dict[str, Any]] | None:
        """``None`` when ``code`` is a county of the region in use ``on`` (default: today);
        otherwise ``("county_code_retired" | "county_code_unknown", params)``.

        A profile without counties accepts every code (the format check of six digits stays the
        caller's).
        """
        if not self.counties:
            return None
        day = on or date.today()
        county = self.county(code)
        if county is not None and county.in_use(day):
            return None
        if county is not None and county.valid_to is not None and day >= county.valid_to:
            successor = self.county(county.successor) if county.successor else None
            return "county_code_retired", {
                "value": code, "name": county.name_zh, "valid_to": county.valid_to.isoformat(),
                "successor": f"{successor.code}（{successor.name_zh}）" if successor else (county.successor or "-"),
                "successor_code": county.successor, "region": self.name_zh}
        return "county_code_unknown", {"value": str(code)[:40], "region": self.name_zh,
                                       "allowed": ", ".join(c.code for c in self.counties_in_use(day))}

    def sink_type_problem(self, sink_type: str) -> tuple[str, dict[str, Any]] | None:
        """``None`` when ``sink_type`` is in use in the region; else ``("sink_type_not_in_region", params)``."""
        if not self.sink_types or sink_type in self.sink_types:
            return None
        return "sink_type_not_in_region", {"sink_type": sink_type, "region": self.name_zh,
                                           "allowed": ", ".join(self.sink_types)}

    def authority(self, role: str) -> Authority | None:
        return next((a for a in self.authorities if a.role == role), None)

    def outlines_path(self, gis_data_dir: Path) -> Path | None:
        """The GeoJSON file of county outlines, or ``None`` if the profile names none."""
        if self.outlines is None:
            return None
        return self.outlines.resolve(self.profile_path.parent if self.profile_path else PROFILE_DIR, gis_data_dir)


# --- loading ----------------------------------------------------------------------------------

def profile_names() -> tuple[str, ...]:
    """The names of the profiles shipped in ``sinks/regions/``, sorted."""
    return tuple(sorted(p.stem for p in PROFILE_DIR.glob("*.json") if p != SCHEMA_PATH))


def profile_path(name_or_path: str) -> Path:
    """A shipped profile's file by name (``huzhou``), or the path of a profile file (``*.json``)."""
    if name_or_path.endswith(".json") or "/" in name_or_path or "\\" in name_or_path:
        return Path(name_or_path)
    if not NAME.match(name_or_path) or name_or_path not in profile_names():
        raise RegionProfileInvalid("region_profile_unreadable", profile=name_or_path[:40],
                                   reason="no such profile; shipped: " + ", ".join(profile_names()))
    return PROFILE_DIR / f"{name_or_path}.json"


def load_region(name_or_path: str, *, known_sink_types: Collection[str] | None = None) -> Region:
    """Load, check and build a region profile (a shipped name or a path to a JSON file).

    ``known_sink_types`` (the sink-type registry's keys) refuses a profile naming a type the
    registry lacks.

    Raises
    ------
    RegionProfileInvalid
        ``region_profile_unreadable`` (missing, too large, not UTF-8 JSON) or
        ``region_profile_invalid`` (naming where and why).
    """
    path = profile_path(name_or_path)
    doc, raw = _read(path)
    label = path.name
    if schema_digest(raw) not in checked_digests():
        _check_schema(doc, label)
    region = _build(doc, path)
    _check_rules(region, label, known_sink_types)
    return region


def _read(path: Path) -> tuple[Any, bytes]:
    label = path.name[:80]
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise RegionProfileInvalid("region_profile_unreadable", profile=label,
                                       reason=f"larger than {MAX_PROFILE_BYTES} bytes")
        raw = path.read_bytes()
        return json.loads(raw.decode("utf-8")), raw
    except OSError as exc:
        raise RegionProfileInvalid("region_profile_unreadable", profile=label,
                                   reason=exc.strerror or type(exc).__name__) from None
    except UnicodeDecodeError:
        raise RegionProfileInvalid("region_profile_unreadable", profile=label, reason="not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise RegionProfileInvalid("region_profile_unreadable", profile=label,
                                   reason=f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None


# Profiles already checked against the schema, by :func:`schema_digest` (one a line): the shipped
# profiles, checked once when they were written (``python -m sinks.regions --stamp``; the tests
# re-check every digest listed). Any other content (an edited or a user's profile) is checked by
# jsonschema on every load, so the rule holds for all; only a known-good file skips the ~50 ms it
# costs to import jsonschema (issue 17: a command imports only what it needs).
CHECKED_PATH = PROFILE_DIR / "schema-checked.txt"


def schema_digest(raw: bytes) -> str:
    """SHA-256 of the schema and a profile's bytes: what a stamp in :data:`CHECKED_PATH` vouches for."""
    return hashlib.sha256(SCHEMA_PATH.read_bytes() + b"\0" + raw).hexdigest()


def checked_digests() -> frozenset[str]:
    try:
        lines = CHECKED_PATH.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line for line in lines if re.fullmatch(r"[0-9a-f]{64}", line))


def stamp_shipped_profiles() -> list[str]:
    """Check every shipped profile against the schema and write their digests to :data:`CHECKED_PATH`."""
    digests = []
    for name in profile_names():
        doc, raw = _read(PROFILE_DIR / f"{name}.json")
        _check_schema(doc, f"{name}.json")  # refuses a profile that does not pass: nothing is stamped
        digests.append(schema_digest(raw))
    CHECKED_PATH.write_text("".join(f"{d}\n" for d in sorted(digests)), encoding="ascii")
    return digests


def _check_schema(doc: Any, label: str) -> None:
    import jsonschema  # deferred on purpose: ~50 ms, paid only when a profile is loaded

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        first = errors[0]
        where = "/" + "/".join(str(p) for p in first.absolute_path)
        raise RegionProfileInvalid("region_profile_invalid", profile=label, where=where,
                                   reason=first.message[:160], errors=len(errors))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _build(doc: Mapping[str, Any], path: Path) -> Region:
    b = doc["bounds_lonlat"]
    outlines = doc.get("outlines")
    return Region(
        key=doc["key"], name_zh=doc["name_zh"], name_en=doc["name_en"], admin_code=doc["admin_code"],
        bounds_lonlat=(b["west"], b["south"], b["east"], b["north"]),
        area_epsg=doc["area_crs"]["epsg"], storage_epsg=doc.get("storage_epsg", 4490),
        currency=doc.get("currency", "CNY"),
        counties=tuple(County(code=c["code"], name_zh=c["name_zh"], name_en=c["name_en"],
                              valid_from=_day(c.get("valid_from")), valid_to=_day(c.get("valid_to")),
                              successor=c.get("successor")) for c in doc["counties"]),
        sink_types=tuple(doc["sink_types"]),
        authorities=tuple(Authority(role=a["role"], name_zh=a["name_zh"], name_en=a.get("name_en", ""),
                                    county_code=a.get("county_code"), note=a.get("note", ""))
                          for a in doc.get("authorities", ())),
        outlines=Outlines(path=outlines["path"], relative_to=outlines.get("relative_to", "profile"),
                          schematic=outlines.get("schematic", True), note=outlines.get("note", ""))
        if outlines else None,
        profile_path=path.resolve(),
    )


def _check_rules(region: Region, label: str, known_sink_types: Collection[str] | None) -> None:
    """The rules a JSON Schema cannot state; the first one broken refuses the profile."""
    for where, reason in _rule_breaks(region, known_sink_types):
        raise RegionProfileInvalid("region_profile_invalid", profile=label, where=where, reason=reason, errors=1)


def _rule_breaks(region: Region, known_sink_types: Collection[str] | None):  # type: ignore[no-untyped-def]
    west, south, east, north = region.bounds_lonlat
    if not (west < east and south < north):
        yield "/bounds_lonlat", "west must be less than east and south less than north"
    if region.storage_epsg != 4490:
        yield "/storage_epsg", "parcels are stored in CGCS2000 lon/lat, EPSG:4490"
    if not GK3_FIRST_EPSG <= region.area_epsg <= GK3_LAST_EPSG:
        yield "/area_crs/epsg", (f"EPSG:{region.area_epsg} is not a CGCS2000 3-degree Gauss-Kruger zone "
                                 f"(EPSG:{GK3_FIRST_EPSG}..{GK3_LAST_EPSG})")
    else:
        cm = GK3_FIRST_CM_DEG + 3 * (region.area_epsg - GK3_FIRST_EPSG)
        if west < cm - GK3_HALF_WIDTH_DEG - 0.5 or east > cm + GK3_HALF_WIDTH_DEG + 0.5:
            yield "/area_crs/epsg", (f"EPSG:{region.area_epsg} (central meridian {cm}E) does not cover "
                                     f"the bounds {west}..{east}E")
    codes = [c.code for c in region.counties]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        yield "/counties", f"county code {code} is listed twice"
    for c in region.counties:
        if c.valid_from and c.valid_to and c.valid_to <= c.valid_from:
            yield f"/counties/{c.code}", "valid_to must come after valid_from"
        if c.successor is not None and (c.valid_to is None or c.successor not in codes or c.successor == c.code):
            yield f"/counties/{c.code}", "a successor needs valid_to and must be another listed county"
    for a in region.authorities:
        if a.county_code is not None and a.county_code not in (*codes, region.admin_code):
            yield f"/authorities/{a.role}", f"county code {a.county_code} is not listed in counties"
    if known_sink_types is not None:
        for s in region.sink_types:
            if s not in known_sink_types:
                yield "/sink_types", f"sink type '{s}' is not registered (known: {', '.join(sorted(known_sink_types))})"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--stamp"]:
        sys.exit("usage: python -m sinks.regions --stamp")
    print("\n".join(stamp_shipped_profiles()))
