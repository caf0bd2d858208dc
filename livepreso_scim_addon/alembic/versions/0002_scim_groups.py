"""Groups and memberships; a membership of a license group is also a place in its queue.

Revision ID: scim_0002
Revises: scim_0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0002"
down_revision = "scim_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_groups",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=1024), nullable=False),
        sa.Column("display_name_ci", sa.String(length=1024), nullable=False),
        sa.Column("external_id", sa.String(length=1024), nullable=True),
        sa.Column("license", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_groups")),
        sa.UniqueConstraint("id", name=op.f("uq_scim_groups_id")),
    )
    op.create_index("ix_scim_groups_instance_external_id", "scim_groups", ["instance_id", "external_id"])
    op.create_index("ix_scim_groups_instance_pk", "scim_groups", ["instance_id", "pk"])
    op.create_index(
        "uq_scim_groups_instance_display_name", "scim_groups", ["instance_id", "display_name_ci"], unique=True
    )
    op.create_index(
        "uq_scim_groups_instance_license",
        "scim_groups",
        ["instance_id", "license"],
        unique=True,
        sqlite_where=sa.text("license IS NOT NULL"),
        postgresql_where=sa.text("license IS NOT NULL"),
    )
    op.create_table(
        "scim_memberships",
        sa.Column("group_pk", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=True),
        sa.Column("licensed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_pk"], ["scim_groups.pk"], name=op.f("fk_scim_memberships_group_pk_scim_groups"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["scim_users.pk"], name=op.f("fk_scim_memberships_user_pk_scim_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_pk", "user_pk", name=op.f("pk_scim_memberships")),
    )
    op.create_index("ix_scim_memberships_queue", "scim_memberships", ["group_pk", "licensed_at", "queued_at"])
    op.create_index("ix_scim_memberships_user", "scim_memberships", ["user_pk"])


def downgrade():
    op.drop_table("scim_memberships")
    op.drop_table("scim_groups")
