"""Test data beyond the demo, made through the service API: a defendant, a new bamboo parcel
with an estimate waiting for verification, and a fulfilled court order with its certificate.

Free squares (no demo parcel within ~100 m) in Anji, used by the UI tests and browser tests.
"""

from __future__ import annotations

import json
from typing import Any

import shapely

from sinkledger.demo.seed import BAMBOO_METHODOLOGY, demo_files

FREE_SQUARES = {  # lower-left corner (lon, lat) of 0.003° squares
    "waiting": (119.70095, 30.47207),
    "drawn": (119.71095, 30.49207),
    "upload_a": (119.66095, 30.49207),
    "upload_b": (119.67095, 30.50207),
    "browser_a": (119.69095, 30.49207),
    "browser_b": (119.70095, 30.50207),
}
CASE_NO = "(2025)浙0521刑初9号"


def square(name: str, size: float = 0.003) -> dict[str, Any]:
    x, y = FREE_SQUARES[name]
    return shapely.geometry.mapping(shapely.box(x, y, x + size, y + size))


def feature_collection(rows: list[tuple[str, str, dict[str, Any]]], holder: str = "COL-0001") -> bytes:
    """A GeoJSON file of parcels: (parcel code, sink type, geometry) rows for ``holder``."""
    features = [{"type": "Feature", "geometry": geometry, "properties": {
        "parcel_code": code, "sink_type": sink, "holder": holder, "county_code": "330523"}}
        for code, sink, geometry in rows]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")


def add_scenario(service: Any) -> dict[str, Any]:
    admin, centre, court = service.actor("admin"), service.actor("centre"), service.actor("court")
    service.register_party(admin, "t:party:def", party_id="DEF-0001", kind="defendant", name="被告甲（化名）",
                           county_code="330521")
    service.register_parcel(admin, "t:parcel:waiting", parcel_code="AJ-BF-0901", sink_type="bamboo_forest",
                            holder_party_id="COL-0001", geometry=square("waiting"), county_code="330523")
    monitoring = json.loads(demo_files(service)[1].read_text(encoding="utf-8"))["parcels"]["AJ-BF-0001"]
    inputs = {"period_start": monitoring["events"][0]["date"], "period_end": monitoring["events"][-1]["date"],
              **monitoring}
    estimate = service.record_estimate(centre, "t:estimate:waiting", parcel_codes=["AJ-BF-0901"],
                                       methodology_id=BAMBOO_METHODOLOGY, inputs=inputs)
    service.court.register_case(court, "t:case", case_no=CASE_NO, judgment_date="2025-03-01",
                                defendants=["DEF-0001"], sink_type="bamboo_forest", county_code="330521",
                                ecosystem_name="德清县某山林（演示）", damaged_area_ha="2.5", description="滥伐林木（演示）")
    order = service.court.issue_order(court, "t:order", case_no=CASE_NO, item="判决第二项", kind="quantity",
                                      due_date="2027-12-31", quantity_t=3)
    service.court.fulfil(court, "t:fulfil", order_id=order["order_id"], seller_account="COL-0002-H",
                         price_fen_per_t=7000, contract_no="HZGX-T-1")
    certificate = service.court.issue_certificate(court, order_id=order["order_id"])
    return {"estimate_id": estimate["estimate_id"], "order_id": order["order_id"], "certificate": certificate["code"]}
