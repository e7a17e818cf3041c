"""Configuration: the one place that reads the environment.

Every setting comes from an environment variable with a documented default; nothing else in
the code base reads ``os.environ``.

============================  ===============================================================
variable                      meaning
============================  ===============================================================
``DATABASE_URL``              SQLAlchemy URL of the database. Default: a SQLite file at
                              ``$SINKLEDGER_HOME/sinkledger.db``.
``SINKLEDGER_HOME``           folder for the default SQLite file and other local state.
                              Default: ``$XDG_DATA_HOME/sinkledger`` or ``~/.local/share/sinkledger``.
``SINKLEDGER_REGION``         region profile: a shipped name (``huzhou``, default;
                              ``zhuzhou-shifeng``) or the path of a profile file (``*.json``;
                              format in docs/parcels.md, "Region profiles").
``SINKLEDGER_GIS_DATA``       folder holding the demo layers. Default: the repo's ``gis_data/``.
``SINKLEDGER_SEED_DEMO``      ``auto`` (default): the app seeds an empty database with the demo
                              data only when it is the default SQLite file; ``1``: always seed
                              an empty database; ``0``: never.
``SINKLEDGER_DATA_KEY``       base64 of the 32-byte key that encrypts households' personal data
                              (the person register, docs/personal-data.md). Required for
                              PostgreSQL (every instance needs the same key); never in the
                              repository. Default: read from the key file.
``SINKLEDGER_DATA_KEY_FILE``  file holding that key, mode 0600. Default:
                              ``$SINKLEDGER_HOME/data.key``, generated there on first use with
                              SQLite and by the demo.
``SINKLEDGER_PDF_FONT``        a TrueType font (``.ttf``/``.ttc``, ``path#N`` for face N) with CJK glyphs
                              for the PDF documents. Default: the packaged WenQuanYi Micro Hei.
``SINKLEDGER_TIANDITU_KEY``   browser key for Tianditu base tiles (optional; maps work offline
                              without it).
``SINKLEDGER_PUBLIC_URL``     the public address of the web app (``https://…``, optional): the QR
                              code and link of every retirement certificate point at its
                              certificate page there. Default: none (a ``sinkledger:`` link).
``SINKLEDGER_MAX_FILE_MB``    largest parcel file accepted, in MiB (whole number; default 256).
                              Keep the reverse proxy's and Streamlit's upload limits at least
                              this large, so that the app refuses with its own message.
``SINKLEDGER_MAX_UNCOMPRESSED_MB``  largest uncompressed total of a ZIP/KMZ, in MiB (default 1024).
``SINKLEDGER_MAX_COMPRESSION_RATIO``  largest compression ratio of an archive or of a member above
                              1 MiB (number; default 200).
``SINKLEDGER_MAX_ARCHIVE_MEMBERS``  most entries in a ZIP/KMZ (whole number; default 256).
``SINKLEDGER_MAX_FEATURES``   most features in a parcel file (whole number; default 1,000,000).
``SINKLEDGER_CHECKPOINT_KEY``  file holding the Ed25519 private key that signs checkpoints (PEM,
                              mode 0600, made by ``sinkledger checkpoint keygen``; never in the
                              database nor the repository). Unset: checkpoints are recorded
                              unsigned and cannot be published (docs/ledger.md, "Published roots").
``SINKLEDGER_CHECKPOINT_DIR``  existing folder where ``sinkledger checkpoint`` publishes each signed
                              checkpoint as ``checkpoint-<tree size, 12 digits>.json``. Unset: only ``--out``.
``SINKLEDGER_SQLITE_SYNCHRONOUS``  SQLite's ``PRAGMA synchronous`` (WAL mode): ``FULL`` (default;
                              every commit is on disk when it returns) or ``NORMAL`` (faster;
                              a power loss or OS crash may lose the last commits, never corrupt
                              the file nor leave a hole in the chain; docs/deployment.md).
                              Ignored on PostgreSQL.
``SINKLEDGER_SIGNIN_USER_FAILURES``  failed sign-ins for one user name (known or not) before
                              each next attempt must wait (whole number; default 5).
``SINKLEDGER_SIGNIN_CLIENT_FAILURES``  failed sign-ins from one client address, across names,
                              before each next attempt from it must wait (default 20).
``SINKLEDGER_SIGNIN_DELAY_SECONDS``  the first wait; it doubles with every further failure
                              (whole number; default 30).
``SINKLEDGER_SIGNIN_MAX_DELAY_SECONDS``  the longest wait (whole number; default 900 = 15 min).
``SINKLEDGER_SIGNIN_FORGET_MINUTES``  a counter with no failure for this long starts again from
                              zero (whole number; default 720 = 12 h). A successful sign-in
                              resets the user name's counter at once.
``SINKLEDGER_TRUSTED_PROXIES``  comma-separated addresses or networks (CIDR) of reverse proxies
                              whose ``X-Forwarded-For`` names the client. Default
                              ``127.0.0.1,::1`` (a proxy on the same host); empty: none.
``SINKLEDGER_API_RATE_PER_MINUTE``  requests one API key may make a minute, on average
                              (whole number; default 600; docs/api.md).
``SINKLEDGER_API_BURST``      requests one API key may make at once before the rate applies
                              (whole number; default 60).
``SINKLEDGER_API_LOG_MAX_ROWS``  rows the API key-use log keeps at most (default 1,000,000).
============================  ===============================================================

A checkpoint key that cannot be read, is readable by group or others, or is no Ed25519
private key, and a checkpoint folder that is not an existing folder, are refused at start-up too.

The five ``SINKLEDGER_MAX_*`` variables become :attr:`Settings.file_limits`
(:class:`sinks.limits.FileLimits`), which the service passes to every parcel-file read. An
unset or empty variable keeps its default; anything else that is not a positive (whole) number
is refused when the settings are loaded, i.e. at start-up, with a refusal whose code and
Chinese/English messages are in the catalogue (``refusals.toml``, table ``settings``), not at
the first upload. The ``SINKLEDGER_SIGNIN_*`` variables and ``SINKLEDGER_TRUSTED_PROXIES`` become
:attr:`Settings.sign_in` (:class:`SignInLimits`, used by :mod:`sinkledger.services.signin_guard`)
and are checked the same way.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sinkledger_base.errors import InvalidInput

# sinks (the sink types, the region profiles, the file limits) is imported where it is used, not
# here: it imports the message catalogue, which may import us, and a command that needs only the
# database URL (``sinkledger balances``: database_url_setting) does not load it at all (issue 17).
if TYPE_CHECKING:
    from sinks.limits import FileLimits
    from sinks.regions import Region

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_REGION = "huzhou"
SQLITE_SYNCHRONOUS_MODES = ("FULL", "NORMAL")  # the first is the default
DEMO_REGION = "huzhou"  # the demo data in gis_data/ lies in Huzhou's counties


def __getattr__(name: str) -> Any:
    """``Region``, ``HUZHOU`` and ``REGIONS``, kept for existing callers; regions are data now
    (:mod:`sinks.regions`, profiles in ``sinks/regions/``), loaded on first use."""
    if name == "Region":
        # deferred on purpose: sinks loads only for a setting that reads it (see the top)
        from sinks.regions import Region

        return Region
    if name == "HUZHOU":
        return region_profile(DEFAULT_REGION)
    if name == "REGIONS":
        # deferred on purpose: sinks loads only for a setting that reads it (see the top)
        from sinks.regions import profile_names

        return {key: region_profile(key) for key in profile_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=16)
def _shipped_region(name: str) -> Region:
    return _load_region(name)


def _load_region(name_or_path: str) -> Region:
    # deferred on purpose: sinks loads only for a setting that reads it (see the top)
    from sinks import SINK_TYPES
    from sinks.regions import load_region

    return load_region(name_or_path, known_sink_types=set(SINK_TYPES))


def region_profile(name_or_path: str) -> Region:
    """The region profile ``name_or_path``: a shipped profile's name (``huzhou``,
    ``zhuzhou-shifeng``) or the path of a profile file (``*.json``).

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``setting_value_unknown`` for a name that is no shipped profile;
        ``region_profile_unreadable`` / ``region_profile_invalid`` for a broken profile.
    """
    # deferred on purpose: sinks loads only for a setting that reads it (see the top)
    from sinks.regions import RegionProfileInvalid, profile_names

    is_path = name_or_path.endswith(".json") or "/" in name_or_path or "\\" in name_or_path
    if not is_path and name_or_path not in profile_names():
        raise InvalidInput("setting_value_unknown", variable="SINKLEDGER_REGION", value=name_or_path[:40],
                           choices=", ".join(profile_names()) + ", PATH.json")
    try:
        return _load_region(name_or_path) if is_path else _shipped_region(name_or_path)
    except RegionProfileInvalid as bad:
        raise InvalidInput(bad.code, **bad.params) from None


def default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "sinkledger"


@dataclass(frozen=True, kw_only=True)
class SignInLimits:
    """How repeated failed sign-ins are slowed down (docs/app.md, "Sign-in that resists guessing").

    After ``user_failures`` failures for one user name (or ``client_failures`` from one client
    address), the n-th failure makes every next attempt wait ``delay_s * 2 ** (n - threshold)``
    seconds, at most ``max_delay_s``. A counter idle for ``forget_minutes`` starts again. The
    sign-in log keeps at most ``log_max_rows`` rows (and 180 days).
    """

    user_failures: int = 5
    client_failures: int = 20
    delay_s: int = 30
    max_delay_s: int = 900
    forget_minutes: int = 720
    log_max_rows: int = 100_000
    trusted_proxies: tuple[str, ...] = ("127.0.0.1/32", "::1/128")


SIGN_IN_VARIABLES = {"user_failures": "SINKLEDGER_SIGNIN_USER_FAILURES",
                     "client_failures": "SINKLEDGER_SIGNIN_CLIENT_FAILURES",
                     "delay_s": "SINKLEDGER_SIGNIN_DELAY_SECONDS",
                     "max_delay_s": "SINKLEDGER_SIGNIN_MAX_DELAY_SECONDS",
                     "forget_minutes": "SINKLEDGER_SIGNIN_FORGET_MINUTES",
                     "log_max_rows": "SINKLEDGER_SIGNIN_LOG_MAX_ROWS"}
MAX_SIGN_IN_SETTING = 10_000_000  # larger values are refused (no overflow in the date arithmetic)


@dataclass(frozen=True, kw_only=True)
class ApiLimits:
    """How often one API key may be used (docs/api.md, "Keys, limits and the use log").

    Each key has a token bucket of ``burst`` requests, refilled at ``rate_per_minute``; the
    bucket is kept in the database, so every instance behind one database shares it (each
    instance writes what it spent every ``flush_ms``). The key-use log keeps at most
    ``log_max_rows`` rows (and 180 days). The public registry allows each client address
    ``public_burst`` requests at once and ``public_rate_per_minute`` on average, per instance.
    """

    rate_per_minute: int = 600
    burst: int = 60
    log_max_rows: int = 1_000_000
    # issue 18, point 5: a key check writes nothing; each instance writes its buckets and the
    # use log every flush_ms (and at shutdown), holding at most log_buffer_rows unwritten rows
    flush_ms: int = 1000
    log_buffer_rows: int = 10_000
    # the public registry (no key): a token bucket per client address, per instance
    public_rate_per_minute: int = 600
    public_burst: int = 120


API_VARIABLES = {"rate_per_minute": "SINKLEDGER_API_RATE_PER_MINUTE", "burst": "SINKLEDGER_API_BURST",
                 "log_max_rows": "SINKLEDGER_API_LOG_MAX_ROWS", "flush_ms": "SINKLEDGER_API_FLUSH_MS",
                 "log_buffer_rows": "SINKLEDGER_API_LOG_BUFFER_ROWS",
                 "public_rate_per_minute": "SINKLEDGER_PUBLIC_RATE_PER_MINUTE",
                 "public_burst": "SINKLEDGER_PUBLIC_BURST"}


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str
    home: Path
    region: Region
    gis_data_dir: Path
    database_url_is_default: bool = field(default=False)
    seed_demo: str = "auto"
    data_key: str = field(default="", repr=False)  # base64; repr=False keeps it out of logs and tracebacks
    data_key_file: Path | None = None
    tianditu_key: str | None = field(default=None, repr=False)
    public_url: str | None = None
    file_limits: FileLimits = field(default_factory=lambda: _default_file_limits())
    sqlite_synchronous: str = SQLITE_SYNCHRONOUS_MODES[0]
    checkpoint_key_file: Path | None = None
    checkpoint_dir: Path | None = None
    sign_in: SignInLimits = field(default_factory=SignInLimits)
    api: ApiLimits = field(default_factory=ApiLimits)

    @property
    def seeds_demo_when_empty(self) -> bool:
        """Whether the app seeds an empty database with the demo (never outside the demo's region)."""
        if self.region.key != DEMO_REGION:
            return False
        return self.seed_demo == "1" or (self.seed_demo == "auto" and self.database_url_is_default)

    @property
    def counties_path(self) -> Path:
        """The region's county outlines (GeoJSON) named by its profile; else the demo layer's."""
        return self.region.outlines_path(self.gis_data_dir) or self.gis_data_dir / "counties.geojson"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _with_overrides(env: Mapping[str, str] | None, overrides: Mapping[str, str]) -> dict[str, str]:
    """``env`` (default: the process environment) with the non-empty ``overrides`` over it."""
    return {**(os.environ if env is None else env), **{k: v for k, v in overrides.items() if v}}


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["SINKLEDGER_HOME"]) if env.get("SINKLEDGER_HOME") else default_home()


