"""Planning an import: from a file (or one drawn geometry) to checked parcel drafts and every problem.

:func:`plan_file` reads a file (:mod:`sinks.reading`), settles its CRS (:mod:`sinks.crs`), maps
its columns (:mod:`sinks.mapping`), checks every row's fields and geometry, and checks the rows
against each other (duplicate codes, overlaps). It is pure with respect to the registry: checks
against registered parcels and parties run inside the command (:mod:`sinks.parcels`). The
:class:`ImportPlan` it returns is also the preview a user sees before importing (``--dry-run``),
repairs included.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from sinkledger.config import Region
from sinkledger.errors import InvalidInput
from sinks import find_sink_type, sink_spec
from sinks.attributes import validate_attributes
from sinks.crs import resolve_crs
from sinks.encoding import garbled_value_problems
from sinks.geometry import M2_PER_MU, parse_geojson, parse_wkbs
from sinks.mapping import PERSONAL_DATA, all_targets, attribute_fields, build_column_map, row_fields
from sinks.overlap import DEFAULT_TOLERANCE, OverlapTolerance
from sinks.plan_checks import check_geometries, check_rows_together
from sinks.problems import Problem, records
from sinks.reading import RawLayer, read_layer
from sinks.tenure import PARTY_ID, cert_kind, ownership, parse_shares

MAX_CERT_CHARS = 120
COUNTY_CODE_DIGITS = 6


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """What the user tells the importer; every option is recorded with the import.

    Attributes
    ----------
    mapping : mapping of str to str
        ``{column: field}`` overriding the default column mapping (``"-"`` ignores a column).
    defaults : mapping of str to object
        ``{field: value}`` for fields a file lacks or leaves blank (e.g. ``sink_type``, ``holder``).
    keep_columns : tuple of str
        Extra columns kept as attributes (never personal data).
    parcel_code_prefix : str
        Put before every code from the file (小班号 are unique only within a village).
    layer, encoding, crs : str or None
        Layer of a multi-layer file; DBF encoding; CRS that overrides (or supplies) the file's.
    from_gcj02 : bool
        Coordinates were traced on Gaode/Tencent maps: convert GCJ-02 to WGS84.
    swap_axes : bool
        The file has latitude in x and longitude in y: swap them.
    allow_legacy_datum : bool
        Accept Xian 1980 / Beijing 1954 with PROJ's ballpark conversion (flagged).
    repair : bool
        Accept the ``make_valid`` repair of invalid geometries (preview it first).
    linearise_curves : bool
        Accept GDAL's linear approximation of curved geometries.
    """

    mapping: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    keep_columns: tuple[str, ...] = ()
    parcel_code_prefix: str = ""
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    from_gcj02: bool = False
    swap_axes: bool = False
    allow_legacy_datum: bool = False
    repair: bool = False
    linearise_curves: bool = False

    @classmethod
    def coerce(cls, value: ImportOptions | Mapping[str, Any] | None) -> ImportOptions:
        """Options from an :class:`ImportOptions`, a mapping of its fields, or ``None``."""
        if isinstance(value, cls):
            return value
        given = dict(value or {})
        unknown = set(given) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput("value_invalid", field="options", value=", ".join(sorted(unknown))[:60])
        if "keep_columns" in given:
            given["keep_columns"] = tuple(given["keep_columns"])
        return cls(**given)

    def to_content(self) -> dict[str, Any]:
        """Canonical-JSON-ready form, for the request fingerprint and the journal."""
        return {"mapping": dict(sorted(self.mapping.items())), "keep_columns": list(self.keep_columns),
                "defaults": {k: _plain_text(v) for k, v in sorted(self.defaults.items())},
                "parcel_code_prefix": self.parcel_code_prefix, "layer": self.layer, "encoding": self.encoding,
                "crs": self.crs, "from_gcj02": self.from_gcj02, "swap_axes": self.swap_axes,
                "allow_legacy_datum": self.allow_legacy_datum, "repair": self.repair,
                "linearise_curves": self.linearise_curves}


def _plain_text(value: Any) -> Any:
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)


@dataclass
class ParcelDraft:
    """One row on its way to becoming a parcel: checked fields, geometry in EPSG:4490, area."""

    row: int
    parcel_code: str | None = None
    sink_type: str | None = None
    holder: str | None = None
    county_code: str | None = None
    tenure_cert_no: str | None = None
    tenure_cert_kind: str | None = None
    tenure_ownership: str | None = None
    declared_area_mu: str | None = None
    household_shares_bp: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    geometry: shapely.Geometry | None = None
    area_m2: float | None = None
    flags: list[Problem] = field(default_factory=list)


@dataclass
class ImportPlan:
    """Drafts for every row, the problems that refuse the import, notices and proposed repairs."""

    source: dict[str, Any]
    options: ImportOptions
    drafts: list[ParcelDraft]
    geoms_m: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)

    def good_drafts(self) -> list[ParcelDraft]:
        bad = {p.row for p in self.problems}
        return [] if None in bad else [d for d in self.drafts if d.row not in bad]

    def report(self, extra_problems: list[Problem] = ()) -> dict[str, Any]:
        """The per-row report a user sees (dry run, refusal details)."""
        problems = [*self.problems, *extra_problems]
        return {"ok": not problems, "source": self.source, "rows": len(self.drafts),
                "parcels": [_draft_summary(d) for d in self.drafts if d.geometry is not None],
                "problems": records(problems), "notices": records(self.notices), "repairs": self.repairs}


def _draft_summary(d: ParcelDraft) -> dict[str, Any]:
    area = d.area_m2 or 0.0
    return {"row": d.row, "parcel_code": d.parcel_code, "sink_type": d.sink_type,
            "area_ha": f"{area / 10_000:.4f}", "area_mu": f"{area / M2_PER_MU:.2f}",
            "declared_area_mu": d.declared_area_mu, "flags": [f.code for f in d.flags]}


# --- files ------------------------------------------------------------------------------------

def plan_file(path: Path | str, options: ImportOptions, region: Region,
              tolerance: OverlapTolerance = DEFAULT_TOLERANCE) -> ImportPlan:
    """Read and check a parcel file: every row, every problem (nothing touches the registry)."""
    raw = read_layer(path, layer=options.layer, encoding=options.encoding)
    source = _source_summary(raw)
    if not raw.rows and raw.problems:
        return ImportPlan(source, options, [], np.empty(0, dtype=object), raw.problems, raw.notices)
    crs, crs_problems, crs_notices = resolve_crs(raw.crs_wkt, prj_text=raw.prj_text, named=options.crs,
                                                 allow_legacy_datum=options.allow_legacy_datum)
    source["crs"] = crs.label if crs else None
    cmap, map_problems, map_notices = build_column_map(raw.columns, options.mapping, options.keep_columns)
    problems = [*raw.problems, *crs_problems, *map_problems]
    if raw.encoding is None:
        problems += garbled_value_problems(raw.rows)
    drafts, field_problems = [], []
    for row, values in enumerate(raw.rows, start=1):
        fields, kept = row_fields(values, cmap, options.defaults)
        draft, found = check_fields(row, fields, kept, options)
        drafts.append(draft)
        field_problems += found
    plan = ImportPlan(source, options, drafts, np.empty(len(drafts), dtype=object),
                      [*problems, *field_problems], [*raw.notices, *crs_notices, *map_notices])
    if crs is not None:
        geoms, parse_problems = parse_wkbs(raw.wkbs)
        plan.problems += parse_problems.values()
        check_geometries(plan, geoms, raw.curve_rows, crs, region)
    check_rows_together(plan, tolerance)
    return plan


def _source_summary(raw: RawLayer) -> dict[str, Any]:
    return {"name": raw.source_name, "sha256": raw.source_sha256, "format": raw.file_format,
            "driver": raw.driver, "layer": raw.layer,
            "encoding": raw.encoding.encoding if raw.encoding else None,
            "encoding_source": raw.encoding.source if raw.encoding else None, "rows": len(raw.rows)}


# --- fields -----------------------------------------------------------------------------------

def check_fields(row: int, fields: Mapping[str, Any], kept: Mapping[str, Any],
                 options: ImportOptions) -> tuple[ParcelDraft, list[Problem]]:
    """Stateless checks of one row's fields; every problem, in field order."""
    draft, problems = ParcelDraft(row=row), []
    draft.parcel_code = _code(fields.get("parcel_code"), options.parcel_code_prefix, problems)
    draft.sink_type = _sink_type(fields.get("sink_type"), problems)
    draft.holder = _required_text(fields.get("holder"), "holder", problems)
    draft.county_code = _county(fields.get("county_code"), problems)
    draft.tenure_cert_no = _optional_text(fields.get("tenure_cert_no"), "tenure_cert_no", MAX_CERT_CHARS, problems)
    draft.tenure_cert_kind = _collect(cert_kind(draft.tenure_cert_no, _text(fields.get("tenure_cert_kind"))), problems)
    draft.tenure_ownership = _collect(ownership(fields.get("tenure_ownership")), problems)
    draft.declared_area_mu = _declared_area_mu(fields, problems)
    draft.household_shares_bp = _collect(parse_shares(fields.get("household_shares")), problems) or {}
    draft.attributes = _attributes(draft.sink_type, fields, kept, problems)
    return draft, [p.at(row) for p in problems]


