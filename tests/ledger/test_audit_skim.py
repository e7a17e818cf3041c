"""The second process of a full verify decodes a sale's, a retirement's, a pledge's or a release's
body for the few payload fields its audits read (``ledger.audit._skims``): whatever the body holds,
what it gives the audits is what a whole parse gives them, or it declines and the body is parsed
whole (issue 16)."""

from __future__ import annotations

import json
from unittest.mock import patch

import orjson
from hypothesis import given, settings
from sqlalchemy import text
from hypothesis import strategies as st

from ledger.audit import Audits, _PledgeAudit
from ledger.table_audits import default_audits

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**64, max_value=2**80),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8), st.just("质押（合成）"))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                            max_size=3), max_leaves=6)
FIELDS = {"pledge": ("pledge_id", "account_id", "bank_party_id", "quantity", "loan_reference", "loan_amount_fen",
                     "term_end"),
          "release": ("pledge_id", "status", "moves", "result"),
          "sale": ("seller_account", "buyer_account", "quantity", "price_fen_per_t", "amount_fen", "contract_no",
                   "moves", "result", "sale_date"),
          "retirement": ("retirement_id", "account_id", "quantity", "beneficiary", "purpose", "kind", "moves")}
SKIMS = Audits(default_audits()).skims


def wanted(kind: str) -> set[str]:
    """The payload fields the audits of ``kind`` say they read."""
    return {f for a in Audits(default_audits()).by_kind[kind] for f in a.payload_fields[kind]}


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
    kind = draw(st.sampled_from(sorted(FIELDS)))
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
    found = SKIMS[kind](body)
    if found is None:
        return  # parsed whole instead
    full = whole(body)
    assert full is not None and found[0] == full[0] == kind and found[1] == full[1]
    if type(full[2]) is dict:
        assert found[2] == {f: full[2][f] for f in wanted(kind) if f in full[2]}
    else:
        assert found[2] is None and full[2] is None


def test_only_kinds_whose_every_audit_names_its_fields_are_skimmed():  # type: ignore[no-untyped-def]
    from ledger.table_audits import default_audits

    skims = Audits(default_audits()).skims
    assert set(skims) == {"pledge", "release", "sale", "retirement"}
    body = b'{"kind":"pledge","payload":{"pledge_id":"PL-1","quantity":3,"moves":[1,2]},"recorded_at":"t","seq":1}'
    assert skims["pledge"](body) == ("pledge", "t", {"pledge_id": "PL-1", "quantity": 3})
    assert skims["release"](body) is None  # the body says another kind than its row: parsed whole
    for odd in (b'{"kind":"pledge","payload":{"quantity":1e400},"recorded_at":"t"}',
                b'{"kind":"pledge","payload":{"quantity":1},"recorded_at":99999999999999999999999}'):
        assert skims["pledge"](odd) is None  # numbers orjson reads otherwise: parsed whole


def _state(audits: Audits) -> list[dict]:  # type: ignore[type-arg]
    """What each audit holds after a walk: its expected rows, sums, keyed stream and own state."""
    out = []
    for audit in audits.audits:
        state = {k: v for k, v in vars(audit).items()
                 if k not in ("session", "_stream", "derive") and not callable(v)}
        state["_stream"] = audit._stream.digest() if audit._stream is not None else None
        out.append(state)
    return out


def test_the_audits_derive_the_same_from_skimmed_bodies_as_from_whole_ones(funded):  # type: ignore[no-untyped-def]
    """Given sales of one move and of several, a sale with the clerk's date, a retirement, a pledge
    and its release, when the second process's walk runs with the skimmed decoding and without it,
    then every audit holds the same rows and sums: the fields each audit names are all it reads."""
    svc = funded
    clerk, bank = svc.actor("clerk"), svc.actor("bank")
    svc.sell(clerk, "s-1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=3, price_fen_per_t=4_500,
             contract_no="HZ-1（合成）")
    svc.retire(svc.actor("ent"), "r-1", account_id="ENT-1-H", quantity=1, beneficiary="示例企业甲", purpose="2026")
    svc.sell(clerk, "s-2", seller_account="COL-1-H", buyer_account="ENT-2-H", quantity=5, price_fen_per_t=5_100,
             contract_no="HZ-2", sale_date="2026-03-02")
    pledge = svc.pledge(bank, "pl-1", account_id="COL-1-H", quantity=4, loan_reference="碳汇共富贷-0001",
                        loan_amount_fen=50_000_000, term_end="2027-12-31")
    svc.release(bank, "rel-1", pledge_id=pledge["pledge_id"])
    svc.sell(clerk, "s-3", seller_account="ENT-1-H", buyer_account="ENT-2-H", quantity=2, price_fen_per_t=5_000,
             contract_no="HZ-3")  # ENT-1 holds what is left of its first purchase: one move
    svc.sell(clerk, "s-4", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=30, price_fen_per_t=4_800,
             contract_no="HZ-4")  # across the blocks the pledge and the sales split: several moves
    with svc.db.read() as session:
        kinds = dict(session.execute(text("SELECT kind, count(*) FROM journal_entry GROUP BY kind")).all())
        assert {"sale", "retirement", "pledge", "release"} <= set(kinds)
        moves = [len(orjson.loads(b)["payload"]["moves"]) for (b,) in
                 session.execute(text("SELECT body FROM journal_entry WHERE kind = 'sale'"))]
        assert max(moves) > 1 and min(moves) == 1
        skimmed, plain = Audits(default_audits()), Audits(default_audits())
        plain.skims, plain.walkers = {}, {}
        walked: list[bool] = []
        walk_sale = skimmed.walkers["sale"]
        skimmed.walkers["sale"] = lambda seq, body: walked.append(walk_sale(seq, body)) or walked[-1]
        decoded = []
        for audits in (skimmed, plain):
            audits.begin(session, 0)
            audits.walk(session)
            decoded.append(audits.unreadable)
        skims = skimmed.skims
        assert decoded == [[], []]
        assert _state(skimmed) == _state(plain)
        assert walked.count(True) == kinds["sale"]  # every sale here in one step (test_sale_walker: the rest)
    # and the skimmed path was the one taken: each kind's body gives its fields alone
    with svc.db.read() as session:
        for kind, skim in skims.items():
            body = session.execute(text("SELECT body FROM journal_entry WHERE kind = :k LIMIT 1"), {"k": kind}).scalar()
            found = skim(body.encode())
            assert found is not None and set(found[2]) <= wanted(kind) and set(found[2]) < set(orjson.loads(body)["payload"])


