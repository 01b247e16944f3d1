"""Review decisions: same / different / unsure on a record pair, with reviewer, time and note; undoable; they bind
every later link run.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("pair_id", sa.String(32), nullable=False),
        sa.Column("a_source", sa.Text, nullable=False),
        sa.Column("a_source_key", sa.Text, nullable=False),
        sa.Column("b_source", sa.Text, nullable=False),
        sa.Column("b_source_key", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("decided_at", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("run_id", sa.Integer),
        sa.Column("moves", sa.JSON),
        sa.Column("undone_at", sa.Text),
        sa.Column("undone_by", sa.Text),
    )
    op.create_index("ix_review_decision_pair", "review_decision", ["pair_id"])
    op.create_index("ix_review_decision_action", "review_decision", ["action"])


def downgrade() -> None:
    op.drop_index("ix_review_decision_action", "review_decision")
    op.drop_index("ix_review_decision_pair", "review_decision")
    op.drop_table("review_decision")