def _collect(result: tuple[Any, Problem | None], problems: list[Problem]) -> Any:
    value, problem = result
    if problem is not None:
        problems.append(problem)
    return value


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _required_text(value: Any, name: str, problems: list[Problem]) -> str | None:
    text = _text(value)
    if text is None:
        problems.append(Problem("field_required", field=name))
    return text


def _optional_text(value: Any, name: str, max_chars: int, problems: list[Problem]) -> str | None:
    text = _text(value)
    if text is not None and len(text) > max_chars:
        problems.append(Problem("text_too_long", field=name, max_chars=max_chars))
        return None
    return text


def _code(value: Any, prefix: str, problems: list[Problem]) -> str | None:
    text = _required_text(value, "parcel_code", problems)
    if text is None:
        return None
    code = f"{prefix}{text}"
    if not PARTY_ID.match(code):
        problems.append(Problem("value_invalid", field="parcel_code", value=code[:40]))
        return None
    return code


def _sink_type(value: Any, problems: list[Problem]) -> str | None:
    text = _required_text(value, "sink_type", problems)
    if text is None:
        return None
    spec = find_sink_type(text)
    if spec is None:
        problems.append(Problem("sink_type_unknown", field="sink_type", sink_type=text[:40]))
        return None
    return spec.sink_type


