"""A file of sales (Excel ``.xlsx`` or CSV) read into sale requests, every problem as a value.

A trading-centre clerk keeps a day's sales in a spreadsheet, one sale a row: seller, buyer,
quantity in tonnes, unit price, contract number, sale date, contract date. This module reads such
a sheet and nothing more: it knows the column names (Chinese or English, e.g. 卖方账户 / 买方 /
数量（吨） / 单价（元/吨） / 合同编号 / 成交日期 / 合同日期, or ``seller_account`` /
``buyer_account`` / ``quantity_t`` / ``price_yuan_per_t`` / ``contract_no`` / ``sale_date`` /
``contract_date``), turns each cell into the value a sale takes, and lists every problem of every
row at once (beancount style) as problem records ``{"row", "field", "code", "details"}`` whose text
the catalogue renders. The rules of a sale itself (balances, accounts, dates against the day of
recording) are the ledger's: :mod:`sinkledger.services.sales_import` runs them row by row.

**The price's unit is never guessed.** The price column must say it: 元/吨 (yuan per tonne, at most
two decimals) or 分/吨 (fen per tonne, whole). A price column without a unit refuses the file
(``sales_price_unit_missing``), and a fen price with decimals is refused as the slip it most often
is, a yuan price in the fen column (``price_fen_not_whole``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sinkledger_base.canonical import canonical_bytes
from sinkledger_base.checks import ascii_number_text, in_date_range
from sinkledger_base.errors import InvalidInput
from sinkledger_base.money import parse_yuan

MAX_ROWS = 5000  # sales in one file: a trading day's are tens; more is another file
FORMATS = ("xlsx", "csv")
YUAN, FEN = "yuan", "fen"

# field → the column names it is known by, compared after NFKC (full-width brackets and slashes
# become ASCII), lower case, and without spaces, '_' and '-'. The price has one field per unit.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "seller": ("卖方账户", "卖方", "卖方账号", "出让方", "出让方账户", "seller", "selleraccount", "from"),
    "buyer": ("买方账户", "买方", "买方账号", "受让方", "受让方账户", "buyer", "buyeraccount", "to"),
    "quantity_t": ("数量(吨)", "数量", "成交数量(吨)", "成交数量", "数量(tco2e)", "数量(吨co2e)", "quantity",
                   "quantityt", "quantity(t)", "quantity(tco2e)"),
    "price_yuan": ("单价(元/吨)", "成交单价(元/吨)", "价格(元/吨)", "单价(元)", "priceyuanpert", "price(yuan/t)",
                   "unitprice(yuan/t)", "priceyuan"),
    "price_fen": ("单价(分/吨)", "成交单价(分/吨)", "价格(分/吨)", "单价(分)", "pricefenpert", "price(fen/t)",
                  "unitprice(fen/t)", "pricefen"),
    "price_unitless": ("单价", "成交单价", "价格", "price", "unitprice"),
    "contract_no": ("合同编号", "合同号", "交易合同编号", "contract", "contractno", "contractnumber"),
    "sale_date": ("成交日期", "交易日期", "saledate", "date"),
    "contract_date": ("合同日期", "合同签订日期", "签订日期", "contractdate"),
}
REQUIRED = ("seller", "buyer", "quantity_t", "contract_no")  # and a price, in one unit or the other
# The template's columns, per language (the importer reads either).
TEMPLATE_COLUMNS = {
    "zh": ("卖方账户", "买方账户", "数量（吨）", "单价（元/吨）", "合同编号", "成交日期", "合同日期"),
    "en": ("seller_account", "buyer_account", "quantity_t", "price_yuan_per_t", "contract_no", "sale_date",
           "contract_date"),
}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?")


def column_key(name: Any) -> str:
    """A column name as compared: ``"单价（元/吨）"`` → ``"单价(元/吨)"``, ``"Price_Yuan_per_t"`` →
    ``"priceyuanpert"``.

    >>> column_key("数量（吨）"), column_key(" Sale date ")
    ('数量(吨)', 'saledate')
    """
    text = unicodedata.normalize("NFKC", "" if name is None else str(name)).strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


_FIELD_OF = {column_key(name): field for field, names in COLUMN_NAMES.items() for name in names}


@dataclass(frozen=True)
class SaleLine:
    """One row of the file as a sale request; ``None`` where its cell could not be read."""

    row: int  # the spreadsheet's own row number (the header is usually row 1)
    seller: str
    buyer: str
    quantity: int | None
    price_fen_per_t: int | None
    contract_no: str
    sale_date: str | None
    contract_date: str | None

    def to_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SalesFile:
    """What a file holds: its lines, the price unit it declared, its problems (file and rows), the
    columns it had that no field uses, and the digest of its lines (a re-saved copy has the same)."""

    name: str
    lines: list[SaleLine]
    price_unit: str | None
    problems: list[dict[str, Any]]
    ignored_columns: list[str]
    columns: dict[str, str]  # field → the column name as the file spells it

    @property
    def digest(self) -> str:
        """SHA-256 of the lines read (not of the bytes: saving the same sheet again changes those)."""
        return hashlib.sha256(canonical_bytes([line.to_record() for line in self.lines])).hexdigest()


def problem(code: str, row: int | None = None, field: str | None = None, **details: Any) -> dict[str, Any]:
    """A problem record, as the catalogue renders them (``row`` None: the whole file)."""
    out: dict[str, Any] = {"row": row, "field": field, "code": code}
    if details:
        out["details"] = details
    return out


def file_format(name: str) -> str:
    """``xlsx`` or ``csv`` from the file's name; anything else refused (``file_format_unsupported``)."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in FORMATS:
        raise InvalidInput("file_format_unsupported", file_format=suffix or name[:40], supported=", ".join(FORMATS))
    return suffix


