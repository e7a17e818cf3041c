"""Bad input to every income call: a clean refusal (a catalogued code, both languages) and no change.

Each call gets a valid baseline from the world (sale distributed, a lien, a loss event); then one
parameter at a time takes each bad value of its kind. Whatever the value, the answer is a
:class:`~sinkledger_base.errors.SinkLedgerError` with a Chinese and an English message, and the
journal head is where it was: never a ``TypeError``, a database error, or a half-done write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sinkledger.catalogue import REFUSALS_BY_AREA

INCOME_REFUSALS = REFUSALS_BY_AREA["income"]
from sinkledger import catalogue
from sinkledger.catalogue import REFUSALS
from sinkledger_base.errors import SinkLedgerError
from tests.income.conftest import CENTRE, contract_no

SURROGATE, NUL, LONG = "AJ\udcff", "AJ\x00BF", "長" * 5_000
WRONG_TYPES = [None, 7, 1.5, True, ["x"], {"x": 1}]
TEXT = [*WRONG_TYPES, "", "   ", SURROGATE, NUL, LONG]
REF = [*TEXT, "NOPE-404", "'; DROP TABLE journal_entry; --"]
OPTIONAL_TEXT = [7, 1.5, True, ["x"], {"x": 1}, SURROGATE, NUL, LONG]
INT = [None, "7", 1.5, True, -1, 2**63, 10**30, ["1"]]
POS_INT = [*INT, 0]
DATE = [None, 7, 1.5, "", "2024-13-01", "2024-02-30", "yesterday", SURROGATE]
CODES = [None, "HZ-BF-A01", 7, [], [None], [7], [{"x": 1}], ["HZ-BF-A01", "HZ-BF-A01"], [SURROGATE], ["NOPE-404"]]


@pytest.fixture
def world(sold):  # type: ignore[no-untyped-def]
    """Given the scenario's sale distributed, a lien and a loss event."""
    income = sold
    svc = income.service
    out = income.distribute(svc.actor("centre"), sale_seq=sold.sale["seq"])
    due = income.due_items(svc.actor("hh-a1"))[0]
    lien = income.register_lien(svc.actor("bank"), "w-lien", contract_no=contract_no("COL-C"),
                                loan_reference="L-1", loan_amount_fen=10_000, term_end="2027-12-31")
    loss = income.record_loss(svc.actor("insurer"), "w-loss", cause="snow", event_date="2024-01-20",
                              parcels=[{"parcel_code": "HZ-BF-A01", "affected_area_ha": "1"}], description="雪压")
    income.ids = {"distribution": out["distribution_id"], "due": due["id"], "sale_date": out["sale_date"], "lien": lien["lien_id"],  # type: ignore[attr-defined]
                  "event": loss["event_id"], "sale": sold.sale["seq"],
                  "batch": sold.issuance["batches"][0]["batch_id"]}
    return income


