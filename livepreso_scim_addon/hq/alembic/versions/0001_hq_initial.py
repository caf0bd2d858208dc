"""The reference HQ's tables (a real HQ has its own and never runs this history).

Revision ID: hq_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "hq_0001"
down_revision = None
branch_labels = ("hq",)
depends_on = None


def upgrade():
    op.create_table(
        "hq_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hq_instances")),
        sa.UniqueConstraint("slug", name=op.f("uq_hq_instances_slug")),
    )
    op.create_table(
        "hq_license_seats",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("license", sa.String(length=16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["hq_instances.id"], name=op.f("fk_hq_license_seats_instance_id_hq_instances"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("instance_id", "license", name=op.f("pk_hq_license_seats")),
    )
    op.create_table(
        "hq_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=1024), nullable=False),
        sa.Column("login_ci", sa.String(length=1024), nullable=False),
        sa.Column("email", sa.String(length=1024), nullable=True),
        sa.Column("given_name", sa.String(length=1024), nullable=True),
        sa.Column("family_name", sa.String(length=1024), nullable=True),
        sa.Column("display_name", sa.String(length=1024), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("is_manager", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("scim_managed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["hq_instances.id"], name=op.f("fk_hq_users_instance_id_hq_instances"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hq_users")),
    )
    op.create_index("uq_hq_users_instance_login", "hq_users", ["instance_id", "login_ci"], unique=True)
    op.create_table(
        "hq_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["hq_users.id"], name=op.f("fk_hq_sessions_user_id_hq_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_hq_sessions")),
    )
    op.create_index(op.f("ix_hq_sessions_user_id"), "hq_sessions", ["user_id"])
    op.create_table(
        "hq_user_licenses",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("license", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["hq_users.id"], name=op.f("fk_hq_user_licenses_user_id_hq_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "license", name=op.f("pk_hq_user_licenses")),
    )


def downgrade():
    op.drop_table("hq_user_licenses")
    op.drop_table("hq_sessions")
    op.drop_table("hq_users")
    op.drop_table("hq_license_seats")
    op.drop_table("hq_instances")
