"""Support's per-instance switch over the host's instances."""

from __future__ import annotations

import re
import threading
import time

from sqlalchemy import bindparam, func, select

from ..host import Host, HostInstance
from ..models.scim import ScimGroup, ScimInstance, ScimUser
from .licensing import ensure_license_groups

#: What an instance slug may look like; anything else is not looked up at all.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class KnownSlugs:
    """Which instance each slug named lately, per process: a SCIM request need not ask
    the host again.

    Only ever a shortcut for a request whose token belongs to that same instance (the
    token was checked against the database in this request, with its instance's switch):
    a slug since given to another instance is asked again as soon as that instance's
    token uses it, and at worst a token keeps reaching its own instance under its old
    slug for ``ttl`` seconds. Bounded: the oldest entries go first.
    """

    def __init__(self, ttl: float = 60.0, size: int = 4096, clock=time.monotonic):
        self.ttl, self.size, self.clock = ttl, size, clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[HostInstance, float]] = {}

    def get(self, slug: str) -> HostInstance | None:
        entry = self._entries.get(slug)
        return entry[0] if entry is not None and entry[1] > self.clock() else None

    def put(self, slug: str, instance: HostInstance) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                del self._entries[next(iter(self._entries))]
            self._entries[slug] = (instance, self.clock() + self.ttl)


class InstanceService:
    """The host's instances, and whether SCIM is switched on for each."""

    def __init__(self, db, host: Host, known: KnownSlugs | None = None):
        self.db, self.host = db, host
        self.known = known or KnownSlugs()

    def find(self, slug: str) -> HostInstance | None:
        """The instance behind ``slug``, switched on or not, or None."""
        return self.host.find_instance(self.db, slug) if SLUG.fullmatch(slug) else None

    def find_enabled(self, slug: str, token_instance_id: int | None = None) -> HostInstance | None:
        """The instance behind ``slug`` when SCIM is switched on for it, else None.

        ``token_instance_id`` names the instance of the request's token, already known
        to be switched on (a token is checked together with its instance's switch), so
        the switch is not asked again.
        """
        known = self.known.get(slug) if token_instance_id is not None else None
        if known is not None and known.id == token_instance_id:
            return known
        instance = self.find(slug)
        if instance is None:
            return None
        if instance.id == token_instance_id:
            self.known.put(slug, instance)
            return instance
        return instance if self.is_enabled(instance.id) else None

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
