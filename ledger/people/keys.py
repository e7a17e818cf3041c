"""The data key: where it comes from, how a new one is made, and how its file is guarded.

Order of precedence (the values come from :mod:`sinkledger.config`, which alone reads the
environment):

1. ``SINKLEDGER_DATA_KEY``: base64 of 32 random bytes (standard or URL-safe alphabet). Use this
   for PostgreSQL deployments, where every app instance must hold the same key; keep it in the
   deployment's secret store, never in the repository.
2. The key file (``SINKLEDGER_DATA_KEY_FILE``, default ``$SINKLEDGER_HOME/data.key``), holding
   the same base64 text. It must not be readable by group or others (mode 0600), as ssh
   insists for private keys.
3. Otherwise, only where a key may be generated (a local SQLite database, or the synthetic
   demo), a new key is written to the key file with mode 0600, created exclusively so that two
   processes starting together end up with the same key.

Losing the key loses the personal data (by design: a stolen database or backup without the key
reveals nothing). Back it up separately from the database backups.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import tempfile
from pathlib import Path

from ledger.people.crypto import KEY_BYTES
from sinkledger_base.errors import InvalidInput, NotFound

KEY_FILE_NAME = "data.key"


def generate_key_text() -> str:
    """A new key as base64 text (what ``sinkledger people keygen`` prints)."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_key(text: str) -> bytes:
    """The 32 key bytes from base64 text; ``data_key_invalid`` otherwise (the text is not echoed)."""
    cleaned = "".join(text.split())
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(key) == KEY_BYTES:
            return key
    raise InvalidInput("data_key_invalid")


def read_key_file(path: Path) -> bytes:
    """The key in ``path``; refused when group or others may read the file (POSIX)."""
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise InvalidInput("data_key_file_exposed", path=str(path), mode=oct(mode))
    return parse_key(path.read_text(encoding="ascii"))


def write_key_file(path: Path) -> bytes:
    """Create ``path`` with a new key, mode 0600, atomically: the key is written and synced to a
    private temporary file first, then linked into place, so a crash never leaves an empty key
    file, and if another process linked its key first, that key is read and used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = generate_key_text()
    fd, tmp = tempfile.mkstemp(prefix=".data.key.", dir=path.parent)  # mkstemp creates with mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    except FileExistsError:
        return read_key_file(path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return parse_key(text)


def load_data_key(*, key_text: str | None, key_file: Path, allow_generate: bool) -> bytes:
    """The data key from configuration, the key file, or (if allowed) a newly generated file."""
    if key_text and key_text.strip():
        return parse_key(key_text)
    if key_file.exists():
        return read_key_file(key_file)
    if allow_generate:
        return write_key_file(key_file)
    raise NotFound("data_key_missing", path=str(key_file))
