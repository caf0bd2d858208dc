"""The SCIM PATCH engine (RFC 7644 §3.5.2) on a resource held as a plain dict.

:func:`parse_patch` reads a PatchOp message once, into :class:`PatchOperation` values;
:func:`split_operations` sets aside those a service stores apart (a group's members);
:func:`apply_patch` applies the rest. What the engine grants Okta and Entra ID beyond
the RFC is decided in ``leniency``.

The resource is in canonical form: core attributes under their schema names,
extension attributes under the extension URN. The engine only places values where
the operations say; the caller re-validates the result (types, Entra's "False"
strings) with ``schemas.deserialize_resource`` and stores it, or discards it when an
operation fails.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import leniency
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
class PatchOperation:
    """One operation of a PatchOp message, normalised (RFC 7644 §3.5.2)."""

    number: int  # 1-based position in Operations, for error messages ("Operation 2: ...")
    op: str  # "add" | "replace" | "remove", lower-cased (Entra sends "Add")
    path: PatchPath | None  # the parsed path; None when there is none ("" counts as none)
    label: str  # the path as the client wrote it, for messages ("" when none)
    value: Any  # the value as sent (absent: None)
    # The URN when the path names a whole extension schema (RFC 7644 §3.10); path is then None.
    extension: str | None = None


@dataclass(frozen=True)
class _Target:
    """Where an operation applies: ``attribute`` (its values narrowed by ``filter``), or its ``sub``."""

    extension: str | None  # the URN key holding the attribute; None for core attributes
    attribute: Attribute
    filter: Node | None
    sub: Attribute | None
    label: str  # the path as the client wrote it, for messages


# --- the message ------------------------------------------------------------------


def parse_patch(resource_type: ResourceType, body) -> list[PatchOperation]:
    """The operations of a PatchOp request, checked and normalised (RFC 7644 §3.5.2)."""
    if not isinstance(body, dict):
        raise invalid_syntax("The PATCH body must be a JSON object.")
    fields = _lower_keys(body)
    schemas = fields.get("schemas")
    if not _names_patch_op(schemas):
        raise invalid_syntax(f"'schemas' must contain '{PATCH_OP}'.")
    operations = fields.get("operations")
    if not isinstance(operations, list):
        raise invalid_syntax("The PATCH body needs an 'Operations' list.")
    parsed = []
    for number, operation in enumerate(operations, start=1):
        with numbered_errors(number):
            parsed.append(_parse_operation(resource_type, number, operation))
    return parsed


def _names_patch_op(schemas) -> bool:
    return isinstance(schemas, list) and PATCH_OP.lower() in [s.lower() for s in schemas if isinstance(s, str)]


def _parse_operation(resource_type: ResourceType, number: int, operation) -> PatchOperation:
    if not isinstance(operation, dict):
        raise invalid_syntax("Each operation must be a JSON object.")
    fields = _lower_keys(operation)
    op = leniency.op_name(fields.get("op"))
    if op not in OPS:
        raise invalid_syntax(f"Unknown op {fields.get('op')!r}: expected 'add', 'replace' or 'remove'.")
    path, value = fields.get("path"), fields.get("value")
    if op != "remove" and "value" not in fields:
        # RFC 7644 §3.5.2.1 and §3.5.2.3: add and replace carry a "value" (null unassigns).
        raise invalid_value(f"'{op}' needs a 'value'.")
    if path is None or path == "":
        return PatchOperation(number, op, None, "", value)
    if not isinstance(path, str):
        raise invalid_path("'path' must be a string.")
    extension = resource_type.extension(path.strip())
    if extension is not None:
        return PatchOperation(number, op, None, path, value, extension=extension.id)
    return PatchOperation(number, op, parse_path(path), path, value)


def _lower_keys(mapping: dict) -> dict:
    # Message attribute names are case-insensitive, as all attribute names (RFC 7643 §2.1).
    return {k.lower(): v for k, v in mapping.items() if isinstance(k, str)}


@contextmanager
def numbered_errors(number: int):
    """A SCIM error raised inside names the operation: "Operation 2: ..."."""
    try:
        yield
    except ScimError as error:
        raise ScimError(error.status, error.scim_type, f"Operation {number}: {error.detail}") from None


def split_operations(
    resource_type: ResourceType, operations: list[PatchOperation], attribute: str
) -> tuple[list[PatchOperation], list[PatchOperation]]:
    """(the others, those on core attribute ``attribute``) (RFC 7644 §3.5.2).

    For a service that stores ``attribute`` apart (a group's members, in SQL) and
    hands the others to :func:`apply_patch`. The path may name the attribute with the
    core schema's URN (RFC 7644 §3.10). A path-less add or replace whose object holds
    that key is split in two; the parts keep the operation's ``number``.
    """
    wanted, attribute_path = attribute.lower(), parse_path(attribute)
    core_urn = resource_type.schema.id.lower()
    others, on_attribute = [], []
    for operation in operations:
        path, value = operation.path, operation.value
        if path is not None:
            urn = path.attr.urn
            is_attribute = path.attr.attr.lower() == wanted and (urn is None or urn.lower() == core_urn)
            (on_attribute if is_attribute else others).append(operation)
        elif operation.extension is None and operation.op != "remove" and isinstance(value, dict):
            mine = [k for k in value if isinstance(k, str) and k.lower() == wanted]
            if not mine:
                others.append(operation)
                continue
            number, op = operation.number, operation.op
            on_attribute += [PatchOperation(number, op, attribute_path, attribute, value[key]) for key in mine]
            rest = {k: v for k, v in value.items() if k not in mine}
            if rest:
                others.append(PatchOperation(number, op, None, operation.label, rest))
        else:
            others.append(operation)  # the engine explains what is wrong with it
    return others, on_attribute


# --- the engine -------------------------------------------------------------------


def apply_patch(resource_type: ResourceType, resource: dict, operations: list[PatchOperation]) -> dict:
    """Apply parsed operations to a copy of ``resource`` (RFC 7644 §3.5.2); all or nothing."""
    patched = _copy(resource)
    for operation in operations:
        with numbered_errors(operation.number):
            _apply_operation(resource_type, patched, operation)
    return patched


def _copy(value):
    """A copy of a resource's dicts and lists; its leaves are immutable, so
    ``copy.deepcopy``'s memo and dispatch would be paid for nothing on every PATCH."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _apply_operation(resource_type: ResourceType, resource: dict, operation: PatchOperation) -> None:
    """Apply one PATCH op (RFC 7644 §3.5.2)."""
    op, value = operation.op, operation.value
    if operation.extension is not None:
        _apply_to_extension(resource_type, resource, op, operation.extension, value)
    elif operation.path is None:
        _apply_without_path(resource_type, resource, op, value)
    else:
        if op == "add" and value is None:
            raise invalid_value(f"'add' to '{operation.label}' needs a value.")
        target = _target(resource_type, operation.path, operation.label)
        if _read_only(target):
            raise mutability(f"'{operation.label}' is readOnly and cannot be modified.")
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
    """What one key of a path-less value names; None when the key is skipped."""
    try:
        path = parse_path(key)
        if (path.filter is not None or path.attr.sub is not None) and not leniency.PATHLESS_KEYS_ARE_PATHS:
            raise invalid_path(f"'{key}' is a path, not an attribute name.")
        target = _target(resource_type, path, key)
        if _read_only(target):
            raise mutability(f"'{key}' is readOnly and cannot be modified.")
    except ScimError:
        if leniency.PATHLESS_SKIPS_UNWRITABLE_KEYS:
            return None
        raise
    return target


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
        _set_attribute(holder, target.attribute, _list_values(target, value))
    else:
        _update_matches(holder, target, value)


def _remove(holder: dict, target: _Target, value) -> None:
    """Remove (RFC 7644 §3.5.2.2); removing values that are already gone is not an error."""
    attribute, sub = target.attribute, target.sub
    if not attribute.multi_valued:
        current = holder.get(attribute.name)
        if sub is not None and isinstance(current, dict):
            current.pop(sub.name, None)
        _set_attribute(holder, attribute, current if sub is not None else None)
        return
    elements = _current_list(holder, attribute)
    if target.filter is None and sub is None:
        listed = leniency.removed_values(attribute, value)
        if listed is not None and attribute.type == "complex":
            listed = [_element(attribute, item, target.label) for item in listed]
        kept = [] if listed is None else [e for e in elements if not any(_contains(e, i, attribute) for i in listed)]
    else:
        matched = _matching(elements, target)
        if sub is None:
            kept = [e for e in elements if not any(e is m for m in matched)]
        else:
            for element in matched:
                element.pop(sub.name, None)
            kept = [e for e in elements if e != {}]
    _set_attribute(holder, attribute, kept)


_OPERATIONS = {"add": _add, "replace": _replace, "remove": _remove}


# --- helpers ----------------------------------------------------------------------


def _set_singular(holder: dict, target: _Target, value) -> None:
    attribute, sub = target.attribute, target.sub
    if sub is None and attribute.type != "complex":
        _check_single(value, target.label)
        _set_attribute(holder, attribute, value)
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
    _set_attribute(holder, attribute, current)


def _append(holder: dict, target: _Target, value) -> None:
    attribute = target.attribute
    elements = _current_list(holder, attribute)
    added = []
    for item in _list_values(target, value):
        if not any(_contains(existing, item, attribute) for existing in elements):
            elements.append(item)
            added.append(item)
    _set_attribute(holder, attribute, elements)
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
    _set_attribute(holder, attribute, elements)
    _one_primary(elements, matched)


def _new_element(target: _Target, value) -> dict | None:
    """The value an add or replace through an unmatched filter creates, if any."""
    equalities = _equalities(target.filter, target.attribute)
    if equalities is None:
        raise no_target(f"No value of '{target.label}' matches the filter.")
    return leniency.created_for_unmatched_filter(equalities, target.sub.name if target.sub else None, value)


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
    if not any(isinstance(e, dict) and leniency.boolean(e.get("primary")) for e in touched):
        return
    for element in elements:
        if isinstance(element, dict) and not any(element is t for t in touched):
            element.pop("primary", None)


def _element(attribute: Attribute, value, label: str) -> dict:
    """A complex value with canonical sub-attribute names; unknown and readOnly ones dropped."""
    value = leniency.bare_reference(attribute, value)
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


def _set_attribute(holder: dict, attribute: Attribute, value) -> None:
    """Set an attribute; an empty value unassigns it, which a required one refuses."""
    if value is None or value == [] or value == {}:
        if attribute.required:
            raise invalid_value(f"{attribute.name} is required and cannot be removed.")
        holder.pop(attribute.name, None)
    else:
        holder[attribute.name] = value
