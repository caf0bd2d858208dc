"""SQL floor: the add-on's own statements on its own stack and schema, and nothing else.

pyramid-tm-floor writes one row per create; the add-on must also check the userName,
provision the HQ user through the host, store the SCIM user and its values and write
the audit event: six statements, the issue's own bound. This app runs exactly the
add-on's statements (the same prebuilt Core objects, imported from it, so the two
cannot drift apart), in the add-on's session set-up (``livepreso_scim_addon.models``:
the engine tuning, BEGIN IMMEDIATE on SQLite, reads without a transaction), on the
add-on's migrated database, with the token hashed and compared as the add-on does. It
leaves out everything else: SCIM parsing and validation (a regex reads the filter, the
body is trusted), traversal, the security policy, the rate limits, rendering (a few
fields, not the resource) and license bookkeeping (the harness's users hold none).

So for each Okta call, "this ÷ best peer" says whether any implementation of these
statements on this stack could be as fast as the peer, and "add-on ÷ this" is what the
add-on's SCIM work costs on top of its SQL.

Served from an ini like the add-on (compare.sh swaps the app's ``use`` line), with
``bench/peers-bench`` on PYTHONPATH:
    [app:main]
    use = call:peers.addon_sql_floor:make_app
"""
import hmac
import json
import re
import uuid

from pyramid.config import Configurator
from pyramid.response import Response

from livepreso_scim_addon.hq.host import _END_SESSIONS, _UPDATE_UNLESS_TAKEN, _adopt_or_create
from livepreso_scim_addon.models.maps import SCALAR_COLUMNS
from livepreso_scim_addon.models.reading import _USER_NAMED, user_records
from livepreso_scim_addon.models.scim import utcnow
from livepreso_scim_addon.scim.text import user_name_key
from livepreso_scim_addon.services.audit import _INSERT_EVENT
from livepreso_scim_addon.services.tokens import _LIVE_TOKEN, _hash, token_id_of
from livepreso_scim_addon.services.users import (
    _INSERT_USER, _INSERT_VALUES, _NO_VALUE, _RECORD_BY_ID, _UPDATE_USER, _UPDATED, USER_NAME,
)

_USER_NAME_EQ = re.compile(r'userName eq "(.*)"\Z')
_NO_COLUMNS = dict.fromkeys(SCALAR_COLUMNS.values())


def _answer(body, status=200):
    return Response(body=json.dumps(body).encode(), status=status, content_type="application/scim+json", charset=None)


def _checked(request):
    """(the session's connection, the token's id and instance), or None for a bad token."""
    token = request.headers.get("Authorization", "")[len("Bearer "):]
    token_id = token_id_of(token)
    connection = request.dbsession.connection()
    row = connection.execute(_LIVE_TOKEN, {"token_id": token_id}).first() if token_id else None
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(token)):
        return None
    return connection, token_id, row.instance_id


def _event(connection, instance_id, token_id, request, action, user_id, changes):
    connection.execute(_INSERT_EVENT, [{
        "instance_id": instance_id, "at": utcnow(), "token_id": token_id,
        "request": f"{request.method} {request.path}", "request_id": uuid.uuid4().hex, "action": action,
        "resource_type": "User", "resource_id": user_id, "resource_label": None, "user_id": user_id,
        "user_label": None, "status": None, "changes": changes, "detail": None,
    }])


def _user(record):
    return {"id": record.id, "userName": record.user_name, "active": record.active}


def lookup(request):
    checked = _checked(request)
    if checked is None:
        return Response(status=401)
    connection, _, instance_id = checked
    name = _USER_NAME_EQ.match(request.GET["filter"]).group(1)
    rows = user_records(connection.execute(_USER_NAMED, {"instance_id": instance_id, "key": user_name_key(name)}))
    return _answer({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": len(rows),
                    "startIndex": 1, "itemsPerPage": len(rows), "Resources": [_user(r) for r in rows]})


