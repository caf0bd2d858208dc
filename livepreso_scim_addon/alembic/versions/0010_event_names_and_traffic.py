"""The events page in words, and connection health on the SCIM page.

``scim_events`` gains ``request_id`` (the events of one request, told as one sentence)
and ``user_label`` / ``resource_label`` (names as they were when written, so a deleted
user or group is still named), with indexes for the page's filters by group and by
kind. Existing events get labels from the users and groups that still exist; events
about ones already deleted keep their ids.

``scim_traffic`` counts requests per token and hour (``ScimTraffic``).

Revision ID: scim_0010
Revises: scim_0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "scim_0010"
down_revision = "scim_0009"
branch_labels = None
depends_on = None

events = sa.table(
    "scim_events",
    sa.column("instance_id", sa.Integer),
    sa.column("resource_type", sa.String),
    sa.column("resource_id", sa.String),
    sa.column("user_id", sa.String),
    sa.column("user_label", sa.Text),
    sa.column("resource_label", sa.Text),
)
users = sa.table(
    "scim_users",
    sa.column("id", sa.String),
    sa.column("instance_id", sa.Integer),
    sa.column("user_name", sa.String),
    sa.column("display_name", sa.String),
    sa.column("name_given", sa.String),
    sa.column("name_family", sa.String),
)
groups = sa.table(
    "scim_groups",
    sa.column("id", sa.String),
    sa.column("instance_id", sa.Integer),
    sa.column("display_name", sa.String),
)


def _person_label(user_id):
    """"Display Name (userName)", else "Given Family (userName)", else the userName: the
    label ``services.audit.person_label`` writes, in SQL."""
    name = sa.func.coalesce(users.c.display_name, users.c.name_given + " " + users.c.name_family)
    label = sa.func.coalesce(name + " (" + users.c.user_name + ")", users.c.user_name)
    return (
        sa.select(label)
        .where(users.c.id == user_id, users.c.instance_id == events.c.instance_id)
        .scalar_subquery()
    )


def upgrade():
    with op.batch_alter_table("scim_events") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("user_label", sa.Text(), nullable=True))
        batch.add_column(sa.Column("resource_label", sa.Text(), nullable=True))
        batch.create_index("ix_scim_events_instance_resource_pk", ["instance_id", "resource_id", "pk"])
        batch.create_index("ix_scim_events_instance_action_pk", ["instance_id", "action", "pk"])
    op.create_table(
        "scim_traffic",
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "hour", name=op.f("pk_scim_traffic")),
    )
    op.create_index("ix_scim_traffic_instance_hour", "scim_traffic", ["instance_id", "hour"])
    op.execute(events.update().where(events.c.user_id.is_not(None)).values(user_label=_person_label(events.c.user_id)))
    op.execute(
        events.update()
        .where(events.c.resource_type == "User", events.c.resource_id.is_not(None))
        .values(resource_label=_person_label(events.c.resource_id))
    )
    op.execute(
        events.update()
        .where(events.c.resource_type == "Group", events.c.resource_id.is_not(None))
        .values(
            resource_label=sa.select(groups.c.display_name)
            .where(groups.c.id == events.c.resource_id, groups.c.instance_id == events.c.instance_id)
            .scalar_subquery()
        )
    )


def downgrade():
    op.drop_index("ix_scim_traffic_instance_hour", table_name="scim_traffic")
    op.drop_table("scim_traffic")
    with op.batch_alter_table("scim_events") as batch:
        batch.drop_index("ix_scim_events_instance_action_pk")
        batch.drop_index("ix_scim_events_instance_resource_pk")
        batch.drop_column("resource_label")
        batch.drop_column("user_label")
        batch.drop_column("request_id")
