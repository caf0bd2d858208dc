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
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError, JWTError

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
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = None
        answer = answer if isinstance(answer, dict) else {}
        detail = answer.get("error_description") or answer.get("error") or error.reason
        raise OidcError(f"{url} answered {error.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise OidcError(f"could not reach {url}: {error}", status=502) from None
    except ValueError:
        raise OidcError(f"{url} did not answer JSON", status=502) from None
    if not isinstance(answer, dict):
        raise OidcError(f"{url} did not answer a JSON object", status=502)
    return answer


#: Which JWK key type signs with which algorithm family (RFC 7518 §3.1).
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC"}


class ProviderCache:
    """Discovery documents and JWKS, kept for ``ttl`` seconds; an unknown kid refreshes the JWKS.

    A refresh for an unknown kid happens at most once per ``min_refresh`` seconds, so a
    stream of forged kids cannot turn every sign-in into a fetch.
    """

    def __init__(self, fetch=http_json, ttl: int = DISCOVERY_TTL, min_refresh: float = 10.0):
        self.fetch = fetch
        self.ttl = ttl
        self.min_refresh = min_refresh
        self._providers: dict[str, tuple[float, Provider]] = {}
        self._jwks: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def provider(self, issuer: str) -> Provider:
        cached = self._providers.get(issuer)
        if cached and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        document = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
        named = document.get("issuer")
        # Support types the issuer with or without its trailing slash; beyond that it must
        # be the very issuer the document names (and the id_token's iss is checked exactly).
        if not isinstance(named, str) or named.rstrip("/") != issuer.rstrip("/"):
            raise OidcError(f"the discovery document names issuer {named!r}, not {issuer!r}", 502)
        endpoints = {}
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise OidcError(f"the discovery document lacks {field!r}", 502)
            endpoints[field] = document[field]
        provider = Provider(
            issuer=named,
            **endpoints,
            # OpenID Connect Discovery §3: RS256 when the provider says nothing.
            algorithms=_strings(document.get("id_token_signing_alg_values_supported")) or ("RS256",),
            token_auth_methods=_strings(document.get("token_endpoint_auth_methods_supported"))
            or ("client_secret_basic",),
        )
        with self._lock:
            self._providers[issuer] = (time.monotonic(), provider)
        return provider

    def key(self, provider: Provider, kid: str | None, alg: str) -> dict:
        """The signing JWK for ``kid`` and ``alg``; an unknown kid refreshes the set once (key rotation).

        RFC 7517 §4.5 lets keys of different types share a kid: the key type must fit the
        algorithm, and a key meant for encryption never verifies a signature.
        """
        key_type = _KEY_TYPES.get(alg[:2])
        for refresh in (False, True):
            fetched_at, jwks = self._jwks.get(provider.jwks_uri, (0.0, None))
            stale = jwks is None or time.monotonic() - fetched_at > self.ttl
            if stale or (refresh and time.monotonic() - fetched_at > self.min_refresh):
                jwks = self.fetch(provider.jwks_uri)
                with self._lock:
                    self._jwks[provider.jwks_uri] = (time.monotonic(), jwks)
            keys = jwks.get("keys") if isinstance(jwks.get("keys"), list) else []
            matching = [
                k
                for k in keys
                if isinstance(k, dict)
                and (kid is None or k.get("kid") == kid)
                and k.get("kty") == key_type
                and k.get("use", "sig") == "sig"
            ]
            if len(matching) == 1 or (kid is not None and matching):
                return matching[0]
        raise OidcError(f"no {key_type or alg} signing key {kid!r} in the provider's JWKS")


def _strings(value) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


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
    if not isinstance(tokens, dict) or not isinstance(tokens.get("id_token"), str):
        raise OidcError("the token response has no id_token")
    return tokens


def validate_id_token(
    id_token: str, *, provider: Provider, key_for, client_id: str, nonce: str, leeway: int = LEEWAY
) -> dict:
    """The verified claims of an id_token (OpenID Connect Core §3.1.3.7).

    ``key_for(kid, alg)`` returns the provider's JWK for a key id and algorithm. The
    algorithm must be asymmetric and one the provider advertises; python-jose always gets
    that explicit list, never an open one.
    """
    if not nonce:
        raise OidcError("no nonce to check the id_token against")
    try:
        header = jwt.get_unverified_header(id_token)
    except JOSEError as error:
        raise OidcError(f"the id_token is not a JWT: {error}") from None
    allowed = [alg for alg in provider.algorithms if alg in ASYMMETRIC_ALGORITHMS]
    if header.get("alg") not in allowed:
        raise OidcError(f"id_token algorithm {header.get('alg')!r} is not one of {allowed}")
    key = key_for(header.get("kid"), header["alg"])
    required = {f"require_{claim}": True for claim in ("aud", "iss", "sub", "iat", "exp")}
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=[header["alg"]],
            audience=client_id,
            issuer=provider.issuer,
            options={"leeway": leeway, "verify_at_hash": False, **required},
        )
    except ExpiredSignatureError:
        raise OidcError("the id_token has expired") from None
    except JWTClaimsError as error:
        raise OidcError(f"id_token claims rejected: {error}") from None
    except JWTError as error:
        kind = "claims" if "missing required key" in str(error) else "signature"
        raise OidcError(f"id_token {kind} rejected: {error}") from None
    except (JOSEError, TypeError, ValueError) as error:
        # python-jose raises JWKError for a key that does not fit the algorithm, and lets
        # TypeError escape for some malformed claims: all mean "not a valid id_token".
        raise OidcError(f"id_token rejected: {error}") from None
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise OidcError("the id_token's iat is not a number")
    if iat > time.time() + leeway:
        raise OidcError("the id_token was issued in the future")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise OidcError(f"the id_token's azp {claims.get('azp')!r} is not this client")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise OidcError("the id_token's nonce does not match this sign-in")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("the id_token has no subject")
    return claims
