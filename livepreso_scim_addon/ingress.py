"""The first thing every request meets: one public address, and only decodable URLs.

A tween at the top of the host's stack (above pyramid_tm, so a refused request costs no
transaction):

- With ``scim.public_url`` set, the request's scheme, host and script name are taken
  from it. Every URL Pyramid then builds (``route_url``: SCIM ``Location`` headers, the
  base URL on the HQ page, redirects, SSO redirect URIs) is the public one, whatever
  Host or X-Forwarded-* a client or a misconfigured proxy sent, and Pyramid's CSRF
  origin check compares a browser's ``Origin`` with that public origin.
- A path or query string that is not UTF-8 once percent-decoded (``%ff``, or a lone
  surrogate such as ``%ed%a0%80``) cannot name anything. Pyramid would raise while
  routing (and again in every exception view's path predicate), which ends in a 500 and
  a traceback per request; here it is a 404 (path) or 400 (query), a SCIM error body
  under the SCIM prefix, and no log line.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes, urlsplit

from pyramid.response import Response

from .scim.errors import ScimError


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")  # strict: refuses invalid bytes and encoded surrogates alike
    except UnicodeDecodeError:
        return False
    return True


def _under(environ, prefix: str) -> bool:
    # PATH_INFO is the raw path as latin-1 (PEP 3333): comparable without decoding.
    path = environ.get("PATH_INFO", "")
    return path == prefix or path.startswith(prefix + "/")


def _url_parts(public_url: str) -> dict:
    parts = urlsplit(public_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    environ = {"wsgi.url_scheme": parts.scheme, "HTTP_HOST": parts.netloc, "SERVER_NAME": parts.hostname, "SERVER_PORT": str(port)}
    if parts.path:  # mounted below a path by a proxy that strips it
        environ["SCRIPT_NAME"] = parts.path
    return environ


def ingress_tween_factory(handler, registry):
    settings = registry["scim.settings"]
    public = _url_parts(settings.public_url) if settings.public_url else None
    scim_prefix = settings.route_prefix

    def refuse(environ, status: int, detail: str) -> Response:
        if _under(environ, scim_prefix):
            body = json.dumps(ScimError(status, "invalidValue" if status == 400 else None, detail).body(), separators=(",", ":"))
            return Response(body=body.encode(), status=status, content_type="application/scim+json", charset=None)
        return Response(body=detail.encode(), status=status, content_type="text/plain", charset="utf-8")

    def ingress_tween(request):
        environ = request.environ
        if not _decodes(environ.get("PATH_INFO", "").encode("latin-1")):
            return refuse(environ, 404, "Not found: the path is not valid UTF-8.")
        query = environ.get("QUERY_STRING", "")
        if query and not _decodes(unquote_to_bytes(query.encode("latin-1"))):
            return refuse(environ, 400, "The query string is not valid UTF-8 once percent-decoded.")
        if public is not None:
            environ.update(public)
        return handler(request)

    return ingress_tween


def retry_attempts(request):
    """pyramid_retry's ``retry.activate_hook``: keep request bodies out of stray files.

    To run a request again pyramid_retry first copies its body, and webob copies a body
    over 10 KB into a temporary file that nothing closes (each one a ResourceWarning
    and an open file until the garbage collector finds it). Bodies the add-on accepts
    are at most ``scim.max_body_bytes``: those are copied in memory, and a SCIM body over
    the limit, which will only be refused with a 413, is not copied at all.
    """
    settings = request.registry["scim.settings"]
    length = request.content_length
    if length is not None and length > settings.max_body_bytes and _under(request.environ, settings.route_prefix):
        return 1
    request.request_body_tempfile_limit = max(request.request_body_tempfile_limit, settings.max_body_bytes)
    return None  # retry.attempts
