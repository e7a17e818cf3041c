"""Which text encoding a Shapefile's DBF uses, and text that is garbled beyond repair.

GDAL falls back to ISO-8859-1 without a word when a DBF has no ``.cpg`` and no language-driver
id, which turns GBK Chinese into ``°²¼ªÏØ`` and UTF-8 into ``å®å¿`` (GIS_NOTES §5.4). So the
encoding is decided here, from the raw bytes, in this order:

1. a ``.cpg`` file names it: trust it;
2. the language-driver id (LDID, header byte 29) names a Chinese code page (0x4D or 0x7A: GBK
   936; 0x4F: Big5 950): trust it;
3. every text cell and field name decodes as strict UTF-8: UTF-8 (plain ASCII counts as UTF-8);
4. every one decodes as GB18030 (a superset of GBK and GB2312): GB18030;
5. otherwise the encoding that fails on fewer cells, and every failing cell is a problem.

Then every text cell is decoded strictly in that encoding and checked for text that is already
garbled: the replacement character U+FFFD, its GBK reading "锟斤拷", and Latin-1 lookalikes
(text that only makes sense when re-read as UTF-8 or GB18030). Such text is refused, never
stored: the journal keeps what it is given forever.

Known limit: a Western (cp1252) DBF with no ``.cpg`` whose accented letters happen to form
valid GB18030 pairs is read as GB18030; give the encoding explicitly for such files.
"""

from __future__ import annotations

import codecs
import re
import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sinks.problems import Problem

UTF8, GB18030 = "UTF-8", "GB18030"
CJK_LDIDS = {0x4D: GB18030, 0x7A: GB18030, 0x4F: "BIG5"}
CPG_ALIASES = {"UTF8": UTF8, "UTF-8": UTF8, "65001": UTF8, "GBK": GB18030, "936": GB18030, "CP936": GB18030,
               "GB2312": GB18030, "GB18030": GB18030, "54936": GB18030, "BIG5": "BIG5", "950": "BIG5",
               "88591": "ISO-8859-1", "ISO-8859-1": "ISO-8859-1", "ISO88591": "ISO-8859-1", "1252": "CP1252",
               "ANSI 1252": "CP1252"}
