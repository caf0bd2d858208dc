"""The SCIM page in HQ: base URL, tokens, license groups, events; for HQ managers only."""

from __future__ import annotations

import functools

from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.view import view_config
from ..host import Host
from ..scim.text import storable
from ..security import Permission
from ..services import sso
from ..services.audit import AuditAction, AuditService
from ..services.instances import InstanceService
from ..services.licensing import LicenseService
from ..services.tokens import TokenService
from ..services.users import UserService
from .base import scim_base_url
from ..service_lookup import build_service

PAGE = "livepreso_scim_addon:templates/scim_page.jinja2"
EVENTS = "livepreso_scim_addon:templates/scim_events.jinja2"
EVENTS_PER_PAGE = 50

#: The page can show a token: never cache it, never frame it, run no inline script.
#: ``same-origin``: no URL of this page leaves for another site, yet the page's own forms
#: carry its Origin, which Pyramid's CSRF origin check requires on https (``no-referrer``
#: made browsers send ``Origin: null``, refused as "Bad CSRF Origin").
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def secure_page(view):
    @functools.wraps(view)
    def wrapper(context, request):
        request.add_response_callback(lambda _request, response: response.headers.update(SECURITY_HEADERS))
        return view(context, request)

    return wrapper


def hq_view(**settings):
    """``view_config`` for the HQ pages: managers only, security headers, CSRF on POST."""
    settings.setdefault("permission", Permission.MANAGE)
    settings.setdefault("decorator", secure_page)
    if settings.get("request_method") == "POST":
        settings.setdefault("require_csrf", True)
    return view_config(**settings)


def _page(context, request, new_token=None, new_token_id=None):
    instance = context.instance
    data = {
        "layout": request.registry["scim.settings"].hq_layout,
        "instance": instance,
        "identity": request.identity,
        "enabled": build_service(request, InstanceService).is_enabled(instance.id),
    }
    if data["enabled"]:
        data.update(
            base_url=scim_base_url(request, instance),
            tokens=build_service(request, TokenService).live_tokens(instance.id),
            license_groups=build_service(request, LicenseService, context).summary(),
            events=build_service(request, AuditService, context).events(limit=10),
            new_token=new_token,
            new_token_id=new_token_id,
        )
    sso_row = sso.settings_for(request.dbsession, instance.id)
    data.update(
        sso=sso_row if sso_row is not None and sso_row.enabled else None,
        sso_redirect_uri=request.route_url("scim.sso.callback", instance=instance.slug),
        sso_login_uri=request.route_url("scim.sso.login", instance=instance.slug),
    )
    return data


@hq_view(route_name="scim.hq.page", request_method="GET", renderer=PAGE)
def scim_page(context, request):
    return _page(context, request)


@hq_view(route_name="scim.hq.tokens", request_method="POST", renderer=PAGE)
def generate_token(context, request):
    """A new token, shown in this response only: it is never stored in clear."""
    instance = context.instance
    if not build_service(request, InstanceService).is_enabled(instance.id):
        return _page(context, request)
    label = request.POST.get("label", "").strip()[:200] or "Okta"
    row, token = build_service(request, TokenService).create(instance.id, label)
    build_service(request, AuditService, context).record(AuditAction.TOKEN_CREATED, "Token", row.id, changes={"label": label})
    return _page(context, request, new_token=token, new_token_id=row.id)


@hq_view(route_name="scim.hq.token_revoke", request_method="POST")
def revoke_token(context, request):
    instance = context.instance
    token_id = request.matchdict["token_id"]
    if build_service(request, TokenService).revoke(instance.id, token_id):
        build_service(request, AuditService, context).record(AuditAction.TOKEN_REVOKED, "Token", token_id)
    return HTTPSeeOther(request.route_url("scim.hq.page", instance=instance.slug))


#: The largest key ``scim_events.pk`` (INTEGER) holds: PostgreSQL casts a cursor to the
#: column's type, and a larger one would fail as out of range.
MAX_EVENT_PK = 2**31 - 1


@hq_view(route_name="scim.hq.events", request_method="GET", renderer=EVENTS)
def events_page(context, request):
    """The audit trail, newest first, a page at a time, optionally for one user."""
    instance = context.instance
    wanted = request.GET.get("user", "").strip()
    # Text no database holds (a NUL, say) names nobody rather than failing.
    user_id = build_service(request, UserService, context).id_of(wanted) if wanted and storable(wanted) else None
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        before = None
    if before is not None and not 0 < before <= MAX_EVENT_PK:
        before = None  # no event has such a key, and the database could not compare with it
    rows = [] if wanted and user_id is None else build_service(request, AuditService, context).events(
        user_id=user_id, before_pk=before, limit=EVENTS_PER_PAGE + 1
    )
    return {
        "layout": request.registry["scim.settings"].hq_layout,
        "instance": instance,
        "identity": request.identity,
        "events": rows[:EVENTS_PER_PAGE],
        "older": rows[EVENTS_PER_PAGE - 1].pk if len(rows) > EVENTS_PER_PAGE else None,
        "user": wanted,
    }


def hq_forbidden(exc, request):
    """Anonymous: to the host's sign-in. Signed in but not a manager here: 403."""
    context = getattr(request, "context", None)
    if request.authenticated_userid is None and getattr(context, "instance", None) is not None:
        return HTTPSeeOther(build_service(request, Host).login_url(request, context.instance))
    return HTTPForbidden("Only HQ managers of this instance can open its SCIM page.")
