"""Documents of a collection contract (收储合同文本、地块清单...), registered by SHA-256.

As for court documents (:mod:`ledger.documents`): the journal keeps the title, file name,
media type, size and SHA-256; the bytes, if given, are kept beside the ledger in
``collection_document_content`` and can be checked against the hash or erased (PIPL).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, select

from ledger.commands import CommandContext
from ledger.documents import add_document
from ledger.domain import EntryKind
from ledger.income.domain import is_key, record_id, shown
from ledger.income.permissions import require_party
from ledger.income.store import CollectionDocumentContentRow, CollectionDocumentRow
from ledger.store import CollectionContractRow
from sinkledger_base.errors import NotFound


def get_contract(session: Session, contract_no: Any) -> CollectionContractRow:
    """A collection contract by number (``contract_not_found``)."""
    row = session.get(CollectionContractRow, contract_no) if is_key(contract_no) else None
    if row is None:
        raise NotFound("contract_not_found", contract=shown(contract_no, 80))
    return row


def register_document(ctx: CommandContext, *, contract_no: str, title: str, file_name: str, media_type: str,
                      sha256: str, size_bytes: int, content: bytes | None = None) -> tuple[str, dict[str, Any]]:
    """The contract's centre registers a document of the contract by its hash."""
    contract = get_contract(ctx.session, contract_no)
    require_party(ctx.actor, "collection_document", contract.centre_party_id)
    document = add_document(ctx.session, seq=ctx.seq, document_id=record_id("KD", ctx.seq),
                            owner={"contract_no": contract_no}, row=CollectionDocumentRow,
                            content_row=CollectionDocumentContentRow, content=content, title=title,
                            file_name=file_name, media_type=media_type, sha256=sha256, size_bytes=size_bytes)
    return EntryKind.collection_document_registered.value, {"document": document, "result": document}


def contract_documents(session: Session, contract_no: str) -> list[dict[str, Any]]:
    """The documents of a contract, with whether their bytes are kept and still match."""
    rows = session.exec(select(CollectionDocumentRow).where(CollectionDocumentRow.contract_no == contract_no)
                        .order_by(CollectionDocumentRow.seq)).all()
    out = []
    for row in rows:
        kept = session.get(CollectionDocumentContentRow, row.sha256)
        ok = kept is not None and hashlib.sha256(kept.content).hexdigest() == row.sha256
        out.append(row.model_dump() | {"content_kept": kept is not None, "content_matches": ok if kept else None})
    return out
