"""One page of a resource type, as RFC 7644 §3.4.2 lists it: a SELECT, and a COUNT when needed.

Okta imports everything by walking ``startIndex`` in steps of ``count``. With OFFSET
the database skips every earlier row again on each page, so the last page of 100,000
users costs far more than the first. :class:`PageCursors` remembers where each page of
an unfiltered, unsorted listing ended; when the next ``startIndex`` arrives and nothing
before that point can have moved, the page seeks (``pk > last``) instead of skipping,
and returns exactly the rows OFFSET would have. Each cursor is also saved in
``scim_page_cursors``, so a page that lands on another process seeks too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import func, select

from ..scim.query import ListQuery
from .filtering import compile_filter, sort_key, unique_key
from .maps import ResourceMap
from .scim import ScimPageCursor
from .upsert import insert_or_update


class PageCursors:
    """Per process, the last primary key of recent pages, keyed by where the next page starts.

    A cursor is used only while the listing's row count and highest key are what they
    were when it was saved: a row deleted or added since changes one of them, and the
    page falls back to OFFSET. Updates move no row, since the order is the primary key.
    """

    def __init__(self, size: int = 1024):
        self.size = size
        self._entries: OrderedDict[tuple, tuple[int, int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, total: int, max_pk: int | None) -> int | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[1:] != (total, max_pk):
            return None
        return entry[0]

    def put(self, key: tuple, last_pk: int, total: int, max_pk: int | None) -> None:
        with self._lock:
            self._entries[key] = (last_pk, total, max_pk)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def list_page(
    db, resource: ResourceMap, instance_id: int, query: ListQuery, cursors: PageCursors | None = None
) -> tuple[int, list]:
    """(totalResults, the rows of the page) for the instance, filtered and sorted in SQL.

    Without ``sortBy`` the order is the primary key: stable whatever ``count`` is, as
    Okta's paging needs. A ``count`` of 0 asks for the total alone.
    """
    key = unique_key(resource, query.filter) if query.filter is not None else None
    if key is not None:  # one row or none, whatever the order: no statement to build
        rows = resource.read_by_key(db, instance_id, key)
        start = query.start_index - 1
        return len(rows), rows[start : start + query.count]
    model = resource.model
    where = [model.instance_id == instance_id]
    if query.filter is not None:
        where.append(compile_filter(resource, query.filter))
    seekable = cursors is not None and query.filter is None and not query.sort_by
    if not seekable:
        return _filtered_or_sorted_page(db, resource, where, query)
    total, max_pk = db.execute(select(func.count(), func.max(model.pk)).where(*where)).one()
    if query.count <= 0 or query.start_index > total:
        return total, []
    key = (model.__tablename__, instance_id, query.start_index)
    after = cursors.get(key, total, max_pk)
    if after is None and query.start_index > 1:
        after = _shared_cursor(db, key, total, max_pk)
    page = select(model.pk).where(*where).order_by(model.pk).limit(query.count)
    if after is not None:
        page = page.where(model.pk > after)
    else:
        page = page.offset(query.start_index - 1)
    rows = resource.read(db, list(db.scalars(page)))
    if rows:
        next_key = (model.__tablename__, instance_id, query.start_index + len(rows))
        cursors.put(next_key, rows[-1].pk, total, max_pk)
        if query.start_index + len(rows) <= total:  # a next page to serve
            _share_cursor(db, next_key, rows[-1].pk, total, max_pk)
    return total, rows


def _shared_cursor(db, key: tuple, total: int, max_pk: int | None) -> int | None:
    """The cursor another process saved for this page, if the listing has not moved since."""
    resource, instance_id, start_index = key
    row = db.execute(
        select(ScimPageCursor.after_pk, ScimPageCursor.total, ScimPageCursor.max_pk).where(
            ScimPageCursor.resource == resource,
            ScimPageCursor.instance_id == instance_id,
            ScimPageCursor.start_index == start_index,
        )
    ).first()
    return row.after_pk if row is not None and (row.total, row.max_pk) == (total, max_pk) else None


def _share_cursor(db, key: tuple, after_pk: int, total: int, max_pk: int | None) -> None:
    """Save the next page's cursor for every process: Okta's next request may land on
    another one. On a read-only request this commits on its own (``models.read_engine``)."""
    resource, instance_id, start_index = key
    values = {"resource": resource, "instance_id": instance_id, "start_index": start_index,
              "after_pk": after_pk, "total": total, "max_pk": max_pk}
    keys = [ScimPageCursor.resource, ScimPageCursor.instance_id, ScimPageCursor.start_index]
    db.execute(insert_or_update(db, ScimPageCursor, values, keys))


def _filtered_or_sorted_page(db, resource: ResourceMap, where: list, query: ListQuery) -> tuple[int, list]:
    """The page first; the COUNT only when the page cannot tell the total.

    A page shorter than ``count`` that is not empty, or an empty first page, ends the
    result, so the total is known from it: Okta's existence check (``userName eq``, one
    row or none) needs no COUNT.
    """
    model = resource.model
    rows: list = []
    if query.count > 0:
        order = []
        key = sort_key(resource, query.sort_by) if query.sort_by else None
        if key is not None:
            # Absent values sort last ascending, first descending, on every backend.
            order.append(key.desc().nulls_first() if query.descending else key.asc().nulls_last())
        order.append(model.pk.desc() if key is not None and query.descending else model.pk)
        page = select(model.pk).where(*where).order_by(*order).offset(query.start_index - 1).limit(query.count)
        rows = resource.read(db, list(db.scalars(page)))
        if 0 < len(rows) < query.count or (not rows and query.start_index == 1):
            return query.start_index - 1 + len(rows), rows
    return db.scalar(select(func.count()).select_from(model).where(*where)), rows
