"""The imported projects table: what another registry's projects are, and what they publish.

One row per (source registry, project id), written by the ``registry_import`` entry that last brought
the project (``seq``); every column comes from that entry's ``projects`` list, so ``verify``
derives the table from the journal (:func:`ledger.registry_import.audit.audits`). The batches
of a project's credits carry its ``project_code`` (``batch.project_code``, with
``batch.methodology_version`` the registry key), so imported credits can be filtered by sink
category, type, methodology or country (:mod:`ledger.registry_import.queries`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel

PROJECT_COLUMNS = ("source_registry", "project_id", "project_code", "name", "project_type", "activities", "methodology",
                   "country", "status", "proponent", "related_id", "sink_category", "published_issued_kg",
                   "published_retired_kg", "published_buffer_kg", "published_registered_kg", "estimated_annual_kg",
                   "area_m2", "latitude_microdeg", "longitude_microdeg", "crediting_start", "crediting_end", "seq")


def _big(**kwargs: object) -> object:
    return Field(default=None, sa_column=Column(BigInteger, nullable=True), **kwargs)


class RegistryProjectRow(SQLModel, table=True):
    """A project of another registry, as the last import that brought it says."""

    __tablename__ = "registry_project"
    __table_args__ = (Index("ix_registry_project_code", "source_registry", "project_code"),
                      Index("ix_registry_project_category", "sink_category", "source_registry"))
    source_registry: str = Field(primary_key=True, max_length=20)  # the mapping key ("verra")
    project_id: str = Field(primary_key=True, max_length=80)
    project_code: str = Field(max_length=12)
    name: str
    project_type: str
    activities: str
    methodology: str
    country: str = Field(max_length=80)
    status: str = Field(max_length=80)
    proponent: str
    related_id: str = Field(max_length=80)
    sink_category: str = Field(max_length=20)
    published_issued_kg: int | None = _big()
    published_retired_kg: int | None = _big()
    published_buffer_kg: int | None = _big()
    published_registered_kg: int | None = _big()
    estimated_annual_kg: int | None = _big()
    area_m2: int | None = _big()
    latitude_microdeg: int | None = _big()  # WGS84, millionths of a degree (about 0.1 m)
    longitude_microdeg: int | None = _big()
    crediting_start: str = Field(max_length=10)
    crediting_end: str = Field(max_length=10)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


PENDING_COLUMNS = ("source_registry", "source", "row_number", "part", "pool", "account_part", "status", "project_id",
                   "pending_t", "record", "seq")


class RegistryPendingRow(SQLModel, table=True):
    """Part of a pooled event that no issuance in the ledger covers yet, held aside (not booked):
    a retirement or cancellation imported before its pool's issuance, or beyond it. A later
    import that brings the pool's issuance takes it up (books it against that issuance) and
    lowers ``pending_t`` or removes the row. Written by the ``registry_import`` entries (their
    ``pending`` list; ``seq`` the last that changed the row), so ``verify`` derives it."""

    __tablename__ = "registry_pending"
    __table_args__ = (Index("ix_registry_pending_pool", "source_registry", "pool"),)
    source_registry: str = Field(primary_key=True, max_length=20)
    source: str = Field(primary_key=True, max_length=255)  # the file the row came from
    row_number: int = Field(primary_key=True)
    part: str = Field(primary_key=True, max_length=40)
    pool: str = Field(max_length=120)
    account_part: str = Field(max_length=10)
    status: str = Field(max_length=12)
    project_id: str = Field(max_length=80)
    pending_t: int = Field(sa_column=Column(BigInteger, nullable=False))
    record: str  # the row as the import read it (canonical JSON), to book it when taken up
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
