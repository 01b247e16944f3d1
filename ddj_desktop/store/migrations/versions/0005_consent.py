"""Consent: county settings, form template texts, printed ROI forms, signed consents and disclosures.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "roi_template",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("template_id", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("first_used_at", sa.Text, nullable=False),
    )
    op.create_table(
        "roi_form",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False, index=True),
        sa.Column("template_sha256", sa.String(64), sa.ForeignKey("roi_template.sha256"), nullable=False),
        sa.Column("generated_at", sa.Text, nullable=False),
        sa.Column("generated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False, index=True),
        sa.Column("form_id", sa.Integer, sa.ForeignKey("roi_form.id")),
        sa.Column("template_sha256", sa.String(64), sa.ForeignKey("roi_template.sha256"), nullable=False),
        sa.Column("template_id", sa.Text, nullable=False),
        sa.Column("template_version", sa.Text, nullable=False),
        sa.Column("disclosing", sa.JSON, nullable=False),
        sa.Column("receiving", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("purposes", sa.JSON, nullable=False),
        sa.Column("part2", sa.Boolean, nullable=False),
        sa.Column("signed_on", sa.Text, nullable=False),
        sa.Column("expires_on", sa.Text),
        sa.Column("expiry_event", sa.Text),
        sa.Column("representative", sa.Text),
        sa.Column("representative_authority", sa.Text),
        sa.Column("artifact_name", sa.Text),
        sa.Column("artifact_sha256", sa.String(64)),
        sa.Column("artifact", sa.LargeBinary),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("revoked_on", sa.Text),
        sa.Column("revocation_method", sa.Text),
        sa.Column("revocation_note", sa.Text),
        sa.Column("revocation_recorded_at", sa.Text),
        sa.Column("revocation_recorded_by", sa.Text),
    )
    op.create_table(
        "disclosure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("consent_id", sa.Integer, sa.ForeignKey("consent.id"), nullable=False, index=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False, index=True),
        sa.Column("party", sa.Text, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("part2", sa.Boolean, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("disclosed_at", sa.Text, nullable=False),
        sa.Column("disclosed_by", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("disclosure")
    op.drop_table("consent")
    op.drop_table("roi_form")
    op.drop_table("roi_template")
    op.drop_table("setting")
