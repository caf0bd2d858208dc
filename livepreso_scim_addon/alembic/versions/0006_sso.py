"""SP-initiated OpenID Connect sign-in: per-instance client settings, sign-ins under way,
and the IdP subject linked to each user.

Revision ID: scim_0006
Revises: scim_0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0006"
down_revision = "scim_0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_sso",
        sa.Column("instance_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("client_id", sa.String(length=1024), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_scim_sso")),
    )
    op.create_table(
        "scim_sso_logins",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_scim_sso_logins")),
    )
    op.create_index(op.f("ix_scim_sso_logins_created_at"), "scim_sso_logins", ["created_at"])
    with op.batch_alter_table("scim_users") as batch:
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.create_index("uq_scim_users_instance_oidc_subject", ["instance_id", "oidc_subject"], unique=True)


def downgrade():
    with op.batch_alter_table("scim_users") as batch:
        batch.drop_index("uq_scim_users_instance_oidc_subject")
        batch.drop_column("oidc_subject")
    op.drop_table("scim_sso_logins")
    op.drop_table("scim_sso")
