"""Discovery endpoints (RFC 7644 §4): ServiceProviderConfig, ResourceTypes, Schemas."""

from __future__ import annotations

from ..resources import DiscoveryItem, ResourceTypesCollection, SchemasCollection, ServiceProviderConfig
from ..scim.discovery import service_provider_config
from ..scim.schemas import RESOURCE_TYPES, SCHEMAS, ResourceType
from ..scim.serialize import list_response
from ..security import Permission
from .base import scim_base_url, scim_view


def _document(item, base: str) -> dict:
    if isinstance(item, ResourceType):
        return item.to_document(f"{base}/ResourceTypes/{item.id}")
    return item.to_document(f"{base}/Schemas/{item.id}")


@scim_view(context=ServiceProviderConfig, request_method="GET", permission=Permission.READ)
def get_service_provider_config(context, request):
    base = scim_base_url(request, context.instance)
    max_results = request.registry["scim.settings"].max_page_size
    return service_provider_config(f"{base}/ServiceProviderConfig", max_results)


@scim_view(context=ResourceTypesCollection, request_method="GET", permission=Permission.READ)
def list_resource_types(context, request):
    base = scim_base_url(request, context.instance)
    documents = [_document(item, base) for item in RESOURCE_TYPES]
    return list_response(documents, len(documents), 1)


@scim_view(context=SchemasCollection, request_method="GET", permission=Permission.READ)
def list_schemas(context, request):
    base = scim_base_url(request, context.instance)
    documents = [_document(item, base) for item in SCHEMAS]
    return list_response(documents, len(documents), 1)


@scim_view(context=DiscoveryItem, request_method="GET", permission=Permission.READ)
def get_discovery_item(context, request):
    return _document(context.item, scim_base_url(request, context.instance))

