"""The SCIM page in HQ: base URL, tokens, license groups, events; for HQ managers only."""

from __future__ import annotations

import dataclasses
import functools

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from ..host import Host
from ..scim.text import storable
from ..security import Permission
from ..services import event_log, sso
from ..services.audit import AuditAction, AuditService
from ..services.audit import person_label
from ..services.health import HealthService
from ..services.instances import InstanceService
from ..services.licensing import LicenseService
from ..services.tokens import TokenService
from ..services.users import UserService, to_resource
from .base import scim_base_url
from ..service_lookup import build_service

PAGE = "livepreso_scim_addon:templates/scim_page.jinja2"
EVENTS = "livepreso_scim_addon:templates/scim_events.jinja2"
PERSON = "livepreso_scim_addon:templates/scim_person.jinja2"
EVENTS_PER_PAGE = 50
#: The requests about one person their page shows; the rest are on the events page.
PERSON_EVENTS = 10

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
            health=build_service(request, HealthService, context).health(),
            failures_url=request.route_url("scim.hq.events", instance=instance.slug, _query={"kind": "failed"}),
            license_groups=build_service(request, LicenseService, context).summary(),
            waiting=build_service(request, LicenseService, context).waiting(),
            events=recent_entries(request, context, 10)[0],
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
    build_service(request, AuditService, context).record(AuditAction.TOKEN_CREATED, "Token", row.id, label, changes={"label": label})
    return _page(context, request, new_token=token, new_token_id=row.id)


@hq_view(route_name="scim.hq.token_revoke", request_method="POST")
def revoke_token(context, request):
    instance = context.instance
    token_id = request.matchdict["token_id"]
    if build_service(request, TokenService).revoke(instance.id, token_id):
        build_service(request, AuditService, context).record(AuditAction.TOKEN_REVOKED, "Token", token_id)
    return HTTPSeeOther(request.route_url("scim.hq.page", instance=instance.slug))


def recent_entries(request, context, limit: int, wanted: event_log.EventFilter | None = None):
    """The newest ``limit`` requests' events as sentences (the SCIM page's "Recent" list),
    and the cursor of the page after them."""
    db, instance = request.dbsession, context.instance
    groups, older = event_log.page(db, instance.id, wanted or event_log.EventFilter(), limit)
    licenses = build_service(request, Host).licenses()
    return event_log.entries(groups, event_log.naming(db, instance.id, licenses, groups)), older


def _filter_query(request) -> dict:
    """The filter fields as asked, for the form, the Older link and the CSV link."""
    return {key: request.GET.get(key, "").strip()[:200] for key in ("kind", "user", "group", "from", "to")}


@hq_view(route_name="scim.hq.events", request_method="GET", renderer=EVENTS)
def events_page(context, request):
    """The audit trail in words, newest first, a page at a time, filtered by kind, person, group, dates."""
    wanted, notes = event_log.parse_filter(request.dbsession, context.instance.id, request.GET)
    items, older = recent_entries(request, context, EVENTS_PER_PAGE, wanted)
    asked = _filter_query(request)
    kept = {key: value for key, value in asked.items() if value}
    return {
        "layout": request.registry["scim.settings"].hq_layout,
        "instance": context.instance,
        "identity": request.identity,
        "events": items,
        "older": older,
        "filters": asked,
        "kept": kept,
        "kinds": list(event_log.KINDS),
        "notes": notes,
        "csv_max_rows": event_log.CSV_MAX_ROWS,
        "user": asked["user"],
    }


@hq_view(route_name="scim.hq.events_csv", request_method="GET")
def events_csv(context, request):
    """The filtered trail as a CSV download, one row per request."""
    wanted, _notes = event_log.parse_filter(request.dbsession, context.instance.id, request.GET)
    wanted = dataclasses.replace(wanted, before_pk=None)
    body = event_log.csv_text(request.dbsession, context.instance.id, wanted, build_service(request, Host).licenses())
    response = request.response
    response.content_type, response.charset = "text/csv", "utf-8"
    response.content_disposition = f'attachment; filename="scim-events-{context.instance.slug}.csv"'
    response.text = body
    return response


def hq_forbidden(exc, request):
    """Anonymous: to the host's sign-in. Signed in but not a manager here: 403."""
    context = getattr(request, "context", None)
    if request.authenticated_userid is None and getattr(context, "instance", None) is not None:
        return HTTPSeeOther(build_service(request, Host).login_url(request, context.instance))
    return HTTPForbidden("Only HQ managers of this instance can open its SCIM page.")


@hq_view(route_name="scim.hq.person", request_method="GET", renderer=PERSON)
def person_page(context, request):
    """One SCIM user: attributes, groups, licenses held or waited for, a link to their events.

    An id the instance does not have (another instance's, or no id at all) is a 404.
    """
    instance = context.instance
    user_id = request.matchdict["user_id"]
    users = build_service(request, UserService, context)
    # ``get`` asks the database only for ids of the shape we issue: garbage is unknown.
    user = users.get(user_id) if storable(user_id) else None
    if user is None:
        raise HTTPNotFound("No such SCIM user in this instance.")
    resource = to_resource(user, request.route_url("scim.hq.person", instance=instance.slug, user_id=user.id))
    places = build_service(request, LicenseService, context).places_of(user.pk)
    return {
        "layout": request.registry["scim.settings"].hq_layout,
        "instance": instance,
        "identity": request.identity,
        "user": user,
        "label": person_label(user.user_name, user.display_name, user.name_given, user.name_family),
        "attributes": readable_attributes(resource),
        "groups": sorted(user.groups, key=lambda g: g.display_name.lower()),
        "held": [p for p in places if p.licensed_at is not None],
        "waiting": [p for p in places if p.waiting],
        "events": recent_entries(request, context, PERSON_EVENTS, event_log.EventFilter(user_id=user.id))[0],
        "events_url": request.route_url("scim.hq.events", instance=instance.slug, _query={"user": user.id}),
    }


def readable_attributes(resource: dict) -> list[tuple[str, str]]:
    """A user's SCIM attributes as (name, text) rows: ``name.givenName``, one row per
    email or phone number with its type, the enterprise extension by attribute name."""
    rows = []
    for key, value in resource.items():
        if key in ("schemas", "meta", "groups"):
            continue
        if isinstance(value, dict):
            prefix = "" if ":" in key else f"{key}."  # the enterprise URN says nothing to a manager
            rows.extend((f"{prefix}{sub}", _text(sub_value)) for sub, sub_value in value.items())
        elif isinstance(value, list):
            for item in value:
                rows.append((key, _multi_valued(item) if isinstance(item, dict) else _text(item)))
        else:
            rows.append((key, _text(value)))
    return rows


def _multi_valued(item: dict) -> str:
    main = item.get("value") or item.get("formatted") or ", ".join(
        str(v) for k, v in item.items() if k not in ("type", "primary")
    )
    notes = [item["type"]] if item.get("type") else []
    if item.get("primary"):
        notes.append("primary")
    return f"{main} ({', '.join(notes)})" if notes else str(main)


def _text(value) -> str:
    if value is True or value is False:
        return "yes" if value else "no"
    return str(value)
