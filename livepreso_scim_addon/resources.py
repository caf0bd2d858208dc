"""Traversal contexts under the SCIM prefix, each carrying the ACL that guards it.

``/scim/v2/{slug}/Users/{id}`` walks ScimRoot -> InstanceScope -> UsersCollection ->
UserResource. An unknown or switched-off instance raises KeyError at the first step,
so the whole tree under it answers 404 to everybody: the add-on looks absent.
"""

from __future__ import annotations

from pyramid.authorization import DENY_ALL, Allow
from pyramid.httpexceptions import HTTPNotFound

from .scim.schemas import RESOURCE_TYPES, SCHEMAS
from .security import Permission, instance_principal
from .services import groups, instances, users


class ScimRoot:
    __name__ = ""
    __parent__ = None
    __acl__ = [DENY_ALL]

    def __init__(self, request):
        self.request = request

    def __getitem__(self, slug):
        request = self.request
        instance = instances.find_enabled(request.dbsession, request.registry["scim.host"], slug)
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


class UsersCollection(_Child):
    def __getitem__(self, user_id):
        if user_id == ".search":
            raise KeyError(user_id)  # the view named ".search" on this collection
        user = users.get_user(self.request.dbsession, self.instance.id, user_id)
        if user is None:
            raise KeyError(user_id)
        return UserResource(self, user)


class UserResource(_Child):
    def __init__(self, parent, user):
        super().__init__(parent, user.id)
        self.user = user


class GroupsCollection(_Child):
    def __getitem__(self, group_id):
        if group_id == ".search":
            raise KeyError(group_id)  # the view named ".search" on this collection
        group = groups.get_group(self.request.dbsession, self.instance.id, group_id)
        if group is None:
            raise KeyError(group_id)
        return GroupResource(self, group)


class GroupResource(_Child):
    def __init__(self, parent, group):
        super().__init__(parent, group.id)
        self.group = group


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
