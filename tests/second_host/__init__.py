"""A second host for the add-on, shaped unlike the reference HQ on purpose: a small CRM.

Its own declarative base and tables (``crm_workspaces``, ``crm_people``), UUID text keys
for people, licenses as bits and seats as JSON (``models.py``), a signed-cookie session
policy of its own composed with the add-on's token policy (``security.py``), its own
database session the add-on works in (``database.py``), its own Alembic history in the
default ``alembic_version`` beside the add-on's (``migrations.py``), other licenses
(``licenses.py``), its pages under ``/crm`` and the add-on's SCIM page there too.
Written from docs/INTEGRATING.md and the host contract; the project runs the host
contract kit, the IdP replays and scim2-tester against it (``testing.py`` is its adapter).
"""

from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy

from livepreso_scim_addon.api import add_unavailable_page
from livepreso_scim_addon.security import CompositeSecurityPolicy, ScimTokenPolicy

from .security import CrmCookiePolicy


def main(global_config, **settings):
    settings.setdefault("scim.host", "tests.second_host.host:CrmHost")
    settings.setdefault("scim.dbsession_provided", "true")
    settings.setdefault("scim.hq_route_prefix", "/crm")
    settings.setdefault("scim.hq_layout", "tests.second_host:templates/layout.jinja2")
    with Configurator(settings=settings) as config:
        config.include(".database")
        config.include("pyramid_jinja2")
        config.include("livepreso_scim_addon")
        crm_policy = CrmCookiePolicy(settings["crm.cookie_secret"])
        config.set_security_policy(CompositeSecurityPolicy(crm_policy, ScimTokenPolicy()))
        # The add-on's SCIM page has forms with a CSRF token: Pyramid's default keeps it in
        # a session, and the CRM has none (its sign-in is a signed cookie).
        config.set_csrf_storage_policy(CookieCSRFStoragePolicy(samesite="Lax"))
        config.include(".views")
        add_unavailable_page(config, path_info=r"^/crm/")
    return config.make_wsgi_app()
