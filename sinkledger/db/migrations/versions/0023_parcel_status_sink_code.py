"""parcel_status_sink_code: the pickers' indexes, parcels by status (and sink type) and code

Revision ID: 0023_parcel_status_sink_code
Revises: 0022_c_order_keys
Create Date: 2026-12-06

Issue 17 (docs/maps.md, "Pages at county scale"): the batch page and the insurer's losses page
pick parcels by status and sink type, listing the first codes in order and counting the matches.
With an index on the status alone, SQLite read every active parcel of the county for both and
sorted them (59 ms and 51 ms a page run on 100,000 parcels); along ``(status, sink_type,
parcel_code)`` the count is a covering range scan (3.5 ms) and the list reads its 200 codes in
order (0.1 ms). Without a sink type the losses page lists the first codes of every active
parcel: along ``(status, parcel_code)`` (it sorted all of them: 120 ms).
"""

from __future__ import annotations

from alembic import op

revision = '0023_parcel_status_sink_code'
down_revision = '0022_c_order_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_parcel_status_sink_code", "parcel", ["status", "sink_type", "parcel_code"], if_not_exists=True)
    op.create_index("ix_parcel_status_code", "parcel", ["status", "parcel_code"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_parcel_status_code", table_name="parcel", if_exists=True)
    op.drop_index("ix_parcel_status_sink_code", table_name="parcel", if_exists=True)
