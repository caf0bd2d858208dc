"""/Users (RFC 7644 §3.3-§3.6): parse, call the users service, render."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent

from ..resources import UserResource, UsersCollection
from ..scim.query import parse_list_query
from ..scim.schemas import USER
from ..scim.serialize import list_response, parse_projection, project
from ..security import Permission
from ..services import users
from .base import check_if_match, if_none_match_response, read_json, scim_base_url, scim_view


def _render(request, instance, rows, projection) -> list[dict]:
    """Users as resources; their groups loaded in one query, and only when returned."""
    db = request.dbsession
    groups = users.load_groups(db, [u.pk for u in rows]) if projection.returns("groups") else {}
    base = scim_base_url(request, instance)
    return [
        project(users.to_resource(u, f"{base}/Users/{u.id}", groups.get(u.pk), f"{base}/Groups"), projection)
        for u in rows
    ]


def _projection(request):
    return parse_projection(USER, request.GET.get("attributes"), request.GET.get("excludedAttributes"))


def _single(request, instance, user, status=200):
    """One user, with its ETag and the projection the query asks for."""
    request.response.status_code = status
    request.response.headers["ETag"] = users.etag(user)
    return _render(request, instance, [user], _projection(request))[0]


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
    return list_response(_render(request, context.instance, rows, projection), total, query.start_index)


@scim_view(context=UsersCollection, request_method="GET", permission=Permission.READ)
def list_users(context, request):
    return _list(context, request, request.GET)


@scim_view(context=UsersCollection, name=".search", request_method="POST", permission=Permission.READ)
def search_users(context, request):
    return _list(context, request, read_json(request, expect_object=True))


@scim_view(context=UsersCollection, request_method="POST", permission=Permission.WRITE)
def create_user(context, request):
    instance = context.instance
    user = users.create_user(request.dbsession, request.registry["scim.host"], instance.id, read_json(request))
    request.response.headers["Location"] = f"{scim_base_url(request, instance)}/Users/{user.id}"
    return _single(request, instance, user, status=201)


@scim_view(context=UserResource, request_method="GET", permission=Permission.READ)
def get_user(context, request):
    not_modified = if_none_match_response(request, users.etag(context.user))
    return not_modified or _single(request, context.instance, context.user)


@scim_view(context=UserResource, request_method="PUT", permission=Permission.WRITE)
def replace_user(context, request):
    body = read_json(request)
    check_if_match(request, users.etag(context.user))
    user = users.replace_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return _single(request, context.instance, user)


@scim_view(context=UserResource, request_method="PATCH", permission=Permission.WRITE)
def patch_user(context, request):
    body = read_json(request)
    check_if_match(request, users.etag(context.user))
    user = users.patch_user(request.dbsession, request.registry["scim.host"], context.user, body)
    return _single(request, context.instance, user)


@scim_view(context=UserResource, request_method="DELETE", permission=Permission.WRITE)
def delete_user(context, request):
    check_if_match(request, users.etag(context.user))
    users.delete_user(request.dbsession, request.registry["scim.host"], context.user)
    return HTTPNoContent()
