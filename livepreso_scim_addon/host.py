"""The host contract: everything the add-on needs from the LivePreso HQ it runs in.

The add-on owns the SCIM view of users (``scim_users``) and keeps it in step with the
host's own user records through this interface; it never imports the host's models.
A host implements :class:`Host` over its own tables and names the class in the
``scim.host`` setting (``package.module:Class``); the class is built once with the
application settings. ``livepreso_scim_addon.hq.host:ReferenceHost`` is the
reference implementation over the stand-in HQ in ``livepreso_scim_addon/hq``.

Every method receives the request's SQLAlchemy session, so the host's writes land in
the same transaction as the add-on's: a SCIM request commits whole or not at all.
"""

from __future__ import annotations

import pkgutil
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

#: License types and the default names of the HQ groups that grant them.
LICENSES: dict[str, str] = {"standard": "Salesperson", "prep": "Prep User", "hq": "Manager"}


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
    def find_instance(self, db: Session, slug: str) -> HostInstance | None:
        """The instance with this URL slug, or None."""

    def get_instance(self, db: Session, instance_id: int) -> HostInstance | None:
        """The instance with this id, or None."""

    def list_instances(self, db: Session) -> list[HostInstance]:
        """All instances, for support's ``instance list``."""

    def create_instance(self, db: Session, slug: str, name: str) -> HostInstance:
        """Create an instance (support's CLI; a real HQ may raise HostConflict instead)."""

    def provision_user(
        self, db: Session, instance_id: int, host_user_id: int | None, profile: HostUserProfile
    ) -> int:
        """Create (``host_user_id`` None) or update an HQ user; return its id.

        On create the host may adopt an existing HQ user with the same login that no
        SCIM user holds yet, so people who used HQ before SCIM keep their history.
        An inactive profile means the person can no longer sign in.
        Raise HostConflict when the login belongs to someone else.
        """

    def release_user(self, db: Session, instance_id: int, host_user_id: int) -> None:
        """The SCIM resource was deleted: keep the person's HQ data, deactivated."""

    def end_sessions(self, db: Session, instance_id: int, host_user_id: int) -> None:
        """End every HQ session of this user at once (deactivation)."""

    def license_seats(self, db: Session, instance_id: int, license: str) -> int | None:
        """Paid seats for ``license`` (one of LICENSES); None means unlimited."""

    def set_license_seats(self, db: Session, instance_id: int, license: str, seats: int | None) -> None:
        """Support's ``seats set``; None means unlimited."""

    def license_granted(self, db: Session, instance_id: int, host_user_ids: list[int], license: str) -> None:
        """The add-on gave these users ``license``; HQ's own licensing follows.

        Called once per change with every user it affects, so a host can write them in
        one statement: a PATCH adding a thousand members stays a fixed number of queries.
        """

    def license_revoked(self, db: Session, instance_id: int, host_user_ids: list[int], license: str) -> None:
        """The add-on took ``license`` away from these users."""

    def manager_principal(self, instance_id: int) -> str:
        """The principal the host's security policy gives HQ managers of this instance.

        The add-on's HQ pages (the SCIM page, its events) allow only this principal.
        """

    def login_url(self, request, instance: HostInstance) -> str:
        """Where to send someone who must sign in to HQ before seeing the SCIM page."""

    def sign_in(self, request, host_user_id: int) -> list[tuple[str, str]]:
        """Start an HQ session for this user (SSO succeeded); returns the response headers."""

    def home_url(self, request, instance: HostInstance) -> str:
        """Where a user lands after signing in with SSO."""


def load_host(settings: dict) -> Host:
    """Build the host named by the ``scim.host`` setting."""
    dotted = settings.get("scim.host", "livepreso_scim_addon.hq.host:ReferenceHost")
    factory = pkgutil.resolve_name(dotted)
    return factory(settings)