MOJIBAKE_MARKERS = ("锟斤拷", "\ufffd", "烫烫烫", "屯屯屯")
_CJK = re.compile(r"[\u3400-\u9fff]")
_HIGH_LATIN1 = re.compile(r"[\u0080-\u00ff]")


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding chosen for a DBF and why (``cpg``, ``ldid``, ``utf8``, ``gb18030``, ``given``, ``guess``)."""

    encoding: str
    source: str


@dataclass(frozen=True)
class DbfText:
    """The raw text of a DBF: field names and, per record, the bytes of each character field."""

    ldid: int
    field_names: list[bytes]
    records: list[dict[bytes, bytes]]


def read_dbf_text(data: bytes) -> DbfText:
    """Parse the header and the character (``C``) fields of a dBASE III/IV file.

    Raises
    ------
    ValueError
        If the header is truncated or inconsistent.
    """
    if len(data) < 32:
        raise ValueError("DBF header truncated")
    count, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields, offset, pos = [], 1, 32
    while pos + 32 <= header_len and data[pos] != 0x0D:
        name, kind, length = data[pos:pos + 11].split(b"\0")[0], chr(data[pos + 11]), data[pos + 16]
        fields.append((name, kind, offset, length))
        offset, pos = offset + length, pos + 32
    if record_len <= 0 or header_len + count * record_len > len(data) + record_len:
        raise ValueError("DBF records truncated")
    text_fields = [(n, o, ln) for n, k, o, ln in fields if k == "C"]
    records = []
    for i in range(count):
        record = data[header_len + i * record_len: header_len + (i + 1) * record_len]
        records.append({n: record[o:o + ln].rstrip(b" \0") for n, o, ln in text_fields})
    return DbfText(data[29], [f[0] for f in fields], records)


def encoding_from_cpg(text: str) -> str | None:
    """The Python codec a ``.cpg`` names, or ``None`` if it names none we know."""
    name = text.strip().upper()
    name = CPG_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name.upper().replace("_", "-") if name not in CPG_ALIASES.values() else name
    except LookupError:
        return None


def _cells(dbf: DbfText) -> Iterator[tuple[int | None, str, bytes]]:
    for name in dbf.field_names:
        yield None, "field_name", name
    for row, record in enumerate(dbf.records, start=1):
        for name, value in record.items():
            yield row, name.decode("latin-1"), value


def _failures(dbf: DbfText, encoding: str) -> list[tuple[int | None, str, bytes]]:
    out = []
    for row, field, raw in _cells(dbf):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            out.append((row, field, raw))
    return out


def choose_encoding(dbf: DbfText, cpg_text: str | None = None, given: str | None = None) -> EncodingChoice:
    """Decide the encoding of a DBF (module docstring: the order of the rules).

    Examples
    --------
    >>> dbf = DbfText(0, [b"NAME"], [{b"NAME": "安吉县".encode("gbk")}])
    >>> choose_encoding(dbf)
    EncodingChoice(encoding='GB18030', source='gb18030')
    >>> choose_encoding(DbfText(0, [b"NAME"], [{b"NAME": "安吉县".encode("utf-8")}])).encoding
    'UTF-8'
    """
    if given:
        return EncodingChoice(encoding_from_cpg(given) or given, "given")
    if cpg_text is not None and encoding_from_cpg(cpg_text):
        return EncodingChoice(encoding_from_cpg(cpg_text), "cpg")  # type: ignore[arg-type]
    if dbf.ldid in CJK_LDIDS:
        return EncodingChoice(CJK_LDIDS[dbf.ldid], "ldid")
    utf8_failures = len(_failures(dbf, UTF8))
    if utf8_failures == 0:
        return EncodingChoice(UTF8, "utf8")
    gb_failures = len(_failures(dbf, GB18030))
    if gb_failures == 0:
        return EncodingChoice(GB18030, "gb18030")
    return EncodingChoice(UTF8 if utf8_failures < gb_failures else GB18030, "guess")


def garbled_reason(text: str) -> str | None:
    """Why ``text`` looks like mojibake, or ``None``.

    Examples
    --------
    >>> garbled_reason("锟斤拷锟斤拷"), garbled_reason("°²¼ªÏØ"), garbled_reason("å®\\x89å\\x90\\x89")
    ('replacement_characters', 'latin1_lookalike', 'latin1_lookalike')
    >>> garbled_reason("安吉县"), garbled_reason("Grönland"), garbled_reason("Crème brûlée")
    (None, None, None)
    """
    if any(marker in text for marker in MOJIBAKE_MARKERS):
        return "replacement_characters"
    if len(_HIGH_LATIN1.findall(text)) < 2 or any(ord(c) > 0xFF for c in text):
        return None
    raw = text.encode("latin-1")
    if _decodes(raw, UTF8) is not None:
        return "latin1_lookalike"
    decoded = _decodes(raw, GB18030)
    if decoded is not None and _looks_like_gb2312_pairs(text) and len(_CJK.findall(decoded)) >= 2:
        return "latin1_lookalike"
    return None


def _decodes(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def _looks_like_gb2312_pairs(text: str) -> bool:
    """GBK Chinese read as Latin-1 gives runs of paired characters in U+00A1-U+00FE."""
    runs = re.findall(r"[\u0080-\u00ff]+", text)
    return all(len(r) % 2 == 0 and all("\u00a1" <= c <= "\u00fe" for c in r) for r in runs)


def text_problems(dbf: DbfText, encoding: str) -> list[Problem]:
    """One problem per field name or cell that does not decode strictly, or decodes garbled."""
    problems = []
    for row, field, raw in _cells(dbf):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            problems.append(Problem("text_undecodable", row=row, field=field, encoding=encoding,
                                    sample=raw[:24].hex(" ")))
            continue
        reason = garbled_reason(text)
        if reason:
            problems.append(Problem("text_garbled", row=row, field=field, reason=reason, sample=text[:24]))
    return problems


def garbled_value_problems(rows: list[dict[str, object]]) -> list[Problem]:
    """Garbled text in already-decoded rows (GeoJSON, GeoPackage, KML are UTF-8 by definition)."""
    problems = []
    for row, values in enumerate(rows, start=1):
        for field, value in values.items():
            reason = garbled_reason(value) if isinstance(value, str) else None
            if reason:
                problems.append(Problem("text_garbled", row=row, field=field, reason=reason, sample=value[:24]))
    return problems


def garbled_column_problems(segments: Iterable[tuple[int, Sequence[str], Sequence[list[object]]]]) -> list[Problem]:
    """:func:`garbled_value_problems` of rows held by column: ``(first row (0-based), column
    names, values per column)`` per run of rows; each distinct text is looked at once."""
    found: list[tuple[int, int, Problem]] = []
    for first, names, columns in segments:
        for order, (name, values) in enumerate(zip(names, columns)):
            types = set(map(type, values))
            if str not in types:
                continue
            joined = "\x00".join(values if types == {str} else [v for v in values if isinstance(v, str)])
            if not _may_be_garbled(joined):
                continue
            texts = dict.fromkeys(v for v in values if isinstance(v, str))
            reasons = {v: garbled_reason(v) for v in texts}
            if not any(reasons.values()):
                continue
            for i, value in enumerate(values):
                reason = reasons.get(value) if isinstance(value, str) else None
                if reason:
                    found.append((first + i, order, Problem("text_garbled", row=first + i + 1, field=name,
                                                            reason=reason, sample=value[:24])))
    found.sort(key=lambda f: (f[0], f[1]))
    return [p for _, _, p in found]


def _may_be_garbled(text: str) -> bool:
    """``False`` when :func:`garbled_reason` is ``None`` for every part of ``text`` (parts joined
    by NUL): no mojibake marker and no Latin-1 letter anywhere."""
    return any(marker in text for marker in MOJIBAKE_MARKERS) or _HIGH_LATIN1.search(text) is not None
