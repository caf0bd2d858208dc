"""What the kit needs of a host: the adapter a host writes for its own tests.

The host contract (``livepreso_scim_addon.host``) is what the add-on asks of a host;
this is what the kit asks besides, to arrange a test and to see its outcome the host's
own way: build the app on a migrated database, create an instance (the contract has no
way to), read what the host holds of a person, and sign a person in.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from ..host import HostInstance, HostUserProfile

if TYPE_CHECKING:  # the harness imports this module
    from .harness import HostHarness, Tenant


#: What a host holds of a person: the contract's profile, as ``person(request, key)``
#: reads it back from the host's own tables.
Person = HostUserProfile


class HostUnderTest(abc.ABC):
    """A host, as its own test suite drives it for the kit.

    Methods that take ``request`` get a request the kit prepared outside HTTP
    (``pyramid.scripting.prepare``) inside ``request.tm``: use ``request.dbsession`` (or
    however the host reaches its database from a request); the transaction commits when
    the method returns. Keys are the host's keys for people, as ``Host.provision_user``
    returns them (text).
    """

    #: The host's name in test ids and failure messages.
    name = "host"

    @abc.abstractmethod
    def migrate(self, database_url: str) -> None:
        """Bring an empty database to the newest schema: the host's history and the add-on's."""

    @abc.abstractmethod
    def make_app(self, database_url: str):
        """The host's Pyramid application (its own app factory, the add-on included) on
        a database ``migrate`` prepared. A Pyramid router: the kit uses its registry."""

    def close_app(self, app) -> None:
        """Release what ``make_app`` opened (its engines); the kit calls it once done."""

    @abc.abstractmethod
    def create_instance(self, request, slug: str, name: str) -> HostInstance:
        """A new instance, made the host's own way; the kit switches SCIM on for it."""

    @abc.abstractmethod
    def create_person(
        self,
        request,
        instance: HostInstance,
        login: str,
        *,
        email: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        display_name: str | None = None,
    ) -> str:
        """Someone who used HQ before SCIM: an active person of ``instance`` with this
        login, not provisioned by SCIM; their key."""

    @abc.abstractmethod
    def person(self, request, key: str) -> Person | None:
        """What the host holds of the person with this key, or None if it holds no such person."""

    @abc.abstractmethod
    def licenses(self, request, key: str) -> set[str]:
        """The license types (``License.type``) the person holds in HQ."""

    def start_session(self, harness: HostHarness, tenant: Tenant, key: str):
        """Sign the person in to HQ as a browser does: a ``webtest.TestApp`` holding the
        session, or None when the host refuses to sign the person in.

        By default through the contract's ``Host.sign_in`` (what single sign-on calls);
        a host with a sign-in of its own (a password form, say) signs in through it.
        """
        return harness.sign_in_with_contract(tenant, key)

    @abc.abstractmethod
    def session_is_live(self, browser, tenant: Tenant) -> bool:
        """Whether ``browser`` is still signed in: ask a page of the instance that only a
        signed-in person sees."""
