"""The second process of a full verify decodes a pledge's or a release's body for the few payload
fields the pledge audit reads (``ledger.audit._skims``): whatever the body holds, what it gives the
audits is what a whole parse gives them, or it declines and the body is parsed whole (issue 16)."""

from __future__ import annotations

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit import Audits, _PledgeAudit

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**64, max_value=2**80),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.just("质押（合成）"))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                            max_size=3), max_leaves=6)
FIELDS = {"pledge": ("pledge_id", "account_id", "bank_party_id", "quantity", "loan_reference", "loan_amount_fen",
                     "term_end"),
          "release": ("pledge_id", "status", "moves", "result")}


def whole(body: bytes):  # type: ignore[no-untyped-def]
    """What Audits.walk makes of a body it parses whole: (kind, recorded_at, payload) or None."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            parsed = json.loads(body)
        except ValueError:
            return None
    if type(parsed) is not dict:
        return None
    return parsed.get("kind"), parsed.get("recorded_at"), parsed.get("payload")


@st.composite
def bodies(draw):  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["pledge", "release"]))
    told = draw(st.sampled_from([kind, kind, kind, "sale", 7, None]))
    fields = [(f, draw(values)) for f in FIELDS[kind] if draw(st.booleans())]
    fields += [(f"x{i}", draw(values)) for i in range(draw(st.integers(0, 2)))]
    if fields and draw(st.booleans()):
        fields.append((fields[0][0], draw(values)))  # a key twice: the last one counts
    payload = "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in fields) + "}"
    payload = draw(st.sampled_from([payload, payload, payload, "null", "[1]", '"text"', '{"pledge_id":"\\ud800"}']))
    at = draw(st.sampled_from(['"2024-01-01T00:00:00+00:00"', "99999999999999999999999", "1e400", "null"]))
    parts = [f'"kind":{json.dumps(told)}', f'"payload":{payload}', f'"recorded_at":{at}', '"seq":1']
    if draw(st.booleans()):
        parts.pop(2)
    body = "{" + ",".join(parts) + "}"
    if draw(st.integers(0, 9)) == 0:
        body = body[:-1]  # not JSON
    return kind, body.encode()


@settings(max_examples=400, deadline=None)
@given(bodies())
def test_a_skimmed_body_gives_the_audits_what_a_whole_parse_gives(case):  # type: ignore[no-untyped-def]
    kind, body = case
    skim = Audits([_PledgeAudit()]).skims[kind]
    found = skim(body)
    if found is None:
        return  # parsed whole instead
    full = whole(body)
    assert full is not None and found[0] == full[0] == kind and found[1] == full[1]
    wanted = _PledgeAudit.payload_fields[kind]
    if type(full[2]) is dict:
        assert found[2] == {f: full[2][f] for f in wanted if f in full[2]}
    else:
        assert found[2] is None and full[2] is None


def test_only_kinds_whose_every_audit_names_its_fields_are_skimmed():  # type: ignore[no-untyped-def]
    from ledger.table_audits import default_audits

    skims = Audits(default_audits()).skims
    assert set(skims) == {"pledge", "release"}
    body = b'{"kind":"pledge","payload":{"pledge_id":"PL-1","quantity":3,"moves":[1,2]},"recorded_at":"t","seq":1}'
    assert skims["pledge"](body) == ("pledge", "t", {"pledge_id": "PL-1", "quantity": 3})
    assert skims["release"](body) is None  # the body says another kind than its row: parsed whole
    for odd in (b'{"kind":"pledge","payload":{"quantity":1e400},"recorded_at":"t"}',
                b'{"kind":"pledge","payload":{"quantity":1},"recorded_at":99999999999999999999999}'):
        assert skims["pledge"](odd) is None  # numbers orjson reads otherwise: parsed whole
