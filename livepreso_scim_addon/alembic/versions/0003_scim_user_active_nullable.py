"""A user's ``active`` may be unassigned (removed by PATCH); HQ reads that as active.

Revision ID: scim_0003
Revises: scim_0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0003"
down_revision = "scim_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scim_users") as batch:
        batch.alter_column("active", existing_type=sa.Boolean(), nullable=True)


def downgrade():
    op.execute("UPDATE scim_users SET active = true WHERE active IS NULL")
    with op.batch_alter_table("scim_users") as batch:
        batch.alter_column("active", existing_type=sa.Boolean(), nullable=False)
