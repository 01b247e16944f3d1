"""Linkage: link runs, the pairs between the thresholds (the review queue's material), person merges and splits.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("model", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
    )
    op.create_table(
        "pair",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("a_source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False),
        sa.Column("a_source_key", sa.Text, nullable=False),
        sa.Column("b_source_id", sa.Integer, sa.ForeignKey("source.id"), nullable=False),
        sa.Column("b_source_key", sa.Text, nullable=False),
        sa.Column("a_record_id", sa.Integer, sa.ForeignKey("record.id")),
        sa.Column("b_record_id", sa.Integer, sa.ForeignKey("record.id")),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("first_run_id", sa.Integer, sa.ForeignKey("link_run.id"), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("link_run.id"), nullable=False),
        sa.UniqueConstraint("a_source_id", "a_source_key", "b_source_id", "b_source_key", name="uq_pair_records"),
    )
    op.create_index("ix_pair_status", "pair", ["status", "probability"])
    op.create_table(
        "person_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("link_run.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("other_person_id", sa.Integer),
        sa.Column("records", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person_change")
    op.drop_index("ix_pair_status", "pair")
    op.drop_table("pair")
    op.drop_table("link_run")
