"""Every error under the SCIM prefix becomes an RFC 7644 §3.12 error body.

Registered in ``includeme`` with a path predicate for the SCIM prefix, so the host's
own error pages stay as they are.
"""

from __future__ import annotations

import logging

from pyramid.exceptions import PredicateMismatch
from pyramid.httpexceptions import HTTPException, HTTPForbidden, HTTPNotFound
from pyramid_retry import is_error_retryable

from ..resources import InstanceScope, ResourceCollection, ScimRoot
from ..scim.errors import ScimError
from ..models import begin_writing
from ..models.faults import describe, is_database_unavailable
from ..security import Permission, bearer_token, checked_token_identity
from ..services.audit import AuditService
from ..services.resources import ISSUED_ID
from .base import scim_response
from ..service_lookup import build_service

log = logging.getLogger(__name__)


def _respond(request, error: ScimError, headers: dict | None = None):
    request.response = request.response.__class__()  # drop headers a failed view set (ETag ...)
    _audit_failure(request, error)
    return scim_response(request, error.status, error.body(), headers)


def _audit_failure(request, error: ScimError) -> None:
    """Record why an authenticated request failed, once its own transaction is over.

    Requests without a valid token are only logged: recording them would let anyone
    write to the trail.
    """
    identity = checked_token_identity(request)
    scope = _instance_scope(getattr(request, "context", None))
    if identity is None or scope is None or identity.instance_id != scope.instance.id:
        return
    trail = build_service(request, AuditService, scope)
    resource = _missing_resource(request) if error.status == 404 else None

    def write(request):
        try:
            with request.tm:
                begin_writing(request.dbsession)
                trail.record_failure(error.status, error.detail, resource)
        except Exception as exc:  # the response is already on its way: log, never raise
            if is_database_unavailable(exc):  # one line: an outage must not flood the log
                log.warning("Could not record a failed SCIM request in the audit trail: %s", describe(exc))
            else:
                log.exception("Could not record a failed SCIM request in the audit trail")

    request.add_finished_callback(write)


#: The 404s that may be Okta's routine read (or second DELETE) of what it deleted.
_ITEM_METHODS = {"GET", "PATCH", "PUT", "DELETE"}


def _missing_resource(request) -> tuple[str, str] | None:
    """(``"User"``/``"Group"``, id) when a 404 is about one unknown item of /Users or /Groups.

    Traversal stopped at the collection (its ``__getitem__`` raised KeyError), so the id
    is the view name. Only an id this add-on could have issued is worth a look-up.
    """
    context = getattr(request, "context", None)
    if request.method not in _ITEM_METHODS or not isinstance(context, ResourceCollection):
        return None
    if request.subpath or not ISSUED_ID.fullmatch(request.view_name or ""):
        return None
    return (context.service_class.resource_type.id, request.view_name)


def scim_error_view(exc, request):
    return _respond(request, exc)


def _instance_scope(context):
    while context is not None and not isinstance(context, InstanceScope):
        context = getattr(context, "__parent__", None)
    return context


def _unauthorized(request):
    """401 with a Bearer challenge (RFC 6750 §3)."""
    if bearer_token(request) is None:
        detail = "Authentication required: send 'Authorization: Bearer <token>' with a token from the HQ SCIM page."
        challenge = 'Bearer realm="SCIM"'
    else:
        detail = "The bearer token is invalid, revoked, or not for this instance."
        challenge = 'Bearer realm="SCIM", error="invalid_token"'
    return _respond(request, ScimError(401, None, detail), {"WWW-Authenticate": challenge})


def forbidden_view(exc, request):
    # A token of another instance is no credential here at all: 401, as for a bad token.
    return _unauthorized(request)


def not_found_view(exc, request):
    context = request.context if hasattr(request, "context") else None
    scope = _instance_scope(context)
    if scope is not None and not request.has_permission(Permission.READ, scope):
        # Inside an enabled instance, say nothing about what exists until the client
        # has authenticated.
        return _unauthorized(request)
    if isinstance(context, ScimRoot) or context is None or scope is None:
        detail = "No SCIM service at this address."
    elif request.view_name:
        detail = f"Resource '{request.view_name}' not found."
    else:
        detail = "Not found."
    return _respond(request, ScimError(404, None, detail))


def method_not_allowed_view(exc, request):
    context = getattr(request, "context", None)
    scope = _instance_scope(context)
    if scope is not None and not request.has_permission(Permission.READ, scope):
        return _unauthorized(request)
    return _respond(request, ScimError(405, None, f"{request.method} is not supported on this endpoint."))


def http_exception_view(exc, request):
    return _respond(request, ScimError(exc.code, None, exc.explanation or exc.title))


def unexpected_error_view(exc, request):
    if is_error_retryable(request, exc):
        # pyramid_retry runs the request again and throws this answer away: nothing to
        # log or record (services.resources.ParallelChange).
        return scim_response(request, 503, ScimError(503, None, "Try again.").body())
    log.exception("Unexpected error in a SCIM request to %s", request.path)
    return _respond(request, ScimError(500, None, "An unexpected error occurred; it has been logged."))


def add_scim_exception_views(config, route_prefix: str) -> None:
    """Register the views above for everything under ``route_prefix`` only."""
    import re

    path = rf"^{re.escape(route_prefix)}(/|$)"
    for view, exception in (
        (scim_error_view, ScimError),
        (forbidden_view, HTTPForbidden),
        (method_not_allowed_view, PredicateMismatch),
        (not_found_view, HTTPNotFound),
        (http_exception_view, HTTPException),
        (unexpected_error_view, Exception),
    ):
        config.add_exception_view(view, context=exception, path_info=path)
