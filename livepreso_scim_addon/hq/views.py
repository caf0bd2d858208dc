"""The reference HQ's pages: sign in, and a list of the instance's users."""

from __future__ import annotations

from urllib.parse import unquote, urlencode, urlsplit

from pyramid.authorization import Allow, Everyone
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import func, select

from livepreso_scim_addon import api
from livepreso_scim_addon.host import HostInstance

from .licenses import HQ_ACCESS_LICENSES
from .models import HqUser, Instance, UserLicense
from .security import HqSettings, SignInAttempt, clear_failures, record_failure, retry_after, verify_password

PAGE_SIZE = 50


class HqInstanceContext:
    """``/hq/{instance}/...``: managers manage, signed-in users of the instance view."""

    def __init__(self, request):
        slug = request.matchdict["instance"]
        self.instance = request.dbsession.scalar(select(Instance).where(Instance.slug == slug))
        if self.instance is None:
            raise HTTPNotFound()
        #: The instance as the add-on knows it (``livepreso_scim_addon.api`` takes these).
        self.host_instance = HostInstance(id=self.instance.id, slug=self.instance.slug, name=self.instance.name)
        self.__acl__ = [
            (Allow, f"hq-manager:{self.instance.id}", ("hq:view", "hq:manage")),
            (Allow, f"hq-instance:{self.instance.id}", "hq:view"),
            (Allow, Everyone, "hq:login"),
        ]


def includeme(config):
    config.registry["hq.settings"] = HqSettings.from_settings(config.get_settings())
    config.add_route("hq.login", "/hq/{instance}/login", factory=HqInstanceContext)
    config.add_route("hq.logout", "/hq/{instance}/logout", factory=HqInstanceContext)
    config.add_route("hq.home", "/hq/{instance}/", factory=HqInstanceContext)
    config.add_route("hq.users", "/hq/{instance}/users", factory=HqInstanceContext)
    config.scan(".views")


def return_path(request, slug: str, value) -> str | None:
    """``value`` if it is an HQ page of this instance to send someone back to after
    sign-in (``api.return_path``), other than the sign-in and sign-out pages, else None."""
    value = api.return_path(request, slug, value)
    if value is None or unquote(urlsplit(value).path) in (
        unquote(request.route_path(name, instance=slug)) for name in ("hq.login", "hq.logout")
    ):
        return None
    return value


def sign_in_url(request, slug: str) -> str:
    """The sign-in page of instance ``slug``, returning to the page this request asked for."""
    url = request.route_url("hq.login", instance=slug)
    # Only a page can be returned to: a refused POST's target is no page to land on.
    wanted = return_path(request, slug, request.path_qs) if request.method in ("GET", "HEAD") else None
    return f"{url}?{urlencode({'next': wanted})}" if wanted else url


def _login_page(request, context, error=None, login="", next_path=None):
    sso_url = api.sso_sign_in_url(request, context.host_instance, next_path)
    return {"instance": context.instance, "error": error, "login": login, "sso_url": sso_url, "next": next_path}


@view_config(route_name="hq.login", request_method="GET", renderer="templates/login.jinja2", permission="hq:login")
def login_form(context, request):
    return _login_page(request, context, next_path=return_path(request, context.instance.slug, request.GET.get("next")))


@view_config(route_name="hq.login", request_method="POST", renderer="templates/login.jinja2", permission="hq:login")
def login(context, request):
    db, settings = request.dbsession, request.registry["hq.settings"]
    login_name = request.POST.get("login", "").strip()
    next_path = return_path(request, context.instance.slug, request.POST.get("next"))
    attempt = SignInAttempt.of(request, context.instance.id, login_name)
    wait = retry_after(db, settings, attempt)
    if wait is not None:
        # The same answer whether the account exists or not, and the password is not
        # even checked: during a lock-out the right one is refused too.
        request.response.status_code = 429
        request.response.headers["Retry-After"] = str(wait)
        minutes = -(-wait // 60)
        return _login_page(
            request, context,
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}.", login_name,
            next_path,
        )
    # Text no database holds (a NUL, say) names nobody, and is no 500.
    user = None if not api.storable(login_name) else db.scalar(
        select(HqUser).where(HqUser.instance_id == context.instance.id, HqUser.login_ci == login_name.lower())
    )
    password_ok = verify_password(user.password_hash if user else None, request.POST.get("password", ""))
    if user is None or not password_ok:
        record_failure(db, settings, attempt)
        request.response.status_code = 401
        return _login_page(request, context, "Wrong email or password.", login_name, next_path)
    if not user.active:
        request.response.status_code = 403
        return _login_page(request, context, "This account has been deactivated.", login_name, next_path)
    clear_failures(db, attempt)
    headers = remember(request, user.id)
    # next_path went through return_path above: the form field is the client's to change.
    landing = request.host_url + next_path if next_path else request.route_url("hq.home", instance=context.instance.slug)
    return HTTPSeeOther(landing, headers=headers)


@view_config(route_name="hq.logout", request_method="POST", permission="hq:login")
def logout(context, request):
    headers = forget(request)
    return HTTPSeeOther(request.route_url("hq.login", instance=context.instance.slug), headers=headers)


@view_config(route_name="hq.home", renderer="templates/home.jinja2", permission="hq:view")
def home(context, request):
    return {"instance": context.instance, "identity": request.identity}


@view_config(route_name="hq.users", renderer="templates/users.jinja2", permission="hq:manage")
def user_list(context, request):
    """One page of the instance's users, with their licenses: what SCIM did, as HQ sees it."""
    db = request.dbsession
    where = HqUser.instance_id == context.instance.id
    total = db.scalar(select(func.count()).select_from(HqUser).where(where))
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        wanted = int(request.GET.get("page", 1))
    except ValueError:
        wanted = 1
    # Within the pages there are: a huge number would reach the database as an
    # OFFSET no integer type holds.
    page = min(max(1, wanted), pages)
    rows = list(db.scalars(select(HqUser).where(where).order_by(HqUser.login_ci).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    licenses: dict[int, list[str]] = {}
    if rows:
        for user_id, license in db.execute(
            select(UserLicense.user_id, UserLicense.license).where(UserLicense.user_id.in_([r.id for r in rows]))
        ):
            licenses.setdefault(user_id, []).append(license)
    license_groups = api.license_summary(request, context.host_instance)
    # Host keys are the ids as text (hq/host.py); one query for the page, waits included.
    scim_people = api.people_status(request, context.host_instance, [str(r.id) for r in rows])
    return {
        "scim_people": scim_people,
        "instance": context.instance,
        "identity": request.identity,
        "license_groups": license_groups,
        "manager_groups": [group for group in license_groups if group.grants_hq_access],
        "hq_access_licenses": HQ_ACCESS_LICENSES,
        "users": rows,
        "licenses": licenses,
        "page": page,
        "pages": pages,
        "total": total,
    }


@forbidden_view_config(path_info=r"^/hq/")
def hq_forbidden(exc, request):
    if request.identity is None and request.matchdict and "instance" in request.matchdict:
        return HTTPSeeOther(sign_in_url(request, request.matchdict["instance"]))
    return HTTPForbidden()
