"""Malformed values, by the kind of value a parameter takes.

Each kind has a fixed grid of named bad values (negative, zero, huge, NaN, wrong types, unknown
ids, very long and non-UTF-8 strings, NUL and control characters, SQL and HTML fragments ...)
that every parameter of that kind receives, and a hypothesis strategy that draws more of them.

Every value here must be refused where its kind is expected. SQL and HTML fragments are legal
*free text* (they are bound as parameters and escaped on output), so they are sent where they
must be refused: as ids, codes, dates, numbers and choices. A lone surrogate (``"\\udcff"``) is
what an undecodable byte in a command-line argument or a file name becomes in Python
(``surrogateescape``): the non-UTF-8 string.

A value may be a :class:`Lazy`: built from the world at call time (files in its work folder,
an actor of the wrong role).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

SURROGATE = "AJ\udcff\udcfe"
NUL = "AJ\x00BF"
CONTROL = "AJ\x1b[2J\x07"
SQL = "'; DROP TABLE journal_entry; --"
SQL_QUOTE = "AJ-BF-0001' OR '1'='1"
HTML = "<script>alert('x')</script>"
LONG = "長" * 20_000
UNKNOWN = "NOPE-404"
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Lazy:
    """A value built from the world when the call is made."""

    build: Callable[[Any], Any]
    label: str = "lazy"

    def __repr__(self) -> str:
        return f"<{self.label}>"


def deep(depth: int) -> Any:
    """A JSON document nested ``depth`` levels (recursion-limit probe)."""
    doc: Any = 1
    for _ in range(depth):
        doc = {"a": doc}
    return doc


WRONG_TYPES = [("none", None), ("int", 7), ("float", 1.5), ("bool", True), ("list", ["x"]), ("dict", {"x": 1}),
               ("bytes", b"AJ-BF-0001"), ("set", {"x"})]
BAD_STRINGS = [("surrogate", SURROGATE), ("nul", NUL), ("control", CONTROL), ("long", LONG)]
FRAGMENTS = [("sql", SQL), ("sql_quote", SQL_QUOTE), ("html", HTML)]
BAD_INTS = [("negative", -1), ("min_int64", -(2**63)), ("over_int64", 2**63), ("huge", 10**30),
            ("float_whole", 1.0), ("float", 1.5), ("nan", math.nan), ("inf", math.inf), ("neg_inf", -math.inf),
            ("str_digits", "1"), ("str", "one"), ("bool", True), ("none", None), ("list", [1]), ("dict", {"n": 1}),
            ("str_huge", "9" * 400), ("str_fullwidth", "１０")]


def _without(items: list[tuple[str, Any]], *labels: str) -> list[tuple[str, Any]]:
    return [(label, value) for label, value in items if label not in labels]


def _paths(world: Any) -> Any:
    """Files in the world's work folder that are not parcel/registry/backup files."""
    folder = world.workdir
    (folder / "folder.geojson").mkdir(exist_ok=True)
    (folder / "garbage.geojson").write_bytes(b"\x89PNG\r\n\x1a\n not geojson \xff\xfe")
    (folder / "empty.geojson").write_bytes(b"")
    (folder / "nan.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                        '"properties": {"parcel_code": "X"}, "geometry": {"type": "Polygon", '
                                        '"coordinates": [[[NaN, 30], [120, 30], [120, 31], [NaN, 30]]]}}]}')
    (folder / "notes.txt").write_text("not a parcel file")
    return folder


def path_value(name: str) -> Lazy:
    return Lazy(lambda world: str(_paths(world) / name), f"path:{name}")


BAD_PATHS = [("missing", "/nonexistent/fuzz/parcels.geojson"), ("empty_str", ""), ("nul", "/tmp/a\x00b.geojson"),
             ("surrogate", "/tmp/\udcff\udcfe.geojson"), ("long", "/tmp/" + "a" * 5000 + ".geojson"),
             ("dev_null", "/dev/null"), ("directory", path_value("folder.geojson")),
             ("garbage", path_value("garbage.geojson")), ("empty_file", path_value("empty.geojson")),
             ("nan_coordinates", path_value("nan.geojson")), ("wrong_suffix", path_value("notes.txt")),
             ("none", None), ("int", 7), ("list", ["/tmp/x.geojson"])]

