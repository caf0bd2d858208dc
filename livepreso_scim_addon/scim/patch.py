"""The SCIM PATCH engine (RFC 7644 §3.5.2) on a resource held as a plain dict.

The resource is in canonical form: core attributes under their schema names,
extension attributes under the extension URN. The engine only places values where
the operations say; the caller re-validates the result (types, Entra's "False"
strings) with ``schemas.deserialize_resource`` and stores it, or discards it when an
operation fails.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .errors import ScimError, invalid_path, invalid_syntax, invalid_value, mutability, no_target
from .filter import (
    And,
    AttrPath,
    Compare,
    Node,
    PatchPath,
    matches,
    parse_path,
    resolve,
    validate_value_filter,
    value_path_attribute,
)
from .schemas import PATCH_OP, Attribute, ResourceType

OPS = ("add", "replace", "remove")


@dataclass(frozen=True)
class _Target:
    """Where an operation applies: ``attribute`` (its values narrowed by ``filter``), or its ``sub``."""

    extension: str | None  # the URN key holding the attribute; None for core attributes
    attribute: Attribute
    filter: Node | None
    sub: Attribute | None
    label: str  # the path as the client wrote it, for messages


def apply_patch(resource_type: ResourceType, resource: dict, body) -> dict:
    """Apply a PatchOp request to a copy of ``resource`` (RFC 7644 §3.5.2); all or nothing."""
    operations = patch_operations(body)
    patched = copy.deepcopy(resource)
    for number, operation in enumerate(operations, start=1):
        try:
            _apply_operation(resource_type, patched, operation)
        except ScimError as error:
            raise ScimError(error.status, error.scim_type, f"Operation {number}: {error.detail}") from None
    return patched


def patch_operations(body) -> list:
    """The ``Operations`` of a PatchOp message, once its shape is checked (RFC 7644 §3.5.2)."""
    if not isinstance(body, dict):
        raise invalid_syntax("The PATCH body must be a JSON object.")
    fields = _lower_keys(body)
    schemas = fields.get("schemas")
    # A missing "schemas" is forgiven; one that names another message is not.
    if schemas is not None and (
        not isinstance(schemas, list)
        or PATCH_OP.lower() not in [s.lower() for s in schemas if isinstance(s, str)]
    ):
        raise invalid_syntax(f"'schemas' must contain '{PATCH_OP}'.")
    operations = fields.get("operations")
    if not isinstance(operations, list):
        raise invalid_syntax("The PATCH body needs an 'Operations' list.")
    return operations


def _lower_keys(mapping: dict) -> dict:
    return {k.lower(): v for k, v in mapping.items() if isinstance(k, str)}


def _apply_operation(resource_type: ResourceType, resource: dict, operation) -> None:
    """Apply one PATCH op (RFC 7644 §3.5.2)."""
    if not isinstance(operation, dict):
        raise invalid_syntax("Each operation must be a JSON object.")
    fields = _lower_keys(operation)
    op = fields.get("op")
    if not isinstance(op, str) or op.lower() not in OPS:
        raise invalid_syntax(f"Unknown op {op!r}: expected 'add', 'replace' or 'remove'.")
    op = op.lower()  # Entra sends "Add", "Replace", "Remove"
    path, value = fields.get("path"), fields.get("value")
    if path is None or path == "":
        _apply_without_path(resource_type, resource, op, value)
    elif not isinstance(path, str):
        raise invalid_path("'path' must be a string.")
    elif resource_type.extension(path.strip()) is not None:
        _apply_to_extension(resource_type, resource, op, resource_type.extension(path.strip()).id, value)
    else:
        if op == "add" and value is None:
            raise invalid_value(f"'add' to '{path}' needs a value.")
        target = _target(resource_type, parse_path(path), path)
        if _read_only(target):
            raise mutability(f"'{path}' is readOnly and cannot be modified.")
        _OPERATIONS[op](_holder(resource, target), target, value)
    _drop_empty_extensions(resource_type, resource)


def _apply_without_path(resource_type: ResourceType, resource: dict, op: str, value) -> None:
    """Without a path, each key of the value is a path of its own (RFC 7644 §3.5.2.1, §3.5.2.3)."""
    if op == "remove":
        raise no_target("'remove' needs a path.")
    if not isinstance(value, dict):
        raise invalid_value(f"'{op}' without a path needs an object value.")
    for key, item in _pathless_items(resource_type, value):
        if item is None and op == "add":
            continue  # nothing to add
        target = _pathless_target(resource_type, key)
        if target is not None:
            _OPERATIONS[op](_holder(resource, target), target, item)


def _pathless_items(resource_type: ResourceType, value: dict):
    """(path, value) pairs; an extension URN key holds an object of that extension's attributes."""
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        extension = resource_type.extension(key)
        if extension is None:
            yield key, item
        elif isinstance(item, dict):
            for name, sub_item in item.items():
                if isinstance(name, str):
                    yield f"{extension.id}:{name}", sub_item
        elif item is not None:
            raise invalid_value(f"'{key}' must be an object of its attributes.")


