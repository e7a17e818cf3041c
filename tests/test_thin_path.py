"""The thin end-to-end path (issue 2), on SQLite and PostgreSQL:

a demo bamboo parcel is registered → estimated by the bamboo methodology → verified and issued
→ sold to an enterprise → retired for a named beneficiary; balances and the ledger's integrity
check agree at every step, and the refusals along the way change nothing.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from ledger.domain import PartyKind
from sinkledger import catalogue
from sinkledger.config import REPO_ROOT
from sinkledger.services.registry import SYSTEM_ACTOR
from sinkledger_base.errors import Conflict, InvalidInput, NotPermitted

GIS = REPO_ROOT / "gis_data"
BAMBOO = "sinkledger.bamboo-moso-management"


@pytest.fixture
def chain(service):  # type: ignore[no-untyped-def]
    """Parties and users of one collective, a verifier, a clerk and an enterprise."""
    for pid, kind, name in (("COL-1", PartyKind.collective, "山川乡大里村股份经济合作社（演示）"),
                            ("VER-1", PartyKind.verifier, "示例核证机构"),
                            ("TRADE-1", PartyKind.trading_centre, "示例交易中心"),
                            ("ENT-1", PartyKind.enterprise, "示例企业")):
        service.register_party(SYSTEM_ACTOR, f"p:{pid}", party_id=pid, kind=kind.value, name=name,
                               county_code="330523")
    for user, role, pid in (("coop", "cooperative", "COL-1"), ("verifier", "verifier", "VER-1"),
                            ("clerk", "trading_clerk", "TRADE-1"), ("ent", "enterprise", "ENT-1")):
        service.create_user(username=user, password="password-" + user, role=role, party_id=pid, display_name=user)
    return service


def demo_parcel(code: str = "AJ-BF-0001") -> tuple[dict, dict]:
    layer = gpd.read_file(GIS / "demo_parcels.gpkg", layer="parcels")
    row = layer[layer["parcel_code"] == code].iloc[0]
    monitoring = json.loads((GIS / "demo_monitoring.json").read_text(encoding="utf-8"))["parcels"][code]
    return shapely.geometry.mapping(row.geometry), monitoring


def monitoring_inputs(monitoring: dict) -> dict:
    return {"period_start": monitoring["events"][0]["date"], "period_end": monitoring["events"][-1]["date"],
            **monitoring}


def assert_intact(service) -> None:  # type: ignore[no-untyped-def]
    report = service.verify()
    assert report.ok, report.problems


def balance(service, account: str) -> int:  # type: ignore[no-untyped-def]
    return service.account_balance(account)["held_t"]


def test_parcel_to_retired_credit(chain):  # type: ignore[no-untyped-def]
    svc = chain
    coop = svc.authenticate("coop", "password-coop")
    verifier = svc.authenticate("verifier", "password-verifier")
    clerk, ent = svc.actor("clerk"), svc.actor("ent")
    geometry, monitoring = demo_parcel()

    # Given a cooperative, when it registers its parcel, then the area is measured in EPSG:4549.
    parcel = svc.register_parcel(coop, "reg-1", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                                 holder_party_id="COL-1", geometry=geometry, county_code="330523")
    assert parcel["area_epsg"] == 4549 and 2 < float(parcel["area_ha"]) < 30
    assert_intact(svc)

    # When the parcel is estimated, then the estimate is recorded with the registered area.
    est = svc.record_estimate(coop, "est-1", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                              inputs=monitoring_inputs(monitoring))
    assert est["area_ha"] == parcel["area_ha"] and est["net_kg_co2e"] > 1000
    assert len(est["reproducibility_hash"]) == 64
    assert_intact(svc)

    # When the verifier approves the whole estimate, credits = floor(kg / 1000), 10 % buffer.
    out = svc.issue(verifier, "iss-1", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
                    project_code="AJBF01", buffer_share_bp=1000)
    issued_t = est["net_kg_co2e"] // 1000
    assert out["issued_t"] == issued_t
    assert sum(b["quantity"] for b in out["batches"]) == issued_t
    assert all(b["serials"].startswith("CN330523-BF-AJBF01-") for b in out["batches"])
    holder_t = issued_t - out["buffer_t"]
    assert balance(svc, "COL-1-H") == holder_t and balance(svc, "SYS-BUFFER") == out["buffer_t"]
    assert_intact(svc)

    # When the clerk records a sale, then credits move, oldest vintage first, at the price in fen.
    sold = holder_t // 2
    s = svc.sell(clerk, "sale-1", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=sold,
                 price_fen_per_t=7341, contract_no="HZ-2025-001")
    assert s["amount_fen"] == sold * 7341
    vintages = [b["vintage_year"] for b in s["blocks"]]
    assert vintages == sorted(vintages) and vintages[0] == min(b["vintage_year"] for b in out["batches"])
    assert balance(svc, "COL-1-H") == holder_t - sold and balance(svc, "ENT-1-H") == sold
    assert_intact(svc)

    # When the enterprise retires part, then those credits rest retired and never move again.
    r = svc.retire(ent, "ret-1", account_id="ENT-1-H", quantity=sold - 1, beneficiary="示例企业",
                   purpose="2025 年度碳中和")
    assert balance(svc, "ENT-1-H") == 1
    by_sink = svc.balances()["by_sink_type"]
    assert sum(row["retired_t"] for row in by_sink) == sold - 1
    assert sum(row["issued_t"] for row in by_sink) == issued_t
    assert r["retirement_id"].startswith("RT-")
    with pytest.raises(Conflict) as exc:
        svc.retire(ent, "ret-2", account_id="ENT-1-H", quantity=2, beneficiary="x", purpose="y")
    assert exc.value.code == "insufficient_balance"
    assert_intact(svc)


def test_refusals_change_nothing(chain):  # type: ignore[no-untyped-def]
    svc = chain
    coop, verifier, clerk = svc.actor("coop"), svc.actor("verifier"), svc.actor("clerk")
    geometry, monitoring = demo_parcel()
    svc.register_parcel(coop, "reg-1", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = svc.record_estimate(coop, "est-1", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                              inputs=monitoring_inputs(monitoring))
    head = svc.verify().head_hash

    cases = [
        # (callable, expected code)
        (lambda: svc.issue(coop, "x1", estimate_id=est["estimate_id"], verified_kg_co2e=1000,
                           project_code="AJBF01", buffer_share_bp=0), "not_permitted"),
        (lambda: svc.issue(verifier, "x2", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"] + 1,
                           project_code="AJBF01", buffer_share_bp=0), "verified_quantity_exceeds_estimate"),
        (lambda: svc.issue(verifier, "x3", estimate_id=est["estimate_id"], verified_kg_co2e=999,
                           project_code="AJBF01", buffer_share_bp=0), "nothing_to_issue"),
        (lambda: svc.issue(verifier, "x4", estimate_id=est["estimate_id"], verified_kg_co2e=2000,
                           project_code="bad code", buffer_share_bp=0), "value_invalid"),
        (lambda: svc.register_parcel(coop, "x5", parcel_code="AJ-BF-0002", sink_type="bamboo_forest",
                                     holder_party_id="COL-1", geometry=geometry), "parcel_overlaps_existing"),
        (lambda: svc.sell(clerk, "x6", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=1,
                          price_fen_per_t=7341, contract_no="c"), "insufficient_balance"),
        (lambda: svc.sell(coop, "x7", seller_account="ENT-1-H", buyer_account="COL-1-H", quantity=1,
                          price_fen_per_t=1, contract_no="c"), "not_permitted"),
        (lambda: svc.sell(clerk, "x8", seller_account="COL-1-H", buyer_account="COL-1-H", quantity=1,
                          price_fen_per_t=1, contract_no="c"), "accounts_must_be_different"),
        (lambda: svc.sell(clerk, "x9", seller_account="COL-1-H", buyer_account="ENT-1-H", quantity=-3,
                          price_fen_per_t=1, contract_no="c"), "quantity_must_be_positive"),
        (lambda: svc.record_estimate(coop, "est-1", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                                     inputs={**monitoring_inputs(monitoring), "period_end": "2030-01-01"}),
         "request_id_conflict"),
    ]
    for call, code in cases:
        with pytest.raises((Conflict, InvalidInput, NotPermitted)) as exc:
            call()
        assert exc.value.code == code
        assert catalogue.messages(exc.value)[0] and catalogue.messages(exc.value)[1]
        assert svc.verify().head_hash == head, f"{code} changed the ledger"

    # The same request id with the same content returns the first result and changes nothing.
    again = svc.record_estimate(coop, "est-1", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                                inputs=monitoring_inputs(monitoring))
    assert again["replayed"] and again["estimate_id"] == est["estimate_id"]
    assert svc.verify().head_hash == head

    # A parcel is never issued twice for overlapping periods.
    svc.issue(verifier, "iss-1", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
              project_code="AJBF01", buffer_share_bp=1000)
    est2 = svc.record_estimate(coop, "est-2", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                               inputs=monitoring_inputs(monitoring))
    with pytest.raises(Conflict) as exc:
        svc.issue(verifier, "iss-2", estimate_id=est2["estimate_id"], verified_kg_co2e=est2["net_kg_co2e"],
                  project_code="AJBF01", buffer_share_bp=1000)
    assert exc.value.code == "period_already_issued"
    assert_intact(svc)


def test_journal_rejects_update_and_delete(chain):  # type: ignore[no-untyped-def]
    with chain.db.engine.connect() as conn:
        for stmt in ("UPDATE journal_entry SET actor = 'x' WHERE seq = 1", "DELETE FROM journal_entry WHERE seq = 1"):
            with pytest.raises(Exception, match="journal_is_append_only"):
                conn.execute(text(stmt))
            conn.rollback()
    assert_intact(chain)


def _drop_triggers(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in ("journal_entry_no_update", "journal_entry_no_delete"):
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            conn.exec_driver_sql("DROP TRIGGER journal_entry_append_only ON journal_entry")


@pytest.mark.parametrize("tamper, problem", [
    ("UPDATE journal_entry SET body = replace(body, '示例交易中心', '别的交易中心') WHERE seq = 4", "hash_mismatch"),
    ("DELETE FROM journal_entry WHERE seq = 4", "seq_gap"),
    ("UPDATE journal_entry SET actor = 'mallory' WHERE seq = 4", "body_mismatch"),
])
def test_tampering_behind_the_codes_back_is_located(chain, tamper, problem):  # type: ignore[no-untyped-def]
    """Given triggers dropped and entry 4 changed or deleted, verify names entry 4."""
    assert chain.verify().entries >= 5
    _drop_triggers(chain.db)
    with chain.db.engine.begin() as conn:
        conn.exec_driver_sql(tamper)
    report = chain.verify()
    assert not report.ok and report.first_bad_seq == 4
    assert report.problems[0]["problem"] == problem


def test_projection_tampering_is_detected(chain):  # type: ignore[no-untyped-def]
    svc = chain
    coop, verifier = svc.actor("coop"), svc.actor("verifier")
    geometry, monitoring = demo_parcel()
    svc.register_parcel(coop, "reg-1", parcel_code="AJ-BF-0001", sink_type="bamboo_forest",
                        holder_party_id="COL-1", geometry=geometry, county_code="330523")
    est = svc.record_estimate(coop, "est-1", parcel_codes=["AJ-BF-0001"], methodology_id=BAMBOO,
                              inputs=monitoring_inputs(monitoring))
    svc.issue(verifier, "iss-1", estimate_id=est["estimate_id"], verified_kg_co2e=est["net_kg_co2e"],
              project_code="AJBF01", buffer_share_bp=1000)
    with svc.db.engine.begin() as conn:  # credits appear from nowhere in the balance table
        conn.exec_driver_sql("UPDATE credit_block SET last = last + 5 WHERE account_id = 'COL-1-H'")
    report = svc.verify()
    assert not report.ok and "credit_block" in report.problems[0]["problem"]


def test_inserted_rows_are_detected(chain):  # type: ignore[no-untyped-def]
    """A row inserted behind the code's back after a gap in the sequence is located."""
    from ledger.domain import entry_hash
    from ledger.journal import entry_body

    svc = chain
    report = svc.verify()
    n, head = report.entries, report.head_hash

    def insert(seq: int, prev: str, payload: dict) -> None:
        body = entry_body(seq=seq, kind="sale", request_id=f"forged-{seq}", actor="mallory",
                          recorded_at="2026-01-01T00:00:00+00:00", payload=payload)
        with svc.db.engine.begin() as conn:
            conn.execute(text("INSERT INTO journal_entry (seq, kind, request_id, request_fingerprint, actor, "
                              "recorded_at, body, prev_hash, entry_hash) VALUES (:s, 'sale', :r, 'x', 'mallory', "
                              "'2026-01-01T00:00:00+00:00', :b, :p, :h)"),
                         {"s": seq, "r": f"forged-{seq}", "b": body, "p": prev, "h": entry_hash(prev, body)})

    insert(n + 2, head, {})  # a gap
    report = svc.verify()
    assert not report.ok and report.first_bad_seq == n + 1 and report.problems[0]["problem"] == "seq_gap"


