"""Planning an import: from a file (or one drawn geometry) to checked parcel drafts and every problem.

:func:`plan_file` reads a file (:mod:`sinks.reading`), settles its CRS (:mod:`sinks.crs`), maps
its columns (:mod:`sinks.mapping`), checks every row's fields and geometry, and checks the rows
against each other (duplicate codes, overlaps). It is pure with respect to the registry: checks
against registered parcels and parties run inside the command (:mod:`ledger.parcels`). The
:class:`ImportPlan` it returns is also the preview a user sees before importing (``--dry-run``),
repairs included.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
import reprlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from sinkledger_base.checks import ascii_digits, ascii_number_text
from sinkledger_base.errors import InvalidInput
from sinks import find_sink_type, sink_spec
from sinks.attributes import validate_attributes
from sinks.crs import resolve_crs
from sinks.encoding import garbled_column_problems
from sinks.geometry import M2_PER_MU, parse_geojson, parse_wkbs
from sinks.limits import DEFAULT_LIMITS, FileLimits
from sinks.mapping import PERSONAL_DATA, ColumnMap, all_targets, attribute_fields, build_column_map
from sinks.overlap import DEFAULT_TOLERANCE, OverlapTolerance
from sinks.plan_checks import check_geometries, check_region_fields, check_rows_together, region_column_problems
from sinks.problems import Problem, records
from sinks.reading import RawLayer, read_layer
from sinks.regions import Region
from sinks.tenure import PARTY_ID, cert_kind, ownership, parse_shares

MAX_CERT_CHARS = 120
PROGRESS_EVERY = 500  # rows between progress reports
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

    def __post_init__(self) -> None:
        """Refuse options of the wrong type (``value_invalid`` naming ``options.<name>``): an API
        caller's ``"false"`` must not switch a conversion on."""
        _check_text_map(self.mapping, "mapping")
        if not isinstance(self.defaults, Mapping) or not all(
                isinstance(k, str) and _is_scalar(v) for k, v in self.defaults.items()):
            raise _bad_option("defaults", self.defaults)
        if not isinstance(self.keep_columns, tuple) or not all(_is_text(c) for c in self.keep_columns):
            raise _bad_option("keep_columns", self.keep_columns)
        if not isinstance(self.parcel_code_prefix, str) or (self.parcel_code_prefix
                                                            and not PREFIX.match(self.parcel_code_prefix)):
            raise _bad_option("parcel_code_prefix", self.parcel_code_prefix)
        for name in ("layer", "encoding", "crs"):
            value = getattr(self, name)
            if value is not None and not _is_text(value):
                raise _bad_option(name, value)
        for name in ("from_gcj02", "swap_axes", "allow_legacy_datum", "repair", "linearise_curves"):
            if not isinstance(getattr(self, name), bool):
                raise _bad_option(name, getattr(self, name))

    @classmethod
    def coerce(cls, value: ImportOptions | Mapping[str, Any] | None) -> ImportOptions:
        """Options from an :class:`ImportOptions`, a mapping of its fields, or ``None``.

        Raises
        ------
        InvalidInput
            ``value_invalid`` for unknown options or options of the wrong type.
        """
        if isinstance(value, cls):
            return value
        if value is not None and not isinstance(value, Mapping):
            raise _bad_option("options", value)
        given = dict(value or {})
        unknown = [str(k) for k in given if k not in cls.__dataclass_fields__]
        if unknown:
            raise InvalidInput("value_invalid", field="options", value=_safe(", ".join(sorted(unknown)))[:60])
        if isinstance(given.get("keep_columns"), (list, tuple)):
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


PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$")
MAX_OPTION_CHARS = 200