def call(world, name: str, actor: str, baseline: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:  # type: ignore[no-untyped-def]
    method = getattr(world, name)
    needs_request = name not in READS

    def run(kwargs: dict[str, Any]) -> Any:
        if needs_request:
            return method(world.service.actor(actor), f"bad-{name}-{id(kwargs)}", **kwargs)
        return method(world.service.actor(actor), **kwargs)

    return run


READS = {"statement", "preview_distribution", "trace_batch", "trace_serial", "due_items", "contracts", "contract",
         "project", "distribution", "preview_loss", "distribute"}


def specs(ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, list[Any]]]]:
    """(call, actor, valid baseline, bad values per parameter)."""
    items = [{"due_id": ids["due"], "amount_fen": 1}]
    parcels = [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "1"}]
    return [
        ("register_contract_document", "centre",
         {"contract_no": contract_no("COL-A"), "title": "t", "content": b"x", "file_name": "a.txt"},
         {"contract_no": REF, "title": TEXT, "content": [None, "x", 7, ["x"]], "file_name": TEXT}),
        ("register_project", "centre",
         {"project_code": "HZB9", "name": "n", "sink_type": "bamboo_forest",
          "methodology_id": "sinkledger.bamboo-moso-management", "monitoring_start": "2021-11-15",
          "interval_months": 24, "parcel_codes": ["HZ-BF-A01"]},
         {"project_code": [*REF, "hz-lower"], "name": TEXT, "sink_type": [*REF, "wetland"],
          "methodology_id": REF, "monitoring_start": DATE, "interval_months": [*POS_INT, 121], "parcel_codes": CODES}),
        ("add_project_parcels", "centre", {"project_code": "HZBUNDLE1", "parcel_codes": ["HZ-BF-A01"]},
         {"project_code": REF, "parcel_codes": CODES}),
        ("estimate_project", "centre", {"project_code": "HZBUNDLE1", "inputs": {}, "period_index": 0},
         {"project_code": REF, "inputs": [None, 7, "x", [1], {"area_ha": 1.5}], "period_index": ["0", 1.5, -1, 10**30]}),
        ("distribute", "centre", {"sale_seq": ids["sale"]},
         {"sale_seq": [None, "1", 1.5, True, 0, -1, 2**63, 10**30, 10**9]}),
        ("schedule_payments", "centre", {"contract_no": contract_no("COL-A"), "through": "2030-01-01"},
         {"contract_no": REF, "through": [7, 1.5, "", "2024-13-01", "yesterday", SURROGATE]}),
        ("record_payment", "centre", {"items": items, "paid_date": ids["sale_date"], "reference": "R"},
         {"items": [None, [], "x", 7, [None], [7], [{"due_id": None, "amount_fen": 1}],
                    [{"due_id": ids["due"], "amount_fen": v} for v in (0, -1, 1.5, "1", 2**63)][:1],
                    [{"due_id": ids["due"], "amount_fen": 10**12}], [{"due_id": "NOPE", "amount_fen": 1}],
                    items + items, [{"due_id": ids["due"], "amount_fen": 1, "amount_yuan": "0.01"}]],
          "paid_date": DATE, "reference": TEXT}),
        ("register_lien", "bank", {"contract_no": contract_no("COL-A"), "loan_reference": "L", "loan_amount_fen": 1,
                                   "term_end": "2027-12-31"},
         {"contract_no": REF, "loan_reference": TEXT, "loan_amount_fen": POS_INT, "term_end": DATE,
          "parcel_codes": [c for c in CODES if c is not None]}),
        ("release_lien", "bank", {"lien_id": ids["lien"]}, {"lien_id": REF}),
        ("record_loss", "insurer", {"cause": "fire", "event_date": "2024-01-20", "parcels": parcels, "description": "d"},
         {"cause": [*REF, "meteor"], "event_date": DATE, "description": TEXT, "policy_no": OPTIONAL_TEXT,
          "parcels": [None, [], "x", [None], [7], [{"parcel_code": 7, "affected_area_ha": "1"}],
                      [{"parcel_code": "HZ-BF-A01", "affected_area_ha": v} for v in ("0", "-1", "x", "nan", "1e9")][:1],
                      [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "inf"}],
                      [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "1", "damage_share_bp": 10_001}],
                      [{"parcel_code": "HZ-BF-A01", "affected_area_ha": None}],
                      [{"parcel_code": "HZ-BF-A01", "affected_area_ha": "1", "damage_bp": 3000}]]}),
        ("record_claim", "insurer", {"claim_no": "C-9", "event_id": ids["event"], "policy_no": "P", "product": "p",
                                     "insured_party_id": CENTRE, "payout_fen": 1},
         {"claim_no": TEXT, "event_id": REF, "policy_no": TEXT, "product": TEXT, "insured_party_id": REF,
          "payout_fen": INT, "paid_date": [7, 1.5, "2024-13-01", SURROGATE], "reference": OPTIONAL_TEXT}),
        ("statement", "hh-a1", {"party_id": "HH-A1", "period_start": "2024-01-01", "period_end": "2024-12-31"},
         {"party_id": REF, "period_start": DATE, "period_end": [*DATE, "2023-01-01"]}),
        ("preview_distribution", "centre", {"sale_seq": ids["sale"]}, {"sale_seq": [None, "1", 1.5, 0, 2**63]}),
        ("trace_batch", "centre", {"batch_id": ids["batch"]}, {"batch_id": REF, "parcel_code": OPTIONAL_TEXT}),
        ("trace_serial", "centre", {"serial": "x"}, {"serial": REF}),
        ("due_items", "centre", {}, {"party_id": WRONG_TYPES[1:] + [SURROGATE, NUL], "parcel_code": OPTIONAL_TEXT,
                                     "source_id": WRONG_TYPES[1:] + [SURROGATE, NUL]}),
        ("contract", "centre", {"contract_no": contract_no("COL-A")}, {"contract_no": REF}),
        ("project", "centre", {"project_code": "HZBUNDLE1"}, {"project_code": REF}),
        ("distribution", "centre", {"distribution_id": ids["distribution"]}, {"distribution_id": REF}),
        ("preview_loss", "insurer", {"event_date": "2024-01-20", "parcels": parcels},
         {"event_date": DATE, "parcels": [None, [], "x", [None], [{"parcel_code": None, "affected_area_ha": "1"}]]}),
    ]


def assert_cleanly_refused(world, run, kwargs: dict[str, Any], label: str) -> None:  # type: ignore[no-untyped-def]
    head = world.service.verify().head_hash
    try:
        run(kwargs)
    except SinkLedgerError as exc:
        known = REFUSALS | INCOME_REFUSALS
        assert exc.code in known and catalogue.messages(exc)[0] and catalogue.messages(exc)[1], label
    else:
        pytest.fail(f"{label}: accepted")
    assert world.service.verify().head_hash == head, f"{label}: changed the journal"


CALLS = [s[0] for s in specs({"due": "", "lien": "", "event": "", "sale": 1, "batch": "", "distribution": "",
                               "sale_date": ""})]


@pytest.mark.parametrize("name", CALLS)
def test_every_bad_value_is_cleanly_refused(world, name):  # type: ignore[no-untyped-def]
    (spec,) = [s for s in specs(world.ids) if s[0] == name]
    _, actor, baseline, bad = spec
    run = call(world, name, actor, baseline)
    for param, values in bad.items():
        for value in values:
            if param == "sale_seq" and name == "distribute" and value == world.ids["sale"]:
                continue
            assert_cleanly_refused(world, run, baseline | {param: value}, f"{name}({param}={value!r:.40})")