def _database_url(env: Mapping[str, str], home: Path) -> tuple[str, bool]:
    url = env.get("DATABASE_URL", "").strip()
    return (url, False) if url else (f"sqlite:///{home / 'sinkledger.db'}", True)


def database_url_setting(env: Mapping[str, str] | None = None, **overrides: str) -> str:
    """The database URL that :func:`load_settings` would give for the same arguments, without
    reading or checking any other setting (nor importing what they need)."""
    env = _with_overrides(env, overrides)
    return _database_url(env, _home(env))[0]


def load_settings(env: dict[str, str] | None = None, **overrides: str) -> Settings:
    """Read the settings from ``env`` (default: the process environment).

    ``overrides`` replace individual variables, e.g. ``load_settings(DATABASE_URL=url)`` for a
    command-line option.
    """
    env = _with_overrides(env, overrides)
    home = _home(env)
    url, is_default = _database_url(env, home)
    region = region_profile(env.get("SINKLEDGER_REGION", "").strip() or DEFAULT_REGION)
    gis = Path(env["SINKLEDGER_GIS_DATA"]) if env.get("SINKLEDGER_GIS_DATA") else REPO_ROOT / "gis_data"
    return Settings(
        database_url=url,
        home=home,
        region=region,
        gis_data_dir=gis,
        database_url_is_default=is_default,
        seed_demo=env.get("SINKLEDGER_SEED_DEMO", "auto"),
        data_key=env.get("SINKLEDGER_DATA_KEY", "").strip(),
        data_key_file=(Path(env["SINKLEDGER_DATA_KEY_FILE"]) if env.get("SINKLEDGER_DATA_KEY_FILE")
                       else home / "data.key"),
        tianditu_key=env.get("SINKLEDGER_TIANDITU_KEY") or None,
        public_url=(env.get("SINKLEDGER_PUBLIC_URL") or "").strip().rstrip("/") or None,
        file_limits=file_limits_from_env(env),
        sqlite_synchronous=sqlite_synchronous_from_env(env),
        checkpoint_key_file=checkpoint_key_from_env(env),
        checkpoint_dir=checkpoint_dir_from_env(env),
        sign_in=sign_in_limits_from_env(env),
        api=api_limits_from_env(env),
    )


