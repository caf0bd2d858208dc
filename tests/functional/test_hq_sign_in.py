"""The reference HQ's sign-in in production: throttling per account and per address,
session idle and absolute timeouts, a new session at sign-in, Secure cookies under
https, and page numbers that cannot reach the database out of range.

The HQ app here has small limits (``LIMITS``) so a lock-out takes a few argon2 checks;
it shares the database of the ``app`` fixture. Time moves by rewriting the stored
timestamps, never by sleeping.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import webtest
from sqlalchemy import func, select, update

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.hq.models import HqLoginFailure, HqSession
from livepreso_scim_addon.hq.security import HqSettings
from livepreso_scim_addon.models.scim import utcnow

from tests.common.factories import make_hq_user
from tests.common.hq import PASSWORD, sign_in

LIMITS = {
    "hq.login_max_failures": "2",
    "hq.login_max_failures_per_address": "3",
    "hq.login_window_seconds": "600",
    "hq.session_idle_minutes": "30",
    "hq.session_max_hours": "8",
}
OFFICE, ELSEWHERE = "198.51.100.7", "203.0.113.9"


@pytest.fixture(scope="module")
def hq_wsgi_app(database_url):
    app = main({}, **{"sqlalchemy.url": database_url, "scim.sqlite_busy_timeout_ms": "10000", **LIMITS})
    yield app
    app.registry["db_engine"].dispose()


@pytest.fixture
def hq_app(hq_wsgi_app, bind_app):
    return bind_app(hq_wsgi_app)


def new_browser(hq_app, https=False):
    environ = {"HTTP_HOST": "hq.example.com", "REMOTE_ADDR": OFFICE}
    if https:
        environ["wsgi.url_scheme"] = "https"
    return webtest.TestApp(hq_app, extra_environ=environ)


@pytest.fixture
def browser(app, hq_app, tenant):
    """A browser at the office, on an instance with a manager and a salesperson."""
    make_hq_user(app, tenant, "boss@acme.com")
    make_hq_user(app, tenant, "rep@acme.com", break_glass=False)
    return new_browser(hq_app)


def try_password(browser, login, password, status, address=OFFICE, headers=None):
    return sign_in(browser, "acme", login, password, status=status, extra_environ={"REMOTE_ADDR": address}, headers=headers)


def error_text(page) -> str:
    return page.html.find(class_="error").text


def set_all(dbsession, column, value) -> None:
    dbsession.execute(update(column.class_).values({column.key: value}))
    dbsession.commit()


def count(dbsession, model) -> int:
    return dbsession.scalar(select(func.count()).select_from(model))


# --- throttling ---------------------------------------------------------------------


def test_failures_lock_the_account_and_then_the_right_password_is_refused_too(browser):
    for _ in range(2):
        assert error_text(try_password(browser, "boss@acme.com", "wrong", 401)) == "Wrong email or password."
    locked = try_password(browser, "Boss@Acme.com", PASSWORD, 429)  # the same account, typed otherwise
    assert 590 <= int(locked.headers["Retry-After"]) <= 600
    assert error_text(locked) == "Too many failed sign-ins. Try again in 10 minutes."
    assert "hq_session" not in locked.headers.get("Set-Cookie", "")
    # The lock is the account's, wherever the next attempt comes from ...
    try_password(browser, "boss@acme.com", PASSWORD, 429, address=ELSEWHERE)
    # ... and only that account's.
    try_password(browser, "rep@acme.com", PASSWORD, 303, address=ELSEWHERE)


def test_an_unknown_account_is_throttled_exactly_like_a_real_one(browser):
    real = [try_password(browser, "boss@acme.com", "wrong", 401, address=OFFICE) for _ in range(2)]
    ghost = [try_password(browser, "ghost@acme.com", "wrong", 401, address=ELSEWHERE) for _ in range(2)]
    assert [error_text(p) for p in real] == [error_text(p) for p in ghost]
    real_locked = try_password(browser, "boss@acme.com", "wrong", 429, address=OFFICE)
    ghost_locked = try_password(browser, "ghost@acme.com", "wrong", 429, address=ELSEWHERE)
    assert error_text(real_locked) == error_text(ghost_locked)
    for locked in (real_locked, ghost_locked):
        assert 590 <= int(locked.headers["Retry-After"]) <= 600


def test_the_lock_ends_when_the_failures_leave_the_window(browser, dbsession):
    for _ in range(2):
        try_password(browser, "boss@acme.com", "wrong", 401)
    try_password(browser, "boss@acme.com", PASSWORD, 429)
    set_all(dbsession, HqLoginFailure.failed_at, utcnow() - dt.timedelta(seconds=601))
    try_password(browser, "boss@acme.com", PASSWORD, 303)
    assert count(dbsession, HqLoginFailure) == 0  # the success cleared the account's failures


def test_a_success_resets_the_accounts_count(browser):
    try_password(browser, "boss@acme.com", "wrong", 401)
    try_password(browser, "boss@acme.com", PASSWORD, 303)
    try_password(browser, "boss@acme.com", "wrong", 401)
    try_password(browser, "boss@acme.com", PASSWORD, 303)  # 1 failure since the reset, not 2


def test_one_address_is_throttled_across_accounts_whatever_x_forwarded_for_says(browser):
    # Each attempt claims another X-Forwarded-For: only the address the server saw
    # (behind a trusted proxy, the one the proxy added) counts.
    for n in range(3):
        spoofed = {"X-Forwarded-For": f"192.0.2.{n}"}
        try_password(browser, f"guess{n}@acme.com", "wrong", 401, headers=spoofed)
    locked = try_password(browser, "boss@acme.com", PASSWORD, 429, headers={"X-Forwarded-For": "192.0.2.99"})
    assert error_text(locked) == "Too many failed sign-ins. Try again in 10 minutes."
    try_password(browser, "boss@acme.com", PASSWORD, 303, address=ELSEWHERE)


def test_failures_older_than_the_window_are_pruned(browser, dbsession):
    try_password(browser, "boss@acme.com", "wrong", 401)
    set_all(dbsession, HqLoginFailure.failed_at, utcnow() - dt.timedelta(seconds=600))
    try_password(browser, "rep@acme.com", "wrong", 401)
    assert count(dbsession, HqLoginFailure) == 1


def test_a_login_the_database_cannot_hold_is_a_wrong_password(browser):
    # PostgreSQL refuses NUL in text; the form decoder lets it through.
    page = try_password(browser, "boss@acme.com\x00", PASSWORD, 401)
    assert error_text(page) == "Wrong email or password."


def test_settings_have_defaults_and_refuse_nonsense():
    assert HqSettings.from_settings({}) == HqSettings(
        login_max_failures=5, login_max_failures_per_address=20, login_window_seconds=900,
        session_idle_minutes=30, session_max_hours=12,
    )
    with pytest.raises(ValueError, match="hq.session_idle_minutes must be a positive number"):
        HqSettings.from_settings({"hq.session_idle_minutes": "0"})


# --- sessions -----------------------------------------------------------------------


def signed_in(hq_app, login, https=False):
    browser = new_browser(hq_app, https)
    try_password(browser, login, PASSWORD, 303, headers={"Origin": "https://hq.example.com"} if https else None)
    return browser


def is_signed_in(browser) -> bool:
    return browser.get("/hq/acme/").status_code == 200  # else 303 to the sign-in page


def test_an_idle_session_ends(browser, hq_app, dbsession):
    boss = signed_in(hq_app, "boss@acme.com")
    set_all(dbsession, HqSession.last_seen_at, utcnow() - dt.timedelta(minutes=31))
    assert not is_signed_in(boss)


def test_use_keeps_a_session_and_is_written_at_most_once_a_minute(browser, hq_app, dbsession):
    boss = signed_in(hq_app, "boss@acme.com")
    almost_idle = utcnow() - dt.timedelta(minutes=29)
    set_all(dbsession, HqSession.last_seen_at, almost_idle)
    assert is_signed_in(boss)
    seen = dbsession.scalar(select(HqSession.last_seen_at))
    assert utcnow() - seen < dt.timedelta(seconds=30)
    recent = utcnow() - dt.timedelta(seconds=50)
    set_all(dbsession, HqSession.last_seen_at, recent)
    assert is_signed_in(boss)
    dbsession.expire_all()
    assert dbsession.scalar(select(HqSession.last_seen_at)) == recent  # a read stayed a read


def test_a_session_ends_at_its_absolute_lifetime_even_in_use(browser, hq_app, dbsession):
    boss = signed_in(hq_app, "boss@acme.com")
    set_all(dbsession, HqSession.created_at, utcnow() - dt.timedelta(hours=8, minutes=1))
    assert not is_signed_in(boss)


def test_expired_sessions_of_anyone_are_deleted_at_sign_in(browser, hq_app, dbsession):
    signed_in(hq_app, "rep@acme.com")
    set_all(dbsession, HqSession.last_seen_at, utcnow() - dt.timedelta(minutes=31))
    signed_in(hq_app, "boss@acme.com")
    assert count(dbsession, HqSession) == 1  # the idle one is gone
    set_all(dbsession, HqSession.created_at, utcnow() - dt.timedelta(hours=8, minutes=1))
    signed_in(hq_app, "rep@acme.com")
    assert count(dbsession, HqSession) == 1  # and the one too old


def test_signing_in_ends_the_session_the_browser_presented(browser, hq_app, dbsession):
    try_password(browser, "rep@acme.com", PASSWORD, 303)
    before = browser.cookies["hq_session"]
    try_password(browser, "boss@acme.com", PASSWORD, 303)
    assert browser.cookies["hq_session"] != before
    planted = new_browser(hq_app)
    planted.set_cookie("hq_session", before)
    assert not is_signed_in(planted)  # whoever held the old id holds nothing now
    assert count(dbsession, HqSession) == 1


def set_cookies(response, name) -> list[str]:
    return [value for header, value in response.headerlist if header == "Set-Cookie" and value.startswith(f"{name}=")]


def test_every_session_cookie_is_secure_over_https(browser, hq_app):
    boss = new_browser(hq_app, https=True)
    origin = {"Origin": "https://hq.example.com"}
    [started] = set_cookies(try_password(boss, "boss@acme.com", PASSWORD, 303, headers=origin), "hq_session")
    assert "secure" in started.lower() and "httponly" in started.lower()
    [ended] = set_cookies(boss.get("/hq/acme/").forms[0].submit(status=303, headers=origin), "hq_session")
    assert "secure" in ended.lower() and "max-age=0" in ended.lower()
    assert not is_signed_in(boss)
    # Plain http (development on 127.0.0.1) must still work: no Secure there.
    [plain] = set_cookies(try_password(browser, "boss@acme.com", PASSWORD, 303), "hq_session")
    assert "secure" not in plain.lower()


# --- page numbers -------------------------------------------------------------------


@pytest.mark.parametrize("page", ["99999999999999999999999", "-5", "0", "two"])
def test_users_page_takes_any_page_number(hq_app, browser, page):
    boss = signed_in(hq_app, "boss@acme.com")
    listing = boss.get("/hq/acme/users", {"page": page})
    assert "Page 1 of 1" in listing.text and "rep@acme.com" in listing.text


# --- back to the page asked for -------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    ["/hq/acme/scim", "/hq/acme/scim/events?kind=failed", "/hq/acme/users?page=2", "/hq/acme/"],
)
def test_signing_in_returns_to_the_page_asked_for(browser, page):
    sent = browser.get(page, status=303)
    login_url = "http://hq.example.com/hq/acme/login?" + urlencode({"next": page})
    assert sent.location == login_url
    form = browser.get(login_url).forms[0]
    assert form["next"].value == page
    form["login"], form["password"] = "boss@acme.com", PASSWORD
    assert form.submit(status=303).location == "http://hq.example.com" + page
    browser.get(page, status=200)


def test_a_failed_attempt_keeps_the_page_to_return_to(browser):
    form = browser.get("/hq/acme/login", params={"next": "/hq/acme/scim"}).forms[0]
    form["login"], form["password"] = "boss@acme.com", "wrong"
    again = form.submit(status=401).forms[0]
    assert again["next"].value == "/hq/acme/scim"
    again["password"] = PASSWORD
    assert again.submit(status=303).location == "http://hq.example.com/hq/acme/scim"


HOME = "http://hq.example.com/hq/acme/"


@pytest.mark.parametrize(
    "next_path",
    [
        "//evil.com/hq/acme/",  # another host, scheme-relative
        "/\\evil.com/hq/acme/",  # browsers read the backslash as a slash
        "/hq/acme/\\x",
        "https://evil.com/hq/acme/",
        "http://hq.example.com/hq/acme/scim",  # even this origin, spelled absolute
        "hq/acme/scim",  # relative
        "/\t/evil.com",  # browsers drop the tab
        "/hq/acme/scim\r\nSet-Cookie: x=1",  # header splitting
        "/hq/acme/scim\x00",
        "/hq/acme/sc\x7fim",
        "/hq/acme/é",  # not ASCII: no Location header holds it
        "/hq/acme/" + "a" * 2048,  # over-long
        "/hq/globex/scim",  # another instance
        "/hq/acmex/scim",  # a prefix of the path, not of its segments
        "/scim/v2/acme/Users",  # not an HQ page
        "/hq/acme/../globex/scim",  # dot segments leave the prefix once resolved
        "/hq/acme/%2e%2e/globex/scim",
        "/hq/acme/scim#x",
        "/hq/acme/login",  # round and round
        "/hq/acme/logout",
        "",
    ],
)
def test_a_page_to_return_to_from_elsewhere_is_home(browser, next_path):
    page = browser.get("/hq/acme/login", params={"next": next_path})
    assert page.html.find("input", attrs={"name": "next"}) is None
    form = page.forms[0]
    form["login"], form["password"] = "boss@acme.com", PASSWORD
    # Posted as is (a crafted form): the field is checked again.
    fields = [(k, v) for k, v in form.submit_fields() if k != "next"] + [("next", next_path)]
    assert browser.post("/hq/acme/login", fields, status=303).location == HOME


def test_a_refused_post_signs_in_to_home(browser):
    """A POST's target is no page to land on (the form it came from is gone)."""
    csrf = browser.get("/hq/acme/login").forms[0]["csrf_token"].value
    sent = browser.post("/hq/acme/scim/tokens", {"label": "x", "csrf_token": csrf}, status=303)
    assert sent.location == "http://hq.example.com/hq/acme/login"


def test_home_links_managers_to_the_scim_page(browser):
    sign_in(browser, "acme", "boss@acme.com")
    home = browser.get("/hq/acme/")
    link = home.html.find("a", string="SCIM provisioning")
    assert link["href"] == "http://hq.example.com/hq/acme/scim"
    assert home.click("SCIM provisioning").html.h1.text == "SCIM provisioning"


def test_home_has_no_scim_link_for_others(browser):
    sign_in(browser, "acme", "rep@acme.com")
    assert browser.get("/hq/acme/").html.find("a", string="SCIM provisioning") is None
