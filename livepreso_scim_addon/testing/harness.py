"""The kit's hands: a host's app on a database, its instances, SCIM clients and browsers.

Everything reaches the app as an outside party would: SCIM over WebTest with a token
issued as support issues one (``api.enable_scim``, ``api.issue_token``), the host's pages
through the adapter's browsers. Arranging and reading outside HTTP runs in a request the
kit prepares (``pyramid.scripting.prepare``), in a transaction of its own that commits.
Each test gets an instance of its own, so no test sees another's people, and the kit
needs nothing of how the host makes its database sessions.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
import webtest
from pyramid.scripting import prepare

from .. import api
from ..host import Host, HostInstance, License
from ..models.scim import ScimUser
from ..service_lookup import build_service
from .adapter import HostUnderTest, Person

#: The Host header of every request: the name the app's absolute URLs carry.
HOST = "hq.example.com"

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


# --- databases ----------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(
    migrate: Callable[[str], None], server_url: str | None = None, prefix: str = "host_kit"
) -> Iterator[str]:
    """A fresh database, migrated by ``migrate(url)``, dropped afterwards; its URL.

    SQLite (a file in a temporary folder) without ``server_url``; with a PostgreSQL
    server's URL, a database of its own there, so nothing an earlier run left counts.
    """
    if server_url is None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/host.sqlite"
            migrate(url)
            yield url
        return
    admin_url = sa.make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            migrate(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


# --- SCIM ---------------------------------------------------------------------------------


def okta_user(user_name: str, **extra) -> dict:
    """The body Okta sends to create a user (Okta SCIM 2.0 reference)."""
    local = user_name.split("@")[0]
    body = {
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": local.title(), "familyName": "Tester"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{local.title()} Tester",
        "locale": "en-US",
        "externalId": f"00u{uuid.uuid4().hex[:17]}",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(extra)
    return body


def patch(*operations) -> dict:
    """A PatchOp message (RFC 7644 §3.5.2) with these operations."""
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@dataclass(frozen=True)
class Tenant:
    """An instance of the host with SCIM on, and a bearer token for it."""

    instance: HostInstance
    token: str
    #: the SCIM base path, ``/scim/v2/<slug>`` with the default prefix
    base: str

    @property
    def id(self) -> int:
        return self.instance.id

    @property
    def slug(self) -> str:
        return self.instance.slug

    @property
    def base_url(self) -> str:
        """The base URL as the IdP is configured with it (and as ``meta.location`` starts)."""
        return f"http://{HOST}{self.base}"

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class ScimClient:
    """WebTest with a tenant's token; JSON bodies go as application/scim+json."""

    def __init__(self, testapp: webtest.TestApp, tenant: Tenant):
        self.testapp = testapp
        self.tenant = tenant

    def _url(self, path):
        return path if path.startswith("/") else f"{self.tenant.base}/{path}"

    def _headers(self, headers):
        return {"Host": HOST, **self.tenant.headers, **(headers or {})}

    def get(self, path, status=200, headers=None, **kw):
        return self.testapp.get(self._url(path), status=status, headers=self._headers(headers), **kw)

    def delete(self, path, status=204, headers=None):
        return self.testapp.delete(self._url(path), status=status, headers=self._headers(headers))

    def send(self, method, path, body, status, headers=None, content_type="application/scim+json"):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        response = self.testapp.request(
            self._url(path),
            method=method,
            body=raw.encode() if isinstance(raw, str) else raw,
            headers=self._headers(headers),
            content_type=content_type,
            expect_errors=True,
        )
        # WebTest checks no status when errors are expected: check it here ("*": any).
        assert status == "*" or response.status_int == status, (method, path, response.status, response.text[:500])
        return response

    def post(self, path, body, status=201, **kw):
        return self.send("POST", path, body, status, **kw)

    def put(self, path, body, status=200, **kw):
        return self.send("PUT", path, body, status, **kw)

    def patch(self, path, body, status=200, **kw):
        return self.send("PATCH", path, body, status, **kw)

    # Steps an IdP takes, used by several tests.

    def create_user(self, user_name: str, **extra) -> dict:
        """POST /Users with Okta's body; the created resource."""
        return self.post("Users", okta_user(user_name, **extra)).json

    def group_named(self, name: str) -> dict:
        """The one group with this displayName, found as Entra finds it."""
        found = self.get("Groups?filter=" + quote(f'displayName eq "{name}"')).json["Resources"]
        assert len(found) == 1, f"{len(found)} groups named {name!r}"
        return found[0]

    def add_members(self, group: dict, *user_ids: str) -> None:
        """Okta's membership push: one PATCH adding these users."""
        body = patch({"op": "add", "path": "members", "value": [{"value": u} for u in user_ids]})
        self.patch(f"Groups/{group['id']}", body, status=204)

    def remove_member(self, group: dict, user_id: str) -> None:
        """Okta's membership removal: a PATCH with a value filter."""
        body = patch({"op": "remove", "path": f'members[value eq "{user_id}"]'})
        self.patch(f"Groups/{group['id']}", body, status=204)

    def set_active(self, user_id: str, active: bool) -> dict:
        """Okta's (de)activation: a PATCH replacing ``active`` without a path."""
        return self.patch(f"Users/{user_id}", patch({"op": "replace", "value": {"active": active}})).json


