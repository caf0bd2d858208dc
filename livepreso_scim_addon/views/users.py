"""/Users (RFC 7644 §3.3-§3.6): parse, call the users service, render."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent

from ..resources import UserResource, UsersCollection
from ..scim.schemas import USER
from ..scim.serialize import project
from ..security import Permission
from ..services import users
from .base import check_if_match, if_none_match_response, read_json, scim_base_url, scim_view
from .endpoint import Endpoint


def _render(request, instance, rows, projection) -> list[dict]:
    """Users as resources (their values and groups came with them, see USER_MAP)."""
    base = scim_base_url(request, instance)
    groups_base = f"{base}/Groups" if projection.returns("groups") else None
    return [project(users.to_resource(u, f"{base}/Users/{u.id}", groups_base), projection) for u in rows]


USERS = Endpoint(USER, users.search_users, _render, users.etag)


@scim_view(context=UsersCollection, request_method="GET", permission=Permission.READ)
def list_users(context, request):
    return USERS.list(context, request, request.GET)


@scim_view(context=UsersCollection, name=".search", request_method="POST", permission=Permission.READ)
def search_users(context, request):
    return USERS.list(context, request, read_json(request, expect_object=True))


@scim_view(context=UsersCollection, request_method="POST", permission=Permission.WRITE)
def create_user(context, request):
    instance = context.instance
    user = users.create_user(request.dbsession, request.registry["scim.host"], instance.id, read_json(request))
    request.response.headers["Location"] = USERS.location(request, instance, user)
    return USERS.single(request, instance, user, status=201)


@scim_view(context=UserResource, request_method="GET", permission=Permission.READ)
def get_user(context, request):
    not_modified = if_none_match_response(request, users.etag(context.user))
    return not_modified or USERS.single(request, context.instance, context.user)


@scim_view(context=UserResource, request_method="PUT", permission=Permission.WRITE)
def replace_user(context, request):
    body = read_json(request)
    check_if_match(request, users.etag(context.user))
    user = users.replace_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return USERS.single(request, context.instance, user)


@scim_view(context=UserResource, request_method="PATCH", permission=Permission.WRITE)
def patch_user(context, request):
    body = read_json(request)
    check_if_match(request, users.etag(context.user))
    user = users.patch_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return USERS.single(request, context.instance, user)


@scim_view(context=UserResource, request_method="DELETE", permission=Permission.WRITE)
def delete_user(context, request):
    check_if_match(request, users.etag(context.user))
    users.delete_user(request.dbsession, request.registry["scim.host"], context.user)
    return HTTPNoContent()
