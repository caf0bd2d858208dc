"""userNames unique by NFC and case folding: ``scim_users.user_name_ci`` recomputed.

``user_name_ci`` held ``user_name.lower()``; from here it holds ``user_name_key``
(``scim/text.py``: Unicode's canonical caseless match, kept in NFC), so "café" in NFC
and in NFD, or "Straße" and "STRASSE", are one userName. The unique index
uq_scim_users_instance_user_name keeps its name and columns.

SQLite has no case folding, so the keys are computed here in Python, one instance at a
time (the rows of the largest instance in memory), changed rows written in batches. The
index is dropped while they are written (a user's new key may be another's old value
until that one is rewritten too) and made again afterwards, which also proves the result.

Collisions: two users of one instance whose userNames were distinct under ``lower()``
but share a new key (an NFC and an NFD "café" provisioned as two people). The migration
does not fail on them: the user whose old value is the key already keeps it (else the
oldest, lowest pk, gets it), every other one keeps its old lower-cased value, so the
index holds, and one WARNING line is logged per other user (logger
``livepreso_scim_addon.alembic``) naming the instance, both SCIM ids and both userNames
(escaped: twins look alike). Until support resolves it, such a user is found by its SCIM
id only: ``userName eq``, SSO email matching and the events page find the one with the
key. Support asks the customer which is the real person and has the IdP delete (or
rename) the other; renaming gives it a proper key. Downgrading and upgrading again
reports what is left.

Downgrade: Python's ``lower()`` again, computed the same way (SQL's lower() is not
Python's: SQLite's folds ASCII only). Keys that upgrade left distinct stay distinct under
lower() for any text we know of; should two not, the same rule applies (the later user
keeps its value, a WARNING names both).

Revision ID: scim_0009
Revises: scim_0008
Create Date: 2026-12-08
"""

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "scim_0009"
down_revision = "scim_0008"
branch_labels = None
depends_on = None

log = logging.getLogger("livepreso_scim_addon.alembic")

INDEX = "uq_scim_users_instance_user_name"
BATCH = 1000

users = sa.table(
    "scim_users",
    sa.column("pk", sa.Integer),
    sa.column("id", sa.String),
    sa.column("instance_id", sa.Integer),
    sa.column("user_name", sa.String),
    sa.column("user_name_ci", sa.String),
)


def user_name_key(name: str) -> str:
    """``scim.text.user_name_key`` as of this revision (a migration keeps its own copy:
    a later change of the key is a later migration)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def upgrade():
    _recompute(user_name_key, "the userName key")


def downgrade():
    _recompute(str.lower, "the lower-cased userName")


def _recompute(key, what: str) -> None:
    connection = op.get_bind()
    op.drop_index(INDEX, table_name="scim_users")
    instances = connection.execute(sa.select(users.c.instance_id).distinct().order_by(users.c.instance_id))
    for instance_id in instances.scalars().all():
        _write(connection, _values_of_instance(connection, instance_id, key, what))
    op.create_index(INDEX, "scim_users", ["instance_id", "user_name_ci"], unique=True)


def _values_of_instance(connection, instance_id: int, key, what: str) -> list[dict]:
    """The rows of one instance whose value changes, as ``{"b_pk", "b_value"}``; collisions
    reported, all but one of the colliding users keeping their values."""
    rows = connection.execute(
        sa.select(users.c.pk, users.c.id, users.c.user_name, users.c.user_name_ci)
        .where(users.c.instance_id == instance_id)
        .order_by(users.c.pk)
    ).all()
    groups = {}  # value -> its rows, oldest first
    for row in rows:
        groups.setdefault(key(row.user_name), []).append(row)
    owners, later = {}, []
    for value, group in groups.items():
        # The value goes to the user that has it already (nothing changes for them), else
        # to the oldest; the others keep theirs.
        owner = next((row for row in group if row.user_name_ci == value), group[0])
        owners[value] = owner
        later.extend((row, owner) for row in group if row is not owner)
    later.sort(key=lambda pair: pair[0].pk)
    values = {row.pk: value for value, row in owners.items()}
    taken = set(owners)
    for row, owner in later:
        # Its value is another group's new one only where lower() and the key disagree in
        # a way no known text makes them: the SCIM id would then keep it apart.
        value = row.user_name_ci if row.user_name_ci not in taken else f"{row.user_name_ci} {row.id}"
        taken.add(value)
        values[row.pk] = value
        log.warning(
            # %a: twins look alike, their escapes (e\u0301, \xdf) tell them apart
            "%s: instance %s: user %s (userName %a) has %s of user %s (userName %a): it keeps %a;"
            " support: ask the customer which is the real person, delete or rename the other in the IdP",
            revision, instance_id, row.id, row.user_name, what, owner.id, owner.user_name, value,
        )
    return [{"b_pk": row.pk, "b_value": values[row.pk]} for row in rows if values[row.pk] != row.user_name_ci]


def _write(connection, changes: list[dict]) -> None:
    statement = users.update().where(users.c.pk == sa.bindparam("b_pk")).values(user_name_ci=sa.bindparam("b_value"))
    for start in range(0, len(changes), BATCH):
        connection.execute(statement, changes[start:start + BATCH])
