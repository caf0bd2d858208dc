"""The CRM's adapter for the host contract kit (``livepreso_scim_addon.testing``)."""

from __future__ import annotations

from sqlalchemy import select

from livepreso_scim_addon.testing import HostUnderTest, Person

from . import main
from .licenses import BITS
from .migrations import upgrade
from .models import ACTIVE, CrmPerson
from .workspaces import add_person, open_workspace


class SecondHostUnderTest(HostUnderTest):
    name = "second-host"

    def migrate(self, database_url):
        upgrade(database_url)

    def make_app(self, database_url):
        return main({}, **{"crm.database_url": database_url, "crm.cookie_secret": "not a secret: tests only"})

    def close_app(self, app):
        app.registry["crm.engine"].dispose()

    def create_instance(self, request, slug, name):
        return open_workspace(request.dbsession, slug, name)

    def create_person(
        self, request, instance, login, *, email=None, given_name=None, family_name=None, display_name=None
    ):
        person = add_person(
            request.dbsession,
            instance.id,
            login,
            mail=email,
            first_name=given_name,
            last_name=family_name,
            full_name=display_name,
        )
        return person.uid

    def person(self, request, key):
        person = request.dbsession.get(CrmPerson, key)
        if person is None:
            return None
        return Person(
            login=person.sign_in_name,
            email=person.mail,
            given_name=person.first_name,
            family_name=person.last_name,
            display_name=person.full_name,
            active=person.status == ACTIVE,
        )

    def licenses(self, request, key):
        products = request.dbsession.scalar(select(CrmPerson.products).where(CrmPerson.uid == key)) or 0
        return {name for name, bit in BITS.items() if products & bit}

    # start_session: the CRM signs people in only through single sign-on, whose last
    # step is the contract's Host.sign_in: the kit's default.

    def session_is_live(self, browser, tenant):
        return browser.get(f"/crm/{tenant.slug}/me", expect_errors=True).status_int == 200