def _pathless_target(resource_type: ResourceType, key: str) -> _Target | None:
    # Unknown keys (custom attributes, "schemas") and readOnly ones are ignored:
    # Okta sends {"id": "<gid>", "displayName": ...} when renaming a group.
    try:
        target = _target(resource_type, parse_path(key), key)
    except ScimError:
        return None
    return None if _read_only(target) else target


def _apply_to_extension(resource_type: ResourceType, resource: dict, op: str, urn: str, value) -> None:
    """A path naming an extension schema targets all of its attributes (RFC 7644 §3.10)."""
    if op == "remove":
        resource.pop(urn, None)
    else:
        _apply_without_path(resource_type, resource, op, {urn: value})


def _target(resource_type: ResourceType, path: PatchPath, label: str) -> _Target:
    attr = path.attr
    if path.sub is not None:  # valuePath "." subAttr: the sub-attribute of the matching values
        attr = AttrPath(attr.urn, attr.attr, path.sub)
    try:
        top, sub, schema = resolve(resource_type, attr)
        if path.filter is not None:
            value_path_attribute(resource_type, path.attr)
            validate_value_filter(top, path.filter)
    except ScimError as error:
        if error.scim_type == "invalidFilter":
            raise invalid_path(error.detail) from None
        raise
    if path.filter is not None and not top.multi_valued:
        raise invalid_path(f"'{label}': a filter applies only to a multi-valued attribute.")
    extension = schema.id if schema is not None and schema is not resource_type.schema else None
    return _Target(extension, top, path.filter, sub, label)


def _read_only(target: _Target) -> bool:
    return target.attribute.read_only or (target.sub is not None and target.sub.read_only)


def _holder(resource: dict, target: _Target) -> dict:
    """The dict holding the attribute: the resource itself or its extension object."""
    if target.extension is None:
        return resource
    if not isinstance(resource.get(target.extension), dict):
        resource[target.extension] = {}
    return resource[target.extension]


def _drop_empty_extensions(resource_type: ResourceType, resource: dict) -> None:
    for extension in resource_type.extensions:
        if resource.get(extension.id) == {}:
            del resource[extension.id]


# --- the three operations ---------------------------------------------------------


def _add(holder: dict, target: _Target, value) -> None:
    """Add (RFC 7644 §3.5.2.1): append to multi-valued attributes, set or merge the others."""
    if not target.attribute.multi_valued:
        _set_singular(holder, target, value)
    elif target.filter is None and target.sub is None:
        _append(holder, target, value)
    else:
        _update_matches(holder, target, value)


def _replace(holder: dict, target: _Target, value) -> None:
    """Replace (RFC 7644 §3.5.2.3): a multi-valued attribute without a filter is replaced whole."""
    if not target.attribute.multi_valued:
        _set_singular(holder, target, value)
    elif target.filter is None and target.sub is None:
        _store(holder, target.attribute, _list_values(target, value))
    else:
        _update_matches(holder, target, value)