def read_sales_file(data: bytes, name: str) -> SalesFile:
    """Read every row of ``data`` (the bytes of the file called ``name``).

    Raises
    ------
    InvalidInput
        ``file_format_unsupported`` (not .xlsx or .csv), ``file_unreadable`` (not a workbook, or
        text in no known encoding), ``sales_file_empty`` (no header or no sale row),
        ``sales_file_too_many_rows`` (more than :data:`MAX_ROWS` rows). Problems of columns and
        cells are not raised: they are listed in the result.
    """
    rows = _table_rows(data, file_format(name))
    header_at = next((i for i, (_, cells) in enumerate(rows) if any(_text(c) for c in cells)), None)
    if header_at is None or header_at == len(rows) - 1:
        raise InvalidInput("sales_file_empty", source=name)
    header, body = rows[header_at][1], rows[header_at + 1:]
    if len(body) > MAX_ROWS:
        raise InvalidInput("sales_file_too_many_rows", source=name, rows=len(body), max_rows=MAX_ROWS)
    columns, ignored, problems = _columns(header)
    names = {field: _text(header[i]) for field, i in columns.items()}
    unit = YUAN if "price_yuan" in columns else FEN if "price_fen" in columns else None
    lines = []
    if not problems:
        for number, cells in body:
            line, found = _line(number, cells, columns, names)
            lines.append(line)
            problems += found
    return SalesFile(name=name, lines=lines, price_unit=unit, problems=problems, ignored_columns=ignored,
                     columns=names)


def _table_rows(data: bytes, kind: str) -> list[tuple[int, list[Any]]]:
    """(row number, cells) of the first sheet, rows with no value left out."""
    if kind == "xlsx":
        raw = _xlsx_rows(data)
    else:
        raw = list(csv.reader(io.StringIO(_decode(data)), _dialect(_decode(data))))
    return [(n, list(cells)) for n, cells in enumerate(raw, start=1) if any(_text(c) for c in cells)]


