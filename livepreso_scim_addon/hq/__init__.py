"""The reference HQ: a small stand-in for LivePreso HQ, and the app factory ``main``.

It implements the host contract (``hq/host.py``) over its own tables and shows how a
host installs the add-on: include it, then install the composite security policy
with the host's own policy first. A real HQ keeps only those few lines of ``main``.
"""

from pyramid.config import Configurator
from pyramid.csrf import CookieCSRFStoragePolicy

from ..security import CompositeSecurityPolicy, ScimTokenPolicy
from ..views.unavailable import add_unavailable_page
from .security import HqSessionPolicy


class CookieCSRFPolicy(CookieCSRFStoragePolicy):
    """Pyramid's double-submit CSRF cookie, ``Secure`` whenever the request came over https.

    Pyramid's ``secure`` option is fixed at start-up; one HQ answers on http in
    development and, behind a TLS proxy, on https in production.
    """

    def new_csrf_token(self, request):
        token = self._token_factory()
        request.cookies[self.cookie_name] = token
        secure = request.scheme == "https"
        request.add_response_callback(
            lambda _request, response: self.cookie_profile.set_cookies(response, token, secure=secure)
        )
        return token


def main(global_config, **settings):
    settings.setdefault("scim.host", "livepreso_scim_addon.hq.host:ReferenceHost")
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
