"""The SCIM resource endpoints (RFC 7644 §3.3-§3.6, §3.14), once for every resource type.

Each view works on a :class:`ResourceCollection` or :class:`ResourceItem` context and the
``ResourceService`` behind it (``services/resources.py``): Users and Groups differ only
in their services.
"""

from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent

from ..resources import ResourceCollection, ResourceItem
from ..scim.query import ListQuery, parse_list_query
from ..scim.serialize import list_response, parse_projection
from ..security import Permission
from ..services.resources import ResourceService, etag
from .base import check_if_match, if_none_match_response, read_json, scim_base_url, scim_view


def list_query(request, params) -> ListQuery:
    settings = request.registry["scim.settings"]
    return parse_list_query(params, settings.default_page_size, settings.max_page_size)


def page(request, collection: ResourceCollection, query: ListQuery) -> tuple[int, list[dict]]:
    """(totalResults, the page's resources) of one collection."""
    service = collection.service
    total, rows = service.search(query)
    projection = parse_projection(service.resource_type, query.attributes, query.excluded_attributes)
    return total, service.render(rows, projection, scim_base_url(request, collection.instance))


def _list(collection: ResourceCollection, request, params) -> dict:
    query = list_query(request, params)
    total, resources = page(request, collection, query)
    return list_response(resources, total, query.start_index)


def _one(request, service: ResourceService, instance, row, status: int = 200) -> dict:
    """One resource with its ETag, projected as the query string asks (RFC 7644 §3.9)."""
    request.response.status_code = status
    request.response.headers["ETag"] = etag(row)
    projection = parse_projection(
        service.resource_type, request.GET.get("attributes"), request.GET.get("excludedAttributes")
    )
    return service.render([row], projection, scim_base_url(request, instance))[0]


@scim_view(context=ResourceCollection, request_method="GET", permission=Permission.READ)
def list_resources(context, request):
    """GET /{endpoint} (RFC 7644 §3.4.2)."""
    return _list(context, request, request.GET)


@scim_view(context=ResourceCollection, name=".search", request_method="POST", permission=Permission.READ)
def search_resources(context, request):
    """POST /{endpoint}/.search (RFC 7644 §3.4.3)."""
    return _list(context, request, read_json(request, expect_object=True))


@scim_view(context=ResourceCollection, request_method="POST", permission=Permission.WRITE)
def create_resource(context, request):
    service = context.service
    row = service.create(read_json(request))
    base = scim_base_url(request, context.instance)
    request.response.headers["Location"] = f"{base}{service.resource_type.endpoint}/{row.id}"
    return _one(request, service, context.instance, row, status=201)


@scim_view(context=ResourceItem, request_method="GET", permission=Permission.READ)
def get_resource(context, request):
    not_modified = if_none_match_response(request, etag(context.row))
    return not_modified or _one(request, context.service, context.instance, context.row)


@scim_view(context=ResourceItem, request_method="PUT", permission=Permission.WRITE)
def replace_resource(context, request):
    body = read_json(request)
    check_if_match(request, etag(context.row))
    row = context.service.replace(context.row, body)
    return _one(request, context.service, context.instance, row)


@scim_view(context=ResourceItem, request_method="PATCH", permission=Permission.WRITE)
def patch_resource(context, request):
    """200 with the resource, or 204 where the service says so and the query asks for no attributes."""
    body = read_json(request)
    check_if_match(request, etag(context.row))
    service = context.service
    row = service.patch(context.row, body)
    if service.patch_answers_no_content and not ("attributes" in request.GET or "excludedAttributes" in request.GET):
        return HTTPNoContent(headers={"ETag": etag(row)})
    return _one(request, service, context.instance, row)


@scim_view(context=ResourceItem, request_method="DELETE", permission=Permission.WRITE)
def delete_resource(context, request):
    check_if_match(request, etag(context.row))
    context.service.delete(context.row)
    return HTTPNoContent()
