"""Signed checkpoints: Ed25519 keys, the signed byte string, and the published checkpoint file.

The operator signs each checkpoint with a private key kept OUTSIDE the database (a PEM file
named by ``SINKLEDGER_CHECKPOINT_KEY``) and publishes the result as a small JSON file. Anyone
holding the operator's public key can check such a file offline, and later hold the operator to
it: a ledger that no longer extends a published root is caught (``sinkledger verify --against``).

The signature covers exactly these UTF-8 bytes (a signed-note style text, one field a line,
each line ending in ``\\n``)::

    sinkledger checkpoint v1
    <tree_size, decimal>
    <root, 64 lowercase hex>
    <head_hash, 64 lowercase hex>
    <created_at, as recorded>

The published file (format ``sinkledger-checkpoint/1``) holds those five values, the public key
(base64 of its 32 raw bytes), its key id (the first 16 hex digits of SHA-256 of the raw public
key) and the signature (base64 of its 64 bytes). Only the ``cryptography`` package is needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sinkledger_base.errors import Conflict, InvalidInput

CHECKPOINT_FORMAT = "sinkledger-checkpoint/1"
SIGNED_HEADER = "sinkledger checkpoint v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


# -- keys ---------------------------------------------------------------------------------------

def key_id(public_key: Ed25519PublicKey) -> str:
    """The key's short name: the first 16 hex digits of SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """Base64 of the 32 raw bytes: what ``--public-key`` accepts and the file carries."""
    return base64.b64encode(raw_public_key(public_key)).decode("ascii")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path`` (PKCS #8 PEM, unencrypted, as ``keygen`` writes it).

    Raises ``checkpoint_key_invalid`` (naming the path and why, never the key) for a missing or
    unreadable file, a file group or others may read, or anything but an Ed25519 private key."""
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            raise InvalidInput("checkpoint_key_invalid", path=str(path), reason="readable by group or others (chmod 600)")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except InvalidInput:
        raise
    except OSError as exc:
        raise InvalidInput("checkpoint_key_invalid", path=str(path), reason=exc.strerror or exc.__class__.__name__) from None
    except (ValueError, TypeError):
        raise InvalidInput("checkpoint_key_invalid", path=str(path), reason="not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput("checkpoint_key_invalid", path=str(path), reason="not an Ed25519 key")
    return key


def parse_public_key(value: str) -> Ed25519PublicKey:
    """A public key given as base64 of 32 raw bytes, as a PEM text, or as the path of a file
    holding either (a ``.pub`` written by ``keygen``); ``public_key_invalid`` otherwise."""
    if not isinstance(value, str):
        raise InvalidInput("public_key_invalid", value=repr(value)[:60])
    text = value
    if len(value) < 4096 and "\n" not in value and not value.startswith("-----"):
        path = Path(value)
        try:
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            pass
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii", "replace"))
            if isinstance(key, Ed25519PublicKey):
                return key
        else:
            raw = base64.b64decode(text, validate=True)
            if len(raw) == 32:
                return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        pass
    raise InvalidInput("public_key_invalid", value=value[:60])


def generate_key_file(out: Path) -> dict[str, Any]:
    """Write a new Ed25519 private key to ``out`` (PKCS #8 PEM, mode 0600, never over an existing
    file) and its public key beside it (``out`` + ``.pub``, PEM). Returns the public key, its id
    and both paths."""
    if not out.name or out.is_dir():
        raise InvalidInput("key_file_unwritable", path=str(out), reason="a folder, not a file")
    pub_path = out.with_name(out.name + ".pub")
    for path in (out, pub_path):
        if path.exists() or path.is_symlink():
            raise Conflict("key_file_exists", path=str(path))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Conflict("key_file_exists", path=str(out)) from None
    except OSError as exc:
        raise InvalidInput("key_file_unwritable", path=str(out), reason=exc.strerror or exc.__class__.__name__) from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    public = key.public_key()
    pub_path.write_bytes(public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return {"private_key_file": str(out), "public_key_file": str(pub_path),
            "public_key": public_key_text(public), "key_id": key_id(public)}


# -- the signed document -------------------------------------------------------------------------

def signed_bytes(tree_size: int, root: str, head_hash: str, created_at: str) -> bytes:
    """The exact bytes an Ed25519 signature of a checkpoint covers (see the module's docstring)."""
    return f"{SIGNED_HEADER}\n{tree_size}\n{root}\n{head_hash}\n{created_at}\n".encode("utf-8")


def sign_checkpoint(key: Ed25519PrivateKey, *, tree_size: int, root: str, head_hash: str,
                    created_at: str) -> dict[str, Any]:
    """The published checkpoint document for one checkpoint row."""
    public = key.public_key()
    signature = key.sign(signed_bytes(tree_size, root, head_hash, created_at))
    return {"format": CHECKPOINT_FORMAT, "tree_size": tree_size, "root": root, "head_hash": head_hash,
            "created_at": created_at, "key_id": key_id(public), "public_key": public_key_text(public),
            "signature": base64.b64encode(signature).decode("ascii")}


def check_checkpoint_document(doc: Any, public_key: Ed25519PublicKey | None = None) -> tuple[bool, str]:
    """Check a published checkpoint document offline: its shape, then its signature.

    With ``public_key`` (the operator's key, obtained out of band) the file must name that key
    and be signed by it; without, the signature is checked against the key the file carries,
    which shows only that the file was not altered since someone signed it. Returns
    ``(ok, reason)``: ``ok``, ``malformed: ...``, ``key_mismatch`` or ``signature_invalid``."""
    problem = _shape_problem(doc)
    if problem:
        return False, f"malformed: {problem}"
    try:
        carried = Ed25519PublicKey.from_public_bytes(base64.b64decode(doc["public_key"], validate=True))
        signature = base64.b64decode(doc["signature"], validate=True)
    except (ValueError, binascii.Error):
        return False, "malformed: public_key or signature is not base64 of the right length"
    if key_id(carried) != doc["key_id"]:
        return False, "key_mismatch"
    key = carried
    if public_key is not None:
        if raw_public_key(public_key) != raw_public_key(carried):
            return False, "key_mismatch"
        key = public_key
    try:
        key.verify(signature, signed_bytes(doc["tree_size"], doc["root"], doc["head_hash"], doc["created_at"]))
    except InvalidSignature:
        return False, "signature_invalid"
    return True, "ok"


def _shape_problem(doc: Any) -> str:
    if not isinstance(doc, dict):
        return "not a JSON object"
    if doc.get("format") != CHECKPOINT_FORMAT:
        return f"format is not {CHECKPOINT_FORMAT}"
    size = doc.get("tree_size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return "tree_size is not a whole number"
    for name in ("root", "head_hash"):
        if not isinstance(doc.get(name), str) or not _HEX64.fullmatch(doc[name]):
            return f"{name} is not 64 lowercase hex digits"
    for name in ("created_at", "key_id", "public_key", "signature"):
        if not isinstance(doc.get(name), str) or "\n" in doc[name] or not doc[name]:
            return f"{name} is missing or not one line of text"
    return ""


def read_checkpoint_file(path: Path) -> Any:
    """The JSON in a published checkpoint file (``checkpoint_file_unreadable`` if it is not JSON
    or cannot be read); its content is checked by :func:`check_checkpoint_document`."""
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise InvalidInput("checkpoint_file_unreadable", path=str(path), reason=exc.strerror or exc.__class__.__name__) from None
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deeply
        raise InvalidInput("checkpoint_file_unreadable", path=str(path), reason="not JSON") from None


def check_writable(path: Path) -> None:
    """Refuse (``checkpoint_file_unwritable``) a path whose folder does not exist or that names a
    folder, before anything is recorded."""
    if path.is_dir() or not path.parent.is_dir():
        raise InvalidInput("checkpoint_file_unwritable", path=str(path),
                           reason="a folder" if path.is_dir() else "no such folder")


def write_checkpoint_file(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` to ``path`` atomically (a temporary file beside it, then a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput("checkpoint_file_unwritable", path=str(path), reason=exc.strerror or exc.__class__.__name__) from None
