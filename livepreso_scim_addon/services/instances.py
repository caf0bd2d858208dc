"""Support's per-instance switch over the host's instances."""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, select

from ..host import Host, HostInstance
from ..models.scim import ScimGroup, ScimInstance, ScimUser
from .licensing import ensure_license_groups

#: What an instance slug may look like; anything else is not looked up at all.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class InstanceService:
    """The host's instances, and whether SCIM is switched on for each."""

    def __init__(self, db, host: Host):
        self.db, self.host = db, host

    def find(self, slug: str) -> HostInstance | None:
        """The instance behind ``slug``, switched on or not, or None."""
        return self.host.find_instance(self.db, slug) if SLUG.fullmatch(slug) else None

    def find_enabled(self, slug: str, token_instance_id: int | None = None) -> HostInstance | None:
        """The instance behind ``slug`` when SCIM is switched on for it, else None.

        ``token_instance_id`` names the instance of the request's token, already known
        to be switched on (a token is checked together with its instance's switch), so
        the switch is not asked again.
        """
        instance = self.find(slug)
        if instance is None:
            return None
        return instance if instance.id == token_instance_id or self.is_enabled(instance.id) else None

    def is_enabled(self, instance_id: int) -> bool:
        return bool(self.db.scalar(_SWITCH, {"instance_id": instance_id}))

    def set_enabled(self, instance_id: int, enabled: bool) -> None:
        """Switch SCIM on or off; data is kept either way, so switching back restores it.

        The instance's license groups exist from the first time support touches the switch,
        so Okta's "Refresh App Groups" finds them.
        """
        switch = self.db.get(ScimInstance, instance_id)
        if switch is None:
            switch = ScimInstance(instance_id=instance_id, enabled=enabled)
            self.db.add(switch)
        switch.enabled = enabled
        self.db.flush()
        ensure_license_groups(self.db, self.host.licenses(), [instance_id])

    def counts(self, instance_id: int) -> dict[str, int]:
        """Users (all and active) and groups of an instance, for support's status."""
        users = self.db.execute(
            select(func.count(), func.count().filter(ScimUser.active.is_not(False))).where(
                ScimUser.instance_id == instance_id
            )
        ).one()
        groups = self.db.scalar(select(func.count()).select_from(ScimGroup).where(ScimGroup.instance_id == instance_id))
        return {"users": users[0], "active_users": users[1], "groups": groups}


_SWITCH = select(ScimInstance.__table__.c.enabled).where(ScimInstance.__table__.c.instance_id == bindparam("instance_id"))
