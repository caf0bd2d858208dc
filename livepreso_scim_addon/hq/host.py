"""The reference HQ's side of the host contract (``livepreso_scim_addon.host``)."""

from __future__ import annotations

from pyramid.security import remember
from sqlalchemy import bindparam, delete, insert, select

from ..host import LICENSES, HostConflict, HostInstance, HostUserProfile
from ..models.scim import utcnow
from .models import HqSession, HqUser, Instance, LicenseSeats, UserLicense


#: Every SCIM request asks for its instance: built once, over table columns, and run
#: on the session's connection (a plain Core statement, no ORM work per execution).
_INSTANCES = Instance.__table__.c
_INSTANCE = select(_INSTANCES.id, _INSTANCES.slug, _INSTANCES.name)
_INSTANCE_BY_SLUG = _INSTANCE.where(_INSTANCES.slug == bindparam("slug"))


def _instance(row) -> HostInstance | None:
    return None if row is None else HostInstance(id=row.id, slug=row.slug, name=row.name)


class ReferenceHost:
    def __init__(self, settings=None):
        self.settings = settings or {}

    def find_instance(self, db, slug):
        return _instance(db.connection().execute(_INSTANCE_BY_SLUG, {"slug": slug}).first())

    def get_instance(self, db, instance_id):
        return _instance(db.execute(_INSTANCE.where(_INSTANCES.id == instance_id)).first())

    def list_instances(self, db):
        return [_instance(row) for row in db.scalars(select(Instance).order_by(Instance.slug))]

    def create_instance(self, db, slug, name):
        if db.scalar(select(Instance.id).where(Instance.slug == slug)) is not None:
            raise HostConflict(f"instance {slug!r} already exists")
        row = Instance(slug=slug, name=name)
        db.add(row)
        db.flush()
        # A new instance starts with no paid seats; support sells them with `seats set`.
        for license in LICENSES:
            db.add(LicenseSeats(instance_id=row.id, license=license, seats=0))
        db.flush()
        return _instance(row)

    def provision_user(self, db, instance_id, host_user_id, profile: HostUserProfile):
        login_ci = profile.login.lower()
        holder = db.scalar(
            select(HqUser).where(HqUser.instance_id == instance_id, HqUser.login_ci == login_ci)
        )
        if host_user_id is None:
            if holder is not None and holder.scim_managed:
                raise HostConflict(f"HQ user {profile.login!r} is already provisioned")
            user = holder or HqUser(instance_id=instance_id)
        else:
            user = db.get(HqUser, host_user_id)
            if holder is not None and holder.id != host_user_id:
                raise HostConflict(f"HQ login {profile.login!r} belongs to another user")
        user.login = profile.login
        user.login_ci = login_ci
        user.email = profile.email
        user.given_name = profile.given_name
        user.family_name = profile.family_name
        user.display_name = profile.display_name
        user.active = profile.active
        user.scim_managed = True
        db.add(user)
        db.flush()
        return user.id

    def release_user(self, db, instance_id, host_user_id):
        user = db.get(HqUser, host_user_id)
        if user is not None:
            user.active = False
            user.scim_managed = False
        self.end_sessions(db, instance_id, host_user_id)

    def end_sessions(self, db, instance_id, host_user_id):
        db.execute(delete(HqSession).where(HqSession.user_id == host_user_id))

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
        # HQ may have granted some of them this license by hand before SCIM.
        held = set(
            db.scalars(
                select(UserLicense.user_id).where(
                    UserLicense.user_id.in_(host_user_ids), UserLicense.license == license
                )
            )
        )
        rows = [{"user_id": u, "license": license, "granted_at": utcnow()} for u in host_user_ids if u not in held]
        if rows:
            db.execute(insert(UserLicense), rows)

    def license_revoked(self, db, instance_id, host_user_ids, license):
        if host_user_ids:
            db.execute(
                delete(UserLicense).where(UserLicense.user_id.in_(host_user_ids), UserLicense.license == license)
            )

    def manager_principal(self, instance_id):
        return f"hq-manager:{instance_id}"

    def login_url(self, request, instance):
        return request.route_url("hq.login", instance=instance.slug)

    def sign_in(self, request, host_user_id):
        return remember(request, host_user_id)

    def home_url(self, request, instance):
        return request.route_url("hq.home", instance=instance.slug)
