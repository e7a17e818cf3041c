"""Canonical JSON (sinkledger_base.canonical): the orjson implementation gives, for any content,
exactly the text (or the exception) of the json.dumps definition every journal was hashed over;
floats are refused wherever they hide; and for contents within RFC 8785's domain the text is the
JSON Canonicalization Scheme's, except for one class of key orders pinned down below."""

from __future__ import annotations

import enum
import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sinkledger_base.canonical import canonical_bytes, canonical_json, sha256_hex


# --- the definition: the implementation every journal so far was hashed with ------------

def _reject_floats_reference(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): _reject_floats_reference(v) for k, v in value.items()}
    if kind is list:
        return [_reject_floats_reference(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not allowed in ledger records; use integers or decimal strings")
    if isinstance(value, Mapping):
        return {str(k): _reject_floats_reference(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reject_floats_reference(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _canonical_json_reference(value: Any) -> str:
    return json.dumps(_reject_floats_reference(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- contents -----------------------------------------------------------------------------

class Colour(enum.Enum):
    red = "红"
    blue = 2


class Grade(enum.IntEnum):
    low = 1
    high = 10**20  # beyond 64 bits


class Code(str, enum.Enum):  # str(member) is "Code.a", not its value
    a = "a-value"


class Tag(str):
    """A str subclass whose str() differs from its text."""
    def __str__(self) -> str:
        return "tag:" + self


class Count(int):
    pass


class Frozen(Mapping):  # a Mapping that is not a dict
    def __init__(self, items: dict) -> None:  # type: ignore[type-arg]
        self._items = dict(items)

    def __getitem__(self, key: Any) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


TRICKY_CHARS = ["\x00", "\x01", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f", "\x7f", "\x80", "\u2028", "\u2029",
                "/", "\\", '"', "'", "<", "&", "湿", "地", "😀", "\ue000", "\uffff", "\U00010000", "\U0010ffff",
                "\ufeff", "é"]
TRICKY_TEXTS = ["碳汇", "👨\u200d👩\u200d👧", "e\u0301", "\r\n", "</script>"]
LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]

chars = st.one_of(st.characters(), st.sampled_from(TRICKY_CHARS))
texts = st.one_of(st.text(chars, max_size=12), st.text(st.one_of(chars, st.sampled_from(LONE_SURROGATES)), max_size=6),
                  st.lists(st.sampled_from(TRICKY_CHARS + TRICKY_TEXTS), max_size=4).map("".join))
INT_EDGES = [0, -1, 2**31, 2**53 - 1, 2**53, -(2**53), 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64,
             -(2**64), 10**30, -(10**30)]
ints = st.one_of(st.integers(), st.sampled_from(INT_EDGES), st.integers(min_value=-(2**70), max_value=2**70))
dates = st.one_of(st.dates(), st.datetimes(timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=8))])))
exotic = st.one_of(st.sampled_from([Colour.red, Colour.blue, Grade.low, Grade.high, Code.a]),
                   texts.map(Tag), ints.map(Count), dates)
scalars = st.one_of(texts, ints, st.booleans(), st.none())
keys = st.one_of(texts, ints, st.sampled_from(["1", "-1", "a", "\ue000", "\uffff", "😀", True, None, Code.a, Colour.red]),
                 texts.map(Tag))


def containers(children: st.SearchStrategy[Any], key: st.SearchStrategy[Any] = keys) -> st.SearchStrategy[Any]:
    dicts = st.dictionaries(key, children, max_size=5)
    return st.one_of(st.lists(children, max_size=5), dicts, st.lists(children, max_size=4).map(tuple),
                     dicts.map(OrderedDict), dicts.map(Frozen), dicts.map(MappingProxyType))


plain = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=5),
                                                          st.dictionaries(texts, children, max_size=5)), max_leaves=40)
contents = st.recursive(st.one_of(scalars, exotic), containers, max_leaves=40)


def outcome(call: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", call(value)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return "raised", type(error)


# --- the same text, the same refusals -------------------------------------------------------

@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(contents)
@example({1: "int key", "1": "text key"})  # both become "1": the last one wins, once
@example({"b": [1, (2, 3)], "a": OrderedDict([("z", Colour.red), ("y", date(2024, 2, 29))])})
@example({Code.a: 1, Tag("k"): 2, True: 3, None: 4})  # keys by str(): "Code.a", "tag:k", "True", "None"
@example({"x": 2**64, "y": -(2**63) - 1, "z": Grade.high})
@example({"s": "\ud800"})
@example(datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=timezone.utc))
def test_canonical_json_is_the_reference_text_or_the_reference_refusal(value):
    expected = outcome(_canonical_json_reference, value)
    assert outcome(canonical_json, value) == expected
    assert outcome(canonical_bytes, value) == outcome(lambda v: _canonical_json_reference(v).encode("utf-8"), value)
    assert outcome(lambda v: sha256_hex(canonical_json(v)), value) == outcome(
        lambda v: hashlib.sha256(_canonical_json_reference(v).encode("utf-8")).hexdigest(), value)


@settings(max_examples=200)
@given(plain)
def test_plain_contents_take_orjson_and_give_the_reference_text(value):
    """Dicts with text keys, lists, text, integers, booleans, None: the fast path's domain."""
    expected = outcome(_canonical_json_reference, value)
    assert outcome(canonical_json, value) == expected


def test_deep_nesting_beyond_orjsons_limit_falls_back_to_the_same_text():
    value: Any = "leaf"
    for i in range(300):  # orjson stops at 255 levels
        value = [value] if i % 2 else {"k": value}
    assert canonical_json(value) == _canonical_json_reference(value)


