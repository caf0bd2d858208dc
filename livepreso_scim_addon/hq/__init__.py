"""The reference HQ: a small stand-in for LivePreso HQ, and the app factory ``main``.

It implements the host contract (``hq/host.py``) over its own tables and shows how a
host installs the add-on: name its host and layout, include it, then install the
composite security policy with the host's own policy first. A real HQ keeps only
those few lines of ``main``. Like any host, it uses only the add-on's public entry
points: ``livepreso_scim_addon`` (includeme), ``.host``, ``.security`` and ``.api``
(the import contract in ``.importlinter``).
"""


def main(global_config, **settings):
    # Imported here, not above: nothing in this package imports Pyramid at import time,
    # so that ``livepreso-hq`` (hq/scripts.py) silences Pyramid's pkg_resources notice first.
    from pyramid.config import Configurator

    from livepreso_scim_addon.api import add_unavailable_page
    from livepreso_scim_addon.security import CompositeSecurityPolicy, ScimTokenPolicy

    from .csrf import CookieCSRFPolicy
    from .security import HqSessionPolicy

    settings.setdefault("scim.host", "livepreso_scim_addon.hq.host:ReferenceHost")
    # The SCIM page and the SSO messages are drawn inside HQ's own page layout.
    settings.setdefault("scim.hq_layout", "livepreso_scim_addon.hq:templates/layout.jinja2")
    with Configurator(settings=settings) as config:
        config.include("pyramid_jinja2")
        config.include("livepreso_scim_addon")
        config.set_security_policy(CompositeSecurityPolicy(HqSessionPolicy(), ScimTokenPolicy()))
        # Double-submit CSRF cookie: HQ forms need no server-side session for it.
        config.set_csrf_storage_policy(CookieCSRFPolicy(samesite="Lax"))
        config.set_default_csrf_options(require_csrf=True)
        config.add_static_view("hq-static", "livepreso_scim_addon.hq:static", cache_max_age=3600)
        config.include(".views")
        add_unavailable_page(config)  # a database fault on any HQ page: 503, never 500
    return config.make_wsgi_app()
