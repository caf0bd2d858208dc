"""OpenID Connect for the SP-initiated sign-in: discovery, PKCE, code exchange, id_token checks.

No Pyramid here: plain functions over the provider's HTTP endpoints (standard library
``urllib``, with timeouts) and python-jose for the signature. Every failure raises
:class:`OidcError` with a reason for the log and never a provider secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

#: Only asymmetric signatures: "none" and HMAC (whose key would be our client secret,
#: and which python-jose would accept with an RSA public key as the secret) never.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
HTTP_TIMEOUT = 10
DISCOVERY_TTL = 3600
LEEWAY = 60


class OidcError(Exception):
    """The sign-in cannot go on; ``reason`` is for the log, ``status`` for the page."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Provider:
    """What the discovery document says (OpenID Connect Discovery 1.0 §3)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    token_auth_methods: tuple[str, ...]


def http_json(url: str, data: dict | None = None, headers: dict | None = None) -> dict:
    """GET (or POST a form to) ``url`` and parse its JSON answer."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = {}
        detail = answer.get("error_description") or answer.get("error") or error.reason
        raise OidcError(f"{url} answered {error.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise OidcError(f"could not reach {url}: {error}", status=502) from None
    except ValueError:
        raise OidcError(f"{url} did not answer JSON", status=502) from None


class ProviderCache:
    """Discovery documents and JWKS, fetched once and kept (JWKS refreshed on an unknown kid)."""

    def __init__(self, fetch=http_json, ttl: int = DISCOVERY_TTL):
        self.fetch = fetch
        self.ttl = ttl
        self._providers: dict[str, tuple[float, Provider]] = {}
        self._jwks: dict[str, dict] = {}
        self._lock = threading.Lock()

    def provider(self, issuer: str) -> Provider:
        cached = self._providers.get(issuer)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        document = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise OidcError(f"the discovery document names issuer {document.get('issuer')!r}, not {issuer!r}", 502)
        try:
            provider = Provider(
                issuer=document["issuer"],
                authorization_endpoint=document["authorization_endpoint"],
                token_endpoint=document["token_endpoint"],
                jwks_uri=document["jwks_uri"],
                # OpenID Connect Discovery §3: RS256 when the provider says nothing.
                algorithms=tuple(document.get("id_token_signing_alg_values_supported") or ["RS256"]),
                token_auth_methods=tuple(
                    document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
                ),
            )
        except KeyError as missing:
            raise OidcError(f"the discovery document lacks {missing}", 502) from None
        with self._lock:
            self._providers[issuer] = (time.monotonic(), provider)
        return provider

    def key(self, provider: Provider, kid: str | None) -> dict:
        """The JWK for ``kid``; an unknown kid refreshes the set once (key rotation)."""
        for refresh in (False, True):
            if refresh or provider.jwks_uri not in self._jwks:
                with self._lock:
                    self._jwks[provider.jwks_uri] = self.fetch(provider.jwks_uri)
            keys = self._jwks[provider.jwks_uri].get("keys", [])
            matching = [k for k in keys if kid is None or k.get("kid") == kid]
            if len(matching) == 1 or (kid is not None and matching):
                return matching[0]
        raise OidcError(f"no signing key {kid!r} in the provider's JWKS")


def pkce_pair() -> tuple[str, str]:
    """A PKCE code_verifier and its S256 code_challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_url(provider: Provider, client_id: str, redirect_uri: str, state: str, nonce: str, challenge: str) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{query}"


def exchange_code(
    provider: Provider, client_id: str, client_secret: str, code: str, redirect_uri: str, verifier: str, fetch=http_json
) -> dict:
    """The token response for an authorization code (OpenID Connect Core §3.1.3)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    headers = {}
    if "client_secret_basic" in provider.token_auth_methods or "client_secret_post" not in provider.token_auth_methods:
        pair = f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form.update(client_id=client_id, client_secret=client_secret)
    tokens = fetch(provider.token_endpoint, form, headers)
    if not isinstance(tokens.get("id_token"), str):
        raise OidcError("the token response has no id_token")
    return tokens


def validate_id_token(
    id_token: str, *, provider: Provider, key_for, client_id: str, nonce: str, leeway: int = LEEWAY
) -> dict:
    """The verified claims of an id_token (OpenID Connect Core §3.1.3.7).

    ``key_for(kid)`` returns the provider's JWK for a key id. The algorithm must be
    asymmetric and one the provider advertises; python-jose always gets that explicit
    list, never an open one.
    """
    try:
        header = jwt.get_unverified_header(id_token)
    except JWTError as error:
        raise OidcError(f"the id_token is not a JWT: {error}") from None
    allowed = [alg for alg in provider.algorithms if alg in ASYMMETRIC_ALGORITHMS]
    if header.get("alg") not in allowed:
        raise OidcError(f"id_token algorithm {header.get('alg')!r} is not one of {allowed}")
    key = key_for(header.get("kid"))
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=[header["alg"]],
            audience=client_id,
            issuer=provider.issuer,
            options={"leeway": leeway, "verify_at_hash": False, "require_iat": True, "require_exp": True},
        )
    except ExpiredSignatureError:
        raise OidcError("the id_token has expired") from None
    except JWTClaimsError as error:
        raise OidcError(f"id_token claims rejected: {error}") from None
    except JWTError as error:
        raise OidcError(f"id_token signature rejected: {error}") from None
    if claims["iat"] > time.time() + leeway:
        raise OidcError("the id_token was issued in the future")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise OidcError(f"the id_token's azp {claims.get('azp')!r} is not this client")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise OidcError("the id_token's nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("the id_token has no subject")
    return claims
