"""Pyramid 2 security: bearer tokens for SCIM, chained with the host's own policy.

An add-on cannot impose a security policy on the app that includes it (the including
configuration wins a conflict), so the add-on ships :class:`ScimTokenPolicy` and the
small :class:`CompositeSecurityPolicy`; the host installs the composite with its own
policy beside the token policy, as ``livepreso_scim_addon.hq.main`` shows. A policy
in the composite offers ``identity(request)`` and ``principals(request)``; the ACL of
the context decides with the union of every policy's principals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from pyramid.authorization import ACLHelper, Authenticated, Everyone

from .service_lookup import build_service


class Permission(enum.StrEnum):
    READ = "scim:read"
    WRITE = "scim:write"
    #: The SCIM page in HQ and its events: the instance's HQ managers.
    MANAGE = "scim:manage"


def instance_principal(instance_id: int) -> str:
    return f"scim-instance:{instance_id}"


@dataclass(frozen=True)
class TokenIdentity:
    """A SCIM client authenticated by one token of one instance."""

    token_id: str
    instance_id: int

    def principals(self) -> list[str]:
        return [instance_principal(self.instance_id), f"scim-token:{self.token_id}"]


class TokenAuthenticator(Protocol):
    """What the policy needs of the token service (``services.tokens.TokenService``),
    built per request with ``build_service(request, TokenAuthenticator)``."""

    def authenticate(self, token: str) -> TokenIdentity | None:
        """The identity a live token stands for, or None."""


class ScimTokenPolicy:
    """Authenticates ``Authorization: Bearer <token>`` (RFC 6750) against stored hashes."""

    def identity(self, request) -> TokenIdentity | None:
        return token_identity(request)

    def principals(self, request) -> list[str]:
        identity = self.identity(request)
        return identity.principals() if identity else []

    def authenticated_userid(self, request):
        identity = self.identity(request)
        return identity.token_id if identity else None

    def permits(self, request, context, permission):
        return ACLHelper().permits(context, [Everyone, *self.principals(request)], permission)

    def remember(self, request, userid, **kw):
        return []

    def forget(self, request, **kw):
        return []


def token_identity(request) -> TokenIdentity | None:
    """The live token behind the request, checked once per request: the traversal
    (to which it also says that its instance is switched on), the ACL check and the
    views all ask."""
    if _IDENTITY not in request.environ:
        token = bearer_token(request)
        identity = None if token is None else build_service(request, TokenAuthenticator).authenticate(token)
        request.environ[_IDENTITY] = identity
    return request.environ[_IDENTITY]


def checked_token_identity(request) -> TokenIdentity | None:
    """The identity, if this request's token has been checked already; never asks the
    database (an error view may run because the database is gone)."""
    return request.environ.get(_IDENTITY)


_IDENTITY = "scim.identity"


def bearer_token(request) -> str | None:
    """The token of an ``Authorization: Bearer`` header; the scheme is case-insensitive."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


class CompositeSecurityPolicy:
    """The first policy that knows the request's identity wins; ACLs see every principal."""

    def __init__(self, *policies):
        self.policies = policies

    def identity(self, request):
        for policy in self.policies:
            identity = policy.identity(request)
            if identity is not None:
                return identity
        return None

    def authenticated_userid(self, request):
        for policy in self.policies:
            userid = policy.authenticated_userid(request)
            if userid is not None:
                return userid
        return None

    def permits(self, request, context, permission):
        principals = [Everyone]
        for policy in self.policies:
            principals.extend(policy.principals(request))
        if len(principals) > 1:
            principals.append(Authenticated)
        return ACLHelper().permits(context, principals, permission)

    def remember(self, request, userid, **kw):
        return [h for policy in self.policies for h in policy.remember(request, userid, **kw)]

    def forget(self, request, **kw):
        return [h for policy in self.policies for h in policy.forget(request, **kw)]
