"""Imports: batches, row problems (rejected rows and dropped values), records and persons.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("sheet", sa.Text),
        sa.Column("profile_name", sa.Text),
        sa.Column("profile_toml", sa.Text),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("imported_at", sa.Text, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_imported", sa.Integer, nullable=False),
        sa.Column("rows_updated", sa.Integer, nullable=False),
        sa.Column("rows_duplicate", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("rows_skipped", sa.Integer, nullable=False),
        sa.Column("skipped", sa.JSON, nullable=False),
        sa.Column("notes", sa.JSON, nullable=False),
    )
    op.create_table(
        "row_problem",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "batch_id", sa.Integer, sa.ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("rejected", sa.Boolean, nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_table(
        "record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batch.id"), nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("agency_person_id", sa.Text),
        sa.Column("first_name", sa.Text),
        sa.Column("middle_name", sa.Text),
        sa.Column("last_name", sa.Text),
        sa.Column("name_suffix", sa.Text),
        sa.Column("name_quality", sa.Text),
        sa.Column("dob", sa.Text),
        sa.Column("dob_year", sa.Integer),
        sa.Column("dob_quality", sa.Text),
        sa.Column("ssn", sa.Text),
        sa.Column("ssn_last4", sa.Text),
        sa.Column("ssn_quality", sa.Text),
        sa.Column("sex", sa.Text),
        sa.Column("race", sa.Text),
        sa.Column("ethnicity", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("zip", sa.Text),
        sa.Column("event_type", sa.Text),
        sa.Column("event_start", sa.Text),
        sa.Column("event_end", sa.Text),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("row_hash", sa.Text),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id")),
        sa.UniqueConstraint("source_id", "source_key", name="uq_record_source_key"),
    )
    op.create_index("ix_record_person", "record", ["person_id"])
    op.create_index("ix_record_dob", "record", ["dob"])
    op.create_index("ix_record_last_name", "record", ["last_name"])


def downgrade() -> None:
    op.drop_table("record")
    op.drop_table("person")
    op.drop_table("row_problem")
    op.drop_table("import_batch")
