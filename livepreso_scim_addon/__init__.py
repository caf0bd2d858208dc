"""LivePreso SCIM add-on: ``config.include("livepreso_scim_addon")`` in a LivePreso HQ.

Registers the SCIM 2.0 API under ``scim.route_prefix`` (default ``/scim/v2``) as
``{prefix}/{instance-slug}/...``, backed by the host contract in ``host.py``.
The host installs the security policy (see ``security.py``).
"""

from .host import load_host
from .settings import load_settings


def includeme(config):
    settings = load_settings(config.get_settings())
    config.registry["scim.settings"] = settings
    config.registry["scim.host"] = load_host(config.get_settings())
    # A PostgreSQL serialization failure or deadlock (SQLSTATE class 40) reruns the
    # whole request: zope.sqlalchemy marks those errors retryable for pyramid_tm.
    config.get_settings().setdefault("retry.attempts", "3")
    config.include("pyramid_retry")
    config.include(".models")

    from .resources import ScimRoot
    from .views.base import scim_json_renderer_factory
    from .views.errors import add_scim_exception_views

    config.add_renderer("scim+json", scim_json_renderer_factory)
    config.add_route("scim", f"{settings.route_prefix}/*traverse", factory=ScimRoot)
    add_scim_exception_views(config, settings.route_prefix)
    config.scan(".views")