def _record(connection, instance_id, user_id):
    rows = user_records(connection.execute(_RECORD_BY_ID, {"id": user_id}))
    return rows[0] if rows and rows[0].instance_id == instance_id else None


def get_user(request):
    checked = _checked(request)
    if checked is None:
        return Response(status=401)
    record = _record(checked[0], checked[2], request.matchdict["id"])
    return Response(status=404) if record is None else _answer(_user(record))


def create_user(request):
    """The add-on's create: token, name check, host, user, values, event."""
    checked = _checked(request)
    if checked is None:
        return Response(status=401)
    connection, token_id, instance_id = checked
    body = request.json_body
    name, email = body["userName"], body["emails"][0]["value"]
    if connection.execute(USER_NAME._taken, {"instance_id": instance_id, "key": user_name_key(name)}).first():
        return _answer({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
                        "scimType": "uniqueness"}, 409)
    profile = {"p_login": name, "p_login_ci": name.lower(), "p_email": email,
               "p_given_name": body["name"]["givenName"], "p_family_name": body["name"]["familyName"],
               "p_display_name": body["displayName"], "p_active": True, "p_instance_id": instance_id}
    host_user_id = connection.execute(_adopt_or_create(connection.dialect.name), profile).scalar_one()
    now = utcnow()
    user = {**_NO_COLUMNS, "id": str(uuid.uuid4()), "instance_id": instance_id, "host_user_id": str(host_user_id),
            "user_name": name, "user_name_ci": user_name_key(name), "external_id": body["externalId"],
            "display_name": body["displayName"], "name_given": body["name"]["givenName"],
            "name_family": body["name"]["familyName"], "active": True, "created_at": now, "updated_at": now,
            "version": 1}
    pk = connection.execute(_INSERT_USER, user).scalar_one()
    connection.execute(_INSERT_VALUES, [{**_NO_VALUE, "user_pk": pk, "attribute": "emails", "position": 0,
                                         "value": email, "type": "work", "primary": True}])
    _event(connection, instance_id, token_id, request, "create", user["id"], body)
    return _answer({"id": user["id"], "userName": name}, 201)


def patch_user(request):
    """The add-on's deactivation: token, user, host, user, event, sessions."""
    checked = _checked(request)
    if checked is None:
        return Response(status=401)
    connection, token_id, instance_id = checked
    record = _record(connection, instance_id, request.matchdict["id"])
    if record is None:
        return Response(status=404)
    active = request.json_body["Operations"][0]["value"]["active"]
    connection.execute(_UPDATE_UNLESS_TAKEN, {
        "p_key": int(record.host_user_id), "p_login": record.user_name, "p_login_ci": record.user_name.lower(),
        "p_email": record.values[0].value, "p_given_name": record.name_given, "p_family_name": record.name_family,
        "p_display_name": record.display_name, "p_active": active, "p_instance_id": instance_id})
    row = {column: getattr(record, column) for column in _UPDATED}
    connection.execute(_UPDATE_USER, {**row, "b_pk": record.pk, "active": active, "updated_at": utcnow(),
                                      "version": record.version + 1})
    _event(connection, instance_id, token_id, request, "update", record.id, {"active": [record.active, active]})
    connection.execute(_END_SESSIONS, {"user_id": int(record.host_user_id)})
    return Response(status=204)


def make_app(global_config, **settings):
    with Configurator(settings=settings) as config:
        config.include("livepreso_scim_addon.models")
        config.add_route("user", "/scim/v2/{slug}/Users/{id}")
        config.add_route("users", "/scim/v2/{slug}/Users")
        config.add_view(get_user, route_name="user", request_method="GET")
        config.add_view(patch_user, route_name="user", request_method="PATCH")
        config.add_view(lookup, route_name="users", request_method="GET")
        config.add_view(create_user, route_name="users", request_method="POST")
        return config.make_wsgi_app()
