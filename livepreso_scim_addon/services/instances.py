"""Support's per-instance switch over the host's instances."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select

from ..host import Host, HostInstance
from ..models.scim import ScimGroup, ScimInstance, ScimUser
from . import licensing


#: What an instance slug may look like; anything else is not looked up at all.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def find_enabled(db, host: Host, slug: str, known_enabled: int | None = None) -> HostInstance | None:
    """The instance behind ``slug`` when SCIM is switched on for it, else None.

    ``known_enabled`` names an instance already known to be switched on (the request's
    token is checked together with its instance's switch), so the switch is not asked again.
    """
    if not SLUG.fullmatch(slug):
        return None
    instance = host.find_instance(db, slug)
    if instance is None:
        return None
    return instance if instance.id == known_enabled or is_enabled(db, instance.id) else None


def is_enabled(db, instance_id: int) -> bool:
    return bool(db.scalar(_SWITCH, {"instance_id": instance_id}))


_SWITCH = select(ScimInstance.__table__.c.enabled).where(ScimInstance.__table__.c.instance_id == bindparam("instance_id"))


def set_enabled(db, instance_id: int, enabled: bool) -> None:
    """Switch SCIM on or off; data is kept either way, so switching back restores it.

    The instance's license groups exist from the first time support touches the switch,
    so Okta's "Refresh App Groups" finds them.
    """
    switch = db.get(ScimInstance, instance_id)
    if switch is None:
        switch = ScimInstance(instance_id=instance_id, enabled=enabled)
        db.add(switch)
    switch.enabled = enabled
    db.flush()
    licensing.ensure_license_groups(db, instance_id)


def counts(db, instance_id: int) -> dict[str, int]:
    """Users (all and active) and groups of an instance, for support's status."""
    users = db.execute(
        select(func.count(), func.count().filter(ScimUser.active.is_not(False))).where(ScimUser.instance_id == instance_id)
    ).one()
    groups = db.scalar(select(func.count()).select_from(ScimGroup).where(ScimGroup.instance_id == instance_id))
    return {"users": users[0], "active_users": users[1], "groups": groups}
