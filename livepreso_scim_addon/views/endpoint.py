"""What the /Users and /Groups views share: listing, one resource, locations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..scim.query import ListQuery, parse_list_query
from ..scim.schemas import ResourceType
from ..scim.serialize import Projection, list_response, parse_projection
from .base import scim_base_url


@dataclass(frozen=True)
class Endpoint:
    """A resource type's endpoint: how to search it, render rows, and version them."""

    resource_type: ResourceType
    #: (db, instance_id, ListQuery, PageCursors) -> (totalResults, rows)
    search: Callable
    #: (request, instance, rows, Projection) -> resources; loads related rows in batches
    render: Callable
    etag: Callable

    def location(self, request, instance, row) -> str:
        return f"{scim_base_url(request, instance)}{self.resource_type.endpoint}/{row.id}"

    def query(self, request, params) -> ListQuery:
        settings = request.registry["scim.settings"]
        return parse_list_query(params, settings.default_page_size, settings.max_page_size)

    def projection(self, attributes: str | None, excluded: str | None) -> Projection:
        return parse_projection(self.resource_type, attributes, excluded)

    def page(self, request, instance, query: ListQuery) -> tuple[int, list[dict]]:
        """(totalResults, the page's resources) for a list or search request."""
        total, rows = self.search(request.dbsession, instance.id, query, request.registry["scim.page_cursors"])
        projection = self.projection(query.attributes, query.excluded_attributes)
        return total, self.render(request, instance, rows, projection)

    def list(self, context, request, params) -> dict:
        """GET /{endpoint} and POST /{endpoint}/.search (RFC 7644 §3.4.2, §3.4.3)."""
        query = self.query(request, params)
        total, resources = self.page(request, context.instance, query)
        return list_response(resources, total, query.start_index)

    def single(self, request, instance, row, status: int = 200) -> dict:
        """One resource with its ETag, projected as the query string asks (RFC 7644 §3.9)."""
        request.response.status_code = status
        request.response.headers["ETag"] = self.etag(row)
        projection = self.projection(request.GET.get("attributes"), request.GET.get("excludedAttributes"))
        return self.render(request, instance, [row], projection)[0]