def _positive_settings(env: Mapping[str, str], variables: Mapping[str, str], defaults: Any) -> dict[str, int]:
    """The whole numbers named by ``variables`` (field → environment variable) that are set;
    anything but a positive whole number up to :data:`MAX_SIGN_IN_SETTING` is refused."""
    values: dict[str, int] = {}
    for name, variable in variables.items():
        given = env.get(variable, "").strip()
        if not given:
            continue
        if not (given.isascii() and given.isdigit() and 0 < int(given) <= MAX_SIGN_IN_SETTING):
            raise InvalidInput("setting_must_be_positive_whole_number", variable=variable, value=given[:40],
                               default=str(getattr(defaults, name)))
        values[name] = int(given)
    return values


def api_limits_from_env(env: Mapping[str, str]) -> ApiLimits:
    """The API keys' rate limit and use log from the ``SINKLEDGER_API_*`` variables.

    >>> api_limits_from_env({"SINKLEDGER_API_BURST": "5"}).burst
    5
    """
    return ApiLimits(**_positive_settings(env, API_VARIABLES, ApiLimits()))


def sign_in_limits_from_env(env: Mapping[str, str]) -> SignInLimits:
    """The sign-in limits from the ``SINKLEDGER_SIGNIN_*`` variables and
    ``SINKLEDGER_TRUSTED_PROXIES`` (an unset or empty number keeps its default; an unset proxy
    list keeps ``127.0.0.1,::1``, an empty one trusts no proxy).

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``setting_must_be_positive_whole_number`` naming the variable, the value and the
        default; ``setting_network_invalid`` for a proxy that is no address or network.

    Examples
    --------
    >>> sign_in_limits_from_env({"SINKLEDGER_SIGNIN_USER_FAILURES": "3"}).user_failures
    3
    >>> sign_in_limits_from_env({"SINKLEDGER_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies
    ('10.0.0.0/8', '::1/128')
    """
    values: dict[str, Any] = _positive_settings(env, SIGN_IN_VARIABLES, SignInLimits())
    proxies = env.get("SINKLEDGER_TRUSTED_PROXIES")
    if proxies is not None:
        networks = []
        for part in (p.strip() for p in proxies.split(",")):
            if not part:
                continue
            try:
                networks.append(str(ipaddress.ip_network(part, strict=False)))
            except ValueError:
                raise InvalidInput("setting_network_invalid", variable="SINKLEDGER_TRUSTED_PROXIES",
                                   value=part[:40]) from None
        values["trusted_proxies"] = tuple(networks)
    return SignInLimits(**values)


