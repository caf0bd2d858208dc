"""The add-on's tables: the per-instance switch, tokens, SCIM users and their values.

Revision ID: scim_0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0001"
down_revision = None
branch_labels = ("scim",)
depends_on = None


def upgrade():
    op.create_table(
        "scim_instances",
        sa.Column("instance_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_request_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_scim_instances")),
    )
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
    )
    op.create_index(op.f("ix_scim_tokens_instance_id"), "scim_tokens", ["instance_id"])
    op.create_table(
        "scim_users",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("host_user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=1024), nullable=False),
        sa.Column("user_name_ci", sa.String(length=1024), nullable=False),
        sa.Column("external_id", sa.String(length=1024), nullable=True),
        sa.Column("display_name", sa.String(length=1024), nullable=True),
        sa.Column("nick_name", sa.String(length=1024), nullable=True),
        sa.Column("title", sa.String(length=1024), nullable=True),
        sa.Column("user_type", sa.String(length=1024), nullable=True),
        sa.Column("preferred_language", sa.String(length=1024), nullable=True),
        sa.Column("locale", sa.String(length=1024), nullable=True),
        sa.Column("timezone", sa.String(length=1024), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("name_formatted", sa.String(length=1024), nullable=True),
        sa.Column("name_family", sa.String(length=1024), nullable=True),
        sa.Column("name_given", sa.String(length=1024), nullable=True),
        sa.Column("name_middle", sa.String(length=1024), nullable=True),
        sa.Column("name_prefix", sa.String(length=1024), nullable=True),
        sa.Column("name_suffix", sa.String(length=1024), nullable=True),
        sa.Column("employee_number", sa.String(length=1024), nullable=True),
        sa.Column("cost_center", sa.String(length=1024), nullable=True),
        sa.Column("organization", sa.String(length=1024), nullable=True),
        sa.Column("division", sa.String(length=1024), nullable=True),
        sa.Column("department", sa.String(length=1024), nullable=True),
        sa.Column("manager_id", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_users")),
        sa.UniqueConstraint("id", name=op.f("uq_scim_users_id")),
    )
    op.create_index("ix_scim_users_instance_external_id", "scim_users", ["instance_id", "external_id"])
    op.create_index("ix_scim_users_instance_host_user", "scim_users", ["instance_id", "host_user_id"])
    op.create_index("ix_scim_users_instance_pk", "scim_users", ["instance_id", "pk"])
    op.create_index("uq_scim_users_instance_user_name", "scim_users", ["instance_id", "user_name_ci"], unique=True)
    op.create_table(
        "scim_user_values",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("attribute", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=1024), nullable=True),
        sa.Column("display", sa.String(length=1024), nullable=True),
        sa.Column("type", sa.String(length=1024), nullable=True),
        sa.Column("primary", sa.Boolean(), nullable=True),
        sa.Column("formatted", sa.String(length=1024), nullable=True),
        sa.Column("street_address", sa.String(length=1024), nullable=True),
        sa.Column("locality", sa.String(length=1024), nullable=True),
        sa.Column("region", sa.String(length=1024), nullable=True),
        sa.Column("postal_code", sa.String(length=1024), nullable=True),
        sa.Column("country", sa.String(length=1024), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["scim_users.pk"], name=op.f("fk_scim_user_values_user_pk_scim_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_scim_user_values")),
    )
    op.create_index("ix_scim_user_values_user", "scim_user_values", ["user_pk", "attribute"])
    op.create_index("ix_scim_user_values_lower_value", "scim_user_values", ["attribute", sa.text("lower(value)")])


def downgrade():
    op.drop_table("scim_user_values")
    op.drop_table("scim_users")
    op.drop_table("scim_tokens")
    op.drop_table("scim_instances")
