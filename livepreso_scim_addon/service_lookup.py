"""Getting a request's services: factories registered with pyramid_services, built on demand.

``services/__init__.py`` registers a factory per service class
(``config.register_service_factory``); a host or a test registers another to hand in
its own. Code asks ``build_service(request, UserService, context)``.

Not ``request.find_service``: pyramid_services caches each service in a per-request
wired container, whose cache is a zope adapter registry filled per context; a lookup
cost 40 µs (80 µs with a context) on this machine, and the three a SCIM GET needs cost
an eighth of the whole request. The factory itself is found in 3 µs, and the services
are cheap objects, so callers that use one several times keep it (``ResourceCollection``).
"""

from __future__ import annotations

from typing import TypeVar

Service = TypeVar("Service")


def build_service(request, service_class: type[Service], context=None) -> Service:
    """The ``service_class`` service for this request, and for ``context`` (its instance)."""
    factory = request.find_service_factory(service_class, context=None if context is None else type(context))
    return factory(context, request)
