"""Storage of registered parcels: a projection of ``parcel_registered`` journal entries."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel


class ParcelRow(SQLModel, table=True):
    """A registered parcel (地块). Geometry is WKB in EPSG:4490; the bbox columns index it."""

    __tablename__ = "parcel"
    __table_args__ = (Index("ix_parcel_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    parcel_code: str = Field(max_length=40, unique=True)
    sink_type: str = Field(max_length=20, index=True)
    holder_party_id: str = Field(foreign_key="party.id", max_length=40, index=True)
    county_code: Optional[str] = Field(default=None, max_length=12)
    tenure_cert_no: Optional[str] = Field(default=None, max_length=120)
    status: str = Field(default="active", max_length=12)
    area_m2: float
    area_epsg: int
    declared_area_mu: Optional[float] = None
    geometry_wkb: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    geometry_sha256: str = Field(max_length=64)
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    attributes: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    registered_seq: int