def checkpoint_key_from_env(env: Mapping[str, str]) -> Path | None:
    """``SINKLEDGER_CHECKPOINT_KEY``: the path of the checkpoint signing key, or None when unset.

    The key is read once here, so that a bad file is refused at start-up, not at the first
    checkpoint; it is read again when a checkpoint is signed (the settings never hold it).

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``checkpoint_key_invalid``, naming the path and why (never the key).
    """
    given = env.get("SINKLEDGER_CHECKPOINT_KEY", "").strip()
    if not given:
        return None
    path = Path(given).expanduser()
    # deferred on purpose: cryptography loads only when a checkpoint key is configured
    from ledger.signing import load_private_key

    load_private_key(path)
    return path


def checkpoint_dir_from_env(env: Mapping[str, str]) -> Path | None:
    """``SINKLEDGER_CHECKPOINT_DIR``: an existing folder for published checkpoints, or None.

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``checkpoint_dir_invalid`` when the value is not an existing folder.
    """
    given = env.get("SINKLEDGER_CHECKPOINT_DIR", "").strip()
    if not given:
        return None
    path = Path(given).expanduser()
    if not path.is_dir():
        raise InvalidInput("checkpoint_dir_invalid", variable="SINKLEDGER_CHECKPOINT_DIR", value=given[:80])
    return path


