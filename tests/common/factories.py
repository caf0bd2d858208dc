"""Data arranged outside any HTTP request: instances and their tokens, seats, SSO, HQ people.

The one place where the tests call ``livepreso_scim_addon.services`` directly: when
the services change shape, only this file changes. Each factory runs in a request of
its own (``pyramid.scripting.prepare``, as support's CLI runs) and its transaction
commits (or, inside a test's savepoint, is released) before the factory returns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools

from pyramid.scripting import prepare
from sqlalchemy import select, update

from livepreso_scim_addon import api
from livepreso_scim_addon.host import Host
from livepreso_scim_addon.hq.accounts import set_password
from livepreso_scim_addon.hq.instances import create_instance
from livepreso_scim_addon.hq.models import HqUser
from livepreso_scim_addon.hq.security import hash_password
from livepreso_scim_addon.models.scim import ScimEvent, ScimUser
from livepreso_scim_addon.service_lookup import build_service
from livepreso_scim_addon.services import sso
from livepreso_scim_addon.services.instances import InstanceService
from livepreso_scim_addon.services.tokens import TokenService

from .hq import PASSWORD
from .scim import Tenant


@contextlib.contextmanager
def _request(app):
    """A request outside HTTP, inside a transaction that commits when the block ends."""
    env = prepare(registry=app.registry)
    try:
        request = env["request"]
        with request.tm:
            yield request
    finally:
        env["closer"]()


# --- instances and tokens ---------------------------------------------------------------


def make_tenant(app, slug: str, enabled: bool = True) -> Tenant:
    """An HQ instance (its license groups too) with SCIM on, and a token named "test".

    The instance is the reference HQ's own (``hq.instances.create_instance``: no seats).
    """
    with _request(app) as request:
        instance = create_instance(request.dbsession, slug, slug.title())
        build_service(request, InstanceService).set_enabled(instance.id, enabled)
        _, token = build_service(request, TokenService).create(instance.id, "test")
    return Tenant(slug=slug, id=instance.id, token=token)


def set_enabled(app, tenant: Tenant, enabled: bool) -> None:
    """Support's switch for an instance's SCIM."""
    with _request(app) as request:
        build_service(request, InstanceService).set_enabled(tenant.id, enabled)


def live_token_ids(app, tenant: Tenant) -> list[str]:
    with _request(app) as request:
        return [row.id for row in build_service(request, TokenService).live_tokens(tenant.id)]


def revoke_token(app, tenant: Tenant, token_id: str) -> bool:
    """Revoke one of the instance's tokens; whether there was such a live token."""
    with _request(app) as request:
        return build_service(request, TokenService).revoke(tenant.id, token_id)


# --- licenses --------------------------------------------------------------------------


def set_seats(app, tenant: Tenant, license: str, seats: int | None) -> None:
    """What support's `seats set` does: the host's seat count, then a rebalance."""
    with _request(app) as request:
        instance = build_service(request, Host).find_instance(request.dbsession, tenant.slug)
        api.set_license_seats(request, instance, license, seats)


# --- SSO ---------------------------------------------------------------------------------


def configure_sso(app, tenant: Tenant, issuer: str, client_id: str, secret: str) -> None:
    """The instance's SSO at this provider, as support's `sso set` stores it."""
    with _request(app) as request:
        cipher = sso.client_secret_cipher(app.registry.settings)
        sso.configure(request.dbsession, cipher, tenant.id, issuer, client_id, secret)


def active_sso_settings(app, tenant: Tenant):
    """The SSO settings a sign-in would use (the client secret decrypted)."""
    with _request(app) as request:
        return sso.active_settings(request.dbsession, sso.client_secret_cipher(app.registry.settings), tenant.id)


def link_subject(app, user_id: str, subject: str) -> None:
    """As an earlier SSO sign-in with a verified email would have linked the user."""
    with _request(app) as request:
        request.dbsession.execute(update(ScimUser).where(ScimUser.id == user_id).values(oidc_subject=subject))


# --- HQ people ---------------------------------------------------------------------------


@functools.cache
def password_hash() -> str:
    """One hash of PASSWORD for every HQ person the tests make."""
    return hash_password(PASSWORD)


def make_hq_user(app, tenant: Tenant, login: str, break_glass: bool = True) -> None:
    """Someone who signs in to HQ with PASSWORD: a break-glass manager (made by support,
    HQ access without the Manager license) unless said otherwise."""
    with _request(app) as request:
        request.dbsession.add(
            HqUser(
                instance_id=tenant.id,
                login=login,
                login_ci=login.lower(),
                break_glass_manager=break_glass,
                password_hash=password_hash(),
            )
        )


def give_password(app, tenant: Tenant, login: str, password: str = PASSWORD) -> None:
    """What support's ``livepreso-hq password set`` does: this HQ person (Okta's, say) signs in with it."""
    with _request(app) as request:
        assert set_password(request.dbsession, tenant.id, login, password) is not None, login


# --- time ----------------------------------------------------------------------------------


def backdate_events(app, tenant: Tenant, hours: float) -> None:
    """As if the instance's events so far had been written ``hours`` earlier."""
    with _request(app) as request:
        # Row by row: SQLite keeps datetimes as text, with no arithmetic on them.
        for event in request.dbsession.scalars(select(ScimEvent).where(ScimEvent.instance_id == tenant.id)):
            event.at -= dt.timedelta(hours=hours)
