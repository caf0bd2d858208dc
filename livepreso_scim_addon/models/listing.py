"""One page of a resource type, as RFC 7644 §3.4.2 lists it: one COUNT, one SELECT."""

from __future__ import annotations

from sqlalchemy import func, select

from ..scim.query import ListQuery
from .filtering import compile_filter, sort_key
from .maps import ResourceMap


def list_page(db, resource: ResourceMap, instance_id: int, query: ListQuery) -> tuple[int, list]:
    """(totalResults, the rows of the page) for the instance, filtered and sorted in SQL.

    Without ``sortBy`` the order is the primary key: stable whatever ``count`` is, as
    Okta's paging needs. A ``count`` of 0 asks for the total alone.
    """
    model = resource.model
    where = [model.instance_id == instance_id]
    if query.filter is not None:
        where.append(compile_filter(resource, query.filter))
    total = db.scalar(select(func.count()).select_from(model).where(*where))
    if query.count <= 0 or query.start_index > total:
        return total, []
    order = []
    key = sort_key(resource, query.sort_by) if query.sort_by else None
    if key is not None:
        # Absent values sort last ascending, first descending, on every backend.
        order.append(key.desc().nulls_first() if query.descending else key.asc().nulls_last())
    order.append(model.pk.desc() if key is not None and query.descending else model.pk)
    page = select(model).where(*where).order_by(*order).offset(query.start_index - 1).limit(query.count)
    return total, list(db.scalars(page))
