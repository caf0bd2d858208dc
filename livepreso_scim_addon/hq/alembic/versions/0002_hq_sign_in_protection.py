"""The reference HQ's sign-in protection: failed sign-ins for throttling, and the last
time each session was used for the idle timeout.

Revision ID: hq_0002
Revises: hq_0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "hq_0002"
down_revision = "hq_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hq_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_hash", sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hq_login_failures")),
    )
    op.create_index(op.f("ix_hq_login_failures_account_hash"), "hq_login_failures", ["account_hash"])
    op.create_index(op.f("ix_hq_login_failures_client_addr"), "hq_login_failures", ["client_addr"])
    op.create_index(op.f("ix_hq_login_failures_failed_at"), "hq_login_failures", ["failed_at"])
    # Sessions open at the upgrade count as last used when they began.
    with op.batch_alter_table("hq_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE hq_sessions SET last_seen_at = created_at")
    with op.batch_alter_table("hq_sessions") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table("hq_sessions") as batch:
        batch.drop_column("last_seen_at")
    op.drop_table("hq_login_failures")
