"""SCIM string columns declare no length on PostgreSQL.

Until a table has statistics, PostgreSQL's planner estimates a row's width from the
declared column types: 516 bytes for each varchar(1024). Two dozen of them make a
scim_users row wider than a page, so the planner took the table for empty whatever its
size and chose among its indexes at random: a GET by id walked the instance's whole user
list through (instance_id, pk). Without a length it assumes 32 bytes a column, counts
rows from the table's pages, and finds the unique indexes. Requests are still validated
to ``MAX_STRING_LENGTH`` before anything is stored.

Dropping a varchar's length rewrites no table and rebuilds no index but the one on
lower(scim_user_values.value), an expression index (one pass over that table, under its
ACCESS EXCLUSIVE lock). SQLite ignores declared lengths, so its schema is left as it is
(and no table is rebuilt).

Revision ID: scim_0007
Revises: scim_0006
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0007"
down_revision = "scim_0006"
branch_labels = None
depends_on = None

MAX_STRING_LENGTH = 1024

#: Every column declared String(MAX_STRING_LENGTH) at scim_0006 that holds what a SCIM
#: request sent (scim_sso keeps its limit: support's input has no other).
COLUMNS = {
    "scim_users": [
        "user_name", "user_name_ci", "external_id", "display_name", "nick_name", "title", "user_type",
        "preferred_language", "locale", "timezone", "name_formatted", "name_family", "name_given",
        "name_middle", "name_prefix", "name_suffix", "employee_number", "cost_center", "organization",
        "division", "department", "manager_id",
    ],
    "scim_user_values": [
        "value", "display", "type", "formatted", "street_address", "locality", "region", "postal_code", "country",
    ],
    "scim_groups": ["display_name", "display_name_ci", "external_id"],
    "scim_events": ["request"],
}


def upgrade():
    _retype(sa.String(MAX_STRING_LENGTH), sa.String())


def downgrade():
    _retype(sa.String(), sa.String(MAX_STRING_LENGTH))


def _retype(old, new):
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=new, existing_type=old)