def assert_scim_error(response, status: int, scim_type: str | None = None) -> None:
    """An RFC 7644 §3.12 error body with this status (and scimType, when given)."""
    assert response.status_int == status, (response.status, response.text[:500])
    assert response.content_type == "application/scim+json"
    body = response.json
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type:
        assert body.get("scimType") == scim_type, body


# --- what the add-on asked of the host ------------------------------------------------------

#: The contract's methods the recorder watches: every call the add-on makes with a session.
RECORDED = (
    "provision_user",
    "release_user",
    "end_sessions",
    "license_seats",
    "set_license_seats",
    "license_granted",
    "license_revoked",
    "sign_in",
)


@dataclass(frozen=True)
class HostCall:
    """One call the add-on made to the host, its arguments named as in the contract."""

    method: str
    arguments: dict

    @property
    def keys(self) -> list[str]:
        """The people a license call names (``host_user_ids``)."""
        return list(self.arguments["host_user_ids"])

    @property
    def license(self) -> str:
        return self.arguments["license"]


@dataclass
class HostCalls:
    """The calls the add-on made to the host while recording, in order."""

    calls: list[HostCall] = field(default_factory=list)

    def named(self, method: str) -> list[HostCall]:
        return [call for call in self.calls if call.method == method]

    def clear(self) -> None:
        self.calls.clear()


def _recorder(method: str, original, calls: HostCalls):
    """``original`` (a bound method of the host), noting each call: a spy, never a stand-in."""
    signature = inspect.signature(getattr(Host, method))

    @functools.wraps(original)
    def record(*args, **kwargs):
        bound = signature.bind(None, *args, **kwargs).arguments
        arguments = {
            name: list(value) if name == "host_user_ids" else value
            for name, value in bound.items()
            if name not in ("self", "db", "request")
        }
        calls.calls.append(HostCall(method, arguments))
        return original(*args, **kwargs)

    return record


# --- the harness ----------------------------------------------------------------------------


