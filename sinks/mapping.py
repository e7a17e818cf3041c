"""Which column of a parcel file fills which parcel field: the default mapping and overrides.

The default mapping recognises the English field names and the Chinese column names forestry
offices use (小班号, 面积, 权属, 林权证号 ...); ``docs/parcels.md`` prints the whole table, generated
from :data:`FIELD_ALIASES` and the sink types' attributes. A user's mapping ``{column: field}``
overrides it (``field`` ``"-"`` ignores a column), e.g. ``{"面积": "declared_area_ha"}`` when the
file's areas are in hectares, or ``{"name": "parcel_code"}`` for a KML.

Columns that map to nothing are dropped with a notice, not stored: a file may carry household
names or phone numbers, and parcels and the journal must hold none (PIPL). A user may keep more
columns as extra attributes, except ones whose names say they hold personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sinks import SINK_TYPES
from sinks.problems import Problem

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "parcel_code": ("parcel_code", "parcel_cod", "code", "地块编号", "地块代码", "地块号", "小班号", "小班编号", "XBH", "XIAO_BAN"),
    "sink_type": ("sink_type", "碳汇类型", "地块类型"),
    "holder": ("holder_party_id", "holder", "holder_name", "holder_name_zh", "权利人", "经营主体", "权属单位",
               "林地使用权权利人", "LQ_QLR"),
    "county_code": ("county_code", "county", "县代码", "县级代码", "XIAN"),
    "tenure_cert_no": ("tenure_cert_no", "cert_no", "林权证号", "林权证编号", "权证号", "证书号", "不动产权证号",
                       "土地承包经营权证号", "承包经营权证号"),
    "tenure_cert_kind": ("tenure_cert_kind", "cert_kind", "权证类型", "证书类型"),
    "tenure_ownership": ("tenure_ownership", "ownership", "权属", "土地权属", "林地所有权", "TDQS"),
    "declared_area_mu": ("declared_area_mu", "decl_mu", "面积", "面积亩", "面积_亩", "林地面积", "证载面积", "MIAN_JI"),
    "declared_area_ha": ("declared_area_ha", "面积公顷", "面积_公顷"),
    "declared_area_m2": ("declared_area_m2", "面积平方米"),
    "household_shares": ("household_shares", "农户份额", "份额"),
}
IGNORE = "-"
PERSONAL_DATA = re.compile(r"姓名|身份证|证件号|电话|手机|银行|账号|卡号|户主|联系人|住址|id_?card|phone|mobile|"
                           r"bank|person|owner_name|household_name", re.IGNORECASE)


def attribute_fields() -> dict[str, tuple[str, ...]]:
    """Every sink type's attributes with their aliases (names are unique across sink types)."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in SINK_TYPES.values():
        for f in spec.attributes:
            out[f.name] = (f.name, *f.aliases)
    return out


def all_targets() -> dict[str, tuple[str, ...]]:
    return {**FIELD_ALIASES, **attribute_fields()}


@dataclass(frozen=True)
class ColumnMap:
    """``field → column`` for mapped fields, and the columns kept as extra attributes."""

    columns_by_field: dict[str, str] = field(default_factory=dict)
    kept: tuple[str, ...] = ()


def build_column_map(columns: list[str], overrides: Mapping[str, str] | None = None,
                     keep_columns: tuple[str, ...] = ()) -> tuple[ColumnMap, list[Problem], list[Problem]]:
    """Map a file's columns to parcel fields.

    Returns
    -------
    column_map, problems, notices
        Problems: an override naming an unknown column or field, two columns for one field, a
        kept column that holds personal data. Notices: the columns dropped.

    Examples
    --------
    >>> cmap, problems, notices = build_column_map(["小班号", "面积", "户主姓名"], {"面积": "declared_area_ha"})
    >>> cmap.columns_by_field, problems, notices[0].params["columns"]
    ({'parcel_code': '小班号', 'declared_area_ha': '面积'}, [], '户主姓名')
    """
    overrides, targets = _match_case(dict(overrides or {}), columns), all_targets()
    keep_columns = tuple(_match_case({c: c for c in keep_columns}, columns))
    problems = [Problem("mapping_column_unknown", column=c) for c in [*overrides, *keep_columns] if c not in columns]
    problems += [Problem("mapping_field_unknown", column=c, target=t) for c, t in overrides.items()
                 if t != IGNORE and t not in targets]
    by_field: dict[str, str] = {}
    for column in columns:
        target = overrides.get(column) or _default_target(column, targets)
        if target is None or target == IGNORE or target not in targets or column in keep_columns:
            continue
        if target in by_field:
            problems.append(Problem("mapping_field_twice", target=target, columns=f"{by_field[target]}, {column}"))
            continue
        by_field[target] = column
    problems += [Problem("column_holds_personal_data", column=c) for c in [*keep_columns, *by_field.values()]
                 if PERSONAL_DATA.search(c)]
    dropped = [c for c in columns if c not in by_field.values() and c not in keep_columns]
    notices = [Problem("columns_dropped", columns=", ".join(dropped))] if dropped else []
    return ColumnMap(by_field, tuple(c for c in keep_columns if c in columns)), problems, notices


def _match_case(given: dict[str, str], columns: list[str]) -> dict[str, str]:
    """Name columns as the file spells them when the user's spelling differs only in case (KML: Name)."""
    lower = {c.lower(): c for c in columns}
    return {(k if k in columns else lower.get(k.lower(), k)): v for k, v in given.items()}


def _default_target(column: str, targets: dict[str, tuple[str, ...]]) -> str | None:
    key = column.strip().lower()
    return next((t for t, aliases in targets.items() if key in (a.lower() for a in aliases)), None)


def row_fields(values: Mapping[str, Any], cmap: ColumnMap, defaults: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(fields, kept)`` of one row: mapped values (defaults fill blanks) and the kept columns."""
    fields = {target: values.get(column) for target, column in cmap.columns_by_field.items()}
    for target, value in defaults.items():
        if _blank(fields.get(target)):
            fields[target] = value
    return fields, {c: values.get(c) for c in cmap.kept}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
