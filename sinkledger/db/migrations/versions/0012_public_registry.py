"""public registry: entries by hash, retirements by beneficiary, purpose and year, projects' batches

Revision ID: 0012_public_registry
Revises: 0010_trust_gaps
Create Date: 2026-12-05

The public registry (issue 18, docs/public-registry.md) finds a journal entry by its hash, the
batch holding a serial (the last of its prefix starting at or before it), retirements newest
first filtered by beneficiary, purpose (prefixes) and year, and a project's batches: without
these indexes each was a scan of the whole table (or of every batch of a prefix, sorted).
"""

from __future__ import annotations

from alembic import op

revision = '0012_public_registry'
down_revision = '0011_api_keys'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_journal_entry_entry_hash', 'journal_entry', ['entry_hash']),
    ('ix_batch_project_code', 'batch', ['project_code']),
    ('ix_batch_prefix_first', 'batch', ['serial_prefix', 'first']),
    ('ix_retirement_recorded_at', 'retirement', ['recorded_at', 'seq']),
    ('ix_retirement_beneficiary', 'retirement', ['beneficiary', 'seq']),
    ('ix_retirement_purpose', 'retirement', ['purpose', 'seq']),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False, if_not_exists=True)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table, if_exists=True)
