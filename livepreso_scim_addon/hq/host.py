"""The reference HQ's side of the host contract (``livepreso_scim_addon.host``).

HQ keys its people by integer ids; the contract's keys are opaque text, so they leave
as ``str(id)`` and come back through ``_key``.
"""

from __future__ import annotations

from pyramid.security import remember
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from livepreso_scim_addon.host import HostConflict, HostInstance, HostUserProfile

from .licenses import HQ_ACCESS_LICENSES, LICENSES
from .models import HqSession, HqUser, Instance, LicenseSeats, UserLicense, utcnow
from .views import sign_in_url


#: Every SCIM request asks for its instance: built once, over table columns, and run
#: on the session's connection (a plain Core statement, no ORM work per execution).
_INSTANCES = Instance.__table__.c
_INSTANCE = select(_INSTANCES.id, _INSTANCES.slug, _INSTANCES.name)
_INSTANCE_BY_SLUG = _INSTANCE.where(_INSTANCES.slug == bindparam("slug"))


#: Built once (building a statement with its values costs more than running it): the
#: profile's columns as bind parameters named ``p_<column>`` (SQLAlchemy keeps a
#: column's own name for itself), and ``scim_managed`` set by each statement.
_PROFILE = ("login", "login_ci", "email", "given_name", "family_name", "display_name", "active")
_PROFILE_PARAMETERS = {name: bindparam(f"p_{name}") for name in _PROFILE}
_USERS = HqUser.__table__
_ADOPT_OR_CREATE = {}


def _adopt_or_create(dialect: str):
    """INSERT … ON CONFLICT (instance, login) DO UPDATE WHERE NOT scim_managed RETURNING id."""
    statement = _ADOPT_OR_CREATE.get(dialect)
    if statement is None:
        insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
        inserted = insert_for(_USERS).values(instance_id=bindparam("p_instance_id"), scim_managed=True, **_PROFILE_PARAMETERS)
        statement = _ADOPT_OR_CREATE[dialect] = inserted.on_conflict_do_update(
            index_elements=[_USERS.c.instance_id, _USERS.c.login_ci],
            set_={**{name: inserted.excluded[name] for name in _PROFILE}, "scim_managed": True},
            where=_USERS.c.scim_managed.is_(False),
        ).returning(_USERS.c.id)
    return statement


#: Every deactivation ends the person's sessions: a Core statement, built once (the ORM's
#: bulk delete would first look for the sessions among the request's loaded objects).
_END_SESSIONS = delete(HqSession.__table__).where(HqSession.__table__.c.user_id == bindparam("user_id"))
_OTHER = _USERS.alias("other")
#: UPDATE … WHERE no other HQ user of the instance has the new login RETURNING id.
_UPDATE_UNLESS_TAKEN = (
    update(_USERS)
    .where(
        _USERS.c.id == bindparam("p_key"),
        ~select(_OTHER.c.id)
        .where(
            _OTHER.c.instance_id == bindparam("p_instance_id"),
            _OTHER.c.login_ci == bindparam("p_login_ci"),
            _OTHER.c.id != bindparam("p_key"),
        )
        .exists(),
    )
    .values(scim_managed=True, **_PROFILE_PARAMETERS)
    .returning(_USERS.c.id)
)


def _instance(row) -> HostInstance | None:
    return None if row is None else HostInstance(id=row.id, slug=row.slug, name=row.name)


def _key(host_user_id: str) -> int:
    """HQ's id for the contract's key of a person (``provision_user`` returned it)."""
    return int(host_user_id)


class ReferenceHost:
    def __init__(self, settings=None):
        self.settings = settings or {}

    def licenses(self):
        return LICENSES

    def find_instance(self, db, slug):
        return _instance(db.connection().execute(_INSTANCE_BY_SLUG, {"slug": slug}).first())

    def list_instances(self, db):
        return [_instance(row) for row in db.execute(_INSTANCE.order_by(_INSTANCES.slug))]

    def provision_user(self, db, instance_id, host_user_id, profile: HostUserProfile):
        """One statement: Okta's creates and deactivations are the hot path.

        A create adopts an HQ user of that login whom SCIM does not manage yet (a manager
        from before SCIM), else inserts one; an update refuses a login another user has.
        """
        values = {
            "p_login": profile.login,
            "p_login_ci": profile.login.lower(),
            "p_email": profile.email,
            "p_given_name": profile.given_name,
            "p_family_name": profile.family_name,
            "p_display_name": profile.display_name,
            "p_active": profile.active,
            "p_instance_id": instance_id,
        }
        connection = db.connection()
        if host_user_id is None:
            key = connection.execute(_adopt_or_create(connection.dialect.name), values).scalar()
            if key is None:
                raise HostConflict(f"HQ user {profile.login!r} is already provisioned")
        else:
            key = connection.execute(_UPDATE_UNLESS_TAKEN, {"p_key": _key(host_user_id), **values}).scalar()
            if key is None:
                raise HostConflict(f"HQ login {profile.login!r} belongs to another user")
        return str(key)

    def release_user(self, db, instance_id, host_user_id):
        user = db.get(HqUser, _key(host_user_id))
        if user is not None:
            user.active = False
            user.scim_managed = False
        self.end_sessions(db, instance_id, host_user_id)

    def end_sessions(self, db, instance_id, host_user_id):
        db.connection().execute(_END_SESSIONS, {"user_id": _key(host_user_id)})

    def license_seats(self, db, instance_id, license):
        row = db.get(LicenseSeats, (instance_id, license))
        return 0 if row is None else row.seats

    def set_license_seats(self, db, instance_id, license, seats):
        row = db.get(LicenseSeats, (instance_id, license))
        if row is None:
            db.add(LicenseSeats(instance_id=instance_id, license=license, seats=seats))
        else:
            row.seats = seats

    def license_granted(self, db, instance_id, host_user_ids, license):
        if not host_user_ids:
            return
        user_ids = [_key(u) for u in host_user_ids]
        # HQ may have granted some of them this license by hand before SCIM.
        held = set(
            db.scalars(
                select(UserLicense.user_id).where(UserLicense.user_id.in_(user_ids), UserLicense.license == license)
            )
        )
        now = utcnow()
        rows = [{"user_id": u, "license": license, "granted_at": now} for u in user_ids if u not in held]
        if rows:
            db.execute(insert(UserLicense), rows)
        # A new Manager needs no session change: the sign-in reads licenses with each
        # request's session (hq/security.py), so HQ opens at the next request.

    def license_revoked(self, db, instance_id, host_user_ids, license):
        if not host_user_ids:
            return
        user_ids = [_key(u) for u in host_user_ids]
        db.execute(delete(UserLicense).where(UserLicense.user_id.in_(user_ids), UserLicense.license == license))
        if license in HQ_ACCESS_LICENSES:
            # HQ access ends with the license, at once: their sessions go, in this
            # transaction. A break-glass manager keeps access, and so their session.
            db.execute(
                delete(HqSession).where(
                    HqSession.user_id.in_(
                        select(HqUser.id).where(HqUser.id.in_(user_ids), HqUser.break_glass_manager.is_(False))
                    )
                )
            )

    def manager_principal(self, instance_id):
        return f"hq-manager:{instance_id}"

    def login_url(self, request, instance):
        # With the page asked for, so that signing in returns there (views.return_path).
        return sign_in_url(request, instance.slug)

    def sign_in(self, request, host_user_id):
        return remember(request, _key(host_user_id))

    def home_url(self, request, instance):
        return request.route_url("hq.home", instance=instance.slug)
