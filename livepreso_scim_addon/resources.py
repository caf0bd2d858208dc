"""Traversal contexts, each carrying the ACL that guards it.

``/scim/v2/{slug}/Users/{id}`` walks ScimRoot -> InstanceScope -> ResourceCollection ->
ResourceItem; Users and Groups are the same two classes over different services. An
unknown or switched-off instance raises KeyError at the first step, so the whole tree
under it answers 404 to everybody: the add-on looks absent. The HQ and SSO pages of
one instance have an :class:`InstancePage` context each.
"""

from __future__ import annotations

from pyramid.authorization import DENY_ALL, Allow
from pyramid.decorator import reify
from pyramid.httpexceptions import HTTPNotFound

from .host import Host
from .scim.schemas import RESOURCE_TYPES, SCHEMAS
from .security import Permission, instance_principal, token_identity
from .services.groups import GroupService
from .services.instances import InstanceService
from .services.resources import ResourceService
from .services.users import UserService
from .service_lookup import build_service


class ScimRoot:
    __name__ = ""
    __parent__ = None
    __acl__ = [DENY_ALL]

    def __init__(self, request):
        self.request = request

    def __getitem__(self, slug):
        request = self.request
        identity = token_identity(request)
        instance = build_service(request, InstanceService).find_enabled(
            slug, token_instance_id=identity and identity.instance_id
        )
        if instance is None:
            raise KeyError(slug)
        return InstanceScope(self, instance)


class _Child:
    """A context below an instance; the instance's ACL is inherited through __parent__."""

    def __init__(self, parent, name):
        self.__parent__ = parent
        self.__name__ = name

    @property
    def instance(self):
        return self.__parent__.instance

    @property
    def request(self):
        return self.__parent__.request


class InstanceScope:
    """One instance: only that instance's token principal may read or write below it."""

    #: The resource types served below an instance, by endpoint. Endpoint names are
    #: case-sensitive in RFC 7644 examples; Okta and Entra use exactly these spellings.
    RESOURCE_SERVICES = {"Users": UserService, "Groups": GroupService}
    DISCOVERY = {"ResourceTypes": RESOURCE_TYPES, "Schemas": SCHEMAS}

    def __init__(self, root: ScimRoot, instance):
        self.__parent__ = root
        self.__name__ = instance.slug
        self.instance = instance
        self.request = root.request
        self.__acl__ = [
            (Allow, instance_principal(instance.id), (Permission.READ, Permission.WRITE)),
            DENY_ALL,
        ]

    def __getitem__(self, name):
        if name in self.RESOURCE_SERVICES:
            return ResourceCollection(self, name, self.RESOURCE_SERVICES[name])
        if name in self.DISCOVERY:
            return DiscoveryCollection(self, name, self.DISCOVERY[name])
        if name == "ServiceProviderConfig":
            return ServiceProviderConfig(self, name)
        if name == "openapi.json":
            return OpenApiDocument(self, name)
        raise KeyError(name)

    def collections(self) -> list[ResourceCollection]:
        """Every resource collection, Users first (POST {base}/.search lists them in this order)."""
        return [self[name] for name in self.RESOURCE_SERVICES]


class ResourceCollection(_Child):
    """/Users or /Groups: an item is a resource of this instance, or unknown (404)."""

    def __init__(self, parent, name, service_class: type):
        super().__init__(parent, name)
        self.service_class = service_class

    @reify
    def service(self) -> ResourceService:
        return build_service(self.request, self.service_class, self)

    def __getitem__(self, resource_id):
        if resource_id == ".search":
            raise KeyError(resource_id)  # the view named ".search" on this collection
        row = self.service.get(resource_id)
        if row is None:
            raise KeyError(resource_id)
        return ResourceItem(self, row)


class ResourceItem(_Child):
    """One user or group; ``row`` is what its service loaded (for a change or to be shown)."""

    def __init__(self, parent: ResourceCollection, row):
        super().__init__(parent, row.id)
        self.row = row

    @property
    def service(self) -> ResourceService:
        return self.__parent__.service


class _Leaf(_Child):
    """A context with nothing below it."""

    def __getitem__(self, name):
        raise KeyError(name)


class ServiceProviderConfig(_Leaf):
    pass


class OpenApiDocument(_Leaf):
    """``openapi.json``: the OpenAPI document of this instance's SCIM API."""


class DiscoveryCollection(_Child):
    """/ResourceTypes or /Schemas: each item is found by its id (RFC 7644 §4)."""

    def __init__(self, parent, name, items):
        super().__init__(parent, name)
        self.items = items

    def __getitem__(self, name):
        item = next((item for item in self.items if item.id == name), None)
        if item is None:
            raise KeyError(name)
        return DiscoveryItem(self, item)


class DiscoveryItem(_Leaf):
    """One resource type or one schema."""

    def __init__(self, parent: DiscoveryCollection, item):
        super().__init__(parent, item.id)
        self.item = item


class InstancePage:
    """An HQ or SSO page of one instance (the route's ``{instance}``), whether SCIM is on or off."""

    def __init__(self, request):
        self.request = request
        self.instance = build_service(request, InstanceService).find(request.matchdict["instance"])
        if self.instance is None:
            raise HTTPNotFound()
        self.__acl__ = self.acl()

    def acl(self) -> list:
        return [DENY_ALL]


class HqScimContext(InstancePage):
    """``/hq/{instance}/scim``: the SCIM page of one instance, for that instance's HQ managers.

    Who is a manager is the host's to say (``Host.manager_principal``). Unlike the API,
    the page exists whether SCIM is on or off: it says which.
    """

    def acl(self) -> list:
        host = build_service(self.request, Host)
        return [(Allow, host.manager_principal(self.instance.id), Permission.MANAGE), DENY_ALL]


class SsoContext(InstancePage):
    """``/sso/{instance}/login`` and ``/callback``: open to anyone (they start a sign-in)."""

    def acl(self) -> list:
        return []
