"""Products: held as bits per person, paid seats as a JSON plan per workspace.

Revision ID: crm_0002
Revises: crm_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "crm_0002"
down_revision = "crm_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("crm_workspaces") as batch:
        batch.add_column(sa.Column("seat_plan", sa.Text(), nullable=False, server_default="{}"))
    with op.batch_alter_table("crm_people") as batch:
        batch.add_column(sa.Column("products", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("crm_people") as batch:
        batch.drop_column("products")
    with op.batch_alter_table("crm_workspaces") as batch:
        batch.drop_column("seat_plan")
