"""Consent grid: which disclosing -> receiving party pairs a consent allows (the initialled boxes of the form's
grid). Consents recorded before have no pairs (NULL): they allow every disclosing party to share with every
receiving party, as before.

Revision ID: 0009
Revises: 0007 (the integrator re-chains it after 0008)
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("pairs", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("pairs")
