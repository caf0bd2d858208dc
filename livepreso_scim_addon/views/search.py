"""POST {base}/.search: one search over Users and Groups together (RFC 7644 §3.4.3).

The result lists the matching users, then the matching groups, and pages through
that sequence; ``sortBy`` orders within each resource type. A filter naming an
attribute one type lacks simply matches nothing of that type.
"""

from __future__ import annotations

from dataclasses import replace

from ..resources import InstanceScope
from ..scim.errors import ScimError
from ..scim.serialize import list_response
from ..security import Permission
from .base import read_json, scim_view
from .resources import list_query, page


@scim_view(context=InstanceScope, name=".search", request_method="POST", permission=Permission.READ)
def search_all(context, request):
    query = list_query(request, read_json(request, expect_object=True))
    skip, room, total, resources, errors = query.start_index - 1, query.count, 0, [], []
    collections = context.collections()
    for collection in collections:
        try:
            count, found = page(request, collection, replace(query, start_index=skip + 1, count=room))
        except ScimError as error:
            errors.append(error)  # an attribute this type does not have: no match here
            continue
        total += count
        resources += found
        room -= len(found)
        skip = max(0, skip - count)
    if len(errors) == len(collections):
        raise errors[0]
    return list_response(resources, total, query.start_index)