def _county(value: Any, problems: list[Problem]) -> str | None:
    text = _text(value)
    if text is not None and not (text.isdigit() and len(text) == COUNTY_CODE_DIGITS):
        problems.append(Problem("value_invalid", field="county_code", value=text[:40]))
        return None
    return text


AREA_FIELDS = {"declared_area_mu": Decimal(1), "declared_area_ha": Decimal(15), "declared_area_m2": Decimal(15) / 10_000}


def _declared_area_mu(fields: Mapping[str, Any], problems: list[Problem]) -> str | None:
    """The declared area in mu, from whichever area field the file fills."""
    for name, mu_per_unit in AREA_FIELDS.items():
        text = _text(fields.get(name))
        if text is None:
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value <= 0:
            problems.append(Problem("value_invalid", field=name, value=text[:40]))
            return None
        return f"{(value * mu_per_unit).quantize(Decimal('0.0001')).normalize():f}"
    return None


def _attributes(sink_type: str | None, fields: Mapping[str, Any], kept: Mapping[str, Any],
                problems: list[Problem]) -> dict[str, Any]:
    if sink_type is None:
        return {}
    own = {f.name for f in sink_spec(sink_type).attributes}
    given = {name: fields[name] for name in attribute_fields() if _text(fields.get(name)) is not None
             or isinstance(fields.get(name), dict)}
    problems += [Problem("attribute_not_for_sink_type", field=name, sink_type=sink_type)
                 for name in given if name not in own]
    clean, found = validate_attributes(sink_spec(sink_type).attributes, {k: v for k, v in given.items() if k in own})
    problems += found
    return {**{k: _plain_text(v) for k, v in kept.items() if v is not None}, **clean}


# --- one drawn geometry -----------------------------------------------------------------------

def plan_geometry(geometry: str | Mapping[str, Any], fields: Mapping[str, Any], options: ImportOptions,
                  region: Region) -> ImportPlan:
    """Check one parcel drawn on a map (a GeoJSON geometry or Feature, lon/lat) and its fields.

    ``fields`` holds the parcel fields (``parcel_code``, ``sink_type``, ``holder`` ...) and its
    attributes; attributes the sink type does not declare are kept as given, unless their names
    say they hold personal data.

    Raises
    ------
    InvalidInput
        ``geometry_unreadable`` when the GeoJSON cannot be parsed at all.
    """
    return plan_geometries([(geometry, fields)], options, region)


def plan_geometries(features: list[tuple[str | Mapping[str, Any], Mapping[str, Any]]], options: ImportOptions,
                    region: Region) -> ImportPlan:
    """:func:`plan_geometry` for several parcels at once (the parts of a split), rows numbered from 1."""
    geoms = np.array([parse_geojson(g) for g, _ in features], dtype=object)
    targets, drafts, problems = set(all_targets()), [], []
    for row, (_, fields) in enumerate(features, start=1):
        extra = {k: v for k, v in fields.items() if k not in targets}
        draft, found = check_fields(row, {k: v for k, v in fields.items() if k in targets}, extra, options)
        drafts.append(draft)
        problems += found + [Problem("column_holds_personal_data", row=row, field=k, column=k)
                             for k in extra if PERSONAL_DATA.search(k)]
    digest = hashlib.sha256(b"".join(shapely.to_wkb(g, output_dimension=2) for g in geoms)).hexdigest()
    source = {"name": "geometry", "sha256": digest, "format": "GeoJSON geometry", "driver": None, "layer": None,
              "encoding": None, "encoding_source": None, "rows": len(features)}
    plan = ImportPlan(source, options, drafts, np.empty(len(drafts), dtype=object), problems, [])
    crs, crs_problems, crs_notices = resolve_crs(f"EPSG:{region.storage_epsg}", named=options.crs,
                                                 allow_legacy_datum=options.allow_legacy_datum)
    source["crs"] = crs.label if crs else None
    plan.problems += crs_problems
    plan.notices += crs_notices
    if crs is not None:
        check_geometries(plan, geoms, set(), crs, region)
        check_rows_together(plan, OverlapTolerance())
    return plan


def plain_json(value: Any) -> Any:
    """``value`` with floats as decimal strings and NaN/inf as ``None`` (canonical-JSON-ready)."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else str(Decimal(repr(value)))
    if isinstance(value, Mapping):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    if hasattr(value, "item"):
        return plain_json(value.item())
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)
