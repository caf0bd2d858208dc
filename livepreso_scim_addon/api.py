"""What a host's own pages and scripts may use of the add-on, besides ``includeme``.

A host includes the add-on (``config.include("livepreso_scim_addon")``), implements the
contract in ``host.py``, composes the security policy from ``security.py``, and for the
rest uses only these functions: everything else in the package may change without notice
(docs/INTEGRATING.md). The reference HQ in ``livepreso_scim_addon.hq`` is held to this by
the import contract in ``.importlinter``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import returns
from .host import HostInstance
from .models import begin_writing
from .scim.text import storable
from .service_lookup import build_service
from .services import sso
from .services.instances import InstanceService
from .services.licensing import LicenseGroupSummary, LicenseService, Place
from .services.tokens import TokenService
from .views.base import scim_base_url
from .views.unavailable import add_unavailable_page

__all__ = [
    "LicenseGroupSummary",
    "PersonStatus",
    "Place",
    "add_unavailable_page",
    "begin_writing",
    "enable_scim",
    "issue_token",
    "license_summary",
    "people_status",
    "public_url",
    "return_path",
    "scim_base_url",
    "set_license_seats",
    "sso_sign_in_url",
    "storable",
]


class _InstanceContext:
    """The instance a host page is about, for the services of that instance."""

    def __init__(self, instance: HostInstance):
        self.instance = instance


def license_summary(request, instance: HostInstance) -> list[LicenseGroupSummary]:
    """The instance's license groups: their current (maybe Okta's) names, seats, licensed, waiting."""
    return build_service(request, LicenseService, _InstanceContext(instance)).summary()


def sso_sign_in_url(request, instance: HostInstance, next_path: str | None = None) -> str | None:
    """Where the host's sign-in page links for "Sign in with your identity provider", or
    None while single sign-on is off for the instance. ``next_path``: the HQ page to land
    on afterwards (checked with :func:`return_path`, here and again when sign-in ends)."""
    row = sso.settings_for(request.dbsession, instance.id)
    if row is None or not row.enabled:
        return None
    next_path = return_path(request, instance.slug, next_path)
    return request.route_url("scim.sso.login", instance=instance.slug, _query={"next": next_path} if next_path else None)


def return_path(request, instance_slug: str, value) -> str | None:
    """``value`` if it is a path of this instance's HQ pages (same origin, under
    ``{scim.hq_route_prefix}/{slug}/``), else None: what a sign-in may send someone back to."""
    return returns.return_path(request, instance_slug, value)


def enable_scim(request, instance: HostInstance, enabled: bool = True) -> None:
    """Support's switch: the instance's SCIM API appears (or goes; its data is kept)."""
    build_service(request, InstanceService).set_enabled(instance.id, enabled)


def issue_token(request, instance: HostInstance, label: str = "") -> str:
    """A new SCIM token for the instance, in clear text: shown once, stored only as a hash."""
    return build_service(request, TokenService).create(instance.id, label)[1]


def public_url(registry) -> str:
    """Where clients reach the application (``scim.public_url``, or the variable
    ``scim.public_url_env`` names), as the add-on parsed it; "" when unset."""
    return registry["scim.settings"].public_url


def set_license_seats(request, instance: HostInstance, license: str, seats: int | None) -> None:
    """Support sold ``seats`` of ``license`` (None: unlimited): the host is told, and the
    license group's members get seats from the queue, or lose the most recent ones."""
    build_service(request, LicenseService, _InstanceContext(instance)).set_seats(license, seats)


@dataclass(frozen=True)
class PersonStatus:
    """What a host's list of people shows of a SCIM user: their SCIM page and their waits."""

    user_id: str
    #: the person's page on the SCIM page (attributes, groups, licenses, events)
    url: str
    #: the license groups they wait for, each with ``name``, ``builtin_name`` and ``position``
    waiting: list[Place]


def people_status(request, instance: HostInstance, host_user_ids) -> dict[str, PersonStatus]:
    """The SCIM users among these host people (keys as the host gives them to the add-on),
    with the licenses they wait for and their place in each queue; one query for a page."""
    service = build_service(request, LicenseService, _InstanceContext(instance))
    return {
        host_user_id: PersonStatus(
            user_id, request.route_url("scim.hq.person", instance=instance.slug, user_id=user_id), places
        )
        for host_user_id, (user_id, places) in service.waiting_positions(host_user_ids).items()
    }
