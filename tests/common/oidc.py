"""Signing keys and id_tokens, for the OpenID Connect tests (JWKS from a key, never the
network), and ``HandMadeProvider``: a provider on 127.0.0.1 signing the claims a test chooses."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt


@dataclass(frozen=True)
class SigningKey:
    """A private key (PEM, for signing) and its public JWK (for the JWKS)."""

    kid: str
    alg: str
    private_pem: bytes
    public_pem: bytes
    public_jwk: dict


def make_key(kind: str, kid: str, alg: str) -> SigningKey:
    if kind == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    public_jwk = {**jwk.construct(public_pem, alg).to_dict(), "kid": kid, "use": "sig"}
    return SigningKey(kid, alg, private_pem, public_pem, public_jwk)


def sign(claims: dict, key: SigningKey, alg: str | None = None, kid: str | None = None) -> str:
    return jwt.encode(claims, key.private_pem, algorithm=alg or key.alg, headers={"kid": kid or key.kid})


HAND_MADE_CLIENT = "livepreso-hand-made"


class HandMadeProvider:
    """An OpenID provider on 127.0.0.1 whose id_tokens carry exactly the claims a test chooses.

    It serves discovery, the JWKS and the token endpoint over HTTP; the authorization
    step is the test's (``sign_in`` reads state and nonce from our /login redirect, as
    a provider would, and comes back to the callback with a one-time code).
    """

    def __init__(self, key):
        self.key = key
        self.codes: dict[str, dict] = {}  # one-time code -> the id_token's claims
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                documents = {"/.well-known/openid-configuration": provider.discovery(), "/jwks": provider.jwks()}
                self.answer(200, documents[self.path]) if self.path in documents else self.answer(404, {})

            def do_POST(self):
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                claims = provider.codes.pop(form.get("code"), None)
                if self.path != "/token" or claims is None:
                    return self.answer(400, {"error": "invalid_grant"})
                self.answer(200, {"id_token": sign(claims, provider.key), "access_token": "unused", "token_type": "Bearer"})

            def answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):  # quiet: the test output is the record
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        # Polled often: shutdown() waits for the loop to look (every 0.5 s by default).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def jwks(self) -> dict:
        return {"keys": [self.key.public_jwk]}

    def sign_in(self, browser, slug="acme", **claims):
        """/login, then /callback with a code for an id_token carrying ``claims``; the
        callback's answer. ``browser`` is a webtest app (its cookie jar is the browser's)."""
        start = browser.get(f"/sso/{slug}/login", status=302)
        asked = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.location).query))
        code, now = secrets.token_urlsafe(16), int(time.time())
        self.codes[code] = {
            "iss": self.issuer, "aud": HAND_MADE_CLIENT, "iat": now, "exp": now + 300, "nonce": asked["nonce"], **claims
        }
        query = urllib.parse.urlencode({"code": code, "state": asked["state"]})
        return browser.get(f"{asked['redirect_uri']}?{query}", status="*")

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
