"""Request-scoped services, registered with pyramid_services as Warehouse registers its own.

A view asks for what it needs, ``build_service(request, UserService, context)``
(``service_lookup.py``), and gets a service built for this request: its session, the
host, the instance of the context (below ``{prefix}/{slug}``, or an HQ or SSO page of
one instance) and, for the audit trail, who is acting. A host or a test registers
another factory for a class to hand in its own. Support's CLI gets its services the
same way, from the request ``pyramid.scripting.prepare`` makes.
"""

from __future__ import annotations

import logging
import uuid

from pyramid.events import ApplicationCreated
from pyramid.scripting import prepare
from sqlalchemy.exc import SQLAlchemyError
from zope.interface import Interface

from ..host import Host, load_host
from ..models.faults import describe, is_database_unavailable, is_missing_schema
from ..models.listing import PageCursors
from ..service_lookup import build_service
from ..security import TokenAuthenticator, token_identity
from .audit import Actor, AuditService
from .groups import GroupService
from .health import HealthService
from .instances import InstanceService, KnownSlugs
from .licensing import LicenseService, enabled_instance_ids, ensure_license_groups
from .tokens import TokenService, TrafficCounter
from .users import UserService

log = logging.getLogger(__name__)


def includeme(config):
    config.include("pyramid_services")
    factories = _Factories(load_host(config.get_settings()), PageCursors())
    # The tests move its clock; nothing else reads it from here.
    config.registry["scim.traffic"] = factories.traffic
    config.register_service(factories.host, Host)
    config.register_service_factory(factories.tokens, TokenService)
    config.register_service_factory(factories.tokens, TokenAuthenticator)
    config.register_service_factory(factories.instances, InstanceService)
    # The services of one instance are built for a context that has one (``context.instance``);
    # registered for any context (Interface), their factories are handed it.
    for factory, service_class in (
        (factories.audit, AuditService),
        (factories.health, HealthService),
        (factories.licensing, LicenseService),
        (factories.users, UserService),
        (factories.groups, GroupService),
    ):
        config.register_service_factory(factory, service_class, context=Interface)
    config.add_subscriber(_create_missing_license_groups, ApplicationCreated)


def _create_missing_license_groups(event) -> None:
    """A license the host has started to sell gets its group in every enabled instance.

    At start-up, in a transaction of its own. A database that is down or not yet migrated
    must not stop the application from starting: the groups come at the next start (or
    when support switches the instance on).
    """
    env = prepare(registry=event.app.registry)
    try:
        request = env["request"]
        with request.tm:
            db = request.dbsession
            host = build_service(request, Host)
            created = ensure_license_groups(db, host.licenses(), enabled_instance_ids(db))
        if created:
            log.info("created %d license groups for licenses new to their instances", created)
    except SQLAlchemyError as error:
        if not (is_database_unavailable(error) or is_missing_schema(error)):
            raise
        # Down or not migrated: every request (and support's CLI) will say so in its own
        # words; here it is only worth a note.
        log.info("license groups not checked at start-up: %s", describe(error))
    finally:
        env["closer"]()


def actor_of(request) -> Actor | None:
    """Who the audit trail says acted: the request's SCIM token, else the signed-in HQ person."""
    identity = token_identity(request)
    # Each service built for the request asks again: they must all write the same request id.
    request_id = request.environ.setdefault("scim.request_id", uuid.uuid4().hex)
    if identity is not None:
        return Actor(identity.token_id, f"{request.method} {request.path}", request_id)
    who = getattr(request.identity, "login", None) or request.authenticated_userid
    return Actor(None, f"HQ: {who}", request_id) if who is not None else None


class _Factories:
    """``(context, request) -> service`` for each service, over the application's host.

    A service another one needs (the audit trail of the users service) is built right
    here rather than looked up: each lookup costs a pass through pyramid_services'
    per-context cache, and three of them per request cost as much as the SQL of a GET.
    """

    def __init__(self, host: Host, page_cursors: PageCursors):
        self.host = host
        # Where recent pages of Okta's imports ended, so the next page seeks (models/listing.py).
        self.page_cursors = page_cursors
        # Requests per token not yet written to scim_traffic (services/tokens.py).
        self.traffic = TrafficCounter()
        # The instance each slug named lately, so a SCIM request need not ask the host.
        self.known_slugs = KnownSlugs()

    def tokens(self, context, request) -> TokenService:
        return TokenService(request.dbsession, self.traffic, request.tm)

    def instances(self, context, request) -> InstanceService:
        return InstanceService(request.dbsession, self.host, self.known_slugs)

    def audit(self, context, request) -> AuditService:
        return AuditService(request.dbsession, context.instance.id, actor_of(request))

    def health(self, context, request) -> HealthService:
        return HealthService(request.dbsession, context.instance.id)

    def licensing(self, context, request, audit: AuditService | None = None) -> LicenseService:
        audit = audit or self.audit(context, request)
        return LicenseService(request.dbsession, self.host, context.instance.id, audit)

    def users(self, context, request) -> UserService:
        return UserService(**self._provisioning(context, request))

    def groups(self, context, request) -> GroupService:
        return GroupService(**self._provisioning(context, request))

    def _provisioning(self, context, request) -> dict:
        audit = self.audit(context, request)
        return {
            "db": request.dbsession,
            "host": self.host,
            "instance_id": context.instance.id,
            "licensing": self.licensing(context, request, audit),
            "audit": audit,
            "page_cursors": self.page_cursors,
        }
