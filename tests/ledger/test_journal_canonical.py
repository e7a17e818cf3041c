"""Journals keep verifying under the orjson canonical JSON: every stored body of a real ledger
(issuances, a sale with CJK text, a retirement) is exactly what both the new implementation and
the json.dumps reference give for its parsed content, and every stored hash recomputes."""

from __future__ import annotations

import hashlib
import json

from ledger.domain import entry_hash, request_fingerprint
from ledger.journal import iter_rows
from sinkledger_base.canonical import canonical_bytes, canonical_json
from tests.base.test_canonical_properties import _canonical_json_reference


def test_stored_bodies_reserialise_to_the_same_text_and_hashes(funded):  # type: ignore[no-untyped-def]
    svc = funded
    content = {"seller_account": "COL-1-H", "buyer_account": "ENT-1-H", "quantity": 3, "price_fen_per_t": 7341,
               "contract_no": "合同/2026-甲 \"A\" 😀"}
    svc.sell(svc.actor("clerk"), "golden-sale", **content)
    svc.retire(svc.actor("ent"), "golden-retire", account_id="ENT-1-H", quantity=1, beneficiary="示例企业甲",
               purpose="碳中和 \"2026\"")
    assert svc.verify().ok

    with svc.db.read() as session:
        rows = list(iter_rows(session))
    assert {"issuance", "sale", "retirement"} <= {r.kind for r in rows}
    prev = rows[0].prev_hash
    for row in rows:
        parsed = json.loads(row.body)
        assert canonical_json(parsed) == row.body == _canonical_json_reference(parsed), row.seq
        assert canonical_bytes(parsed) == row.body.encode("utf-8")
        assert row.prev_hash == prev and entry_hash(prev, row.body) == row.entry_hash, row.seq
        prev = row.entry_hash

    sale = next(r for r in rows if r.request_id == "golden-sale")
    request = {"kind": "sell", "actor": "clerk", "content": {**content, "serials": None}}
    expected = hashlib.sha256(_canonical_json_reference(request).encode("utf-8")).hexdigest()
    assert sale.request_fingerprint == expected == request_fingerprint("sell", "clerk", request["content"])
