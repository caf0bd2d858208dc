"""Every leniency the protocol core grants an identity provider, in one place.

Each departure from RFC 7643/7644 that Okta or Microsoft Entra ID needs is here,
with the IdP that needs it and where that is written down (``IDP_REQUESTS.md``
section, or the vendor's page). The PATCH engine, the filter evaluator and input
validation call these; nothing else in ``scim/`` bends the RFC for a client.

Value readers turn what an IdP sends into what the RFC says it should have sent;
the constants and predicates mark decisions inside the engine's control flow.

Not here, because the RFC already allows them: attribute names in any case (RFC 7643
§2.1), readOnly attributes ignored on POST and PUT (RFC 7644 §3.3, §3.5.1), the
writeOnly password accepted and not kept (RFC 7643 §4.1.1). Input validation also
ignores attributes and schema URNs it does not know (``schemas.deserialize_resource``),
which Entra's extra Group schema URN relies on (IDP_REQUESTS.md, Entra); that is how
the validator treats every unknown key, not a rule of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: schemas.py imports this module
    from .schemas import Attribute


# --- values -----------------------------------------------------------------------


def boolean(value) -> bool | None:
    """A JSON boolean, or the strings "true"/"false" in any case; else None.

    Entra ID sends booleans as "True" and "False" (IDP_REQUESTS.md, Entra: disabling a
    user, ``{"op":"Replace","path":"active","value":"False"}``, without the
    ``aadOptscim062020`` flag); RFC 7643 §2.3.2 has only ``true`` and ``false``. One
    rule for booleans everywhere: PATCH, filters and input validation.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def op_name(op) -> str | None:
    """A PATCH ``op`` as RFC 7644 §3.5.2 spells it (lower case); None if not a string.

    Entra ID sends "Add", "Replace" and "Remove" (IDP_REQUESTS.md, Entra: "op values
    are capitalised").
    """
    return op.lower() if isinstance(op, str) else None


def bare_reference(attribute: Attribute, value):
    """``{"value": id}`` for a bare id given to a singular complex attribute with a ``value``.

    Entra ID sends the enterprise ``manager`` as the manager's id alone rather than
    ``{"value": id}`` (RFC 7643 §4.3). Its source is this code's history, not
    IDP_REQUESTS.md, which does not list the manager.
    """
    if isinstance(value, str) and not attribute.multi_valued and attribute.sub("value") is not None:
        return {"value": value}
    return value


def removed_values(attribute: Attribute, value) -> list | None:
    """The values a "remove" lists; None when it lists none (RFC: remove every value).

    Entra ID, without the ``aadOptscim062020`` flag, removes group members with
    ``{"op":"Remove","path":"members","value":[{"value":"<uid>"}]}`` (IDP_REQUESTS.md,
    Entra: member removal). RFC 7644 §3.5.2.2 gives "remove" no value: it would
    remove them all. A bare id stands for ``{"value": id}`` of a complex attribute.
    """
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if attribute.type != "complex":
        return items
    return [item if isinstance(item, dict) else {"value": item} for item in items]


def created_for_unmatched_filter(equalities: dict, sub: str | None, value) -> dict | None:
    """The value to create when an add or replace through a filter matches nothing.

    Entra ID sends ``Add`` (or ``Replace``) to ``emails[type eq "work"].value`` when the
    user has no work email yet (IDP_REQUESTS.md, Entra: path-based updates): the
    filter's ``eq`` comparisons (``equalities``) describe the value to create. RFC 7644
    §3.5.2.3 answers noTarget, and the engine still does when the filter is not such a
    conjunction. None: nothing to create, as the value clears what does not exist.
    """
    if sub is None:
        return {**equalities, **{k: v for k, v in value.items() if v is not None}}
    if value is None or value == "":
        return None
    return {**equalities, sub: value}


# --- decisions --------------------------------------------------------------------

#: Keys of a path-less add/replace value may be paths (``name.givenName``, even
#: ``emails[type eq "work"].value``), not only attribute names. Entra ID replaces
#: several attributes in one path-less operation with dotted keys (IDP_REQUESTS.md,
#: Entra: "Several attributes in one path-less op"); RFC 7644 §3.5.2.1 and §3.5.2.3
#: key the value by attribute name.
PATHLESS_KEYS_ARE_PATHS = True

#: ``emails[type eq "work"].value eq "x"``: a filter comparing a sub-attribute after a
#: value filter, read as ``emails[type eq "work" and value eq "x"]``. Entra ID filters
#: users this way (IDP_REQUESTS.md, Entra: Filters); RFC 7644 §3.4.2.2's grammar
#: ends a valuePath at "]".
SUB_ATTRIBUTE_AFTER_VALUE_FILTER = True

#: Keys of a path-less add/replace value that are readOnly or unknown are skipped, not
#: refused. Okta renames a group with ``{"op":"replace","value":{"id":"<gid>",
#: "displayName":…}}`` (IDP_REQUESTS.md, Okta: Groups, rename), sending the readOnly
#: ``id``; clients also send ``schemas`` and attributes this server does not store.
#: RFC 7644 §3.5.2 answers mutability for the first, and invalidPath for the others.
PATHLESS_SKIPS_UNWRITABLE_KEYS = True
