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
    #: Requests a token may make per minute, sustained (ratelimit.py); 0: no limit.
    rate_limit_per_minute: int = 0
    #: Requests a token may make at once before the per-minute rate applies.
    rate_limit_burst: int = 0
    #: Requests without a valid token per client address per minute; 0: no limit.
    rate_limit_unauthenticated_per_minute: int = 0


def _int(settings, key, default):
    value = settings.get(key)
    return default if value in (None, "") else int(value)


def load_settings(settings: dict) -> ScimSettings:
    prefix = "/" + settings.get("scim.route_prefix", ScimSettings.route_prefix).strip("/")
    max_page = _int(settings, "scim.max_page_size", ScimSettings.max_page_size)
    per_minute = _non_negative(settings, "scim.rate_limit_per_minute")
    return ScimSettings(
        route_prefix=prefix,
        max_page_size=max_page,
        default_page_size=min(_int(settings, "scim.default_page_size", ScimSettings.default_page_size), max_page),
        max_body_bytes=_int(settings, "scim.max_body_bytes", ScimSettings.max_body_bytes),
        hq_route_prefix="/" + settings.get("scim.hq_route_prefix", ScimSettings.hq_route_prefix).strip("/"),
        hq_layout=settings.get("scim.hq_layout", ScimSettings.hq_layout),
        public_url=parse_public_url(_from_environment(settings, "scim.public_url")),
        rate_limit_per_minute=per_minute,
        rate_limit_burst=_burst(settings, per_minute),
        rate_limit_unauthenticated_per_minute=_non_negative(settings, "scim.rate_limit_unauthenticated_per_minute"),
    )


def _burst(settings, per_minute: int) -> int:
    if not per_minute:
        return 0
    burst = _int(settings, "scim.rate_limit_burst", max(1, per_minute // 4))  # 15 s of budget unless set
    if burst < 1:
        raise ValueError(f"scim.rate_limit_burst must be 1 or more, not {burst}")
    return burst


def _non_negative(settings, key) -> int:
    value = _int(settings, key, 0)
    if value < 0:
        raise ValueError(f"{key} must be 0 (no limit) or more, not {value}")
    return value


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
