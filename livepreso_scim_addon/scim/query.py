"""List and search parameters (RFC 7644 §3.4.2, §3.4.3), from a query string or a SearchRequest."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ScimError, invalid_value
from .filter import parse_filter


@dataclass(frozen=True)
class ListQuery:
    filter: object | None
    start_index: int
    count: int
    sort_by: str | None
    descending: bool
    attributes: str | None
    excluded_attributes: str | None


def _get(params, name):
    """Parameter names are case-insensitive (RFC 7644 §3.4.2: "startIndex", "count" ...)."""
    wanted = name.lower()
    for key in params:
        if isinstance(key, str) and key.lower() == wanted:
            return params[key]
    return None


def _integer(value, name) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid_value(f"{name} must be an integer.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_value(f"{name} must be an integer, got {value!r}.") from None


def _names(value, name) -> str | None:
    """A comma-separated string from the query, or a list of names from a SearchRequest."""
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    if isinstance(value, str):
        return value
    raise invalid_value(f"{name} must be a list of attribute names.")


def parse_list_query(params, default_count: int, max_count: int) -> ListQuery:
    """Validate paging, sorting, filtering and projection parameters.

    ``startIndex`` below 1 counts as 1 and ``count`` below 0 as 0 (RFC 7644
    §3.4.2.4); a count above the server's maximum is capped to it.
    """
    raw_filter = _get(params, "filter")
    if raw_filter is not None and not isinstance(raw_filter, str):
        raise ScimError(400, "invalidFilter", "filter must be a string.")
    start_index = _integer(_get(params, "startIndex"), "startIndex")
    count = _integer(_get(params, "count"), "count")
    sort_by = _get(params, "sortBy")
    if sort_by is not None and not isinstance(sort_by, str):
        raise invalid_value("sortBy must be an attribute name.")
    sort_order = _get(params, "sortOrder") or "ascending"
    if not isinstance(sort_order, str) or sort_order.lower() not in ("ascending", "descending"):
        raise invalid_value("sortOrder must be 'ascending' or 'descending'.")
    return ListQuery(
        filter=parse_filter(raw_filter) if raw_filter and raw_filter.strip() else None,
        start_index=max(1, start_index if start_index is not None else 1),
        count=min(max(0, count if count is not None else default_count), max_count),
        sort_by=sort_by or None,
        descending=sort_order.lower() == "descending",
        attributes=_names(_get(params, "attributes"), "attributes"),
        excluded_attributes=_names(_get(params, "excludedAttributes"), "excludedAttributes"),
    )
