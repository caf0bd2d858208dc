"""Where to send someone once they have signed in: back to the HQ page they asked for.

The page arrives in a query string, a form field or a cookie, all of which a client can
craft, and ends in a Location header: only a path of this origin under the instance's
HQ pages (``{script name}{scim.hq_route_prefix}/{slug}/``) is an answer. Both sign-ins
use it: the host's password form (through ``api.return_path``) and single sign-on.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

#: Longer return paths are refused: no HQ page needs one, and the value travels in a URL,
#: a form field and a cookie.
MAX_RETURN_PATH = 2048


def return_path(request, slug: str, value) -> str | None:
    """``value`` if it is a path of instance ``slug``'s HQ pages, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_RETURN_PATH:
        return None
    # Browsers read a backslash as "/" ("/\evil.com" is another host) and drop tabs and
    # newlines from URLs ("/\t/evil.com"); control characters could also split a header,
    # and a Location header holds ASCII only (a path from a URL is percent-encoded).
    if not value.isascii() or "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    if not value.startswith("/") or value.startswith("//"):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    hq_prefix = request.registry["scim.settings"].hq_route_prefix
    prefix = f"{request.script_name}{hq_prefix}/{quote(slug, safe='')}/"
    path = unquote(parts.path)
    # A dot segment would leave the prefix once the browser resolves it.
    if not path.startswith(unquote(prefix)) or any(segment in (".", "..") for segment in path.split("/")):
        return None
    return value
