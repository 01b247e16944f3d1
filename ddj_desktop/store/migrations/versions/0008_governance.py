"""Governance: data-sharing agreements (MOUs) a source may fall under, retention per source, and indexes for
filtering the audit log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# HUD's HMIS privacy standard: PPI not in use is purged 7 years after it was created or last changed.
HMIS_SOURCES = ("shelter", "hmis")
HMIS_RETENTION_YEARS = 7


def upgrade() -> None:
    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("parties", sa.JSON, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("fields_allowed", sa.JSON, nullable=False),
        sa.Column("starts_on", sa.String(10), nullable=False),
        sa.Column("ends_on", sa.String(10)),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("ended_at", sa.Text),
        sa.Column("ended_by", sa.Text),
        sa.Column("end_note", sa.Text),
    )
    # Plain ADD COLUMN written out, since Alembic will not add a constraint on SQLite: a batch rebuild of `source` would have to drop
    # the table that every record refers to, which foreign keys forbid.
    op.execute("ALTER TABLE source ADD COLUMN agreement_id INTEGER REFERENCES agreement (id)")
    op.add_column("source", sa.Column("retention_years", sa.Integer))
    names = ", ".join(f"'{n}'" for n in HMIS_SOURCES)
    op.execute(f"UPDATE source SET retention_years = {HMIS_RETENTION_YEARS} WHERE name IN ({names})")
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", "audit_event")
    op.drop_index("ix_audit_event_action", "audit_event")
    op.drop_column("source", "retention_years")
    op.drop_column("source", "agreement_id")
    op.drop_table("agreement")
