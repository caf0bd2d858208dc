"""The host contract: everything the add-on needs from the LivePreso HQ it runs in.

The add-on owns the SCIM view of users (``scim_users``) and keeps it in step with the
host's own user records through this interface; it never imports the host's models.
A host implements :class:`Host` over its own tables and names the class in the
``scim.host`` setting (``package.module:Class``); the class is built once with the
application settings. docs/INTEGRATING.md says how to implement it;
``livepreso_scim_addon.testing`` checks an implementation; the reference HQ in
``livepreso_scim_addon/hq`` and the second host in the tests are worked examples.

Every method receives the request's SQLAlchemy session, so the host's writes land in
the same transaction as the add-on's: a SCIM request commits whole or not at all.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class License:
    """A license the host sells, and the HQ group that grants it."""

    #: Stored with the license group (``scim_groups.license``, at most 32 characters).
    type: str
    #: The license group's name until Okta links a group to it, and again after Okta deletes it.
    group_name: str
    #: Whether holding it makes the person a manager of the instance in HQ.
    grants_hq_access: bool = False


@dataclass(frozen=True)
class HostInstance:
    id: int
    slug: str
    name: str


@dataclass(frozen=True)
class HostUserProfile:
    """What HQ keeps of a SCIM user: its sign-in name, contact and display fields."""

    login: str
    email: str | None
    given_name: str | None
    family_name: str | None
    display_name: str | None
    active: bool


class HostConflict(Exception):
    """The host refuses a change, e.g. a login already used by another HQ user."""


class Host(Protocol):
    def licenses(self) -> Sequence[License]:
        """The licenses the host sells, in the order HQ shows them.

        Every enabled instance has one license group per license: groups missing for a
        license the host has started to sell are created at start-up (and when support
        switches an instance on). Called often: return a constant.
        """

    def find_instance(self, db: Session, slug: str) -> HostInstance | None:
        """The instance with this URL slug, or None."""

    def list_instances(self, db: Session) -> list[HostInstance]:
        """All instances, for support's ``instance list``."""

    def provision_user(
        self, db: Session, instance_id: int, host_user_id: str | None, profile: HostUserProfile
    ) -> str:
        """Create (``host_user_id`` None) or update an HQ user; return its key.

        A host's key for a person is opaque text to the add-on (an integer id as its
        decimal digits, a UUID, ...), at most 255 characters.

        On create the host may adopt an existing HQ user with the same login that no
        SCIM user holds yet, so people who used HQ before SCIM keep their history.
        An inactive profile means the person can no longer sign in.
        Raise HostConflict when the login belongs to someone else.
        """

    def release_user(self, db: Session, instance_id: int, host_user_id: str) -> None:
        """The SCIM resource was deleted: keep the person's HQ data, deactivated."""

    def end_sessions(self, db: Session, instance_id: int, host_user_id: str) -> None:
        """End every HQ session of this user at once (deactivation)."""

    def license_seats(self, db: Session, instance_id: int, license: str) -> int | None:
        """Paid seats for ``license`` (a ``License.type``); None means unlimited."""

    def set_license_seats(self, db: Session, instance_id: int, license: str, seats: int | None) -> None:
        """Support's ``seats set``; None means unlimited."""

    def license_granted(self, db: Session, instance_id: int, host_user_ids: list[str], license: str) -> None:
        """The add-on gave these users ``license``; HQ's own licensing follows.

        Called once per change with every user it affects, so a host can write them in
        one statement: a PATCH adding a thousand members stays a fixed number of queries.
        """

    def license_revoked(self, db: Session, instance_id: int, host_user_ids: list[str], license: str) -> None:
        """The add-on took ``license`` away from these users.

        For a license that grants HQ access, end these users' HQ sessions here, in the
        same transaction: losing the Manager group in Okta ends HQ access at once.
        """

    def manager_principal(self, instance_id: int) -> str:
        """The principal the host's security policy gives HQ managers of this instance.

        The add-on's HQ pages (the SCIM page, its events) allow only this principal.
        """

    def login_url(self, request, instance: HostInstance) -> str:
        """Where to send someone who must sign in to HQ before seeing the SCIM page.

        ``request`` is the request refused: a host that returns people to the page they
        asked for reads it from ``request.path_qs`` (a GET's), and checks it again when
        sign-in ends; the path may carry a query, as ``/scim/events?kind=failed`` does.
        """

    def sign_in(self, request, host_user_id: str) -> list[tuple[str, str]]:
        """Start an HQ session for this user (SSO succeeded); returns the response headers."""

    def home_url(self, request, instance: HostInstance) -> str:
        """Where a user lands after signing in with SSO."""


def load_host(settings: dict) -> Host:
    """Build the host named by the ``scim.host`` setting (``package.module:Class``)."""
    dotted = settings.get("scim.host")
    if not dotted:
        raise ValueError("set scim.host to the host's implementation of livepreso_scim_addon.host.Host")
    factory = pkgutil.resolve_name(dotted)
    return factory(settings)


def license_of(host: Host, license_type: str) -> License | None:
    """The host's license of this type, or None (a type the host no longer sells)."""
    return next((license for license in host.licenses() if license.type == license_type), None)
