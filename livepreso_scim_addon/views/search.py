"""POST {base}/.search: one search over Users and Groups together (RFC 7644 §3.4.3).

The result lists the matching users, then the matching groups, and pages through
that sequence; ``sortBy`` orders within each resource type. A filter naming an
attribute one type lacks simply matches nothing of that type.
"""

from __future__ import annotations

from ..resources import InstanceScope
from ..scim.errors import ScimError
from ..scim.query import parse_list_query
from ..scim.schemas import GROUP, USER
from ..scim.serialize import list_response, parse_projection
from ..security import Permission
from ..services import groups, users
from . import groups as group_views
from . import users as user_views
from .base import read_json, scim_view

_TYPES = (
    (USER, users.search_users, user_views._render),
    (GROUP, groups.search_groups, group_views._render),
)


@scim_view(context=InstanceScope, name=".search", request_method="POST", permission=Permission.READ)
def search_all(context, request):
    settings = request.registry["scim.settings"]
    query = parse_list_query(read_json(request, expect_object=True), settings.default_page_size, settings.max_page_size)
    db, instance = request.dbsession, context.instance
    skip, room, total, resources, errors = query.start_index - 1, query.count, 0, [], []
    for resource_type, search, render in _TYPES:
        try:
            count, _ = search(db, instance.id, query.filter, query.sort_by, query.descending, 1, 0)
        except ScimError as error:
            errors.append(error)  # an attribute this type does not have: no match here
            continue
        total += count
        if room > 0 and skip < count:
            _, rows = search(db, instance.id, query.filter, query.sort_by, query.descending, skip + 1, room)
            projection = parse_projection(resource_type, query.attributes, query.excluded_attributes)
            resources += render(request, instance, rows, projection)
            room -= len(rows)
        skip = max(0, skip - count)
    if len(errors) == len(_TYPES):
        raise errors[0]
    return list_response(resources, total, query.start_index)
