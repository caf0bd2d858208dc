"""The audit trail: SCIM writes, license changes and failed requests.

Revision ID: scim_0004
Revises: scim_0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0004"
down_revision = "scim_0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_events",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=True),
        sa.Column("request", sa.String(length=1024), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=True),
        sa.Column("resource_id", sa.String(length=36), nullable=True),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_events")),
    )
    op.create_index("ix_scim_events_instance_pk", "scim_events", ["instance_id", "pk"])
    op.create_index("ix_scim_events_instance_user_pk", "scim_events", ["instance_id", "user_id", "pk"])


def downgrade():
    op.drop_table("scim_events")
