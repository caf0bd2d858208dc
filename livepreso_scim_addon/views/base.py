"""What every SCIM view shares: the decorator, the JSON renderer and body parsing."""

from __future__ import annotations

import json

from pyramid.httpexceptions import HTTPNotModified
from pyramid.view import view_config

from ..scim.errors import ScimError, invalid_syntax
from ..scim.text import check_json_text

SCIM_MEDIA_TYPE = "application/scim+json"
_JSON_MEDIA_TYPES = {SCIM_MEDIA_TYPE, "application/json"}


class scim_view(view_config):
    """``view_config`` for SCIM: the scim+json renderer, no CSRF, a permission always."""

    def __init__(self, **settings):
        if "permission" not in settings:
            raise TypeError("a SCIM view must name its permission")
        settings.setdefault("renderer", "scim+json")
        settings.setdefault("require_csrf", False)  # bearer tokens, no cookies
        settings.setdefault("route_name", "scim")
        super().__init__(**settings)


def scim_json_renderer_factory(info):
    def render(value, system):
        request = system.get("request")
        if request is not None:
            request.response.content_type = SCIM_MEDIA_TYPE
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return render


def scim_response(request, status: int, body: dict | None, headers: dict | None = None):
    response = request.response
    response.status_code = status
    if body is not None:
        response.content_type = SCIM_MEDIA_TYPE
        response.body = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def read_json(request, expect_object: bool = False):
    """The request body as JSON, or a SCIM error: 415, 413 or 400 (RFC 7644 §3.1, §3.12)."""
    body = _parse_json(request)
    if expect_object and not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    return body


def _parse_json(request):
    media_type = (request.content_type or "").lower()
    if media_type and media_type not in _JSON_MEDIA_TYPES and not media_type.endswith("+json"):
        raise ScimError(415, None, f"Send the body as {SCIM_MEDIA_TYPE} or application/json, not {media_type}.")
    limit = request.registry["scim.settings"].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ScimError(413, None, f"The request body is larger than {limit} bytes.")
    body = request.body
    if len(body) > limit:  # a chunked body has no Content-Length to check first
        raise ScimError(413, None, f"The request body is larger than {limit} bytes.")
    if not body.strip():
        raise invalid_syntax("The request body is empty; a JSON object is expected.")
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise invalid_syntax("The request body is not UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise invalid_syntax(f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    except RecursionError:
        raise invalid_syntax("The request body nests too deeply.") from None
    check_json_text(document, body)
    return document


def _refuse_constant(name: str):
    """Python reads NaN, Infinity and -Infinity; JSON (RFC 8259 §6) has no such numbers."""
    raise invalid_syntax(f"The request body is not valid JSON: {name} is not a JSON number.")


def _etag_matches(header: str, etag: str) -> bool:
    """Whether an If-Match / If-None-Match list names ``etag`` (compared weakly)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


def check_if_match(request, etag: str) -> None:
    """A stale ``If-Match`` means someone else changed the resource first (RFC 7644 §3.14)."""
    header = request.headers.get("If-Match")
    if header is not None and not _etag_matches(header, etag):
        raise ScimError(412, None, f"The resource has changed: its version is now {etag}.")


def if_none_match_response(request, etag: str):
    """304 when the client already has this version (RFC 7644 §3.14), else None."""
    header = request.headers.get("If-None-Match")
    if header is not None and _etag_matches(header, etag):
        return HTTPNotModified(headers={"ETag": etag})
    return None


def scim_base_url(request, instance) -> str:
    """The instance's SCIM base URL, absolute, as Okta is configured with it."""
    return request.route_url("scim", traverse=(instance.slug,))
