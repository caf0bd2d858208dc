"""The add-on's settings, parsed once with defaults (``scim.*`` in the ini file)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ScimSettings:
    route_prefix: str = "/scim/v2"
    #: The most resources one page returns, whatever ``count`` asks (RFC 7644 §3.4.2.4).
    max_page_size: int = 200
    #: A page's size when the client names none.
    default_page_size: int = 100
    #: Request bodies above this get 413 (RFC 7644 §3.12).
    max_body_bytes: int = 1024 * 1024
    #: Where the HQ pages live: {hq_route_prefix}/{instance}/scim
    hq_route_prefix: str = "/hq"
    #: The host's page layout (a Jinja2 asset spec with blocks "title" and "content")
    #: the SCIM pages extend; the add-on's own minimal one by default.
    hq_layout: str = "livepreso_scim_addon:templates/layout.jinja2"
    #: Where clients reach the application (``https://hq.example.com``): every URL the
    #: add-on renders, redirects to or prints is built from it, never from a request's
    #: Host or X-Forwarded-* headers. Empty: URLs follow the request (development).
    public_url: str = ""


def _int(settings, key, default):
    value = settings.get(key)
    return default if value in (None, "") else int(value)


def load_settings(settings: dict) -> ScimSettings:
    prefix = "/" + settings.get("scim.route_prefix", ScimSettings.route_prefix).strip("/")
    max_page = _int(settings, "scim.max_page_size", ScimSettings.max_page_size)
    return ScimSettings(
        route_prefix=prefix,
        max_page_size=max_page,
        default_page_size=min(_int(settings, "scim.default_page_size", ScimSettings.default_page_size), max_page),
        max_body_bytes=_int(settings, "scim.max_body_bytes", ScimSettings.max_body_bytes),
        hq_route_prefix="/" + settings.get("scim.hq_route_prefix", ScimSettings.hq_route_prefix).strip("/"),
        hq_layout=settings.get("scim.hq_layout", ScimSettings.hq_layout),
        public_url=parse_public_url(_from_environment(settings, "scim.public_url")),
    )


def _from_environment(settings, key):
    """``key``, or the environment variable ``{key}_env`` names (production.ini keeps
    deployment-specific values out of the file)."""
    variable = settings.get(f"{key}_env")
    return os.environ.get(variable, "") if variable else settings.get(key, "")


def parse_public_url(value: str | None) -> str:
    """``scheme://host[:port][/path]`` without a trailing slash, or "" when unset."""
    value = (value or "").strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"scim.public_url must look like https://hq.example.com, not {value!r}")
    return value
