"""Responses: attribute projection (RFC 7644 §3.9) and list responses (§3.4.2)."""

from __future__ import annotations

from dataclasses import dataclass

from .schemas import LIST_RESPONSE, ResourceType

#: Returned whatever ``attributes`` or ``excludedAttributes`` say (RFC 7643 §7 "always").
ALWAYS = ("schemas", "id")


@dataclass(frozen=True)
class Projection:
    """Parsed ``attributes`` / ``excludedAttributes``: (schema URN or None, attr, sub) triples."""

    include: tuple[tuple[str | None, str, str | None], ...] = ()
    exclude: tuple[tuple[str | None, str, str | None], ...] = ()

    @property
    def is_identity(self) -> bool:
        return not self.include and not self.exclude

    def returns(self, attribute: str) -> bool:
        """Whether the core ``attribute`` will be in the response: if not, do not load it."""
        name = attribute.lower()
        if self.include:
            return any(urn is None and attr == name for urn, attr, _ in self.include)
        return not any(urn is None and attr == name and sub is None for urn, attr, sub in self.exclude)


def parse_projection(resource_type: ResourceType, attributes: str | None, excluded: str | None) -> Projection:
    """Parse the comma-separated query parameters; names match case-insensitively."""
    return Projection(
        include=_paths(resource_type, attributes),
        exclude=() if attributes else _paths(resource_type, excluded),
    )


def _paths(resource_type: ResourceType, text: str | None):
    paths = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        schema, rest = resource_type.split_urn(item)
        if schema is None:
            continue  # an unknown schema URN names nothing we return
        urn = None if schema is resource_type.schema else schema.id
        attr, _, sub = rest.partition(".")
        paths.append((urn, attr.lower(), sub.lower() or None))
    return tuple(paths)


def project(resource: dict, projection: Projection) -> dict:
    """Keep what ``attributes`` asks for, or drop what ``excludedAttributes`` names."""
    if projection.is_identity:
        return resource
    if projection.include:
        out = {key: resource[key] for key in ALWAYS if key in resource}
        for urn, attr, sub in projection.include:
            _copy(resource, out, urn, attr, sub)
        return out
    out = dict(resource)
    for urn, attr, sub in projection.exclude:
        _drop(out, urn, attr, sub)
    return out


def _key(mapping: dict, lower_name: str) -> str | None:
    for key in mapping:
        if key.lower() == lower_name:
            return key
    return None


def _copy(source: dict, target: dict, urn, attr, sub) -> None:
    if urn is not None:
        if urn not in source:
            return
        if not attr:
            target[urn] = source[urn]
            return
        source, target = source[urn], target.setdefault(urn, {})
    key = _key(source, attr)
    if key is None or key in ALWAYS:
        return
    value = source[key]
    if sub is None:
        target[key] = value
    elif isinstance(value, dict):
        sub_key = _key(value, sub)
        if sub_key is not None:
            target.setdefault(key, {})[sub_key] = value[sub_key]
    elif isinstance(value, list):
        picked = [{k: v for k, v in item.items() if k.lower() == sub} for item in value if isinstance(item, dict)]
        picked = [item for item in picked if item]
        if picked:
            target[key] = picked


def _drop(target: dict, urn, attr, sub) -> None:
    if urn is not None:
        if urn not in target:
            return
        if not attr:
            del target[urn]
            return
        target[urn] = dict(target[urn])
        target = target[urn]
    key = _key(target, attr)
    if key is None or key in ALWAYS:
        return
    if sub is None:
        del target[key]
        return
    value = target[key]
    if isinstance(value, dict):
        target[key] = {k: v for k, v in value.items() if k.lower() != sub}
    elif isinstance(value, list):
        target[key] = [{k: v for k, v in item.items() if k.lower() != sub} for item in value]


def list_response(resources: list[dict], total: int, start_index: int) -> dict:
    """A ListResponse (RFC 7644 §3.4.2): integers, 1-based startIndex."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
