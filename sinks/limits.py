"""Limits on parcel files: upload size, archive bombs, hostile archive members.

A parcel file comes from outside (a browser upload, a USB stick, an e-mail), so before GDAL
opens it :mod:`sinks.reading` checks it against a :class:`FileLimits`:

- any file (and a plain Shapefile's parts together) above ``max_file_bytes`` is refused
  (``file_too_large``) before a byte of it is parsed;
- a ZIP (zipped Shapefile) or KMZ is inspected from its central directory first: more than
  ``max_archive_members`` entries (``archive_has_too_many_members``), names that could escape a
  folder when extracted (absolute, ``..``, drive letters, backslashes, NUL, symbolic links:
  ``archive_member_name_unsafe``), archives inside the archive (``.zip``, ``.kmz``, ``.gz`` ...
  by name, or by their magic bytes: ``archive_nested``), a declared uncompressed total above
  ``max_uncompressed_bytes`` (``archive_too_large``), or a compression ratio above
  ``max_compression_ratio`` for the whole archive or any member larger than
  ``ratio_grace_bytes`` (``archive_ratio_too_high``);
- then every member is inflated once, in chunks, never past its declared size, and its CRC
  checked, so an archive whose headers lie about sizes is refused (``file_unreadable``) before
  GDAL's ``/vsizip/`` reader, which trusts other fields, sees it;
- a layer with more than ``max_features`` features is refused (``file_has_too_many_features``)
  before its rows are read into memory.

The ratio limit has a grace size because small members of real files compress very well (the
blank padding of a DBF), while a bomb needs a large inflated size to hurt. Deflate cannot
exceed a ratio of about 1,032:1 in one layer; bombs reach far higher totals only by nesting or
overlapping entries, which the member and nesting checks refuse.

The limits are configuration: :meth:`FileLimits.from_env` reads the ``SINKLEDGER_MAX_*``
variables from a mapping (``sinkledger.config.load_settings`` passes the environment; this
module reads no environment itself).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

MIB = 1024 * 1024

NESTED_ARCHIVE_SUFFIXES = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".zst",
                           ".gdb.zip", ".jar")
# Magic numbers of archive formats GDAL (or a user) might open inside an archive.
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!",
                 b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")

ENV_VARIABLES = {
    "max_file_bytes": "SINKLEDGER_MAX_FILE_MB",
    "max_uncompressed_bytes": "SINKLEDGER_MAX_UNCOMPRESSED_MB",
    "max_compression_ratio": "SINKLEDGER_MAX_COMPRESSION_RATIO",
    "max_archive_members": "SINKLEDGER_MAX_ARCHIVE_MEMBERS",
    "max_features": "SINKLEDGER_MAX_FEATURES",
}


class LimitSettingInvalid(ValueError):
    """A ``SINKLEDGER_MAX_*`` value that is not a positive (whole) number.

    ``name`` is the :class:`FileLimits` field, ``text`` the value as given.
    """

    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{ENV_VARIABLES[name]} must be a positive "
                         f"{'number' if name == 'max_compression_ratio' else 'whole number'}, got {text!r}")
        self.name, self.text = name, text


@dataclass(frozen=True, kw_only=True)
class FileLimits:
    """What a parcel file may be. Sizes in bytes; the ratio is uncompressed ÷ compressed.

    Attributes
    ----------
    max_file_bytes : int
        Largest file accepted (a plain Shapefile: its parts together). 256 MiB: above
        Streamlit's 200 MB upload default, room for ~500,000 parcels in a GeoPackage.
    max_uncompressed_bytes : int
        Largest declared uncompressed total of a ZIP or KMZ (1 GiB).
    max_compression_ratio : float
        Largest ratio for the archive and for any member above ``ratio_grace_bytes`` (200).
    ratio_grace_bytes : int
        Members (and archives) that inflate to less than this are not ratio-checked (1 MiB).
    max_archive_members : int
        Most entries in a ZIP or KMZ, folders included (256; a zipped Shapefile has 4-8).
    max_features : int
        Most features in the layer(s) read (1,000,000).
    """

    max_file_bytes: int = 256 * MIB
    max_uncompressed_bytes: int = 1024 * MIB
    max_compression_ratio: float = 200.0
    ratio_grace_bytes: int = 1 * MIB
    max_archive_members: int = 256
    max_features: int = 1_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ValueError(f"{f.name} must be a positive finite number, got {value!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FileLimits:
        """Limits from ``SINKLEDGER_MAX_FILE_MB``, ``..._UNCOMPRESSED_MB``, ``..._COMPRESSION_RATIO``,
        ``..._ARCHIVE_MEMBERS`` and ``..._FEATURES``; unset or empty variables keep the default.

        Examples
        --------
        >>> FileLimits.from_env({"SINKLEDGER_MAX_FILE_MB": "10"}).max_file_bytes
        10485760
        >>> FileLimits.from_env({}) == FileLimits()
        True

        Raises
        ------
        LimitSettingInvalid
            For the first variable that is not a whole number greater than 0 (the ratio: not a
            finite number greater than 0); a ``ValueError``. ``sinkledger.config`` turns it into
            the start-up refusal.
        """
        given: dict[str, int | float] = {}
        for name, variable in ENV_VARIABLES.items():
            text = (env.get(variable) or "").strip()
            if not text:
                continue
            try:
                number = float(text) if name == "max_compression_ratio" else int(text)
            except ValueError:
                raise LimitSettingInvalid(name, text) from None
            if not 0 < number < math.inf:
                raise LimitSettingInvalid(name, text)
            given[name] = number * MIB if name.endswith("_bytes") else number
        return cls(**given)  # type: ignore[arg-type]


DEFAULT_LIMITS = FileLimits()


def unsafe_member_name(name: str) -> bool:
    """True for archive member names that could leave the extraction folder or fool a reader.

    Examples
    --------
    >>> [unsafe_member_name(n) for n in ("a/b.shp", "../a.shp", "/etc/x", "C:/x", "a\\\\..\\\\b", "ok..shp")]
    [False, True, True, True, True, False]
    """
    if not name or "\x00" in name or name.startswith(("/", "\\")):
        return True
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return True
    parts = name.replace("\\", "/").split("/")
    return any(part == ".." for part in parts) or "\\" in name


def nested_archive_name(name: str) -> bool:
    """True for a member whose name says it is an archive itself."""
    lowered = name.lower()
    return lowered.endswith(NESTED_ARCHIVE_SUFFIXES)