def _remove(holder: dict, target: _Target, value) -> None:
    """Remove (RFC 7644 §3.5.2.2); removing values that are already gone is not an error."""
    attribute, sub = target.attribute, target.sub
    if not attribute.multi_valued:
        current = holder.get(attribute.name)
        if sub is not None and isinstance(current, dict):
            current.pop(sub.name, None)
        _store(holder, attribute, current if sub is not None else None)
        return
    elements = _current_list(holder, attribute)
    if target.filter is None and sub is None:
        if value is None:
            kept = []
        else:
            # Entra removes members with {"path": "members", "value": [{"value": "<id>"}]}.
            listed = _listed_values(attribute, value)
            kept = [e for e in elements if not any(_contains(e, item, attribute) for item in listed)]
    else:
        matched = _matching(elements, target)
        if sub is None:
            kept = [e for e in elements if not any(e is m for m in matched)]
        else:
            for element in matched:
                element.pop(sub.name, None)
            kept = [e for e in elements if e != {}]
    _store(holder, attribute, kept)


_OPERATIONS = {"add": _add, "replace": _replace, "remove": _remove}


# --- helpers ----------------------------------------------------------------------


def _set_singular(holder: dict, target: _Target, value) -> None:
    attribute, sub = target.attribute, target.sub
    if sub is None and attribute.type != "complex":
        _check_single(value, target.label)
        _store(holder, attribute, value)
        return
    current = holder.get(attribute.name)
    current = current if isinstance(current, dict) else {}
    if sub is not None:
        _check_single(value, target.label)
        _set_key(current, sub.name, value)
    elif value is None:
        current = None  # null unassigns the whole attribute (RFC 7643 §2.5)
    else:
        # Unspecified sub-attributes are left unchanged (RFC 7644 §3.5.2.3).
        _merge(current, _element(attribute, value, target.label))
    _store(holder, attribute, current)


def _append(holder: dict, target: _Target, value) -> None:
    attribute = target.attribute
    elements = _current_list(holder, attribute)
    added = []
    for item in _list_values(target, value):
        if not any(_contains(existing, item, attribute) for existing in elements):
            elements.append(item)
            added.append(item)
    _store(holder, attribute, elements)
    _one_primary(elements, added)


def _update_matches(holder: dict, target: _Target, value) -> None:
    """Set a sub-attribute on, or merge an object into, every value the filter matches."""
    attribute, sub = target.attribute, target.sub
    if sub is not None:
        _check_single(value, target.label)
    else:
        value = _element(attribute, value, target.label)
    elements = _current_list(holder, attribute)
    matched = _matching(elements, target)
    for element in matched:
        if sub is not None:
            _set_key(element, sub.name, value)
        else:
            _merge(element, value)
    if not matched:
        created = _new_element(target, value)
        if created is None:
            return
        elements.append(created)
        matched = [created]
    _store(holder, attribute, elements)
    _one_primary(elements, matched)


def _new_element(target: _Target, value) -> dict | None:
    # Entra sends "Add" (or "Replace") for emails[type eq "work"].value when there is
    # no work email yet: the filter's equalities describe the value to create.
    equalities = _equalities(target.filter, target.attribute)
    if equalities is None:
        raise no_target(f"No value of '{target.label}' matches the filter.")
    if target.sub is None:
        created = {**equalities, **{k: v for k, v in value.items() if v is not None}}
    elif value is None or value == "":
        return None  # clearing a value that does not exist
    else:
        created = {**equalities, target.sub.name: value}
    return created


def _equalities(node: Node | None, parent: Attribute) -> dict | None:
    """The sub-attribute values an ``eq``-only conjunction pins down, else None."""
    if node is None:
        return {}
    if isinstance(node, Compare) and node.op == "eq" and node.value is not None:
        sub = parent.sub(node.path.attr)
        return {sub.name: node.value} if sub is not None and not sub.read_only else None
    if isinstance(node, And):
        left, right = _equalities(node.left, parent), _equalities(node.right, parent)
        if left is None or right is None or any(left[k] != right[k] for k in left.keys() & right.keys()):
            return None
        return {**left, **right}
    return None


