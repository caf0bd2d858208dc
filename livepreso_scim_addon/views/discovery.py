"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from ..resources import DiscoveryCollection, DiscoveryItem, ServiceProviderConfig
from ..scim.discovery import service_provider_config
from ..scim.serialize import list_response
from ..security import Permission
from .base import scim_base_url, scim_view


def _document(collection: DiscoveryCollection, item, request) -> dict:
    """A resource type or schema document, its location under its own collection."""
    base = scim_base_url(request, collection.instance)
    return item.to_document(f"{base}/{collection.__name__}/{item.id}")


@scim_view(context=ServiceProviderConfig, request_method="GET", permission=Permission.READ)
def get_service_provider_config(context, request):
    base = scim_base_url(request, context.instance)
    max_results = request.registry["scim.settings"].max_page_size
    return service_provider_config(f"{base}/ServiceProviderConfig", max_results)


@scim_view(context=DiscoveryCollection, request_method="GET", permission=Permission.READ)
def list_discovery_documents(context, request):
    """GET /ResourceTypes, GET /Schemas: every document, in one page."""
    documents = [_document(context, item, request) for item in context.items]
    return list_response(documents, len(documents), 1)


@scim_view(context=DiscoveryItem, request_method="GET", permission=Permission.READ)
def get_discovery_document(context, request):
    return _document(context.__parent__, context.item, request)