def _safe(text: str) -> str:
    """``text`` with lone surrogates escaped, so that a refusal can always be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _is_text(value: Any) -> bool:
    """A printable, valid-Unicode string of at most :data:`MAX_OPTION_CHARS` characters."""
    return (isinstance(value, str) and 0 < len(value) <= MAX_OPTION_CHARS and value.isprintable()
            and _safe(value) == value)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= MAX_OPTION_CHARS and _safe(value) == value and "\x00" not in value
    return isinstance(value, (int, bool, Decimal, type(None)))


def _check_text_map(value: Any, name: str) -> None:
    if not isinstance(value, Mapping) or not all(_is_text(k) and _is_text(v) for k, v in value.items()):
        raise _bad_option(name, value)


def _bad_option(name: str, value: Any) -> InvalidInput:
    return InvalidInput("value_invalid", field=f"options.{name}", value=_safe(reprlib.repr(value))[:60])


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
    columns: list[str] = field(default_factory=list)  # the file's columns, as it spells them
    columns_by_field: dict[str, str] = field(default_factory=dict)  # the mapping applied: field → column

    def good_drafts(self) -> list[ParcelDraft]:
        bad = {p.row for p in self.problems}
        return [] if None in bad else [d for d in self.drafts if d.row not in bad]

    def report(self, extra_problems: list[Problem] = ()) -> dict[str, Any]:
        """The per-row report a user sees (dry run, refusal details)."""
        problems = [*self.problems, *extra_problems]
        return {"ok": not problems, "source": self.source, "rows": len(self.drafts),
                "parcels": [_draft_summary(d) for d in self.drafts if d.geometry is not None],
                "problems": records(problems), "notices": records(self.notices), "repairs": self.repairs,
                "columns": list(self.columns), "columns_by_field": dict(self.columns_by_field)}


def _draft_summary(d: ParcelDraft) -> dict[str, Any]:
    area = d.area_m2 or 0.0
    return {"row": d.row, "parcel_code": d.parcel_code, "sink_type": d.sink_type, "holder": d.holder,
            "area_ha": f"{area / 10_000:.4f}", "area_mu": f"{area / M2_PER_MU:.2f}",
            "declared_area_mu": d.declared_area_mu, "flags": [f.code for f in d.flags]}


# --- files ------------------------------------------------------------------------------------

def plan_file(path: Path | str, options: ImportOptions, region: Region,
              tolerance: OverlapTolerance = DEFAULT_TOLERANCE, limits: FileLimits = DEFAULT_LIMITS,
              progress: Callable[[int, int, str], None] | None = None) -> ImportPlan:
    """Read and check a parcel file: every row, every problem (nothing touches the registry).

    ``limits`` (size, archive bombs, features; :mod:`sinks.limits`) are checked before the file
    is opened; the service passes ``Settings.file_limits``. ``progress(done, total, stage)``
    hears ``rows`` as fields are checked (every :data:`PROGRESS_EVERY` rows and the last), then
    ``geometries`` and ``overlaps`` with all rows done.
    """
    with collector_paused():
        return _plan_file(path, options, region, tolerance, limits, progress)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block (issue 17): planning 100,000 rows
    makes some million objects that live until the plan is done (drafts, their dicts, geometries),
    and each full collection triggered on the way walks all of them again (a quarter of the plan's
    CPU time at 100,000 rows). Nothing is lost: what the block leaves for the collector is
    collected after it. Process-wide, as the collector is: other threads' cycles wait as long."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _plan_file(path: Path | str, options: ImportOptions, region: Region, tolerance: OverlapTolerance,
               limits: FileLimits, progress: Callable[[int, int, str], None] | None) -> ImportPlan:
    report = progress or (lambda done, total, stage: None)
    raw = read_layer(path, layer=options.layer, encoding=options.encoding, limits=limits)
    source = _source_summary(raw)
    if not raw.row_count and raw.problems:
        return ImportPlan(source, options, [], np.empty(0, dtype=object), raw.problems, raw.notices,
                          columns=list(raw.columns))
    crs, crs_problems, crs_notices = resolve_crs(raw.crs_wkt, prj_text=raw.prj_text, named=options.crs,
                                                 allow_legacy_datum=options.allow_legacy_datum)
    source["crs"] = crs.label if crs else None
    cmap, map_problems, map_notices = build_column_map(raw.columns, options.mapping, options.keep_columns)
    targets = set(all_targets())
    map_problems += [Problem("mapping_field_unknown", column="--default", target=_safe(name)[:40])
                     for name in options.defaults if name not in targets]
    problems = [*raw.problems, *crs_problems, *map_problems]
    if raw.encoding is None:
        problems += garbled_column_problems((seg.first, seg.names, seg.values) for seg in raw.segments)
    total = raw.row_count
    drafts, field_problems = check_field_columns(raw, cmap, options)
    for row in (*range(PROGRESS_EVERY, total, PROGRESS_EVERY), total):
        if row:
            report(row, total, "rows")
    plan = ImportPlan(source, options, drafts, np.empty(len(drafts), dtype=object),
                      [*problems, *field_problems], [*raw.notices, *crs_notices, *map_notices],
                      columns=list(raw.columns), columns_by_field=dict(cmap.columns_by_field))
    plan.problems += region_column_problems([d.sink_type for d in drafts], [d.county_code for d in drafts], region)
    if crs is not None:
        geoms, parse_problems = parse_wkbs(raw.wkbs)
        plan.problems += parse_problems.values()
        check_geometries(plan, geoms, raw.curve_rows, crs, region)
    report(total, total, "geometries")
    check_rows_together(plan, tolerance)
    report(total, total, "overlaps")
    return plan


def _source_summary(raw: RawLayer) -> dict[str, Any]:
    return {"name": raw.source_name, "sha256": raw.source_sha256, "format": raw.file_format,
            "driver": raw.driver, "layer": raw.layer,
            "encoding": raw.encoding.encoding if raw.encoding else None,
            "encoding_source": raw.encoding.source if raw.encoding else None, "rows": raw.row_count}


# --- fields -----------------------------------------------------------------------------------

MEMO_MAX = 4096  # answers kept per plan: a file's repeated values (its sink types, holders, counties...)


def check_fields(row: int, fields: Mapping[str, Any], kept: Mapping[str, Any],
                 options: ImportOptions, memo: dict[Any, Any] | None = None) -> tuple[ParcelDraft, list[Problem]]:
    """Stateless checks of one row's fields; every problem, in field order.

    ``memo`` (one dict per file, :func:`plan_file`) keeps the answer of each check that depends on
    one value only, keyed by the value and its type: a file repeats its sink types, holders, county
    codes, areas and attributes over thousands of rows, and each distinct value is checked once
    (issue 17). The answers are the same as without it; the problems are located at each row.
    """
    draft, problems = ParcelDraft(row=row), []
    get = fields.get
    names = _attribute_names(memo)
    draft.parcel_code = _code(get("parcel_code"), options.parcel_code_prefix, problems)
    draft.sink_type = _cached(memo, ("sink_type", _key(get("sink_type"))), problems,
                              lambda found: _sink_type(get("sink_type"), found))
    draft.holder = _cached(memo, ("holder", _key(get("holder"))), problems,
                           lambda found: _required_text(get("holder"), "holder", found))
    draft.county_code = _cached(memo, ("county_code", _key(get("county_code"))), problems,
                                lambda found: _county(get("county_code"), found))
    draft.tenure_cert_no = _optional_text(get("tenure_cert_no"), "tenure_cert_no", MAX_CERT_CHARS, problems)
    draft.tenure_cert_kind = _collect(cert_kind(draft.tenure_cert_no, _text(get("tenure_cert_kind"))), problems)
    draft.tenure_ownership = _cached(memo, ("tenure_ownership", _key(get("tenure_ownership"))), problems,
                                     lambda found: _collect(ownership(get("tenure_ownership")), found))
    draft.declared_area_mu = _cached(memo, ("area", *(_key(get(name)) for name in AREA_FIELDS)), problems,
                                     lambda found: _declared_area_mu(fields, found))
    draft.household_shares_bp = _collect(parse_shares(get("household_shares")), problems) or {}
    draft.attributes = dict(_cached(
        memo, ("attributes", draft.sink_type, *((name, _key(value)) for name, value in fields.items()
                                                 if name in names)),
        problems, lambda found: _attributes(draft.sink_type, fields, {}, found)))
    if kept:
        draft.attributes = {**{k: _plain_text(v) for k, v in kept.items() if v is not None}, **draft.attributes}
    return draft, [p.at(row) for p in problems]


def check_field_columns(raw: RawLayer, cmap: ColumnMap,
                        options: ImportOptions) -> tuple[list[ParcelDraft], list[Problem]]:
    """:func:`check_fields` of every row of ``raw`` (fields mapped by ``cmap``, blanks filled by the
    defaults), worked out column by column: each check that depends on one value (or on a few
    fields together) runs once per distinct value of its columns, and codes are checked a whole
    column at a time. The drafts and the problems (in row order, each row's in field order) are
    those of calling :func:`check_fields` row by row (``tests/sinks/test_field_columns.py``).
    """
    n = raw.row_count
    cols = field_columns(raw, cmap, options.defaults)
    get = cols.get  # a field the file lacks: None, a column of None for _by_distinct
    per_row: list[tuple[list[Any], list[Any] | None]] = []  # (values, problem lists) per field, in check order

    codes = _code_column(cols.get("parcel_code"), options.parcel_code_prefix)
    per_row.append(codes if codes is not None else
                   _by_distinct(n, [get("parcel_code")], lambda v: _found(_code, v, options.parcel_code_prefix)))
    per_row.append(_by_distinct(n, [get("sink_type")], lambda v: _found(_sink_type, v)))
    per_row.append(_by_distinct(n, [get("holder")], lambda v: _found(_required_text, v, "holder")))
    per_row.append(_by_distinct(n, [get("county_code")], lambda v: _found(_county, v)))
    cert_no = _by_distinct(n, [get("tenure_cert_no")],
                           lambda v: _found(_optional_text, v, "tenure_cert_no", MAX_CERT_CHARS))
    per_row.append(cert_no)
    per_row.append(_by_distinct(n, [cert_no[0], get("tenure_cert_kind")],
                                lambda number, kind: _pair(cert_kind(number, _text(kind)))))
    per_row.append(_by_distinct(n, [get("tenure_ownership")], lambda v: _pair(ownership(v))))
    per_row.append(_by_distinct(n, [get(name) for name in AREA_FIELDS],
                                lambda *values: _found(_declared_area_mu, dict(zip(AREA_FIELDS, values)))))
    per_row.append(_by_distinct(n, [get("household_shares")], lambda v: _pair(parse_shares(v))))
    names = [name for name in attribute_fields() if name in cols]
    attrs = _by_distinct(n, [per_row[1][0], *(cols[name] for name in names)],
                         lambda sink_type, *values: _found(_attributes, sink_type, dict(zip(names, values)), {}))
    per_row.append(attrs)

    kept = {c: raw.column(c) for c in cmap.kept}
    attributes = list(map(dict, attrs[0]))
    if kept:
        for i, own in enumerate(attributes):
            attributes[i] = {**{k: _plain_text(v[i]) for k, v in kept.items() if v[i] is not None}, **own}
    shares = [dict(share) if share else {} for share in per_row[8][0]]
    drafts = list(map(ParcelDraft, range(1, n + 1), *(values for values, _ in per_row[:8]), shares, attributes))
    return drafts, _row_problems(per_row)


def field_columns(raw: RawLayer, cmap: ColumnMap, defaults: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: values per row}``: :func:`sinks.mapping.row_fields` for whole columns."""
    cols = {target: raw.column(column) for target, column in cmap.columns_by_field.items()}
    for target, value in defaults.items():
        col = cols.get(target)
        cols[target] = [value] * raw.row_count if col is None else [value if _blank(v) else v for v in col]
    return cols


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _found(check: Callable[..., Any], *args: Any) -> tuple[Any, list[Problem]]:
    """``check(*args, problems)`` as ``(value, problems)``."""
    problems: list[Problem] = []
    return check(*args, problems), problems


def _pair(result: tuple[Any, Problem | None]) -> tuple[Any, list[Problem]]:
    value, problem = result
    return value, [] if problem is None else [problem]


_PLAIN_TYPES = frozenset({str, type(None), int, float, bool})
_NUMBER_TYPES = frozenset({int, float, bool})


def _keyed_by_value(col: list[Any]) -> bool:
    """Whether equal values of ``col`` are also of one type (``1``, ``1.0`` and ``True`` are equal
    but read differently: :func:`_key`), so that the values themselves can key the answers."""
    types = set(map(type, col))
    return types <= _PLAIN_TYPES and len(types & _NUMBER_TYPES) <= 1


def _by_distinct(n: int, cols: list[list[Any] | None], check: Callable[..., tuple[Any, list[Problem]]]
                 ) -> tuple[list[Any], list[Any] | None]:
    """``check(*values)`` of each of ``n`` rows' values in ``cols`` (``None``: a column of ``None``),
    run once per distinct combination: ``(value per row, problems per row)``, the second ``None``
    when no row has any (a row's problems list may be shared between rows: not to be changed)."""
    varying = [c for c in cols if c is not None]
    if not varying:
        value, found = check(*(None for _ in cols))
        return [value] * n, [found] * n if found else None
    plain = all(_keyed_by_value(c) for c in varying)
    keys: list[Any] = (varying[0] if len(varying) == 1 else list(zip(*varying))) if plain else \
        list(zip(*([(type(v), v) for v in c] for c in varying)))

    def answer(key: Any) -> tuple[Any, list[Problem]]:
        given = iter(((key,) if len(varying) == 1 else key) if plain else [v for _, v in key])
        return check(*(None if c is None else next(given) for c in cols))

    try:
        distinct = dict.fromkeys(keys)  # the first of equal values stands for them, as _cached's memo does
    except TypeError:  # an unhashable value (a mapping): every row checked afresh
        answers = [check(*(None if c is None else c[i] for c in cols)) for i in range(n)]
        values, problems = [a[0] for a in answers], [a[1] for a in answers]
        return values, problems if any(problems) else None
    known = {key: answer(key) for key in distinct}
    if len(known) == 1:
        (value, found), = known.values()
        return [value] * n, [found] * n if found else None
    values = list(map({k: a[0] for k, a in known.items()}.__getitem__, keys))
    if not any(a[1] for a in known.values()):
        return values, None
    return values, list(map({k: a[1] for k, a in known.items()}.__getitem__, keys))


def _code_column(col: list[Any] | None, prefix: str) -> tuple[list[Any], None] | None:
    """:func:`_code` of a column of text codes all at once (``None`` when the column needs the
    per-value check: a code missing, not text, not printable or not a valid code)."""
    if col is None or "\n" in prefix or set(map(type, col)) != {str}:
        return None
    texts = list(map(str.strip, col))
    if not all(texts):
        return None
    joined = "".join(texts)
    if not joined.isprintable() or _safe(joined) != joined:
        return None
    codes = [prefix + t for t in texts] if prefix else texts
    if not _CODES.fullmatch("\n".join(codes)):
        return None
    return codes, None


_CODES = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_-]{0,39}\n)*[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # PARTY_ID per line


def _row_problems(per_row: list[tuple[list[Any], list[Any] | None]]) -> list[Problem]:
    """Every row's problems located at the row: by row, then in field (check) order."""
    found: list[tuple[int, int, Problem]] = []
    for order, (_, problems) in enumerate(per_row):
        if problems is not None:
            for i in [i for i, p in enumerate(problems) if p]:
                found += [(i, order, p) for p in problems[i]]
    found.sort(key=lambda f: (f[0], f[1]))
    return [p.at(i + 1) for i, _, p in found]


def _attribute_names(memo: dict[Any, Any] | None) -> Any:
    """The attribute fields' names (every sink type's), worked out once per plan."""
    if memo is None:
        return attribute_fields().keys()
    names = memo.get(_ATTRIBUTE_NAMES)
    if names is None:
        names = memo[_ATTRIBUTE_NAMES] = frozenset(attribute_fields())
    return names


_ATTRIBUTE_NAMES = ("attribute names",)


def _key(value: Any) -> tuple[type, Any]:
    """A memo key for a value: its type too (``1``, ``1.0`` and ``True`` are equal but read differently)."""
    return (type(value), value)


def _cached(memo: dict[Any, Any] | None, key: tuple, problems: list[Problem],
            compute: Callable[[list[Problem]], Any]) -> Any:
    """``compute(found)``, or its remembered answer; the problems it found are added to ``problems``."""
    if memo is not None:
        try:
            hit = memo.get(key)
        except TypeError:  # an unhashable value (a mapping of attributes): checked afresh
            memo = None
        else:
            if hit is not None:
                problems += hit[1]
                return hit[0]
    found: list[Problem] = []
    value = compute(found)
    problems += found
    if memo is not None and len(memo) < MEMO_MAX:
        memo[key] = (value, found)
    return value


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
    text = _printable(_text(value), name, problems)
    if text is None and not any(p.field == name for p in problems):
        problems.append(Problem("field_required", field=name))
    return text


def _optional_text(value: Any, name: str, max_chars: int, problems: list[Problem]) -> str | None:
    text = _printable(_text(value), name, problems)
    if text is not None and len(text) > max_chars:
        problems.append(Problem("text_too_long", field=name, max_chars=max_chars))
        return None
    return text


def _printable(text: str | None, name: str, problems: list[Problem]) -> str | None:
    """``text``, or ``None`` with a problem when it holds NUL, control characters or lone surrogates."""
    if text is not None and not (text.isprintable() and _safe(text) == text):
        problems.append(Problem("value_invalid", field=name, value=_safe(repr(text))[:40]))
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
    if text is not None and not (ascii_digits(text) and len(text) == COUNTY_CODE_DIGITS):
        problems.append(Problem("value_invalid", field="county_code", value=text[:40]))
        return None
    return text


MAX_DECLARED_AREA_MU = Decimal(10) ** 9  # 667,000 km², beyond any province: a typo, not an area
AREA_FIELDS = {"declared_area_mu": Decimal(1), "declared_area_ha": Decimal(15), "declared_area_m2": Decimal(15) / 10_000}


def _declared_area_mu(fields: Mapping[str, Any], problems: list[Problem]) -> str | None:
    """The declared area in mu, from whichever area field the file fills."""
    for name, mu_per_unit in AREA_FIELDS.items():
        text = _text(fields.get(name))
        if text is None:
            continue
        try:
            value = Decimal(text) if ascii_number_text(text) else Decimal(-1)  # "１０" is not 10 mu
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value <= 0 or value * mu_per_unit > MAX_DECLARED_AREA_MU:
            problems.append(Problem("value_invalid", field=name, value=_safe(text[:40])))
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
                             for k in extra if PERSONAL_DATA.search(str(k))]
        problems += api_type_problems(row, fields)
    digest = hashlib.sha256(b"".join(shapely.to_wkb(g, output_dimension=2) for g in geoms)).hexdigest()
    source = {"name": "geometry", "sha256": digest, "format": "GeoJSON geometry", "driver": None, "layer": None,
              "encoding": None, "encoding_source": None, "rows": len(features)}
    plan = ImportPlan(source, options, drafts, np.empty(len(drafts), dtype=object), problems, [])
    check_region_fields(plan, region)
    crs, crs_problems, crs_notices = resolve_crs(f"EPSG:{region.storage_epsg}", named=options.crs,
                                                 allow_legacy_datum=options.allow_legacy_datum)
    source["crs"] = crs.label if crs else None
    plan.problems += crs_problems
    plan.notices += crs_notices
    if crs is not None:
        check_geometries(plan, geoms, set(), crs, region)
        check_rows_together(plan, OverlapTolerance())
    return plan