def _matching(elements: list, target: _Target) -> list[dict]:
    return [
        e
        for e in elements
        if isinstance(e, dict) and (target.filter is None or matches(target.filter, e, target.attribute))
    ]


def _listed_values(attribute: Attribute, value) -> list:
    """The values a "remove" lists, as complex values: a bare id means {"value": id}."""
    items = value if isinstance(value, list) else [value]
    if attribute.type != "complex":
        return items
    items = [item if isinstance(item, dict) else {"value": item} for item in items]
    return [_element(attribute, item, attribute.name) for item in items]


def _contains(element, item, attribute: Attribute) -> bool:
    """Whether ``element`` holds every sub-attribute value of ``item``, case per caseExact."""
    if attribute.type != "complex":
        return _equal(attribute, element, item)
    if not isinstance(element, dict) or not isinstance(item, dict) or not item:
        return False
    return all(_equal(attribute.sub(k), element.get(k), v) for k, v in item.items())


def _equal(attribute: Attribute | None, left, right) -> bool:
    if isinstance(left, str) and isinstance(right, str) and not (attribute and attribute.case_exact):
        return left.casefold() == right.casefold()
    return left == right


def _one_primary(elements: list, touched: list) -> None:
    """A value made primary demotes the others: only one may be (RFC 7643 §2.4)."""
    if not any(isinstance(e, dict) and _is_true(e.get("primary")) for e in touched):
        return
    for element in elements:
        if isinstance(element, dict) and not any(element is t for t in touched):
            element.pop("primary", None)


def _is_true(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")  # Entra's "True"


def _element(attribute: Attribute, value, label: str) -> dict:
    """A complex value with canonical sub-attribute names; unknown and readOnly ones dropped."""
    if isinstance(value, str) and not attribute.multi_valued and attribute.sub("value") is not None:
        value = {"value": value}  # Entra sends the enterprise manager as a bare id
    if not isinstance(value, dict):
        raise invalid_value(f"'{label}' needs an object of sub-attributes, not {_kind(value)}.")
    element = {}
    for key, item in value.items():
        sub = attribute.sub(key) if isinstance(key, str) else None
        if sub is not None and not sub.read_only:
            element[sub.name] = item
    return element


def _list_values(target: _Target, value) -> list:
    """The values of a multi-valued attribute given as a list or as one value."""
    items = value if isinstance(value, list) else [value]
    if target.attribute.type == "complex":
        elements = [_element(target.attribute, item, target.label) for item in items if item is not None]
        return [e for e in elements if e]
    for item in items:
        _check_single(item, target.label)
    return [item for item in items if item is not None]


def _current_list(holder: dict, attribute: Attribute) -> list:
    current = holder.get(attribute.name)
    if isinstance(current, list):
        return current
    return [] if current is None else [current]


def _check_single(value, label: str) -> None:
    if isinstance(value, (dict, list)):
        raise invalid_value(f"'{label}' takes a single value, not {_kind(value)}.")


def _kind(value) -> str:
    return {dict: "an object", list: "a list"}.get(type(value), repr(value))


def _set_key(mapping: dict, key: str, value) -> None:
    if value is None:
        mapping.pop(key, None)  # null means unassigned (RFC 7643 §2.5)
    else:
        mapping[key] = value


def _merge(mapping: dict, values: dict) -> None:
    for key, value in values.items():
        _set_key(mapping, key, value)


def _store(holder: dict, attribute: Attribute, value) -> None:
    """Set an attribute; an empty value unassigns it, which a required one refuses."""
    if value is None or value == [] or value == {}:
        if attribute.required:
            raise invalid_value(f"{attribute.name} is required and cannot be removed.")
        holder.pop(attribute.name, None)
    else:
        holder[attribute.name] = value
