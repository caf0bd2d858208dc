"""/Users (RFC 7644 §3.3-§3.6): parse, call the users service, render."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent, HTTPNotModified

from ..resources import UserResource, UsersCollection
from ..scim.errors import ScimError
from ..scim.query import parse_list_query
from ..scim.schemas import USER
from ..scim.serialize import list_response, parse_projection, project
from ..security import Permission
from ..services import users
from .base import read_json, scim_base_url, scim_view


def _location(request, instance, user) -> str:
    return f"{scim_base_url(request, instance)}/Users/{user.id}"


def _projection(request):
    return parse_projection(USER, request.GET.get("attributes"), request.GET.get("excludedAttributes"))


def _single(request, instance, user, status=200):
    """One user, with its ETag and the projection the query asks for."""
    request.response.status_code = status
    request.response.headers["ETag"] = users.etag(user)
    return project(users.to_resource(user, _location(request, instance, user)), _projection(request))


def _etag_matches(header: str, user) -> bool:
    """Whether an If-Match / If-None-Match list names the user's version (weakly)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or users.etag(user).removeprefix("W/") in tags


def _check_if_match(request, user) -> None:
    """A stale ``If-Match`` means someone else changed the user first (RFC 7644 §3.14)."""
    header = request.headers.get("If-Match")
    if header is not None and not _etag_matches(header, user):
        raise ScimError(412, None, f"The user has changed: its version is now {users.etag(user)}.")


def _list(context, request, params):
    settings = request.registry["scim.settings"]
    query = parse_list_query(params, settings.default_page_size, settings.max_page_size)
    total, rows = users.search_users(
        request.dbsession,
        context.instance.id,
        filter_node=query.filter,
        sort_by=query.sort_by,
        descending=query.descending,
        start_index=query.start_index,
        count=query.count,
    )
    projection = parse_projection(USER, query.attributes, query.excluded_attributes)
    base = scim_base_url(request, context.instance)
    resources = [project(users.to_resource(user, f"{base}/Users/{user.id}"), projection) for user in rows]
    return list_response(resources, total, query.start_index)


@scim_view(context=UsersCollection, request_method="GET", permission=Permission.READ)
def list_users(context, request):
    return _list(context, request, request.GET)


@scim_view(context=UsersCollection, name=".search", request_method="POST", permission=Permission.READ)
def search_users(context, request):
    body = read_json(request)
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "A SearchRequest must be a JSON object.")
    return _list(context, request, body)


@scim_view(context=UsersCollection, request_method="POST", permission=Permission.WRITE)
def create_user(context, request):
    instance = context.instance
    user = users.create_user(request.dbsession, request.registry["scim.host"], instance.id, read_json(request))
    request.response.headers["Location"] = _location(request, instance, user)
    return _single(request, instance, user, status=201)


@scim_view(context=UserResource, request_method="GET", permission=Permission.READ)
def get_user(context, request):
    header = request.headers.get("If-None-Match")
    if header is not None and _etag_matches(header, context.user):
        return HTTPNotModified(headers={"ETag": users.etag(context.user)})
    return _single(request, context.instance, context.user)


@scim_view(context=UserResource, request_method="PUT", permission=Permission.WRITE)
def replace_user(context, request):
    body = read_json(request)
    _check_if_match(request, context.user)
    user = users.replace_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return _single(request, context.instance, user)


@scim_view(context=UserResource, request_method="PATCH", permission=Permission.WRITE)
def patch_user(context, request):
    body = read_json(request)
    _check_if_match(request, context.user)
    user = users.patch_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return _single(request, context.instance, user)


@scim_view(context=UserResource, request_method="DELETE", permission=Permission.WRITE)
def delete_user(context, request):
    _check_if_match(request, context.user)
    users.delete_user(request.dbsession, request.registry["scim.host"], context.user)
    return HTTPNoContent()