class HostHarness:
    """A host's app on a migrated database, and what the kit's tests do with it."""

    def __init__(self, host_under_test: HostUnderTest, app):
        self.host_under_test = host_under_test
        self.app = app
        self.testapp = webtest.TestApp(app, extra_environ={"HTTP_HOST": HOST})

    @classmethod
    @contextlib.contextmanager
    def running(cls, host_under_test: HostUnderTest, database_url: str) -> Iterator[HostHarness]:
        app = host_under_test.make_app(database_url)
        try:
            yield cls(host_under_test, app)
        finally:
            host_under_test.close_app(app)

    @contextlib.contextmanager
    def request(self):
        """A request outside HTTP, in a transaction that commits when the block ends."""
        env = prepare(registry=self.app.registry)
        try:
            request = env["request"]
            request.host = HOST
            with request.tm:
                yield request
        finally:
            env["closer"]()

    # The contract's host object and its licenses.

    @functools.cached_property
    def host(self) -> Host:
        """The host object the add-on calls: the singleton it registered for ``Host``."""
        with self.request() as request:
            return build_service(request, Host)

    def licenses(self) -> list[License]:
        return list(self.host.licenses())

    def license(self, *, grants_hq_access: bool) -> License | None:
        """The first license the host sells that grants HQ access (or does not), or None."""
        return next((lic for lic in self.licenses() if lic.grants_hq_access == grants_hq_access), None)

    # Instances, SCIM and browsers.

    def new_tenant(self, slug: str | None = None, name: str | None = None) -> Tenant:
        """A new instance of the host with SCIM switched on, and a token, as support makes them."""
        slug = slug or f"kit-{uuid.uuid4().hex[:12]}"
        with self.request() as request:
            instance = self.host_under_test.create_instance(request, slug, name or slug.title())
            api.enable_scim(request, instance)
            token = api.issue_token(request, instance, "host contract kit")
            base = urlsplit(api.scim_base_url(request, instance)).path
        return Tenant(instance=instance, token=token, base=base)

    def scim(self, tenant: Tenant) -> ScimClient:
        return ScimClient(self.testapp, tenant)

    def browser(self) -> webtest.TestApp:
        """A browser of its own (its own cookies) on the app."""
        return webtest.TestApp(self.app, extra_environ={"HTTP_HOST": HOST})

    # Support's seats.

    def set_seats(self, tenant: Tenant, license_type: str, seats: int | None) -> None:
        """What support's ``seats set`` does: the host's seat count, then the add-on's rebalance."""
        with self.request() as request:
            api.set_license_seats(request, tenant.instance, license_type, seats)

    # What the host holds.

    def host_key(self, tenant: Tenant, scim_user_id: str):
        """The host's key for the person behind a SCIM user (what ``provision_user`` returned)."""
        with self.request() as request:
            row = request.dbsession.execute(
                sa.select(ScimUser.host_user_id, ScimUser.instance_id).where(ScimUser.id == scim_user_id)
            ).first()
        assert row is not None and row.instance_id == tenant.id, f"no SCIM user {scim_user_id} in {tenant.slug}"
        return row.host_user_id

    def person(self, key: str) -> Person | None:
        with self.request() as request:
            return self.host_under_test.person(request, key)

    def licenses_of(self, key: str) -> set[str]:
        with self.request() as request:
            return set(self.host_under_test.licenses(request, key))

    def create_person(self, tenant: Tenant, login: str, **profile) -> str:
        with self.request() as request:
            return self.host_under_test.create_person(request, tenant.instance, login, **profile)

    # Sessions.

    def start_session(self, tenant: Tenant, key: str):
        """The adapter's sign-in: a browser holding the person's session, or None (refused)."""
        return self.host_under_test.start_session(self, tenant, key)

    def session_is_live(self, browser, tenant: Tenant) -> bool:
        return self.host_under_test.session_is_live(browser, tenant)

    def sign_in_with_contract(self, tenant: Tenant, key: str) -> webtest.TestApp:
        """A browser given the session ``Host.sign_in`` starts (as single sign-on does)."""
        with self.request() as request:
            headers = self.host.sign_in(request, key)
        browser = self.browser()
        for name, value in headers:
            if name.lower() != "set-cookie":
                raise AssertionError(f"Host.sign_in returned a {name} header: a browser keeps only cookies")
            for morsel in SimpleCookie(value).values():
                if morsel.value and morsel["max-age"] != "0":  # not a deletion
                    browser.set_cookie(morsel.key, morsel.value)
        return browser

    def scim_page_status(self, browser, tenant: Tenant) -> int:
        """The status of the add-on's SCIM page in HQ for this browser: 200 for the
        instance's managers (``Host.manager_principal``)."""
        with self.request() as request:
            path = request.route_path("scim.hq.page", instance=tenant.slug)
        return browser.get(path, expect_errors=True).status_int

    # Spying on the host.

    @contextlib.contextmanager
    def recording(self) -> Iterator[HostCalls]:
        """Every call the add-on makes to the host's contract methods while the block runs.

        The registered host object's own methods are wrapped in place, calling through:
        the host still does all it does, the kit only notes the calls.
        """
        host, calls = self.host, HostCalls()
        own = {name: vars(host)[name] for name in RECORDED if name in vars(host)}
        try:
            for name in RECORDED:
                setattr(host, name, _recorder(name, getattr(host, name), calls))
        except AttributeError as error:
            raise TypeError(f"the kit records calls by wrapping the host object's methods; {type(host)}: {error}")
        try:
            yield calls
        finally:
            for name in RECORDED:
                if name in own:
                    setattr(host, name, own[name])
                else:
                    vars(host).pop(name, None)

