"""Storage of parcels: the current state (``parcel``) and every version (``parcel_version``).

``parcel`` is a projection: one row per parcel code holding its latest version, rewritten by the
command that makes a new version. ``parcel_version`` is append-only, like the journal: each row
is one version with its geometry, its canonical record and ``version_hash = SHA-256(record)``,
where the record names the previous version's hash, so each parcel's history is a hash chain.
The journal entry that made a version carries its hash. Database triggers (created with the
table, below) reject UPDATE and DELETE on ``parcel_version``.
"""

from __future__ import annotations

from sqlalchemy import Index, event, text
from sqlmodel import Field, SQLModel

from sinkledger_base.rows import append_only_trigger_statements, blob_column, text_column

ACTIVE, RETIRED, SPLIT, MERGED, DELETED = "active", "retired", "split", "merged", "deleted"


class ParcelRow(SQLModel, table=True):
    """A registered parcel (地块), as of its latest version. Geometry is WKB in EPSG:4490."""

    __tablename__ = "parcel"
    __table_args__ = (Index("ix_parcel_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
                      Index("ix_parcel_status_lon", "status", "min_lon"),
                      # the pickers: the first codes of a status and sink type in order, and their count
                      Index("ix_parcel_status_sink_code", "status", "sink_type", "parcel_code"),
                      Index("ix_parcel_status_code", "status", "parcel_code"))
    id: int | None = Field(default=None, primary_key=True)
    parcel_code: str = Field(max_length=40, unique=True)
    sink_type: str = Field(max_length=20, index=True)
    holder_party_id: str = Field(foreign_key="party.id", max_length=40, index=True)
    county_code: str | None = Field(default=None, max_length=12)
    tenure_cert_no: str | None = Field(default=None, max_length=120)
    tenure_cert_kind: str | None = Field(default=None, max_length=40)
    tenure_ownership: str | None = Field(default=None, max_length=20)
    household_shares: str = Field(default="{}", sa_column=text_column(server_default="{}"))
    status: str = Field(default=ACTIVE, max_length=12)
    retired_from: str | None = Field(default=None, max_length=10)
    area_m2: float
    area_epsg: int
    declared_area_mu: float | None = None
    geometry_wkb: bytes = Field(sa_column=blob_column())
    geometry_sha256: str = Field(max_length=64)
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    lon_span: float = Field(default=0.0, index=True)  # max_lon - min_lon: bounds the bbox search
    attributes: str = Field(sa_column=text_column())  # JSON object
    flags: str = Field(default="[]", sa_column=text_column(server_default="[]"))
    parents: str = Field(default="[]", sa_column=text_column(server_default="[]"))
    version: int = 1
    version_hash: str = Field(default="", max_length=64)
    registered_seq: int
    updated_seq: int = 0


class ParcelVersionRow(SQLModel, table=True):
    """One version of one parcel; append-only (see the module docstring)."""

    __tablename__ = "parcel_version"
    __table_args__ = (Index("ix_parcel_version_code", "parcel_code", "version", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    parcel_code: str = Field(max_length=40)
    version: int
    seq: int = Field(index=True)
    change: str = Field(max_length=20)
    record: str = Field(sa_column=text_column())  # canonical JSON that was hashed
    geometry_wkb: bytes = Field(sa_column=blob_column())
    version_hash: str = Field(max_length=64)


PARCEL_HISTORY_MESSAGE = "parcel_history_is_append_only"


def install_parcel_history_guard(connection) -> None:  # type: ignore[no-untyped-def]
    """The second guard of the append-only rule on parcel history, on either backend."""
    statements = append_only_trigger_statements(
        "parcel_version", sqlite=connection.dialect.name == "sqlite",
        message=PARCEL_HISTORY_MESSAGE, function="sinkledger_parcel_history_append_only",
        name_table=False)
    for statement in statements:
        connection.exec_driver_sql(statement)


# --- spatial index -------------------------------------------------------------------------------
# PostgreSQL + PostGIS: a geometry column (EPSG:4490) kept from the WKB by a trigger, with a GiST
# index. SQLite: an R*Tree of parcel bounding boxes kept by triggers. Both answer "which parcels
# meet this box" without scanning the table; without PostGIS the (status, min_lon) index serves.

_SQLITE_RTREE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS parcel_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    "CREATE TRIGGER IF NOT EXISTS parcel_rtree_insert AFTER INSERT ON parcel BEGIN "
    "INSERT INTO parcel_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat); END",
    "CREATE TRIGGER IF NOT EXISTS parcel_rtree_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat ON parcel "
    "BEGIN UPDATE parcel_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon, min_lat = NEW.min_lat, "
    "max_lat = NEW.max_lat WHERE id = NEW.id; END",
    "CREATE TRIGGER IF NOT EXISTS parcel_rtree_delete AFTER DELETE ON parcel BEGIN "
    "DELETE FROM parcel_rtree WHERE id = OLD.id; END",
    # Parcels registered before the index existed.
    "INSERT INTO parcel_rtree SELECT id, min_lon, max_lon, min_lat, max_lat FROM parcel "
    "WHERE id NOT IN (SELECT id FROM parcel_rtree)",
]
_POSTGIS_COLUMN = [
    "ALTER TABLE parcel ADD COLUMN IF NOT EXISTS geom geometry(Geometry, 4490)",
    "CREATE INDEX IF NOT EXISTS ix_parcel_geom ON parcel USING gist (geom)",
    ("CREATE OR REPLACE FUNCTION sinkledger_parcel_geom() RETURNS trigger LANGUAGE plpgsql AS "
     "$$ BEGIN NEW.geom := ST_GeomFromWKB(NEW.geometry_wkb, 4490); RETURN NEW; END $$"),
    "DROP TRIGGER IF EXISTS parcel_geom ON parcel",
    ("CREATE TRIGGER parcel_geom BEFORE INSERT OR UPDATE OF geometry_wkb ON parcel "
     "FOR EACH ROW EXECUTE FUNCTION sinkledger_parcel_geom()"),
    # Parcels registered before the column existed.
    "UPDATE parcel SET geom = ST_GeomFromWKB(geometry_wkb, 4490) WHERE geom IS NULL",
]


def postgis_available(connection) -> bool:  # type: ignore[no-untyped-def]
    """True when the PostGIS extension is installed in the database (or can be created)."""
    if connection.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first():
        return True
    if not connection.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").first():
        return False
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        return True
    except Exception:  # noqa: BLE001 - no privilege to create it: fall back to the B-tree path
        return False


def install_spatial_index(connection) -> None:  # type: ignore[no-untyped-def]
    """The R*Tree (SQLite) or PostGIS column and GiST index (PostgreSQL) of parcels."""
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE_RTREE:
            connection.exec_driver_sql(statement)
    elif postgis_available(connection):
        for statement in _POSTGIS_COLUMN:
            connection.exec_driver_sql(statement)


@event.listens_for(ParcelRow.__table__, "after_drop")
def _drop_spatial_index(table, connection, **_kw) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS parcel_rtree")


SPATIAL_INDEX_PROBES = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE name = 'parcel_rtree'",
    # the catalogue itself, not the information_schema view: one index probe instead of milliseconds
    "postgresql": "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('parcel') AND attname = 'geom' "
                  "AND NOT attisdropped",
}


def spatial_kind_from_probe(dialect: str, found: bool) -> str:
    """The kind of spatial index, from the dialect and whether its probe found it."""
    if dialect == "sqlite":
        return "rtree" if found else "btree"
    return "postgis" if found else "btree"


def spatial_index_kind(session) -> str:  # type: ignore[no-untyped-def]
    """``rtree`` (SQLite), ``postgis`` or ``btree`` (PostgreSQL without PostGIS)."""
    dialect = session.get_bind().dialect.name
    found = session.exec(text(SPATIAL_INDEX_PROBES[dialect])).first()
    return spatial_kind_from_probe(dialect, found is not None)