API_TEXT_FIELDS = ("parcel_code", "sink_type", "holder", "county_code", "tenure_cert_no", "tenure_cert_kind",
                   "tenure_ownership")


def api_type_problems(row: int, fields: Mapping[str, Any]) -> list[Problem]:
    """Values of the wrong type given through the API (a file's cells are converted instead:
    a numeric 小班号 is a code there, but ``parcel_code=7`` from a caller is a mistake)."""
    problems = [Problem("value_invalid", row=row, field=name, value=_safe(repr(fields[name]))[:40])
                for name in API_TEXT_FIELDS if fields.get(name) is not None and not isinstance(fields[name], str)]
    shares = fields.get("household_shares")
    if shares is not None and not isinstance(shares, Mapping):
        problems.append(Problem("value_invalid", row=row, field="household_shares", value=_safe(repr(shares))[:40]))
    return problems


def plain_json(value: Any) -> Any:
    """``value`` with floats as decimal strings (canonical-JSON-ready).

    NaN and infinities become the strings ``"nan"``/``"inf"`` rather than ``None``, so that the
    field's own check refuses them instead of reading them as "not given"; a structure nested
    deeper than :data:`MAX_JSON_DEPTH` is refused.
    """
    return _plain_json(value, 0)


MAX_JSON_DEPTH = 32


def _plain_json(value: Any, depth: int) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise InvalidInput("value_invalid", field="attributes", value=f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, float):
        return str(value) if not math.isfinite(value) else str(Decimal(repr(value)))
    if isinstance(value, Mapping):
        return {str(k): _plain_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v, depth + 1) for v in value]
    if hasattr(value, "item"):
        return _plain_json(value.item(), depth + 1)
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)
