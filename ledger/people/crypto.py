"""Encryption at rest of personal fields (AES-256-GCM) and keyed blind indexes (HMAC-SHA256).

One 32-byte data key (see :mod:`ledger.people.keys`) is never used directly: HKDF-SHA256
derives three sub-keys from it, one per use, so that no two uses share a key:

- ``encryption``: AES-256-GCM over each field. A stored value is ``0x01 || nonce (12 bytes) ||
  ciphertext || tag (16 bytes)``; the associated data binds it to its party, field and record
  version, so a ciphertext copied to another person, field or version fails to decrypt instead
  of showing the wrong data.
- ``blind-index``: HMAC-SHA256 of a normalised resident ID number. Finding a person by ID number
  (duplicates, an erasure request) compares these digests; the number itself is never stored in
  plaintext, and the digest is useless without the key (a plain SHA-256 of an 18-digit ID
  could be reversed by trying every plausible number).
- ``key-check``: a digest stored once in the database, so that a process with a different key
  refuses to read or write (``data_key_mismatch``) instead of mixing two keys.
- ``chain-seal``: HMAC-SHA256 over the head of each hash chain of the register
  (:mod:`ledger.people.chain`), so that someone who can write the database but has no key
  cannot cut a chain's tail or re-hash a rewritten chain unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionFailed(ValueError):
    """A stored value does not decrypt under this key and context (wrong key or altered data)."""


def _subkey(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=f"sinkledger/people/{purpose}/v1".encode()).derive(key)


class FieldCipher:
    """Encrypts and decrypts personal fields under one data key.

    >>> cipher = FieldCipher(bytes(32))
    >>> token = cipher.encrypt("13900000001", party_id="HH-0001", field="phone", version=1)
    >>> cipher.decrypt(token, party_id="HH-0001", field="phone", version=1)
    '13900000001'
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(_subkey(key, "encryption"))
        self._index_key = _subkey(key, "blind-index")
        self._seal_key = _subkey(key, "chain-seal")
        self.key_check = hmac.new(_subkey(key, "key-check"), b"sinkledger person register", hashlib.sha256).hexdigest()

    @staticmethod
    def _context(party_id: str, field: str, version: int) -> bytes:
        return f"sinkledger/person|{party_id}|{field}|{version}".encode()

    def encrypt(self, plaintext: str | None, *, party_id: str, field: str, version: int) -> bytes | None:
        if plaintext is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), self._context(party_id, field, version))
        return FORMAT_VERSION + nonce + sealed

    def decrypt(self, token: bytes | None, *, party_id: str, field: str, version: int) -> str | None:
        if token is None:
            return None
        token = bytes(token)
        if token[:1] != FORMAT_VERSION or len(token) < 1 + NONCE_BYTES + 16:
            raise DecryptionFailed(field)
        nonce, sealed = token[1:1 + NONCE_BYTES], token[1 + NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, self._context(party_id, field, version)).decode("utf-8")
        except InvalidTag:
            raise DecryptionFailed(field) from None

    def blind_index(self, field: str, normalised: str) -> str:
        """The keyed digest of a normalised value (hex), for equality lookups."""
        return hmac.new(self._index_key, f"{field}\n{normalised}".encode(), hashlib.sha256).hexdigest()

    def seal(self, text: str) -> str:
        """The keyed MAC (hex) of a chain head's canonical text."""
        return hmac.new(self._seal_key, text.encode("utf-8"), hashlib.sha256).hexdigest()
