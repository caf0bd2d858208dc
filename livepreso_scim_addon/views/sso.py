"""/sso/{instance}/login and /callback: SP-initiated OpenID Connect sign-in to HQ.

Authorization code flow with PKCE (S256), state and nonce. The state also travels in a
cookie scoped to the instance's SSO path, so a sign-in started in one browser cannot be
finished in another. Every failure is a page with a plain reason (and a log line), never
a 500.
"""

from __future__ import annotations

import hmac
import logging

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from ..host import Host
from ..resources import SsoContext
from ..returns import return_path
from ..services import sso
from ..sso.oidc import OidcError, authorization_url, exchange_code, pkce_pair, validate_id_token
from ..service_lookup import build_service

log = logging.getLogger(__name__)

MESSAGE = "livepreso_scim_addon:templates/sso_message.jinja2"
STATE_COOKIE = "scim_sso_state"
#: The HQ page to land on once signed in: checked when it is set and again when it is read.
NEXT_COOKIE = "scim_sso_next"


def includeme(config):
    config.add_route("scim.sso.login", "/sso/{instance}/login", factory=SsoContext)
    config.add_route("scim.sso.callback", "/sso/{instance}/callback", factory=SsoContext)


def _message(request, context, status, title, text):
    request.response.status_code = status
    request.response.headers["Cache-Control"] = "no-store"
    return {
        "layout": request.registry["scim.settings"].hq_layout,
        "instance": context.instance,
        "identity": None,
        "title": title,
        "text": text,
    }


def _settings(request, context):
    cipher = sso.client_secret_cipher(request.registry.settings)
    return sso.active_settings(request.dbsession, cipher, context.instance.id)


def _cookie_path(request, context) -> str:
    return request.route_path("scim.sso.login", instance=context.instance.slug).rsplit("/", 1)[0] + "/"


def _login_cookie(request, context, response, name: str, value: str | None) -> None:
    """Set a cookie of the sign-in under way, or (``None``) delete it: the deletion too is
    Secure under https."""
    response.set_cookie(
        name, value, max_age=int(sso.LOGIN_TTL.total_seconds()), path=_cookie_path(request, context),
        httponly=True, samesite="Lax", secure=request.scheme == "https",
    )


@view_config(route_name="scim.sso.login", request_method="GET", renderer=MESSAGE)
def login(context, request):
    try:
        settings = _settings(request, context)
        if settings is None:
            return _message(request, context, 404, "Single sign-on is off", "Single sign-on is not set up for this instance.")
        provider = request.registry["scim.oidc"].provider(settings.issuer)
        verifier, challenge = pkce_pair()
        state, nonce = sso.start_login(request.dbsession, context.instance.id, verifier)
    except (OidcError, sso.SsoKeyMissing) as error:
        return _failed(request, context, error)
    redirect_uri = request.route_url("scim.sso.callback", instance=context.instance.slug)
    response = HTTPFound(authorization_url(provider, settings.client_id, redirect_uri, state, nonce, challenge))
    _login_cookie(request, context, response, STATE_COOKIE, state)
    _login_cookie(request, context, response, NEXT_COOKIE, return_path(request, context.instance.slug, request.GET.get("next")))
    return response


@view_config(route_name="scim.sso.callback", request_method="GET", renderer=MESSAGE)
def callback(context, request):
    try:
        return _callback(context, request)
    except (OidcError, sso.SsoKeyMissing) as error:
        return _failed(request, context, error)


def _callback(context, request):
    db, instance = request.dbsession, context.instance
    settings = _settings(request, context)
    if settings is None:
        return _message(request, context, 404, "Single sign-on is off", "Single sign-on is not set up for this instance.")
    if "error" in request.GET:
        raise OidcError(f"the identity provider said {request.GET['error']}: {request.GET.get('error_description', '')}")
    state, cookie = request.GET.get("state", ""), request.cookies.get(STATE_COOKIE, "")
    if not state or not hmac.compare_digest(state.encode(), cookie.encode()):
        raise OidcError("the state does not match this browser's sign-in")
    pending = sso.finish_login(db, instance.id, state)
    code = request.GET.get("code")
    if not code:
        raise OidcError("the identity provider sent no code")
    cache = request.registry["scim.oidc"]
    provider = cache.provider(settings.issuer)
    redirect_uri = request.route_url("scim.sso.callback", instance=instance.slug)
    tokens = exchange_code(provider, settings.client_id, settings.client_secret, code, redirect_uri, pending.code_verifier)
    claims = validate_id_token(
        tokens["id_token"],
        provider=provider,
        key_for=lambda kid, alg: cache.key(provider, kid, alg),
        client_id=settings.client_id,
        nonce=pending.nonce,
    )
    user = sso.match_user(db, instance.id, claims)
    if user is None:
        # %r, cut short: the subject is the provider's text and must not forge log lines.
        log.warning(
            "SSO sign-in refused for %s: subject %.100r is linked to no user, and the id_token "
            "names no verified email equal to the userName of an unlinked user", instance.slug, claims["sub"],
        )
        return _message(
            request, context, 403, "No LivePreso account",
            "You signed in with your identity provider, but no LivePreso user of this instance matches you. "
            "Ask your administrator to assign you the LivePreso app.",
        )
    if not user.is_active:
        log.warning("SSO sign-in refused for %s: user %s is deactivated", instance.slug, user.id)
        return _message(request, context, 403, "Account deactivated", "Your LivePreso account has been deactivated.")
    host = build_service(request, Host)
    next_path = return_path(request, instance.slug, request.cookies.get(NEXT_COOKIE))
    landing = request.host_url + next_path if next_path else host.home_url(request, instance)
    response = HTTPFound(landing, headers=host.sign_in(request, user.host_user_id))
    _login_cookie(request, context, response, STATE_COOKIE, None)
    _login_cookie(request, context, response, NEXT_COOKIE, None)
    return response


def _failed(request, context, error):
    reason = getattr(error, "reason", str(error))
    status = getattr(error, "status", 500)
    log.warning("SSO sign-in failed for %s: %s", context.instance.slug, reason)
    if status >= 500:
        text = "The identity provider could not be reached or answered wrongly. Try again later."
    else:
        text = "The sign-in could not be completed. Start again from the sign-in page."
    return _message(request, context, status, "Sign-in failed", text)
