"""Drop scim_instances.last_request_at: tokens' last use and the audit trail tell it.

Revision ID: scim_0005
Revises: scim_0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0005"
down_revision = "scim_0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scim_instances") as batch:
        batch.drop_column("last_request_at")


def downgrade():
    with op.batch_alter_table("scim_instances") as batch:
        batch.add_column(sa.Column("last_request_at", sa.DateTime(), nullable=True))
