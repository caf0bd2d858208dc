"""Import cursors every process shares: ``scim_page_cursors`` (``ScimPageCursor``).

Revision ID: scim_0011
Revises: scim_0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0011"
down_revision = "scim_0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_page_cursors",
        sa.Column("resource", sa.String(length=32), nullable=False),
        sa.Column("instance_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start_index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("after_pk", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("max_pk", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("resource", "instance_id", "start_index", name=op.f("pk_scim_page_cursors")),
    )


def downgrade():
    op.drop_table("scim_page_cursors")
