"""Host user keys are opaque text, license types up to 32 characters (host contract v2).

``scim_users.host_user_id``: integer → string. Ids written so far (the reference HQ's
integers) are kept as their decimal text, and the index ix_scim_users_instance_host_user
keeps its name and columns. On PostgreSQL the column declares no length, for 0007's
reason: until a table has statistics the planner counts 516 bytes for any varchar of over
250 characters (a varchar(255) too), and a wide row estimate is what made scim_users look
empty. ALTER COLUMN ... TYPE rewrites scim_users and rebuilds its indexes, under an ACCESS
EXCLUSIVE lock (about a second per 100,000 users). SQLite: batch mode copies the table,
casting each id to text.

``scim_groups.license``: varchar(16) → varchar(32). PostgreSQL changes its catalog only
(a wider varchar rewrites nothing, and keeps the partial unique index); SQLite copies the
(small) table so that its schema says what the models say.

Downgrading fails, changing nothing, while a host key is not a decimal integer or a
license type is longer than 16 characters.

Revision ID: scim_0008
Revises: scim_0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0008"
down_revision = "scim_0007"
branch_labels = None
depends_on = None

HOST_KEY_LENGTH = 255


def upgrade():
    if _postgresql():
        op.alter_column(
            "scim_users", "host_user_id", type_=sa.String(), existing_type=sa.Integer(), existing_nullable=False,
            postgresql_using="host_user_id::text",
        )
        op.alter_column("scim_groups", "license", type_=sa.String(32), existing_type=sa.String(16))
        return
    with op.batch_alter_table("scim_users") as batch:
        batch.alter_column(
            "host_user_id", type_=sa.String(HOST_KEY_LENGTH), existing_type=sa.Integer(), existing_nullable=False
        )
    _retype_sqlite_license(sa.String(16), sa.String(32))


def downgrade():
    digits = "host_user_id !~ '^[0-9]+$'" if _postgresql() else "(host_user_id = '' OR host_user_id GLOB '*[^0-9]*')"
    _refuse_if("scim_users", digits, "host user keys that are not decimal integers")
    _refuse_if("scim_groups", "length(license) > 16", "license types longer than 16 characters")
    if _postgresql():
        op.alter_column("scim_groups", "license", type_=sa.String(16), existing_type=sa.String(32))
        op.alter_column(
            "scim_users", "host_user_id", type_=sa.Integer(), existing_type=sa.String(), existing_nullable=False,
            postgresql_using="host_user_id::integer",
        )
        return
    _retype_sqlite_license(sa.String(32), sa.String(16))
    with op.batch_alter_table("scim_users") as batch:
        batch.alter_column(
            "host_user_id", type_=sa.Integer(), existing_type=sa.String(HOST_KEY_LENGTH), existing_nullable=False
        )


def _retype_sqlite_license(old, new):
    # The copy makes the table's indexes again from what reflection reads; SQLAlchemy
    # reads a partial index's WHERE back only in recent releases (setup.py takes any 2.x),
    # and without it uq_scim_groups_instance_license would cover every row: it is dropped
    # and made again as the models declare it.
    op.drop_index("uq_scim_groups_instance_license", table_name="scim_groups")
    with op.batch_alter_table("scim_groups") as batch:
        batch.alter_column("license", type_=new, existing_type=old)
    op.create_index(
        "uq_scim_groups_instance_license", "scim_groups", ["instance_id", "license"], unique=True,
        sqlite_where=sa.text("license IS NOT NULL"),
    )


def _refuse_if(table, condition, what):
    count = op.get_bind().exec_driver_sql(f"SELECT count(*) FROM {table} WHERE {condition}").scalar()
    if count:
        raise RuntimeError(f"cannot downgrade below scim_0008: {table} holds {count} {what}")


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"