def test_a_forged_but_well_linked_entry_is_caught_by_replay(chain):  # type: ignore[no-untyped-def]
    from ledger.domain import entry_hash
    from ledger.journal import entry_body

    svc = chain
    report = svc.verify()
    seq, prev = report.entries + 1, report.head_hash
    payload = {"moves": [{"batch_id": "NOPE/1", "first": 1, "last": 5, "from_account": "COL-1-H",
                          "from_state": "held", "to_account": "ENT-1-H", "to_state": "held", "tag": None}]}
    body = entry_body(seq=seq, kind="sale", request_id="forged", actor="mallory",
                      recorded_at="2026-01-01T00:00:00+00:00", payload=payload)
    with svc.db.engine.begin() as conn:
        conn.execute(text("INSERT INTO journal_entry (seq, kind, request_id, request_fingerprint, actor, recorded_at, "
                          "body, prev_hash, entry_hash) VALUES (:s, 'sale', 'forged', 'x', 'mallory', "
                          "'2026-01-01T00:00:00+00:00', :b, :p, :h)"),
                     {"s": seq, "b": body, "p": prev, "h": entry_hash(prev, body)})
    report = svc.verify()
    assert not report.ok and report.first_bad_seq == seq and "replay failed" in report.problems[0]["problem"]
