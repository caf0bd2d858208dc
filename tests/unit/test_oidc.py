"""OpenID Connect sign-in helpers (livepreso_scim_addon.sso.oidc), without a network.

Keys are generated here with ``cryptography`` (RSA 2048, EC P-256), published as JWKs
by a fake ``fetch`` that serves the discovery document and the JWKS and records every
call, and id_tokens are signed with python-jose. Each case states its exact outcome:
the claims returned, or an :class:`OidcError` whose ``reason`` names the cause.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest

from livepreso_scim_addon.sso.oidc import (
    LEEWAY,
    OidcError,
    Provider,
    ProviderCache,
    authorization_url,
    exchange_code,
    pkce_pair,
    validate_id_token,
)
from tests.common.oidc import SigningKey, make_key, sign

ISSUER = "https://idp.example.test"
DISCOVERY_URL = ISSUER + "/.well-known/openid-configuration"
JWKS_URI = ISSUER + "/jwks"
TOKEN_ENDPOINT = ISSUER + "/token"
CLIENT_ID = "livepreso-client"
CLIENT_SECRET = "s3cret"
NONCE = "n-0S6_WzA2Mj"


# --- keys and tokens ---------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return make_key("rsa", "rsa-1", "RS256")


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return make_key("ec", "ec-1", "ES256")


@pytest.fixture(scope="module")
def other_rsa_key() -> SigningKey:
    """Another RSA key: for forged signatures and rotated keys."""
    return make_key("rsa", "rsa-2", "RS256")


def claims_with(**changes) -> dict:
    """Valid claims for CLIENT_ID at ISSUER, with ``changes`` (a value of ``None`` drops the claim)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "user-42",
        "nonce": NONCE,
        "iat": now,
        "exp": now + 300,
        "email": "jane@example.com",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made_token(header: dict, claims: dict, sign_with=None) -> str:
    """A compact JWS built by hand: ``sign_with(signing_input) -> bytes`` or no signature at all."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = sign_with(signing_input.encode()) if sign_with else b""
    return f"{signing_input}.{b64url(signature)}"


# --- the provider, served by a fake fetch -----------------------------------------


def discovery(**changes) -> dict:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/authorize",
        "token_endpoint": TOKEN_ENDPOINT,
        "jwks_uri": JWKS_URI,
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    document.update(changes)
    return {name: value for name, value in document.items() if value is not None}


def jwks(*keys: SigningKey) -> dict:
    return {"keys": [key.public_jwk for key in keys]}


@dataclass
class FakeFetch:
    """``fetch(url, data=None, headers=None)``: answers from ``answers[url]`` and records each call.

    An answer that is a list is served one item per call (the last one again once used up).
    """

    answers: dict
    calls: list = field(default_factory=list)

    def __call__(self, url, data=None, headers=None):
        self.calls.append((url, data, headers))
        answer = self.answers[url]
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.calls]

    def count(self, url: str) -> int:
        return self.urls().count(url)


def make_provider(algorithms=("RS256", "ES256"), token_auth_methods=("client_secret_basic",)) -> Provider:
    return Provider(
        issuer=ISSUER,
        authorization_endpoint=ISSUER + "/authorize",
        token_endpoint=TOKEN_ENDPOINT,
        jwks_uri=JWKS_URI,
        algorithms=tuple(algorithms),
        token_auth_methods=tuple(token_auth_methods),
    )


@pytest.fixture
def fetch(rsa_key, ec_key) -> FakeFetch:
    return FakeFetch({DISCOVERY_URL: discovery(), JWKS_URI: jwks(rsa_key, ec_key)})


@pytest.fixture
def cache(fetch) -> ProviderCache:
    return ProviderCache(fetch=fetch, min_refresh=0)


@pytest.fixture
def validate(cache):
    """``validate(token, algorithms=...)``: validate_id_token as the callback view calls it."""

    def validate(token: str, algorithms=("RS256", "ES256"), nonce: str = NONCE) -> dict:
        provider = make_provider(algorithms)
        return validate_id_token(
            token, provider=provider, key_for=lambda kid, alg: cache.key(provider, kid, alg), client_id=CLIENT_ID, nonce=nonce
        )

    return validate


# --- validate_id_token: accepted -----------------------------------------------------


@pytest.mark.parametrize(
    "key_name, alg, advertised",
    [
        pytest.param("rsa_key", "RS256", ("RS256",), id="RS256"),
        pytest.param("rsa_key", "RS512", ("RS512",), id="RS512-only-advertised(pytest-iam)"),
        pytest.param("ec_key", "ES256", ("ES256",), id="ES256"),
    ],
)
def test_a_valid_token_returns_its_claims(request, validate, key_name, alg, advertised):
    key = request.getfixturevalue(key_name)
    claims = claims_with()
    assert validate(sign(claims, key, alg=alg), algorithms=advertised) == claims


ACCEPTED_CLAIMS = [
    pytest.param(lambda now: {"exp": now - LEEWAY + 20}, id="expired-but-within-leeway"),
    pytest.param(lambda now: {"iat": now + LEEWAY - 20}, id="iat-in-future-within-leeway"),
    pytest.param(lambda now: {"nbf": now + LEEWAY - 20}, id="nbf-in-future-within-leeway"),
    pytest.param(lambda now: {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID}, id="several-audiences-azp-is-us"),
    pytest.param(lambda now: {"aud": [CLIENT_ID]}, id="audience-list-of-one"),
    pytest.param(lambda now: {"azp": CLIENT_ID}, id="azp-is-us"),
]


@pytest.mark.parametrize("changes", ACCEPTED_CLAIMS)
def test_tolerated_claims_are_accepted(validate, rsa_key, changes):
    claims = claims_with(**changes(int(time.time())))
    assert validate(sign(claims, rsa_key)) == claims


# --- validate_id_token: rejected claims ----------------------------------------------

REJECTED_CLAIMS = [
    pytest.param(lambda now: {"iss": "https://evil.example.test"}, "issuer", id="wrong-issuer"),
    pytest.param(lambda now: {"iss": None}, "\"iss\"", id="missing-issuer"),
    pytest.param(lambda now: {"aud": "another-client"}, "audience", id="wrong-audience"),
    pytest.param(lambda now: {"aud": ["another-client", "third"]}, "audience", id="audience-list-without-us"),
    pytest.param(lambda now: {"exp": now - LEEWAY - 20}, "expired", id="expired-beyond-leeway"),
    pytest.param(lambda now: {"exp": None}, '"exp"', id="missing-exp"),
    pytest.param(lambda now: {"iat": now + LEEWAY + 60, "exp": now + 600}, "future", id="iat-in-future-beyond-leeway"),
    pytest.param(lambda now: {"iat": None}, '"iat"', id="missing-iat"),
    pytest.param(lambda now: {"nbf": now + LEEWAY + 60}, "nbf", id="nbf-in-future-beyond-leeway"),
    pytest.param(lambda now: {"nonce": None}, "nonce", id="missing-nonce"),
    pytest.param(lambda now: {"nonce": "another-sign-in"}, "nonce", id="wrong-nonce"),
    pytest.param(lambda now: {"nonce": 12345}, "nonce", id="nonce-not-a-string"),
    pytest.param(lambda now: {"sub": None}, "\"sub\"", id="missing-sub"),
    pytest.param(lambda now: {"sub": ""}, "subject", id="empty-sub"),
    pytest.param(lambda now: {"aud": [CLIENT_ID, "other"]}, "azp", id="several-audiences-without-azp"),
    pytest.param(lambda now: {"aud": [CLIENT_ID, "other"], "azp": "other"}, "azp", id="several-audiences-azp-other"),
    pytest.param(lambda now: {"azp": "another-client"}, "azp", id="azp-not-the-client"),
]


@pytest.mark.parametrize("changes, cause", REJECTED_CLAIMS)
def test_bad_claims_are_rejected(validate, rsa_key, changes, cause):
    token = sign(claims_with(**changes(int(time.time()))), rsa_key)
    with pytest.raises(OidcError) as raised:
        validate(token)
    assert cause in raised.value.reason
    assert raised.value.status == 400


def test_a_signature_by_another_key_with_the_same_kid_is_rejected(validate, rsa_key, other_rsa_key):
    forged = sign(claims_with(), other_rsa_key, kid=rsa_key.kid)
    with pytest.raises(OidcError) as raised:
        validate(forged)
    assert "signature" in raised.value.reason


def test_a_tampered_payload_is_rejected(validate, rsa_key):
    header, _, signature = sign(claims_with(), rsa_key).split(".")
    payload = b64url(json.dumps(claims_with(sub="admin")).encode())
    with pytest.raises(OidcError) as raised:
        validate(f"{header}.{payload}.{signature}")
    assert "signature" in raised.value.reason


# --- validate_id_token: algorithms and garbage ---------------------------------------


def test_alg_none_is_rejected(validate, fetch, rsa_key):
    unsigned = hand_made_token({"alg": "none", "kid": rsa_key.kid}, claims_with())
    assert unsigned.endswith(".")
    with pytest.raises(OidcError) as raised:
        validate(unsigned)
    assert "'none'" in raised.value.reason
    assert fetch.count(JWKS_URI) == 0, "the token is refused before any key is looked up"


@pytest.mark.parametrize(
    "advertised",
    [("RS256",), ("RS256", "HS256")],
    ids=["HS256-not-advertised", "HS256-advertised-yet-never-allowed"],
)
def test_hs256_signed_with_the_rsa_public_key_is_rejected(validate, rsa_key, advertised):
    """The key-confusion attack: the public PEM, known to all, used as the HMAC secret."""

    def hmac_with_public_pem(signing_input: bytes) -> bytes:
        return hmac.new(rsa_key.public_pem, signing_input, hashlib.sha256).digest()

    forged = hand_made_token({"alg": "HS256", "kid": rsa_key.kid}, claims_with(), sign_with=hmac_with_public_pem)
    with pytest.raises(OidcError) as raised:
        validate(forged, algorithms=advertised)
    assert "'HS256'" in raised.value.reason
    assert "HS256" not in raised.value.reason.split("not one of")[1]


@pytest.mark.parametrize(
    "key_name, alg, advertised",
    [
        pytest.param("rsa_key", "RS256", ("RS512",), id="RS256-when-only-RS512"),
        pytest.param("rsa_key", "RS384", ("RS256", "ES256"), id="RS384"),
        pytest.param("ec_key", "ES256", ("RS256",), id="ES256-when-only-RS256"),
    ],
)
def test_an_algorithm_the_provider_does_not_advertise_is_rejected(request, validate, key_name, alg, advertised):
    token = sign(claims_with(), request.getfixturevalue(key_name), alg=alg)
    with pytest.raises(OidcError) as raised:
        validate(token, algorithms=advertised)
    assert f"algorithm {alg!r} is not one of {list(advertised)}" in raised.value.reason


NOT_A_JWT = "the id_token is not a JWT"


@pytest.mark.parametrize(
    "garbage, reason",
    [
        pytest.param("", NOT_A_JWT, id="empty"),
        pytest.param("not a jwt", NOT_A_JWT, id="words"),
        pytest.param("a.b.c", NOT_A_JWT, id="three-junk-parts"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9", NOT_A_JWT, id="header-only"),
        pytest.param("W10.e30.sig", NOT_A_JWT, id="header-is-a-list"),
        pytest.param("\u00e9t\u00e9.\u00e9t\u00e9.x", NOT_A_JWT, id="non-ascii"),
        pytest.param("e30.e30.", "id_token algorithm None is not one of", id="header-without-alg"),
    ],
)
def test_garbage_that_is_not_a_jwt_is_rejected(validate, fetch, garbage, reason):
    with pytest.raises(OidcError) as raised:
        validate(garbage)
    assert raised.value.reason.startswith(reason)
    assert fetch.count(JWKS_URI) == 0, "the token is refused before any key is looked up"


# --- validate_id_token: malformed tokens that once escaped as other exceptions -----


def test_a_token_without_audience_is_rejected(validate, rsa_key):
    with pytest.raises(OidcError) as raised:
        validate(sign(claims_with(aud=None), rsa_key))
    assert "aud" in raised.value.reason


def test_a_non_ascii_nonce_is_rejected_as_a_wrong_nonce(validate, rsa_key):
    with pytest.raises(OidcError) as raised:
        validate(sign(claims_with(nonce="caf\u00e9"), rsa_key))
    assert "nonce" in raised.value.reason


def test_a_string_iat_is_rejected(validate, rsa_key):
    with pytest.raises(OidcError) as raised:
        validate(sign(claims_with(iat=str(int(time.time()))), rsa_key))
    assert "iat" in raised.value.reason


def test_an_rsa_algorithm_with_the_kid_of_an_ec_key_is_rejected(validate, rsa_key, ec_key):
    token = sign(claims_with(), rsa_key, kid=ec_key.kid)
    with pytest.raises(OidcError) as raised:
        validate(token)
    assert "signature" in raised.value.reason or "key" in raised.value.reason


def test_an_rsa_and_an_ec_key_may_share_a_kid(validate, fetch, rsa_key, ec_key):
    fetch.answers[JWKS_URI] = {"keys": [{**rsa_key.public_jwk, "kid": "k1"}, {**ec_key.public_jwk, "kid": "k1"}]}
    claims = claims_with()
    assert validate(sign(claims, ec_key, kid="k1")) == claims


# --- ProviderCache.key: the JWKS ----------------------------------------------------


def test_a_known_kid_does_not_refetch_the_jwks(validate, fetch, rsa_key, ec_key):
    validate(sign(claims_with(), rsa_key))
    validate(sign(claims_with(), ec_key))
    validate(sign(claims_with(), rsa_key))
    assert fetch.urls() == [JWKS_URI]


def test_an_unknown_kid_refreshes_the_jwks_once_and_finds_a_rotated_key(validate, fetch, rsa_key, other_rsa_key):
    fetch.answers[JWKS_URI] = [jwks(rsa_key), jwks(rsa_key, other_rsa_key)]
    claims = claims_with()
    assert validate(sign(claims, other_rsa_key)) == claims
    assert fetch.count(JWKS_URI) == 2, "the first load and one refresh"
    assert validate(sign(claims, other_rsa_key)) == claims
    assert fetch.count(JWKS_URI) == 2, "the rotated key is now cached"


def test_an_unknown_kid_in_a_warm_cache_costs_exactly_one_refresh(cache, fetch, rsa_key, other_rsa_key):
    provider = make_provider()
    fetch.answers[JWKS_URI] = [jwks(rsa_key), jwks(rsa_key, other_rsa_key)]
    assert cache.key(provider, rsa_key.kid, "RS256") == rsa_key.public_jwk
    assert cache.key(provider, other_rsa_key.kid, "RS256") == other_rsa_key.public_jwk
    assert fetch.count(JWKS_URI) == 2


def test_a_kid_still_unknown_after_the_refresh_is_rejected(validate, fetch, rsa_key, other_rsa_key):
    fetch.answers[JWKS_URI] = jwks(rsa_key)
    with pytest.raises(OidcError) as raised:
        validate(sign(claims_with(), other_rsa_key))
    assert raised.value.reason == f"no RSA signing key {other_rsa_key.kid!r} in the provider's JWKS"
    assert fetch.count(JWKS_URI) == 2, "the first load and one refresh, no more"


@pytest.mark.parametrize(
    "key_names, found",
    [(["rsa_key"], True), (["rsa_key", "ec_key"], True), (["rsa_key", "other_rsa_key"], False), ([], False)],
    ids=["single-key-is-used", "the-only-rsa-key-is-used", "ambiguous-among-two-rsa-keys", "empty-set"],
)
def test_a_token_without_kid_needs_a_jwks_of_exactly_one_key(request, cache, fetch, key_names, found):
    keys = [request.getfixturevalue(name) for name in key_names]
    fetch.answers[JWKS_URI] = jwks(*keys)
    if found:
        assert cache.key(make_provider(), None, "RS256") == keys[0].public_jwk
        assert fetch.count(JWKS_URI) == 1
    else:
        with pytest.raises(OidcError, match="no RSA signing key None"):
            cache.key(make_provider(), None, "RS256")
        assert fetch.count(JWKS_URI) == 2


# --- ProviderCache.provider: discovery -----------------------------------------------


def test_provider_parses_the_discovery_document(cache, fetch):
    assert cache.provider(ISSUER) == Provider(
        issuer=ISSUER,
        authorization_endpoint=ISSUER + "/authorize",
        token_endpoint=TOKEN_ENDPOINT,
        jwks_uri=JWKS_URI,
        algorithms=("RS256", "ES256"),
        token_auth_methods=("client_secret_basic", "client_secret_post"),
    )
    assert fetch.urls() == [DISCOVERY_URL]


@pytest.mark.parametrize("absent", [None, []], ids=["missing", "empty-list"])
def test_provider_defaults_to_rs256_and_client_secret_basic(cache, fetch, absent):
    fetch.answers[DISCOVERY_URL] = discovery(
        id_token_signing_alg_values_supported=absent, token_endpoint_auth_methods_supported=absent
    )
    provider = cache.provider(ISSUER)
    assert provider.algorithms == ("RS256",)
    assert provider.token_auth_methods == ("client_secret_basic",)


def test_provider_is_cached(cache, fetch):
    first = cache.provider(ISSUER)
    assert cache.provider(ISSUER) is first
    assert fetch.urls() == [DISCOVERY_URL]


def test_provider_is_fetched_again_once_the_ttl_has_passed(fetch):
    cache = ProviderCache(fetch=fetch, ttl=0, min_refresh=0)
    cache.provider(ISSUER)
    cache.provider(ISSUER)
    assert fetch.urls() == [DISCOVERY_URL, DISCOVERY_URL]


def test_provider_with_a_trailing_slash_fetches_the_same_document(cache, fetch):
    assert cache.provider(ISSUER + "/").issuer == ISSUER
    assert fetch.urls() == [DISCOVERY_URL]


@pytest.mark.parametrize(
    "issuer", ["https://evil.example.test", ISSUER + "/tenant", None], ids=["other-host", "other-path", "missing"]
)
def test_provider_rejects_a_document_naming_another_issuer(cache, fetch, issuer):
    fetch.answers[DISCOVERY_URL] = discovery(issuer=issuer)
    with pytest.raises(OidcError) as raised:
        cache.provider(ISSUER)
    assert raised.value.reason == f"the discovery document names issuer {issuer!r}, not {ISSUER!r}"
    assert raised.value.status == 502
    fetch.answers[DISCOVERY_URL] = discovery()  # a refused document is not cached
    assert cache.provider(ISSUER).issuer == ISSUER


@pytest.mark.parametrize("missing", ["authorization_endpoint", "token_endpoint", "jwks_uri"])
def test_provider_rejects_a_document_missing_a_required_field(cache, fetch, missing):
    fetch.answers[DISCOVERY_URL] = discovery(**{missing: None})
    with pytest.raises(OidcError) as raised:
        cache.provider(ISSUER)
    assert raised.value.reason == f"the discovery document lacks {missing!r}"
    assert raised.value.status == 502


# --- pkce_pair (RFC 7636 §4.1, §4.2) --------------------------------------------------

UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def test_pkce_verifier_is_43_to_128_unreserved_characters():
    for _ in range(50):
        verifier, _challenge = pkce_pair()
        assert UNRESERVED.fullmatch(verifier), verifier


def test_pkce_challenge_is_the_unpadded_base64url_sha256_of_the_verifier():
    verifier, challenge = pkce_pair()
    assert challenge == base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")
    assert len(challenge) == 43 and "=" not in challenge


def test_pkce_pairs_are_fresh_each_time():
    assert len({pkce_pair()[0] for _ in range(20)}) == 20


# --- authorization_url ----------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint, kept",
    [(ISSUER + "/authorize", {}), (ISSUER + "/authorize?tenant=acme", {"tenant": ["acme"]})],
    ids=["plain-endpoint", "endpoint-with-a-query"],
)
def test_authorization_url_carries_the_code_flow_parameters(endpoint, kept):
    provider = Provider(ISSUER, endpoint, TOKEN_ENDPOINT, JWKS_URI, ("RS256",), ("client_secret_basic",))
    redirect_uri = "https://app.example.test/sso/acme/callback?x=1&y=2"
    url = authorization_url(provider, CLIENT_ID, redirect_uri, "state-1", NONCE, "challenge-1")

    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ISSUER + "/authorize"
    query = urllib.parse.parse_qs(parts.query, strict_parsing=True)
    assert "openid" in query.pop("scope")[0].split()
    assert query == {
        **kept,
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": [redirect_uri],
        "state": ["state-1"],
        "nonce": [NONCE],
        "code_challenge": ["challenge-1"],
        "code_challenge_method": ["S256"],
    }


# --- exchange_code ------------------------------------------------------------------

CODE_FORM = {
    "grant_type": "authorization_code",
    "code": "the-code",
    "redirect_uri": "https://app.example.test/cb",
    "code_verifier": "the-verifier",
}


@pytest.fixture
def token_fetch() -> FakeFetch:
    return FakeFetch({TOKEN_ENDPOINT: {"access_token": "at", "token_type": "Bearer", "id_token": "a.b.c"}})


def exchange(token_fetch, methods, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) -> dict:
    provider = make_provider(token_auth_methods=methods)
    return exchange_code(
        provider, client_id, client_secret, "the-code", "https://app.example.test/cb", "the-verifier", fetch=token_fetch
    )


def basic_credentials(headers: dict) -> tuple[str, str]:
    scheme, _, encoded = headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)


@pytest.mark.parametrize(
    "methods",
    [("client_secret_basic",), ("client_secret_post", "client_secret_basic"), ("private_key_jwt",)],
    ids=["basic-only", "basic-and-post", "neither(falls-back-to-basic)"],
)
def test_exchange_code_with_client_secret_basic_sends_an_authorization_header(token_fetch, methods):
    assert exchange(token_fetch, methods)["id_token"] == "a.b.c"
    [(url, form, headers)] = token_fetch.calls
    assert url == TOKEN_ENDPOINT
    assert form == CODE_FORM, "no client_id nor client_secret in the form"
    assert basic_credentials(headers) == (CLIENT_ID, CLIENT_SECRET)


def test_exchange_code_form_encodes_basic_credentials(token_fetch):
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before base64, so ':' in a secret survives."""
    exchange(token_fetch, ("client_secret_basic",), client_id="app:1 é", client_secret="p:a/s+s w%rd")
    [(_, _, headers)] = token_fetch.calls
    assert basic_credentials(headers) == ("app:1 é", "p:a/s+s w%rd")


def test_exchange_code_with_only_client_secret_post_sends_the_secret_in_the_form(token_fetch):
    assert exchange(token_fetch, ("client_secret_post",))["id_token"] == "a.b.c"
    [(url, form, headers)] = token_fetch.calls
    assert url == TOKEN_ENDPOINT
    assert form == {**CODE_FORM, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert "Authorization" not in headers


@pytest.mark.parametrize(
    "answer",
    [{"access_token": "at", "token_type": "Bearer"}, {"id_token": None}, {"id_token": 42}],
    ids=["missing", "null", "not-a-string"],
)
def test_exchange_code_without_an_id_token_is_an_error(token_fetch, answer):
    token_fetch.answers[TOKEN_ENDPOINT] = answer
    with pytest.raises(OidcError) as raised:
        exchange(token_fetch, ("client_secret_basic",))
    assert raised.value.reason == "the token response has no id_token"