def _xlsx_rows(data: bytes) -> list[tuple[Any, ...]]:
    # deferred on purpose: openpyxl loads only when a spreadsheet is read
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any failure to open the workbook is the file's
        raise InvalidInput("file_unreadable", reason=f"{type(exc).__name__}: {str(exc)[:120]}") from exc
    try:
        return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without its mark), else GB18030 (what Excel on a Chinese system writes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("file_unreadable", reason="text in neither UTF-8 nor GB18030")


def _dialect(text: str) -> Any:
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _columns(header: list[Any]) -> tuple[dict[str, int], list[str], list[dict[str, Any]]]:
    """field → column index; the names of columns no field uses; the columns' problems."""
    found: dict[str, list[int]] = {}
    ignored = []
    for i, name in enumerate(header):
        field = _FIELD_OF.get(column_key(name))
        if field is None:
            if _text(name):
                ignored.append(_text(name))
            continue
        found.setdefault(field, []).append(i)
    problems = []
    for field, where in found.items():
        if len(where) > 1:
            problems.append(problem("sales_column_repeated", None, _text(header[where[0]]),
                                    columns=", ".join(_text(header[i]) for i in where)))
    if "price_unitless" in found:
        problems.append(problem("sales_price_unit_missing", None, _text(header[found["price_unitless"][0]]),
                                column=_text(header[found["price_unitless"][0]])))
    elif "price_yuan" in found and "price_fen" in found:
        problems.append(problem("sales_column_repeated", None, "price", columns=", ".join(
            _text(header[found[f][0]]) for f in ("price_yuan", "price_fen"))))
    missing = [f for f in REQUIRED if f not in found]
    if not ({"price_yuan", "price_fen", "price_unitless"} & found.keys()):
        missing.append("price")
    if missing:
        problems.append(problem("sales_columns_missing", None, None,
                                columns=", ".join(TEMPLATE_COLUMNS["zh"][_TEMPLATE_INDEX[f]] + " / "
                                                  + TEMPLATE_COLUMNS["en"][_TEMPLATE_INDEX[f]] for f in missing)))
    return {f: where[0] for f, where in found.items()}, ignored, problems


_TEMPLATE_INDEX = {"seller": 0, "buyer": 1, "quantity_t": 2, "price": 3, "contract_no": 4}


def _line(number: int, cells: list[Any], columns: dict[str, int], names: dict[str, str]) -> tuple[SaleLine, list]:
    problems: list[dict[str, Any]] = []

    def cell(field: str) -> Any:
        i = columns.get(field)
        return cells[i] if i is not None and i < len(cells) else None

    def required_text(field: str) -> str:
        value = _text(cell(field))
        if not value:
            problems.append(problem("field_required", number, names[field]))
        return value

    seller, buyer, contract_no = required_text("seller"), required_text("buyer"), required_text("contract_no")
    quantity = _quantity(cell("quantity_t"), number, names["quantity_t"], problems)
    if "price_yuan" in columns:
        price = _price_yuan(cell("price_yuan"), number, names["price_yuan"], problems)
    else:
        price = _price_fen(cell("price_fen"), number, names["price_fen"], problems)
    dates = {field: _day(cell(field), number, names.get(field, field), problems) for field in ("sale_date", "contract_date")}
    return SaleLine(row=number, seller=seller, buyer=buyer, quantity=quantity, price_fen_per_t=price,
                    contract_no=contract_no, **dates), problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an account or contract number Excel stored as a number
    return str(value).strip()


def _number(value: Any) -> Decimal | None:
    """A cell as an exact number (Excel's floats by their shortest text), None if not one."""
    if isinstance(value, bool) or value is None:
        return None
    text = repr(value) if isinstance(value, float) else str(value).strip().replace(",", "").replace("，", "")
    if not text or not ascii_number_text(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _quantity(value: Any, row: int, column: str, problems: list) -> int | None:
    if not _text(value):
        problems.append(problem("field_required", row, column))
        return None
    number = _number(value)
    if number is None or number <= 0 or number != number.to_integral_value():
        problems.append(problem("quantity_not_whole_tonnes", row, column, value=_text(value)[:40]))
        return None
    return int(number)


def _price_yuan(value: Any, row: int, column: str, problems: list) -> int | None:
    if not _text(value):
        problems.append(problem("field_required", row, column))
        return None
    number = _number(value)
    try:
        return parse_yuan(str(number) if number is not None else _text(value))
    except ValueError:
        problems.append(problem("price_yuan_unreadable", row, column, value=_text(value)[:40]))
        return None


def _price_fen(value: Any, row: int, column: str, problems: list) -> int | None:
    if not _text(value):
        problems.append(problem("field_required", row, column))
        return None
    number = _number(value)
    if number is not None and number >= 0 and number != number.to_integral_value():
        problems.append(problem("price_fen_not_whole", row, column, value=_text(value)[:40]))
        return None
    if number is None or number < 0:
        problems.append(problem("price_fen_unreadable", row, column, value=_text(value)[:40]))
        return None
    return int(number)


def _day(value: Any, row: int, column: str, problems: list) -> str | None:
    """A date cell (Excel's date, or text such as 2025-03-17, 2025/3/17, 2025年3月17日), ISO; blank: None."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day: date | None = value
    elif not _text(value):
        return None
    else:
        match = _DATE_TEXT.fullmatch(unicodedata.normalize("NFKC", _text(value)))
        try:
            day = date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            day = None
    if day is None or not in_date_range(day):
        problems.append(problem("date_unreadable", row, column, value=_text(value)[:40]))
        return None
    return day.isoformat()


def template_xlsx(lang: str, notes: list[tuple[str, str]], sheet_title: str, notes_title: str) -> bytes:
    """An empty sales sheet with the columns in ``lang`` (a second sheet: ``notes``, column → what
    goes in it), for a clerk to fill in and import."""
    # deferred on purpose: openpyxl loads only when a spreadsheet is written
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append(list(TEMPLATE_COLUMNS["zh" if lang == "zh" else "en"]))
    for i, cell in enumerate(sheet[1], start=1):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 18 if i != 5 else 24
    for column in ("F", "G"):  # dates as dates: Excel then offers its date picker
        for row in range(2, 202):
            sheet[f"{column}{row}"].number_format = "yyyy-mm-dd"
    help_sheet = book.create_sheet(notes_title[:31])
    for column, note in notes:
        help_sheet.append([column, note])
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