BATCHES = ["CN330523-BF-AJBF01-2024/1", "CN330523-BF-AJBF01-2024/2", "CN330502-TG-WXTG01-2023/1",
           "IMPORT:VERRA:VCS-1-2020/1"]
ODD = st.sampled_from([2**64 + 1, 10**20 + 7, -2**63 - 1, True, "7", 2.5, None, [1], 7])


@st.composite
def sale_bodies(draw):  # type: ignore[no-untyped-def]
    """A sale's body as written (credits of one market or several, imported ones, a zero price,
    the clerk's date or none), or with one field gone, of another type or out of range."""
    fine = st.integers(-3, 10**6)
    moves = [{"batch_id": draw(st.sampled_from(BATCHES)), "first": draw(fine), "last": draw(fine),
              "from_account": "A-H", "from_state": "held", "to_account": "B-H", "to_state": "held", "tag": None}
             for _ in range(draw(st.integers(0, 3)))]
    payload = {"seller_account": draw(st.sampled_from(["A-H", "卖方-H"])), "buyer_account": "B-H",
               "quantity": draw(fine), "price_fen_per_t": draw(st.one_of(fine, st.sampled_from([0, -5]))),
               "amount_fen": draw(fine), "contract_no": draw(st.sampled_from(["HZ-1（合成）", "HZ-2"])),
               "moves": moves, "result": {"blocks": []}}
    if draw(st.booleans()):
        payload["sale_date"] = draw(st.sampled_from([None, "", "2026-01-02"]))
    body = {"kind": "sale", "payload": payload,
            "recorded_at": draw(st.sampled_from(["2024-05-01T17:00:00.000001+00:00", "2024-05-01T03:00:00+00:00"]))}
    odd = draw(st.sampled_from(["none", "none", "gone", "field", "move", "kind", "time"]))
    if odd == "gone":
        payload.pop(draw(st.sampled_from(sorted(payload))))
    elif odd == "field":
        payload[draw(st.sampled_from(sorted(payload)))] = draw(ODD)
    elif odd == "move" and moves:
        draw(st.sampled_from(moves))[draw(st.sampled_from(["batch_id", "first", "last"]))] = draw(ODD)
    elif odd == "kind":
        body["kind"] = draw(st.sampled_from(["retirement", 7]))
    elif odd == "time":
        body["recorded_at"] = draw(st.sampled_from(["2024-05-01T03:00:00+08:00", "not a time", None, 5]))
    return json.dumps(body, ensure_ascii=False).encode()


def _whole_way(audits: Audits, seq: int, body: bytes) -> None:
    """What Audits.walk does with a body it parses whole."""
    found = whole(body)
    if found is None or type(found[0]) is not str:
        return
    kind, recorded_at, payload = found
    for audit in audits.by_kind.get(kind, ()):
        try:
            audit.entry(seq, kind, recorded_at, payload)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            audits.unreadable.append((seq, audit.table, kind))


@settings(max_examples=300, deadline=None)
@given(st.lists(sale_bodies(), min_size=1, max_size=4), st.integers(0, 2), st.sampled_from([1, 2, 3, 10_000]))
def test_the_sale_walker_gives_the_audits_what_the_whole_way_gives(bodies, backwards, page):  # type: ignore[no-untyped-def]
    """Sales walked in one step (ledger.prices.audit._walk_sale, or declined and taken the whole
    way) leave the sale table's and the price index's audits as the whole way alone does: the same
    rows, sums, key order and unreadable entries, whatever the bodies hold and however the stream
    of rows is cut into pages."""
    with patch("ledger.audit.STREAM_ROWS", page):  # (pages of a few rows: an entry's lines across a page's end)
        walked, whole_only = _walk_both(bodies, backwards)
    assert _sale_state(walked) == _sale_state(whole_only)
    assert walked.unreadable == whole_only.unreadable


def _walk_both(bodies: list[bytes], backwards: int) -> tuple[Audits, Audits]:
    """The bodies given to one set of audits through the sale walker (the whole way when it
    declines), and to another the whole way alone."""
    walked, whole_only = Audits(default_audits()), Audits(default_audits())
    for audits in (walked, whole_only):
        audits.unreadable = []
        for audit in audits.by_kind["sale"]:
            audit.begin(None, 0)
    seqs = list(range(10, 10 + len(bodies)))
    if backwards == 1:
        seqs.reverse()  # keys out of order: both leave the sums for the keyed comparison
    for seq, body in zip(seqs, bodies):
        if not walked.walkers["sale"](seq, body):
            _whole_way(walked, seq, body)
        _whole_way(whole_only, seq, body)
    return walked, whole_only


def _sale_state(audits: Audits) -> list[dict]:  # type: ignore[type-arg]
    return [s for s in _state(audits) if s["table"] in ("sale", "price_trade")]
