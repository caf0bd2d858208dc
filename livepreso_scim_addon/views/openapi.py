"""GET {base}/openapi.json: the OpenAPI 3.1 document of this instance's SCIM API.

Behind the instance's token like every other SCIM endpoint (the instance's ACL): the
document names the instance's base URL, and an unknown or switched-off instance must
look absent to anyone without its token (resources.py).
"""

from __future__ import annotations

from ..resources import OpenApiDocument
from ..scim.openapi import openapi_document
from ..security import Permission
from .base import scim_base_url, scim_view


@scim_view(context=OpenApiDocument, request_method="GET", permission=Permission.READ, renderer="json")
def get_openapi_document(context, request):
    max_page_size = request.registry["scim.settings"].max_page_size
    return openapi_document(scim_base_url(request, context.instance), max_page_size)