BAD_GEOMETRIES = [
    ("not_json", "{not json"), ("empty_str", ""), ("none", None), ("int", 7), ("list", [1, 2]), ("empty_dict", {}),
    ("point", {"type": "Point", "coordinates": [119.6, 30.6]}),
    ("nan", {"type": "Polygon", "coordinates": [[[math.nan, 30.6], [119.61, 30.6], [119.61, 30.61], [math.nan, 30.6]]]}),
    ("inf", {"type": "Polygon", "coordinates": [[[math.inf, 30.6], [119.61, 30.6], [119.61, 30.61], [math.inf, 30.6]]]}),
    ("huge", {"type": "Polygon", "coordinates": [[[1e308, 1e308], [-1e308, 1e308], [-1e308, -1e308], [1e308, 1e308]]]}),
    ("unclosed", {"type": "Polygon", "coordinates": [[[119.6, 30.6], [119.61, 30.6], [119.61, 30.61]]]}),
    ("empty_polygon", {"type": "Polygon", "coordinates": []}),
    ("outside_region", {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01], [0, 0]]]}),
    ("string_coordinates", {"type": "Polygon", "coordinates": [[["a", "b"], ["c", "d"], ["e", "f"], ["a", "b"]]]}),
    ("bowtie", {"type": "Polygon", "coordinates": [[[119.60, 30.60], [119.61, 30.61], [119.61, 30.60],
                                                     [119.60, 30.61], [119.60, 30.60]]]}),
    ("collection", {"type": "GeometryCollection", "geometries": []}),
    ("deep", deep(5000)), ("surrogate", SURROGATE), ("long", "[" * 100_000), ("sql", SQL), ("html", HTML)]

BAD_DOCS = [("none", None), ("str", "area_ha=1"), ("int", 7), ("list", [1]), ("nan", {"area_ha": math.nan}),
            ("inf", {"area_ha": math.inf}), ("float", {"area_ha": 1.5}), ("deep", deep(5000)),
            ("surrogate_key", {SURROGATE: "1"}), ("unknown_keys", {"bogus": "1", "x": [None]}),
            ("huge_int", {"area_ha": 10**400}), ("bytes", {"area_ha": b"1"}), ("set", {"area_ha": {1}})]

