"""Creating an instance: the reference HQ's own business, not part of the host contract.

A real HQ creates instances its own way; the add-on only finds them
(``Host.find_instance``). Support's ``livepreso-hq instance create`` and the tests'
factories call :func:`create_instance`.
"""

from __future__ import annotations

import re

from sqlalchemy import insert, select

from livepreso_scim_addon.host import HostConflict, HostInstance

from .licenses import LICENSES
from .models import Instance, LicenseSeats

#: What an instance slug may look like (it is a URL segment: ``/hq/{slug}/``).
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def create_instance(db, slug: str, name: str) -> HostInstance:
    """A new instance with a seat row, at no seats, for each license HQ sells.

    Raises ValueError for a slug that is no URL segment, HostConflict for one in use.
    """
    if not SLUG.fullmatch(slug):
        raise ValueError("a slug is 1 to 64 lower-case letters, digits and inner hyphens")
    if db.scalar(select(Instance.id).where(Instance.slug == slug)) is not None:
        raise HostConflict(f"instance {slug!r} already exists")
    row = Instance(slug=slug, name=name)
    db.add(row)
    db.flush()
    # No paid seats yet: support sells them with `livepreso-scim seats set`.
    db.execute(insert(LicenseSeats), [{"instance_id": row.id, "license": lic.type, "seats": 0} for lic in LICENSES])
    return HostInstance(id=row.id, slug=row.slug, name=row.name)
