"""Frequent-utilizer lists: saved list runs, to compare month to month and to reproduce a list.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "utilizer_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_name", sa.Text, nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("rule_text", sa.Text, nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("saved_at", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("people", sa.Integer, nullable=False),
        sa.Column("entries", sa.JSON, nullable=False),
    )
    op.create_index("ix_utilizer_run_rule", "utilizer_run", ["rule_name", "as_of"])


def downgrade() -> None:
    op.drop_index("ix_utilizer_run_rule", "utilizer_run")
    op.drop_table("utilizer_run")