KINDS: dict[str, list[tuple[str, Any]]] = {
    "request_id": [("none", None), ("empty", ""), ("blank", "   "), ("int", 7), ("list", ["r"]),
                   ("too_long", "r" * 121), ("nul", "r\x00"), ("newline", "r\n1"), ("surrogate", SURROGATE),
                   ("bytes", b"r-1")],
    # An existing record named by id (account, parcel, estimate, pledge, order, case...).
    "ref": [("empty", ""), ("unknown", UNKNOWN), *FRAGMENTS, *BAD_STRINGS,
            *_without(WRONG_TYPES, "none")] + [("none", None)],
    # A new identifier with a format (parcel code, party id, project code, username).
    "code": [("empty", ""), ("space", "AJ BF 1"), ("chinese", "地块一"), ("too_long", "A" * 200), *FRAGMENTS,
             *BAD_STRINGS, *WRONG_TYPES],
    # Free text (reasons, names, contract numbers): fragments are legal here.
    "text": [("empty", ""), ("blank", "   "), *BAD_STRINGS, *WRONG_TYPES],
    "pos_int": BAD_INTS + [("zero", 0)],
    "nonneg_int": BAD_INTS,
    "bp": _without(BAD_INTS, "float_whole") + [("over_10000", 10_001)],
    "seq": BAD_INTS + [("zero", 0), ("unknown", 10**9)],
    "date": [("empty", ""), ("month_13", "2024-13-01"), ("feb_30", "2024-02-30"), ("word", "yesterday"),
             ("int", 20240101), ("year_0", "0000-01-01"), ("year_5_digits", "99999-01-01"),
             ("year_9999", "9999-12-31"), ("year_1", "0001-01-01"), ("year_1899", "1899-12-31"),
             ("year_2200", "2200-01-01"), ("fullwidth", "２０２４-01-01"),
             ("with_time", "2024-01-01T00:00:00+99:00"), *FRAGMENTS, *BAD_STRINGS, *_without(WRONG_TYPES, "int")],
    "date_obj": [("str", "2024-13-01"), ("int", 20240101), ("list", [2024, 1, 1]), ("surrogate", SURROGATE)],
    "ref_list": [("empty", []), ("str", "AJ-BF-0001"), ("none", None), ("int", 7), ("none_item", [None]),
                 ("int_item", [7]), ("sql_item", [SQL]), ("html_item", [HTML]), ("long_item", [LONG]),
                 ("surrogate_item", [SURROGATE]), ("dict_item", [{"parcel_code": "AJ-BF-0001"}]),
                 ("many_unknown", [f"NOPE-{i}" for i in range(5_000)]), ("dict", {"AJ-BF-0001": 1})],
    "doc": BAD_DOCS,
    "geometry": BAD_GEOMETRIES,
    "path": BAD_PATHS,
    "out_path": [("missing_dir", "/nonexistent/fuzz/out.gpkg"), ("nul", "/tmp/a\x00b.gpkg"),
                 ("surrogate", "/tmp/\udcff.gpkg"), ("directory", Lazy(lambda w: str(_paths(w) / "folder.geojson"),
                                                                      "path:folder")),
                 ("wrong_suffix", "/tmp/fuzz-out.exe"), ("none", None), ("int", 7), ("list", ["/tmp/x.gpkg"]),
                 ("long", "/tmp/" + "a" * 5000 + ".gpkg")],
    "choice": [("empty", ""), ("unknown", "nope"), *FRAGMENTS, *BAD_STRINGS, *_without(WRONG_TYPES, "none")],
    "bool": [("str_false", "false"), ("int", 2), ("none", None), ("list", []), ("nan", math.nan)],
    "bytes": [("none", None), ("str", "%PDF-1.4"), ("int", 7), ("list", [1]), ("garbage", b"%PDF-1.4\n\xff\xfe garbage")],
    "fraction": [("negative", -0.1), ("over_one", 1.5), ("nan", math.nan), ("inf", math.inf), ("str", "0.9"),
                 ("none", None), ("bool", True), ("huge", 10**400)],
    "period": [("str", "2022-01-01..2024-01-01"), ("one", ("2022-01-01",)), ("three", ("a", "b", "c")),
               ("bad_dates", ("x", "y")), ("reversed", ("2024-01-01", "2022-01-01")), ("int", 7),
               ("none_items", (None, None)), ("surrogate", (SURROGATE, SURROGATE))],
    "raster_list": [("garbage", ["garbage"]), ("missing", ["2022-01-01=/nonexistent.tif", "2024-01-01=/nonexistent.tif"]),
                    ("bad_date", ["2022-13-01=/x.tif"]), ("quantity", ["2022-01-01=/x.tif@bogus"]),
                    ("not_raster", [Lazy(lambda w: "2022-01-01=" + str(_paths(w) / "notes.txt")),
                                    Lazy(lambda w: "2024-01-01=" + str(_paths(w) / "notes.txt"))]),
                    ("str", "2022-01-01=/x.tif"), ("int_item", [7]), ("none_item", [None]), ("surrogate", [SURROGATE])],
    "path_list": [("empty", []), ("missing", ["/nonexistent/a.csv"]), ("none", None), ("str", "/nonexistent/a.csv"),
                  ("directory", [Lazy(lambda w: str(_paths(w) / "folder.geojson"), "path:folder")]),
                  ("garbage", [path_value("garbage.geojson")]), ("nul", ["/tmp/a\x00.csv"]), ("int_item", [7])],
    "opt_int": [("negative", -1), ("over_int64", 2**63), ("huge", 10**30), ("float", 1.5), ("nan", math.nan),
                ("str", "one"), ("bool", True), ("list", [1])],
}
KINDS["opt_ref"] = _without(KINDS["ref"], "none", "empty")  # "" means "not given" where optional
KINDS["opt_code"] = _without(KINDS["code"], "none", "empty")
KINDS["opt_text"] = _without(KINDS["text"], "none", "empty", "blank")
KINDS["opt_pos_int"] = _without(KINDS["pos_int"], "none")
KINDS["opt_nonneg_int"] = _without(KINDS["nonneg_int"], "none")
KINDS["opt_date"] = _without(KINDS["date"], "none", "empty")
KINDS["opt_doc"] = _without(KINDS["doc"], "none")
KINDS["opt_geometry"] = _without(KINDS["geometry"], "none")
KINDS["opt_choice"] = _without(KINDS["choice"], "none", "empty")
KINDS["opt_ref_list"] = _without(KINDS["ref_list"], "none", "empty")


