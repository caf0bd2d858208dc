"""Per-instance OpenID Connect sign-in: support's settings, and matching people to users.

The client secret is stored only encrypted with Fernet (``cryptography``); the key
comes from the environment variable ``SCIM_SSO_KEY`` (or the one ``scim.sso_key_env``
names), or else from the file ``scim.sso_key_file`` names, created on first use.

Matching (``match_user``) decides who gets an HQ session, managers included, so it
trusts only what the provider vouches for: the subject it linked before, or at a first
sign-in an email the provider says it verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, select, update

from ..models.scim import ScimSso, ScimSsoLogin, ScimUser, utcnow
from ..scim.text import storable, user_name_key
from ..sso.oidc import OidcError

#: How long a sign-in may take between leaving for the IdP and coming back.
LOGIN_TTL = dt.timedelta(minutes=10)
#: OpenID Connect Core §2: a subject "MUST NOT exceed 255 ASCII characters" (the column's size).
MAX_SUBJECT_LENGTH = 255


class SsoKeyMissing(RuntimeError):
    """No encryption key is configured for the SSO client secrets."""


def client_secret_cipher(settings: dict) -> Fernet:
    """The Fernet instance for client secrets, from the environment or a key file."""
    key = os.environ.get(settings.get("scim.sso_key_env", "SCIM_SSO_KEY"))
    path = settings.get("scim.sso_key_file")
    if not key and path:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(Fernet.generate_key().decode())
        with open(path, encoding="ascii") as handle:
            key = handle.read().strip()
    if not key:
        raise SsoKeyMissing("set SCIM_SSO_KEY (a Fernet key) or scim.sso_key_file to store SSO secrets")
    return Fernet(key.encode())


@dataclass(frozen=True)
class SsoSettings:
    issuer: str
    client_id: str
    client_secret: str
    enabled: bool


def configure(db, cipher: Fernet, instance_id: int, issuer: str, client_id: str, client_secret: str) -> None:
    """Support enters (or replaces) the customer's issuer, client id and secret."""
    row = db.get(ScimSso, instance_id) or ScimSso(instance_id=instance_id)
    issuer = issuer.rstrip("/")
    if row.issuer is not None and row.issuer != issuer:
        # A subject is unique only at the issuer that assigned it (OpenID Connect Core
        # §2): another provider's subject may equal it and name someone else.
        db.execute(update(ScimUser).where(ScimUser.instance_id == instance_id).values(oidc_subject=None))
    row.issuer = issuer
    row.client_id = client_id
    row.client_secret_encrypted = cipher.encrypt(client_secret.encode()).decode()
    row.enabled = True
    row.updated_at = utcnow()
    db.add(row)
    db.flush()


def disable(db, instance_id: int) -> bool:
    row = db.get(ScimSso, instance_id)
    if row is None:
        return False
    row.enabled = False
    row.updated_at = utcnow()
    return True


def settings_for(db, instance_id: int) -> ScimSso | None:
    """The stored settings (secret still encrypted), enabled or not."""
    return db.get(ScimSso, instance_id)


def active_settings(db, cipher: Fernet, instance_id: int) -> SsoSettings | None:
    """The decrypted settings of an instance whose SSO is on, else None."""
    row = db.get(ScimSso, instance_id)
    if row is None or not row.enabled:
        return None
    try:
        secret = cipher.decrypt(row.client_secret_encrypted.encode()).decode()
    except InvalidToken:
        raise OidcError("the stored client secret cannot be decrypted with the configured key", 500) from None
    return SsoSettings(row.issuer, row.client_id, secret, row.enabled)


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_login(db, instance_id: int, code_verifier: str) -> tuple[str, str]:
    """Remember a sign-in under way; returns its (state, nonce)."""
    db.execute(delete(ScimSsoLogin).where(ScimSsoLogin.created_at < utcnow() - LOGIN_TTL))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.add(ScimSsoLogin(state_hash=_hash(state), instance_id=instance_id, nonce=nonce, code_verifier=code_verifier))
    db.flush()
    return state, nonce


def finish_login(db, instance_id: int, state: str) -> ScimSsoLogin:
    """The sign-in this state belongs to, consumed: a state (and its nonce) works once."""
    row = db.get(ScimSsoLogin, _hash(state))
    if row is None or row.instance_id != instance_id:
        raise OidcError("unknown or already used sign-in state")
    db.delete(row)
    db.flush()
    if utcnow() - row.created_at > LOGIN_TTL:
        raise OidcError("the sign-in took too long")
    return row


def _text(claim) -> str | None:
    """A claim usable in a query: a non-empty string the database can hold."""
    return claim if isinstance(claim, str) and claim and storable(claim) else None


def match_user(db, instance_id: int, claims: dict) -> ScimUser | None:
    """The SCIM-provisioned user a validated id_token names, or None.

    1. The user this subject was linked to at an earlier sign-in.
    2. Otherwise, at a first sign-in: the id_token must carry ``email_verified`` as the
       JSON boolean true (not "true", not 1) and an ``email`` equal to the userName of
       a user not yet linked to a subject, compared by ``user_name_key`` (NFC and case
       folding), exactly as userName uniqueness is: an email in NFD, or with "ss" for
       "ß", names the user Okta provisioned in the other form. That user is linked to
       the subject.

    ``preferred_username`` is never used: OpenID Connect Core §5.1 says it is not unique
    and must not be relied upon, and an unverified email may belong to anyone; either
    would let an IdP user take over a manager whose login SCIM adopted. A user linked to
    another subject is never relinked here. A subject or email that is not usable text,
    or a subject longer than OpenID Connect allows, matches nobody.
    """
    subject = _text(claims.get("sub"))
    if subject is None or len(subject) > MAX_SUBJECT_LENGTH:
        return None
    user = db.scalar(select(ScimUser).where(ScimUser.instance_id == instance_id, ScimUser.oidc_subject == subject))
    if user is not None:
        return user
    email = _text(claims.get("email"))
    if email is None or claims.get("email_verified") is not True:
        return None
    user = db.scalar(
        select(ScimUser).where(
            ScimUser.instance_id == instance_id,
            ScimUser.oidc_subject.is_(None),
            ScimUser.user_name_ci == user_name_key(email),  # unique per instance: one user at most
        )
    )
    if user is not None:
        user.oidc_subject = subject
        db.flush()
    return user
