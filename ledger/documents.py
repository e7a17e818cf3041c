"""Documents registered by their hash (court judgments, contract texts, parcel lists...).

The journal keeps a document's title, file name, media type, size and SHA-256; its bytes, if
given, are kept beside the ledger in a content table of the caller's area, where they can be
checked against the hash or erased (PIPL) without touching the chain.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from sqlmodel import Session, SQLModel

from ledger.sale import check_text
from sinkledger_base.errors import InvalidInput

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def check_document(*, title: Any, file_name: Any, media_type: Any, sha256: Any, size_bytes: Any,
                   content: bytes | None) -> dict[str, Any]:
    """The checked description of a document (``value_invalid`` naming the field otherwise)."""
    if not isinstance(sha256, str) or not SHA256_HEX.match(sha256):
        raise InvalidInput("value_invalid", field="sha256", value=str(sha256)[:70])
    if not isinstance(size_bytes, int) or isinstance(size_bytes, bool) or size_bytes < 0:
        raise InvalidInput("value_invalid", field="size_bytes", value=str(size_bytes)[:40])
    if content is not None and (hashlib.sha256(content).hexdigest() != sha256 or len(content) != size_bytes):
        raise InvalidInput("value_invalid", field="content", value="does not match sha256/size_bytes")
    return {"title": check_text(title, "title", 200), "file_name": check_text(file_name, "file_name", 200),
            "media_type": check_text(media_type, "media_type", 100), "sha256": sha256, "size_bytes": size_bytes}


def keep_document(session: Session, *, seq: int, document: dict[str, Any], row: type[SQLModel],
                  content_row: type[SQLModel], content: bytes | None) -> None:
    """Add the document's row (its id and the entry ``seq``) and, once per hash, its bytes."""
    session.add(row(id=document["document_id"], seq=seq, **{k: v for k, v in document.items() if k != "document_id"}))
    if content is not None and session.get(content_row, document["sha256"]) is None:
        session.add(content_row(sha256=document["sha256"], content=content))


def add_document(session: Session, *, seq: int, document_id: str, owner: dict[str, Any], row: type[SQLModel],
                 content_row: type[SQLModel], content: bytes | None, **fields: Any) -> dict[str, Any]:
    """Check a document (``fields``: title, file_name, media_type, sha256, size_bytes), add its row
    with ``owner`` (the case or contract it belongs to) and its bytes; the document as recorded."""
    document = {"document_id": document_id, **owner, **check_document(content=content, **fields)}
    keep_document(session, seq=seq, document=document, row=row, content_row=content_row, content=content)
    return document
