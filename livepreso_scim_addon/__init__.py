"""LivePreso SCIM add-on: ``config.include("livepreso_scim_addon")`` in a LivePreso HQ.

Registers the SCIM 2.0 API under ``scim.route_prefix`` (default ``/scim/v2``) as
``{prefix}/{instance-slug}/...``, backed by the host contract in ``host.py``.
The host installs the security policy (see ``security.py``).
"""

import re

# Nothing here imports Pyramid at import time, so that the console script can silence
# Pyramid's pkg_resources notice before Pyramid loads (scripts/cli.py).
from .settings import load_settings


def includeme(config):
    from pyramid.tweens import EXCVIEW, INGRESS

    settings = load_settings(config.get_settings())
    config.registry["scim.settings"] = settings
    # A PostgreSQL serialization failure or deadlock (SQLSTATE class 40) reruns the
    # whole request: zope.sqlalchemy marks those errors retryable for pyramid_tm.
    config.get_settings().setdefault("retry.attempts", "3")
    config.get_settings().setdefault("retry.activate_hook", "livepreso_scim_addon.ingress.retry_attempts")
    config.include("pyramid_retry")
    config.include(".models")
    config.include(".services")
    # Above everything, pyramid_tm included: public URL, undecodable URLs (ingress.py).
    config.add_tween("livepreso_scim_addon.ingress.ingress_tween_factory", under=INGRESS)
    # Per-token and per-address limits under the SCIM prefix (ratelimit.py), below
    # pyramid_tm and the exception views: a token past its limit is refused before its
    # lookup, with no database work; a fault during the lookup is the usual 503.
    from .ratelimit import rate_limits_from

    limits = rate_limits_from(settings)
    if limits is not None:
        config.registry["scim.rate_limits"] = limits
        config.add_tween("livepreso_scim_addon.ratelimit.rate_limit_tween_factory", under=EXCVIEW)

    from .resources import HqScimContext, ScimRoot
    from .views.base import scim_json_renderer_factory
    from .views.errors import add_scim_exception_views
    from .sso.oidc import ProviderCache
    from .views.hq import hq_forbidden

    config.add_renderer("scim+json", scim_json_renderer_factory)
    config.add_route("scim", f"{settings.route_prefix}/*traverse", factory=ScimRoot)
    add_scim_exception_views(config, settings.route_prefix)
    config.include(".views.unavailable")  # database faults: 503, never 500

    # The SCIM page in HQ, rendered inside the host's layout.
    config.include("pyramid_jinja2")
    config.add_static_view("scim-static", "livepreso_scim_addon:static", cache_max_age=3600)
    hq = f"{settings.hq_route_prefix}/{{instance}}/scim"
    for name, pattern in (
        ("scim.hq.page", hq),
        ("scim.hq.tokens", f"{hq}/tokens"),
        ("scim.hq.token_revoke", f"{hq}/tokens/{{token_id}}/revoke"),
        ("scim.hq.events", f"{hq}/events"),
        ("scim.hq.events_csv", f"{hq}/events.csv"),
        ("scim.hq.person", f"{hq}/people/{{user_id}}"),
    ):
        config.add_route(name, pattern, factory=HqScimContext)
    # SP-initiated OpenID Connect sign-in.
    config.registry["scim.oidc"] = ProviderCache()
    config.include(".views.sso")
    config.add_forbidden_view(hq_forbidden, path_info=rf"^{re.escape(settings.hq_route_prefix)}/[^/]+/scim(/|$)")
    config.scan(".views")