def grid(kind: str) -> list[tuple[str, Any]]:
    """The named bad values of ``kind``."""
    return KINDS[kind]


# --- hypothesis: more bad values of each kind --------------------------------------------------

_wrong_type = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=20),
                        st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                               max_size=2))
_nasty_char = st.sampled_from(["\x00", "\udcff", "\x1b", "\u202e", "\ufffe", "\x7f", "\r", "\u2028"])
_nasty_text = st.builds(lambda a, c, b: a + c + b, st.text(max_size=20), _nasty_char, st.text(max_size=20))
_unknown_id = st.text(min_size=1, max_size=60).filter(lambda s: not s.startswith(("AJ-", "COL-", "ENT-", "EST-")))
_bad_int = st.one_of(st.integers(max_value=0), st.integers(min_value=2**63), st.floats(),
                     st.text(max_size=10), st.none(), st.booleans(), st.decimals(allow_nan=True).map(str))
_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
_json = st.recursive(_json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=12)
_out_of_range_date = st.one_of(  # issue 16: real dates outside sinkledger_base.checks' range
    st.dates(max_value=datetime.date(1899, 12, 31)), st.dates(min_value=datetime.date(2200, 1, 1))).map(
    lambda d: d.isoformat())
_bad_date = st.one_of(st.text(max_size=30).filter(lambda s: not _is_iso_date(s)), _nasty_text, _wrong_type,
                      _out_of_range_date)


def _is_iso_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "request_id": st.one_of(_nasty_text, st.text(min_size=121, max_size=200), _wrong_type.filter(lambda v: not isinstance(v, str))),
    "ref": st.one_of(_unknown_id, _nasty_text, _wrong_type),
    "code": st.one_of(_nasty_text, st.text(min_size=41, max_size=80), st.text(alphabet="地块 !@#$%^&*()", min_size=1),
                      _wrong_type),
    "text": st.one_of(_nasty_text, st.text(min_size=5_000, max_size=6_000), _wrong_type.filter(lambda v: not isinstance(v, str))),
    "pos_int": _bad_int,
    "nonneg_int": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.floats(), st.text(max_size=10),
                            st.none(), st.booleans()),
    "bp": st.one_of(st.integers(max_value=-1), st.integers(min_value=10_001), st.floats(), st.text(max_size=5)),
    "seq": _bad_int,
    "date": _bad_date,
    "ref_list": st.one_of(st.lists(st.one_of(_unknown_id, _nasty_text, _wrong_type), min_size=1, max_size=5),
                          _wrong_type.filter(lambda v: not isinstance(v, list)), st.just([])),
    "doc": st.one_of(_json, _wrong_type),
    "geometry": st.one_of(_json, st.text(max_size=50), st.fixed_dictionaries(
        {"type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Nope"]),
         "coordinates": _json})),
    "choice": st.one_of(_unknown_id, _nasty_text, _wrong_type.filter(lambda v: v is not None)),
    "bool": st.one_of(st.text(max_size=5), st.integers().filter(lambda i: i not in (0, 1)), st.floats(),
                      st.lists(st.booleans(), max_size=2)),
    "fraction": st.one_of(st.floats().filter(lambda f: not 0 <= f <= 1), st.text(max_size=5), st.none()),
    "opt_int": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.floats(), st.text(max_size=5)),
}
for _kind, _base in (("opt_ref", "ref"), ("opt_code", "code"), ("opt_text", "text"), ("opt_pos_int", "pos_int"),
                     ("opt_nonneg_int", "nonneg_int"), ("opt_date", "date"), ("opt_doc", "doc"),
                     ("opt_geometry", "geometry"), ("opt_choice", "choice"), ("opt_ref_list", "ref_list")):
    # Optional parameters read a falsy value ({} , 0, "", b"") as "not given": leave those out.
    STRATEGIES[_kind] = STRATEGIES[_base].filter(lambda v: isinstance(v, float) or bool(v))


def strategy(kind: str) -> st.SearchStrategy[Any]:
    """Bad values of ``kind``: the grid's, plus drawn ones where a kind has a strategy."""
    named = st.sampled_from([value for _, value in KINDS[kind]])
    return st.one_of(named, STRATEGIES[kind]) if kind in STRATEGIES else named
