"""Signing keys and id_tokens, for the OpenID Connect tests (JWKS from a key, never the network)."""

from __future__ import annotations

from dataclasses import dataclass

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
