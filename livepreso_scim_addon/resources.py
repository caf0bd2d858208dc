"""Traversal contexts under the SCIM prefix, each carrying the ACL that guards it.

``/scim/v2/{slug}/Users/{id}`` walks ScimRoot -> InstanceScope -> UsersCollection ->
UserResource. An unknown or switched-off instance raises KeyError at the first step,
so the whole tree under it answers 404 to everybody: the add-on looks absent.
"""

from __future__ import annotations

from pyramid.authorization import DENY_ALL, Allow
from pyramid.httpexceptions import HTTPNotFound

from .scim.schemas import RESOURCE_TYPES, SCHEMAS
from .security import Permission, instance_principal, token_identity
from .services import groups, instances, users


class ScimRoot:
    __name__ = ""
    __parent__ = None
    __acl__ = [DENY_ALL]

    def __init__(self, request):
        self.request = request

    def __getitem__(self, slug):
        request = self.request
        identity = token_identity(request)
        instance = instances.find_enabled(
            request.dbsession, request.registry["scim.host"], slug, known_enabled=identity and identity.instance_id
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
        children = {
            "Users": UsersCollection,
            "Groups": GroupsCollection,
            "ServiceProviderConfig": ServiceProviderConfig,
            "ResourceTypes": ResourceTypesCollection,
            "Schemas": SchemasCollection,
        }
        # Endpoint names are case-sensitive in RFC 7644 examples; Okta and Entra
        # use exactly these spellings.
        return children[name](self, name)


class _Collection(_Child):
    """/Users or /Groups: an item is a resource of this instance, or unknown (404)."""

    lookup = None  # (db, instance_id, id) -> row or None
    item = None  # the context class of one resource

    def __getitem__(self, resource_id):
        if resource_id == ".search":
            raise KeyError(resource_id)  # the view named ".search" on this collection
        row = self.lookup(self.request.dbsession, self.instance.id, resource_id)
        if row is None:
            raise KeyError(resource_id)
        return self.item(self, row)


class UserResource(_Child):
    def __init__(self, parent, user):
        super().__init__(parent, user.id)
        self.user = user


class GroupResource(_Child):
    def __init__(self, parent, group):
        super().__init__(parent, group.id)
        self.group = group


class UsersCollection(_Collection):
    item = UserResource

    def lookup(self, db, instance_id, user_id):
        # A read renders the user and changes nothing: a plain record is cheaper to
        # load than the ORM entity that a change needs.
        if self.request.method in ("GET", "HEAD"):
            return users.read_user(db, instance_id, user_id)
        return users.get_user(db, instance_id, user_id)


class GroupsCollection(_Collection):
    lookup = staticmethod(groups.get_group)
    item = GroupResource


class ServiceProviderConfig(_Child):
    def __getitem__(self, name):
        raise KeyError(name)


class ResourceTypesCollection(_Child):
    def __getitem__(self, name):
        for resource_type in RESOURCE_TYPES:
            if resource_type.id == name:
                return DiscoveryItem(self, name, resource_type)
        raise KeyError(name)


class SchemasCollection(_Child):
    def __getitem__(self, name):
        for schema in SCHEMAS:
            if schema.id == name:
                return DiscoveryItem(self, name, schema)
        raise KeyError(name)


class DiscoveryItem(_Child):
    """One resource type or one schema."""

    def __init__(self, parent, name, item):
        super().__init__(parent, name)
        self.item = item

    def __getitem__(self, name):
        raise KeyError(name)


class HqScimContext:
    """``/hq/{instance}/scim``: the SCIM page of one instance, for that instance's HQ managers.

    Who is a manager is the host's to say (``Host.manager_principal``). Unlike the API,
    the page exists whether SCIM is on or off: it says which.
    """

    def __init__(self, request):
        host = request.registry["scim.host"]
        slug = request.matchdict["instance"]
        self.instance = host.find_instance(request.dbsession, slug) if instances.SLUG.fullmatch(slug) else None
        if self.instance is None:
            raise HTTPNotFound()
        self.__acl__ = [(Allow, host.manager_principal(self.instance.id), "scim:manage"), DENY_ALL]
