"""The CRM's side of the host contract (``livepreso_scim_addon.host``), over its own tables.

Written from docs/INTEGRATING.md and the contract alone. People are keyed by UUID text
(the contract's keys are opaque text, so they go out and come back as they are); licenses
are bits of ``crm_people.products``, changed for a whole batch in one UPDATE; seats are a
JSON document on the workspace; ending sessions counts up the person's session epoch.
"""

from __future__ import annotations

import json

from pyramid.security import remember
from sqlalchemy import select, update

from livepreso_scim_addon.host import HostConflict, HostInstance, HostUserProfile

from .licenses import BITS, PRODUCTS
from .models import ACTIVE, LOCAL, SCIM, SUSPENDED, CrmPerson, Workspace

_WORKSPACE = select(Workspace.number, Workspace.handle, Workspace.title)


def _instance(row) -> HostInstance | None:
    return None if row is None else HostInstance(id=row.number, slug=row.handle, name=row.title)


class CrmHost:
    def __init__(self, settings=None):
        self.settings = settings or {}

    def licenses(self):
        return PRODUCTS

    def find_instance(self, db, slug):
        return _instance(db.execute(_WORKSPACE.where(Workspace.handle == slug)).first())

    def list_instances(self, db):
        return [_instance(row) for row in db.execute(_WORKSPACE.order_by(Workspace.handle))]

    def provision_user(self, db, instance_id, host_user_id, profile: HostUserProfile):
        key = profile.login.casefold()
        holder = db.scalar(
            select(CrmPerson).where(CrmPerson.workspace_no == instance_id, CrmPerson.sign_in_key == key)
        )
        if host_user_id is None:
            if holder is not None and holder.source == SCIM:
                raise HostConflict(f"{profile.login!r} is already provisioned")
            # Someone the CRM's admins added by hand: SCIM takes them over, history and all.
            person = holder or CrmPerson(workspace_no=instance_id, products=0, session_epoch=0)
        else:
            person = self._person(db, instance_id, host_user_id)
            if holder is not None and holder.uid != person.uid:
                raise HostConflict(f"the sign-in name {profile.login!r} belongs to another person")
        person.sign_in_name, person.sign_in_key = profile.login, key
        person.mail = profile.email
        person.first_name, person.last_name, person.full_name = (
            profile.given_name,
            profile.family_name,
            profile.display_name,
        )
        person.status = ACTIVE if profile.active else SUSPENDED
        person.source = SCIM
        db.add(person)
        db.flush()
        return person.uid

    def release_user(self, db, instance_id, host_user_id):
        person = self._person(db, instance_id, host_user_id)
        person.status, person.source = SUSPENDED, LOCAL
        person.session_epoch += 1
        db.flush()

    def end_sessions(self, db, instance_id, host_user_id):
        db.execute(
            update(CrmPerson)
            .where(CrmPerson.uid == host_user_id, CrmPerson.workspace_no == instance_id)
            .values(session_epoch=CrmPerson.session_epoch + 1)
        )

    def license_seats(self, db, instance_id, license):
        plan = json.loads(db.scalar(select(Workspace.seat_plan).where(Workspace.number == instance_id)) or "{}")
        return plan.get(license, 0)

    def set_license_seats(self, db, instance_id, license, seats):
        workspace = db.get(Workspace, instance_id)
        plan = json.loads(workspace.seat_plan or "{}")
        plan[license] = seats
        workspace.seat_plan = json.dumps(plan, sort_keys=True)
        db.flush()

    def license_granted(self, db, instance_id, host_user_ids, license):
        if host_user_ids:
            db.execute(
                update(CrmPerson)
                .where(CrmPerson.uid.in_(host_user_ids), CrmPerson.workspace_no == instance_id)
                .values(products=CrmPerson.products.op("|")(BITS[license]))
            )

    def license_revoked(self, db, instance_id, host_user_ids, license):
        if not host_user_ids:
            return
        values = {"products": CrmPerson.products.op("&")(~BITS[license])}
        if any(p.type == license and p.grants_hq_access for p in PRODUCTS):
            # No longer an administrator: their sessions end now, in this transaction.
            values["session_epoch"] = CrmPerson.session_epoch + 1
        db.execute(
            update(CrmPerson)
            .where(CrmPerson.uid.in_(host_user_ids), CrmPerson.workspace_no == instance_id)
            .values(**values)
        )

    def manager_principal(self, instance_id):
        return f"crm-admin:{instance_id}"

    def login_url(self, request, instance):
        return request.route_url("crm.sign_in", workspace=instance.slug)

    def sign_in(self, request, host_user_id):
        return remember(request, host_user_id)

    def home_url(self, request, instance):
        return request.route_url("crm.me", workspace=instance.slug)

    @staticmethod
    def _person(db, instance_id, uid) -> CrmPerson:
        person = db.get(CrmPerson, uid)
        if person is None or person.workspace_no != instance_id:
            raise LookupError(f"no person {uid} in workspace {instance_id}")
        return person
