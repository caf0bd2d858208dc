"""Rate limits under the SCIM prefix: per token once it has authenticated, per client
address for requests that did not.

A misconfigured IdP in a retry loop could otherwise hold every worker thread. Each
limit is a token bucket (``burst`` requests at once, refilled at ``per_minute``), kept
in this process's memory under one lock, so the number of requests let through is
exact whatever the number of threads. Over the limit, the answer is 429 with
``Retry-After`` (whole seconds, at least 1) and an RFC 7644 §3.12 error body.

Keys, and why:

- **Authenticated requests are charged to their token** (``scim.rate_limit_per_minute``),
  only after the token checked out: a forger who knows a token's id (it is not secret:
  it is in the HQ page and the audit trail) cannot spend that token's budget. A token
  whose bucket is already empty is refused *before* the lookup, by the id in its header,
  so a client past its limit costs no database round trip; a forged request with that id
  is refused then too, which only denies the forger.
- **Requests without a valid token are charged to the client address**
  (``scim.rate_limit_unauthenticated_per_minute``). An address is never a reason to
  refuse a valid token: Okta's and Entra's requests leave from shared address ranges,
  so one tenant's revoked token in a retry loop must not throttle another tenant.

Where: a tween just below pyramid_tm's and the exception views' (``excview``): a
refusal before the lookup joins no session to the transaction, so it sends nothing to
the database, and a database fault during the lookup is the usual 503.

Memory: each limiter keeps at most ``max_keys`` buckets, least recently used first out;
an evicted bucket only comes back full, so the bound can make a limit more lenient,
never stricter. Token buckets exist only for tokens that authenticated, so there are
never more of them than live tokens; a flood of addresses can evict only address buckets.

Several processes each keep their own buckets, so N processes let N times the budget
through: the shared limiter is the proxy (nginx ``limit_req``, docs/nginx.conf.example),
and this is the safety net behind it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from pyramid.response import Response

from .scim.errors import ScimError
from .security import bearer_token, token_identity
from .services.tokens import token_id_of

#: Set once a request has been charged, so pyramid_retry's reruns (same environ) are not.
_CHARGED = "scim.rate_limit.charged"


class TokenBuckets:
    """Token buckets by key: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        if per_minute <= 0 or burst <= 0 or max_keys <= 0:
            raise ValueError("a rate limit needs a positive rate, burst and size")
        self.rate = per_minute / 60.0  # per second
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + max(0.0, now - then) * self.rate)

    def peek(self, key: str) -> float:
        """Seconds until ``key`` may make a request (0: now); spends nothing."""
        with self._lock:
            if key not in self._buckets:
                return 0.0
            return self._wait(self._level(key, self.clock()))

    def take(self, key: str) -> float:
        """Spend one request of ``key``'s budget and return 0, or the seconds to wait."""
        with self._lock:
            now = self.clock()
            tokens = self._level(key, now)
            wait = self._wait(tokens)
            if wait == 0.0:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def _wait(self, tokens: float) -> float:
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass
class RateLimits:
    """The add-on's two limiters; either may be off (None)."""

    tokens: TokenBuckets | None
    addresses: TokenBuckets | None

    def admit(self, request) -> float:
        """0 if the request may proceed (its budget spent), else the seconds to wait."""
        token = bearer_token(request)
        token_id = token_id_of(token) if token else None
        if self.tokens is not None and token_id is not None:
            wait = self.tokens.peek(token_id)
            if wait:  # already over its limit: refused before any database work
                return wait
        identity = token_identity(request) if token_id is not None else None  # cached for the ACL and views
        if identity is not None:
            return self.tokens.take(identity.token_id) if self.tokens is not None else 0.0
        if self.addresses is not None:
            return self.addresses.take(request.remote_addr or "")
        return 0.0


def rate_limits_from(settings, clock: Callable[[], float] = time.monotonic) -> RateLimits | None:
    """The limits ``ScimSettings`` ask for, or None when both are off."""
    tokens = addresses = None
    if settings.rate_limit_per_minute:
        tokens = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst, clock)
    if settings.rate_limit_unauthenticated_per_minute:
        per_minute = settings.rate_limit_unauthenticated_per_minute
        addresses = TokenBuckets(per_minute, max(1, per_minute // 4), clock)
    return None if tokens is None and addresses is None else RateLimits(tokens, addresses)


def too_many_requests(wait: float) -> Response:
    """429 with ``Retry-After`` in whole seconds (at least 1) and a SCIM error body."""
    seconds = max(1, math.ceil(wait))
    error = ScimError(429, None, f"Too many requests: retry after {seconds} s.")
    body = json.dumps(error.body(), separators=(",", ":")).encode()
    response = Response(body=body, status=429, content_type="application/scim+json", charset=None)
    response.headers["Retry-After"] = str(seconds)
    return response


def rate_limit_tween_factory(handler, registry):
    """Installed by ``includeme`` only when a limit is on; reads the limits from the
    registry on each request, so a test can put in limits with a clock of its own."""
    prefix = registry["scim.settings"].route_prefix

    def rate_limit_tween(request):
        environ = request.environ
        path = environ.get("PATH_INFO", "")
        limits = registry.get("scim.rate_limits")
        if limits is None or _CHARGED in environ or not (path == prefix or path.startswith(prefix + "/")):
            return handler(request)
        wait = limits.admit(request)
        environ[_CHARGED] = True
        if wait:
            return too_many_requests(wait)
        return handler(request)

    return rate_limit_tween
