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
``SINKLEDGER_REGION``         region profile name (``huzhou``).
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
``SINKLEDGER_TIANDITU_KEY``   browser key for Tianditu base tiles (optional; maps work offline
                              without it).
============================  ===============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class Region:
    """A registry's region: where parcels may lie and how areas are measured."""

    key: str
    name_zh: str
    name_en: str
    admin_code: str  # GB/T 2260 administrative division code of the prefecture.
    bounds_lonlat: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    area_epsg: int  # CGCS2000 3-degree Gauss-Krüger zone used for areas.
    storage_epsg: int = 4490  # CGCS2000 geographic.
    currency: str = "CNY"


HUZHOU = Region(
    key="huzhou",
    name_zh="湖州市",
    name_en="Huzhou",
    admin_code="330500",
    bounds_lonlat=(119.12, 30.35, 120.52, 31.20),
    area_epsg=4549,
)

REGIONS = {HUZHOU.key: HUZHOU}


def default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "sinkledger"


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

    @property
    def seeds_demo_when_empty(self) -> bool:
        return self.seed_demo == "1" or (self.seed_demo == "auto" and self.database_url_is_default)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: dict[str, str] | None = None, **overrides: str) -> Settings:
    """Read the settings from ``env`` (default: the process environment).

    ``overrides`` replace individual variables, e.g. ``load_settings(DATABASE_URL=url)`` for a
    command-line option.
    """
    env = dict(os.environ if env is None else env)
    env.update({k: v for k, v in overrides.items() if v})
    home = Path(env["SINKLEDGER_HOME"]) if env.get("SINKLEDGER_HOME") else default_home()
    url = env.get("DATABASE_URL", "").strip()
    is_default = not url
    if is_default:
        url = f"sqlite:///{home / 'sinkledger.db'}"
    region_key = env.get("SINKLEDGER_REGION", HUZHOU.key)
    if region_key not in REGIONS:
        raise ValueError(f"unknown region {region_key!r}; known: {sorted(REGIONS)}")
    gis = Path(env["SINKLEDGER_GIS_DATA"]) if env.get("SINKLEDGER_GIS_DATA") else REPO_ROOT / "gis_data"
    return Settings(
        database_url=url,
        home=home,
        region=REGIONS[region_key],
        gis_data_dir=gis,
        database_url_is_default=is_default,
        seed_demo=env.get("SINKLEDGER_SEED_DEMO", "auto"),
        data_key=env.get("SINKLEDGER_DATA_KEY", "").strip(),
        data_key_file=(Path(env["SINKLEDGER_DATA_KEY_FILE"]) if env.get("SINKLEDGER_DATA_KEY_FILE")
                       else home / "data.key"),
        tianditu_key=env.get("SINKLEDGER_TIANDITU_KEY") or None,
    )