def sqlite_synchronous_from_env(env: Mapping[str, str]) -> str:
    """``SINKLEDGER_SQLITE_SYNCHRONOUS``: ``FULL`` (default when unset or empty) or ``NORMAL``, in
    any case.

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``setting_value_unknown``, naming the variable, the value given and the choices.

    Examples
    --------
    >>> sqlite_synchronous_from_env({}), sqlite_synchronous_from_env({"SINKLEDGER_SQLITE_SYNCHRONOUS": "normal"})
    ('FULL', 'NORMAL')
    """
    given = env.get("SINKLEDGER_SQLITE_SYNCHRONOUS", "").strip()
    if not given:
        return SQLITE_SYNCHRONOUS_MODES[0]
    if given.upper() not in SQLITE_SYNCHRONOUS_MODES:
        raise InvalidInput("setting_value_unknown", variable="SINKLEDGER_SQLITE_SYNCHRONOUS", value=given[:40],
                           choices=", ".join(SQLITE_SYNCHRONOUS_MODES))
    return given.upper()


def _default_file_limits() -> FileLimits:
    # deferred on purpose: sinks loads only for a setting that reads it (see the top)
    from sinks.limits import DEFAULT_LIMITS

    return DEFAULT_LIMITS


def file_limits_from_env(env: Mapping[str, str]) -> FileLimits:
    """The parcel-file limits from the ``SINKLEDGER_MAX_*`` variables of ``env``.

    Raises
    ------
    sinkledger_base.errors.InvalidInput
        ``setting_must_be_positive_whole_number`` or ``setting_must_be_positive_number``, naming
        the variable, the value given and the default (also a ``ValueError``).

    Examples
    --------
    >>> file_limits_from_env({"SINKLEDGER_MAX_FILE_MB": "64"}).max_file_bytes == 64 * 1024 * 1024
    True
    >>> file_limits_from_env({"SINKLEDGER_MAX_FEATURES": "many"})
    Traceback (most recent call last):
    ...
    sinkledger_base.errors.InvalidInput: setting_must_be_positive_whole_number: ...
    """
    # deferred on purpose: sinks loads only for a setting that reads it (see the top)
    from sinks.limits import ENV_VARIABLES, MIB, FileLimits, LimitSettingInvalid

    try:
        return FileLimits.from_env(env)
    except LimitSettingInvalid as bad:
        default = getattr(FileLimits(), bad.name)
        default = default // MIB if bad.name.endswith("_bytes") else default
        params = {"variable": ENV_VARIABLES[bad.name], "value": bad.text[:40],
                  "default": str(int(default)) if default == int(default) else str(default)}
        if bad.name == "max_compression_ratio":
            raise InvalidInput("setting_must_be_positive_number", **params) from None
        raise InvalidInput("setting_must_be_positive_whole_number", **params) from None


def pdf_font_setting(env: Mapping[str, str] | None = None) -> str:
    """``SINKLEDGER_PDF_FONT`` (empty when unset): the documents' font, read here like every
    setting (:mod:`sinkledger.documents.fonts` uses it)."""
    return (os.environ if env is None else env).get("SINKLEDGER_PDF_FONT", "").strip()
