"""Workspaces and people.

Revision ID: crm_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "crm_workspaces",
        sa.Column("workspace_no", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_no", name="crm_pk_crm_workspaces"),
        sa.UniqueConstraint("handle", name="crm_uq_crm_workspaces_handle"),
    )
    op.create_table(
        "crm_people",
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("workspace_no", sa.Integer(), nullable=False),
        sa.Column("sign_in_name", sa.String(1024), nullable=False),
        sa.Column("sign_in_key", sa.String(1024), nullable=False),
        sa.Column("mail", sa.String(1024), nullable=True),
        sa.Column("first_name", sa.String(1024), nullable=True),
        sa.Column("last_name", sa.String(1024), nullable=True),
        sa.Column("full_name", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_no"], ["crm_workspaces.workspace_no"], name="crm_fk_crm_people_workspace_no", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("uid", name="crm_pk_crm_people"),
    )
    op.create_index("crm_uq_people_sign_in", "crm_people", ["workspace_no", "sign_in_key"], unique=True)


def downgrade():
    op.drop_table("crm_people")
    op.drop_table("crm_workspaces")
