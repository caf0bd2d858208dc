"""The manager flag is now the break-glass flag: holding the hq license makes managers.

Revision ID: hq_0003
Revises: hq_0002
Create Date: 2026-12-01
"""

from alembic import op

revision = "hq_0003"
down_revision = "hq_0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hq_users") as batch:
        batch.alter_column("is_manager", new_column_name="break_glass_manager")


def downgrade():
    with op.batch_alter_table("hq_users") as batch:
        batch.alter_column("break_glass_manager", new_column_name="is_manager")
