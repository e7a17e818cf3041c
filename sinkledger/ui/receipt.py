"""The sale receipt (PDF) in a reader's language: the clerk's page and the HTTP API's
``GET /v1/sales/{seq}/receipt.pdf`` make the same document. No Streamlit here, so the API can
import it."""

from __future__ import annotations

from typing import Any

from sinkledger.catalogue import ui_text
from sinkledger.documents import receipts
from sinkledger.ui import format as fmt


def receipt_pdf(sale: dict[str, Any], lang: str) -> bytes:
    """The sale receipt PDF in ``lang`` (labels from the UI catalogue)."""
    def tl(key: str) -> str:
        return ui_text(key, lang)

    fields = [(tl("receipt_entry"), str(sale["seq"])),
              (tl("receipt_time"), fmt.datetime_text(sale["recorded_at"], lang)),
              (tl("contract_no"), sale["contract_no"]),
              *[(tl(key), fmt.date_text(sale[key], lang)) for key in ("sale_date", "contract_date") if sale.get(key)],
              (tl("seller"), f'{sale["seller_name"]} ({sale["seller_account"]})'),
              (tl("buyer"), f'{sale["buyer_name"]} ({sale["buyer_account"]})'),
              (tl("quantity_t"), fmt.tonnes(sale["quantity"], lang)),
              (tl("unit_price"), fmt.price(sale["price_fen_per_t"], lang)),
              (tl("sale_amount"), f'{fmt.money(sale["amount_fen"], lang)} ({fmt.yuan(sale["amount_fen"])})'),
              (tl("receipt_clerk"), sale["actor"]), (tl("receipt_hash"), sale["entry_hash"])]
    blocks = [{"serials": b.get("serials", ""), "quantity": b.get("quantity", "")} for b in sale["blocks"]]
    return receipts.sale_receipt_pdf({"blocks": blocks}, title=tl("receipt_title"), fields=fields,
                                     blocks_title=tl("receipt_serials"), footer=tl("receipt_footer"), lang=lang,
                                     mono=[tl("receipt_hash")])
