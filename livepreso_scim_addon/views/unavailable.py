"""A database that is down, unreachable or too slow: 503 with ``Retry-After``, never a 500.

Under the SCIM prefix the answer is a SCIM error body, so Okta and Entra record a
transient failure and retry; on the HQ SCIM page and the SSO pages it is a small
page of its own, since the host's layout may need the database too. Each fault is
one warning line in the log, without a traceback: an outage must not flood the log.

``includeme`` covers the add-on's paths; a host covers its own pages with
``add_unavailable_page(config)``, as ``hq.main`` does.
"""

from __future__ import annotations

import logging
import re

from pyramid.response import Response
from pyramid_retry import is_error_retryable
from sqlalchemy import exc as sa_exc

from ..models.faults import describe, is_database_unavailable
from ..scim.errors import ScimError
from .base import scim_response

log = logging.getLogger(__name__)

#: Seconds a client should wait before trying again: a database restart or failover.
RETRY_AFTER = "30"

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Temporarily unavailable</title></head>
<body>
<h1>Temporarily unavailable</h1>
<p>HQ cannot reach its database just now. Please try again in a minute.</p>
</body>
</html>
"""


def _log(exc, request) -> None:
    if is_error_retryable(request, exc):
        return  # pyramid_retry runs the request again: this answer is thrown away
    log.warning("Database unavailable for %s %s: %s", request.method, request.path, describe(exc))


def scim_unavailable_view(exc, request):
    _log(exc, request)
    request.response = request.response.__class__()  # drop headers a failed view set (ETag ...)
    error = ScimError(503, None, "The service is temporarily unavailable; try again later.")
    return scim_response(request, error.status, error.body(), {"Retry-After": RETRY_AFTER})


def page_unavailable_view(exc, request):
    _log(exc, request)
    response = Response(_PAGE, status=503, content_type="text/html", charset="utf-8")
    response.headers.update({"Retry-After": RETRY_AFTER, "Cache-Control": "no-store"})
    return response


class _DatabaseUnavailablePredicate:
    """View predicate ``database_unavailable=True``: the exception is a database fault."""

    def __init__(self, value, config):
        self.value = value

    def text(self):
        return f"database_unavailable = {self.value}"

    phash = text

    def __call__(self, context, request):
        return is_database_unavailable(context) == self.value


def add_unavailable_page(config, path_info: str | None = None) -> None:
    """The 503 page for database faults on ``path_info`` (a regex), or on every path."""
    config.add_exception_view(
        page_unavailable_view, context=sa_exc.SQLAlchemyError, database_unavailable=True, path_info=path_info
    )


def includeme(config):
    settings = config.registry["scim.settings"]
    config.add_view_predicate("database_unavailable", _DatabaseUnavailablePredicate)
    config.add_exception_view(
        scim_unavailable_view,
        context=sa_exc.SQLAlchemyError,
        database_unavailable=True,
        path_info=rf"^{re.escape(settings.route_prefix)}(/|$)",
    )
    add_unavailable_page(config, rf"^({re.escape(settings.hq_route_prefix)}/[^/]+/scim|/sso)(/|$)")
