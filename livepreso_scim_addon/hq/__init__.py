"""The reference HQ: a small stand-in for LivePreso HQ, and the app factory ``main``.

It implements the host contract (``hq/host.py``) over its own tables and shows how a
host installs the add-on: include it, then install the composite security policy
with the host's own policy first. A real HQ keeps only those few lines of ``main``.
"""

from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy

from ..security import CompositeSecurityPolicy, ScimTokenPolicy
from .security import HqSessionPolicy


def main(global_config, **settings):
    settings.setdefault("scim.host", "livepreso_scim_addon.hq.host:ReferenceHost")
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include("livepreso_scim_addon")
        config.set_security_policy(CompositeSecurityPolicy(HqSessionPolicy(), ScimTokenPolicy()))
        # Double-submit CSRF cookie: HQ forms need no server-side session for it.
        config.set_csrf_storage_policy(CookieCSRFStoragePolicy(samesite="Lax"))
        config.set_default_csrf_options(require_csrf=True)
        config.add_static_view("hq-static", "livepreso_scim_addon.hq:static", cache_max_age=3600)
        config.include(".views")
    return config.make_wsgi_app()