def test_escapes_match_json_dumps_for_every_control_and_separator_character():
    text = "".join(chr(c) for c in range(0x00, 0xa0)) + "\u2028\u2029\ufeff/\\\"😀"
    assert canonical_json({"k": text, text: 1}) == _canonical_json_reference({"k": text, text: 1})
    assert canonical_json("\u2028/") == '"\u2028/"'  # neither escaped, as json.dumps does
    assert canonical_json("\x1f\x7f") == '"\\u001f\x7f"'


# --- floats, wherever they are --------------------------------------------------------------

floats = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1.0, float("nan"), float("inf"), -float("inf"), 1e300]))


def hide(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A container holding ``children`` (which holds a float) among other contents."""
    others = st.lists(contents, max_size=3)
    in_list = st.builds(lambda c, xs, i: xs[:i] + [c] + xs[i:], children, others, st.integers(0, 3))
    in_dict = st.builds(lambda c, d, k: {**d, k: c}, children, st.dictionaries(texts, contents, max_size=3), texts)
    return st.one_of(in_list, in_list.map(tuple), in_dict, in_dict.map(OrderedDict), in_dict.map(Frozen))


with_float = st.recursive(floats, hide, max_leaves=10)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(with_float)
def test_floats_anywhere_are_refused(value):
    with pytest.raises(TypeError, match="floats are not allowed"):
        canonical_json(value)
    with pytest.raises(TypeError, match="floats are not allowed"):
        canonical_bytes(value)


# --- RFC 8785 (JCS) -------------------------------------------------------------------------

JCS_KEY_CHARS = ["a", "b", "é", "湿", "\ue000", "\uffff", "😀", "\U00010000", "\U0010ffff"]
jcs_texts = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from(TRICKY_CHARS)), max_size=8)
jcs_keys = st.one_of(jcs_texts, st.text(st.sampled_from(JCS_KEY_CHARS), max_size=3))
jcs_scalars = st.one_of(jcs_texts, st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1), st.booleans(), st.none())
jcs_contents = st.recursive(jcs_scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(jcs_keys, children, max_size=6)), max_leaves=40)


def key_orders_agree(value: Any) -> bool:
    """True if every dict's keys sort the same by code points (ours) and by UTF-16 code units (JCS)."""
    if isinstance(value, dict):
        return (sorted(value) == sorted(value, key=lambda k: k.encode("utf-16-be"))
                and all(key_orders_agree(v) for v in value.values()))
    if isinstance(value, list):
        return all(key_orders_agree(v) for v in value)
    return True


@settings(max_examples=250)
@given(jcs_contents)
@example({"\uffff": 1, "😀": 2})
@example({"a\ue000": 1, "a\U00010000": 2, "b": 3})
def test_within_jcs_domain_the_text_is_jcs_except_astral_against_high_bmp_keys(value):
    """Same bytes as RFC 8785 exactly when no dict has two keys that first differ at a character
    U+E000..U+FFFF against one beyond U+FFFF (JCS sorts by UTF-16 code units, where a surrogate
    pair, 0xD800..0xDBFF, comes before 0xE000..0xFFFF; we sort by code points)."""
    ours, jcs = canonical_bytes(value), rfc8785.dumps(value)
    assert (ours == jcs) == key_orders_agree(value)
    assert json.loads(ours) == json.loads(jcs)


def test_the_one_difference_from_jcs_spelled_out():
    value = {"\uffff": 1, "😀": 2}
    assert canonical_json(value) == '{"\uffff":1,"😀":2}'
    assert rfc8785.dumps(value).decode("utf-8") == '{"😀":2,"\uffff":1}'


# --- golden: the bytes and hash of a journal entry body -------------------------------------

SALE_BODY = {
    "seq": 41, "kind": "sale", "request_id": "sale-2026-0001", "actor": "clerk", "recorded_at": "2026-01-01T08:00:00",
    "payload": {"seller_account": "COL-1-H", "buyer_account": "ENT-1-H", "quantity": 15, "price_fen_per_t": 7341,
                "amount_fen": 110115, "contract_no": "合同-2026/001",
                "moves": [{"batch_id": "CN330523-BF-AJBF01-2024", "first": 101, "last": 115, "from_account": "COL-1-H",
                           "from_state": "held", "to_account": "ENT-1-H", "to_state": "held", "tag": None}],
                "result": {"blocks": [{"batch_id": "CN330523-BF-AJBF01-2024", "quantity": 15, "vintage_year": 2024,
                                       "serials": "CN330523-BF-AJBF01-2024-000000101..000000115"}], "ok": True}},
}
SALE_TEXT = ('{"actor":"clerk","kind":"sale","payload":{"amount_fen":110115,"buyer_account":"ENT-1-H",'
             '"contract_no":"合同-2026/001","moves":[{"batch_id":"CN330523-BF-AJBF01-2024","first":101,'
             '"from_account":"COL-1-H","from_state":"held","last":115,"tag":null,"to_account":"ENT-1-H",'
             '"to_state":"held"}],"price_fen_per_t":7341,"quantity":15,"result":{"blocks":[{"batch_id":'
             '"CN330523-BF-AJBF01-2024","quantity":15,"serials":"CN330523-BF-AJBF01-2024-000000101..000000115",'
             '"vintage_year":2024}],"ok":true},"seller_account":"COL-1-H"},"recorded_at":"2026-01-01T08:00:00",'
             '"request_id":"sale-2026-0001","seq":41}')


def test_a_sale_body_keeps_its_text_and_hash():
    assert canonical_json(SALE_BODY) == SALE_TEXT == _canonical_json_reference(SALE_BODY)
    assert canonical_bytes(SALE_BODY) == SALE_TEXT.encode("utf-8")
    assert sha256_hex(canonical_json(SALE_BODY)) == "b74780509a6a8fdcb9f1e59158ed3c961640d946dfc3eff29ae9134df90fcb44"
