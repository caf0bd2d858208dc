"""Users as plain rows in one statement, no ORM entities: for reading and for changing.

GET by id, Okta's userName check, every import page and every change of a user
(``services.users``) load users this way. Building ORM entities with two joined
collections cost more than fetching the rows, so these reads select users, their values
and their groups in one joined statement (built once) and group the rows into
:class:`UserRecord`, what ``services.users.to_resource`` reads.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import and_, bindparam, select

from .scim import ScimGroup, ScimMembership, ScimUser, ScimUserValue

_USERS = ScimUser.__table__
_VALUES = ScimUserValue.__table__
_MEMBERSHIPS = ScimMembership.__table__
_GROUPS = ScimGroup.__table__
_VALUE_LABELS = [(column.key, f"v_{column.key}") for column in _VALUES.c if column.key != "user_pk"]
#: What a user's groups carry: their ``id`` and ``display_name`` to render, and their
#: ``pk``, ``license`` and ``instance_id`` for the license bookkeeping of a change
#: (``services.licensing``), which then needs no statement to find them.
_GROUP_KEYS = ("pk", "id", "display_name", "license", "instance_id")


class UserRecord:
    """A user: every scim_users column as an attribute (``pk``, ``id``, ``instance_id``,
    ``version``, the columns of ``models.maps.SCALAR_COLUMNS`` ...), with ``values`` (the
    multi-valued attributes in position order: ``attribute`` and the value columns) and
    ``groups`` (with the ``_GROUP_KEYS``)."""

    def __init__(self, columns: dict):
        # Plain instance attributes: rendering a page reads some thirty per user.
        self.__dict__.update(columns)
        self.values: list = []
        self.groups: list = []


def select_users(where):
    """The users ``where`` (over ``ScimUser``'s columns) picks, each with its values (by
    position) and groups (by name), in primary-key order; :func:`user_records` groups the rows."""
    return _USERS_JOINED.where(where).order_by(_USERS.c.pk, _VALUES.c.position, _GROUPS.c.display_name_ci)


# Built once: its sixty-odd columns cost more to build than the statement costs to run.
_USERS_JOINED = select(
    _USERS,
    *[_VALUES.c[key].label(label) for key, label in _VALUE_LABELS],
    *[_GROUPS.c[key].label(f"g_{key}") for key in _GROUP_KEYS],
).select_from(
    _USERS.outerjoin(_VALUES, _VALUES.c.user_pk == _USERS.c.pk).outerjoin(
        _MEMBERSHIPS.join(_GROUPS, _GROUPS.c.pk == _MEMBERSHIPS.c.group_pk),
        _MEMBERSHIPS.c.user_pk == _USERS.c.pk,
    )
)
#: A page of users by primary key. A constant statement: SQLAlchemy keeps its cache
#: key, where a statement built per page would walk all its columns again to make one.
_USERS_BY_PK = select_users(_USERS.c.pk.in_(bindparam("pks", expanding=True)))


def read_users(db, pks: list[int]) -> list[UserRecord]:
    """The users with these primary keys, in the order of ``pks``."""
    if not pks:
        return []
    return in_order(user_records(db.connection().execute(_USERS_BY_PK, {"pks": pks})), pks)


#: Okta's check before every create (``userName eq "x"``): the user and all it renders in
#: one statement, by the unique key (``models.filtering.unique_key``).
_USER_NAMED = select_users(
    and_(_USERS.c.instance_id == bindparam("instance_id"), _USERS.c.user_name_ci == bindparam("key"))
)


def read_user_named(db, instance_id: int, key: str) -> list[UserRecord]:
    """The instance's user whose userName has this key (``scim.text.user_name_key``), or none."""
    return user_records(db.connection().execute(_USER_NAMED, {"instance_id": instance_id, "key": key}))


def in_order(rows, pks: list[int]) -> list:
    """``rows`` (anything with a ``pk``) in the order of ``pks``."""
    by_pk = {row.pk: row for row in rows}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def user_records(result) -> list[UserRecord]:
    """The rows of a :func:`select_users` statement as one record per user, in order.

    A user with v values and g groups comes as v × g rows (at least one), the values
    in position order and, within each, the groups in name order. Rows are read by
    position (the statement's column order: user, value, group), which
    costs a page of a hundred users far less than reading them by name.
    """
    records: dict[int, UserRecord] = {}
    seen: set[tuple[int, int | str]] = set()  # (user pk, value pk or group id) already taken
    for row in result:
        pk = row[_USER_PK_AT]
        record = records.get(pk)
        if record is None:
            record = records[pk] = UserRecord(dict(zip(_USER_KEYS, row)))
        value_pk = row[_VALUE_PK_AT]
        if value_pk is not None and (pk, value_pk) not in seen:
            seen.add((pk, value_pk))
            record.values.append(SimpleNamespace(**dict(zip(_VALUE_KEYS, row[_VALUES_AT]))))
        group = row[_GROUP_AT]
        if group[0] is not None and (pk, group[1]) not in seen:
            seen.add((pk, group[1]))
            record.groups.append(SimpleNamespace(**dict(zip(_GROUP_KEYS, group))))
    return list(records.values())


# Where each part sits in a row of _USERS_JOINED.
_USER_KEYS = tuple(column.key for column in _USERS.c)
_VALUE_KEYS = tuple(key for key, _ in _VALUE_LABELS)
_USER_PK_AT = _USER_KEYS.index("pk")
_VALUES_AT = slice(len(_USER_KEYS), len(_USER_KEYS) + len(_VALUE_KEYS))
_VALUE_PK_AT = len(_USER_KEYS) + _VALUE_KEYS.index("pk")
_GROUP_AT = slice(-len(_GROUP_KEYS), None)
