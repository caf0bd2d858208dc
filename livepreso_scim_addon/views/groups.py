"""/Groups (RFC 7644 §3.3-§3.6): Okta's Push Groups and Group Linking."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent

from ..resources import GroupResource, GroupsCollection
from ..scim.schemas import GROUP
from ..scim.serialize import project
from ..security import Permission
from ..services import groups
from .base import check_if_match, if_none_match_response, read_json, scim_base_url, scim_view
from .endpoint import Endpoint


def _render(request, instance, rows, projection) -> list[dict]:
    """Groups as resources; members loaded in one query, and only when returned."""
    members = groups.load_members(request.dbsession, [g.pk for g in rows]) if projection.returns("members") else {}
    base = scim_base_url(request, instance)
    return [
        project(groups.to_resource(g, f"{base}/Groups/{g.id}", f"{base}/Users", members.get(g.pk)), projection)
        for g in rows
    ]


GROUPS = Endpoint(GROUP, groups.search_groups, _render, groups.etag)


@scim_view(context=GroupsCollection, request_method="GET", permission=Permission.READ)
def list_groups(context, request):
    return GROUPS.list(context, request, request.GET)


@scim_view(context=GroupsCollection, name=".search", request_method="POST", permission=Permission.READ)
def search_groups(context, request):
    return GROUPS.list(context, request, read_json(request, expect_object=True))


@scim_view(context=GroupsCollection, request_method="POST", permission=Permission.WRITE)
def create_group(context, request):
    instance = context.instance
    group = groups.create_group(request.dbsession, request.registry["scim.host"], instance.id, read_json(request))
    request.response.headers["Location"] = GROUPS.location(request, instance, group)
    return GROUPS.single(request, instance, group, status=201)


@scim_view(context=GroupResource, request_method="GET", permission=Permission.READ)
def get_group(context, request):
    not_modified = if_none_match_response(request, groups.etag(context.group))
    return not_modified or GROUPS.single(request, context.instance, context.group)


@scim_view(context=GroupResource, request_method="PUT", permission=Permission.WRITE)
def replace_group(context, request):
    body = read_json(request)
    check_if_match(request, groups.etag(context.group))
    group = groups.replace_group(request.dbsession, request.registry["scim.host"], context.group, body)
    return GROUPS.single(request, context.instance, group)


@scim_view(context=GroupResource, request_method="PATCH", permission=Permission.WRITE)
def patch_group(context, request):
    """204 (Okta and Entra expect it), or 200 with the group when the query asks for attributes.

    Answering every membership change with the whole member list would cost a large
    group's full read on each of Okta's PATCHes.
    """
    body = read_json(request)
    check_if_match(request, groups.etag(context.group))
    group = groups.patch_group(request.dbsession, request.registry["scim.host"], context.group, body)
    if "attributes" in request.GET or "excludedAttributes" in request.GET:
        return GROUPS.single(request, context.instance, group)
    return HTTPNoContent(headers={"ETag": groups.etag(group)})


@scim_view(context=GroupResource, request_method="DELETE", permission=Permission.WRITE)
def delete_group(context, request):
    check_if_match(request, groups.etag(context.group))
    groups.delete_group(request.dbsession, request.registry["scim.host"], context.group)
    return HTTPNoContent()
