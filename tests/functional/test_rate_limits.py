"""Rate limits under the SCIM prefix (ratelimit.py): per token once it authenticated, per
client address without a valid token; 429 + Retry-After + a SCIM body; exact across threads."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
import webtest

from livepreso_scim_addon.hq import main
from livepreso_scim_addon.ratelimit import RateLimits, TokenBuckets, too_many_requests
from livepreso_scim_addon.settings import load_settings

from tests.common.db import statements_sent
from tests.common.http import parallel
from tests.common.scim import HOST, Tenant, assert_scim_error
from tests.common.servers import waitress_in_thread

#: Per token: 3 at once, then one a second. Per address without a valid token: 2 at once.
BURST, ADDRESS_BURST = 3, 2


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def limited_wsgi_app(database_url, tmp_path_factory):
    app = main(
        {},
        **{
            "sqlalchemy.url": database_url,
            "scim.sqlite_busy_timeout_ms": "10000",
            "scim.sso_key_file": str(tmp_path_factory.mktemp("keys") / "sso.key"),
            "scim.rate_limit_per_minute": "60",
            "scim.rate_limit_burst": str(BURST),
            "scim.rate_limit_unauthenticated_per_minute": "60",
        },
    )
    yield app
    app.registry["db_engine"].dispose()


@pytest.fixture
def clock(limited_wsgi_app) -> Clock:
    """Fresh limits on the app's clock-less registry entry, on a clock the test moves."""
    clock = Clock()
    limited_wsgi_app.registry["scim.rate_limits"] = RateLimits(
        tokens=TokenBuckets(60, BURST, clock), addresses=TokenBuckets(60, ADDRESS_BURST, clock)
    )
    return clock


@pytest.fixture
def limited(limited_wsgi_app, bind_app, clock) -> webtest.TestApp:
    bind_app(limited_wsgi_app)
    return webtest.TestApp(limited_wsgi_app, extra_environ={"HTTP_HOST": HOST, "REMOTE_ADDR": "192.0.2.7"})


def users(testapp, tenant: Tenant, token: str | None = None, status=200):
    headers = {"Authorization": f"Bearer {token or tenant.token}"}
    return testapp.get(f"{tenant.base}/Users", headers=headers, status=status)


def test_over_the_limit_is_429_with_retry_after_and_a_scim_body(limited, tenant, engine):
    for _ in range(BURST):
        users(limited, tenant)
    with statements_sent(engine) as sent:
        refused = users(limited, tenant, status=429)
    assert_scim_error(refused, 429)
    assert refused.headers["Retry-After"] == "1"  # one request a second: the next in 1 s
    assert sent == []  # refused by its token id: no lookup, no transaction on the database


def test_retry_after_is_whole_seconds_and_at_least_one():
    assert too_many_requests(0.01).headers["Retry-After"] == "1"
    assert too_many_requests(1.2).headers["Retry-After"] == "2"


def test_a_throttled_token_does_not_starve_another_instance(limited, tenant, other_tenant):
    for _ in range(BURST):
        users(limited, tenant)
    users(limited, tenant, status=429)
    for _ in range(BURST):  # same client address, its own budget
        users(limited, other_tenant)
    users(limited, tenant, status=429)


def test_the_budget_refills_with_time(limited, tenant, clock):
    for _ in range(BURST):
        users(limited, tenant)
    users(limited, tenant, status=429)
    clock.now += 0.5
    assert users(limited, tenant, status=429).headers["Retry-After"] == "1"  # 0.5 s, rounded up
    clock.now += 0.5
    users(limited, tenant)
    users(limited, tenant, status=429)
    clock.now += 60  # refills to the burst, no further
    for _ in range(BURST):
        users(limited, tenant)
    users(limited, tenant, status=429)


def test_invalid_tokens_cannot_starve_a_valid_one(limited, tenant):
    """A forger who knows the token's id (it is no secret) spends only its own address's budget."""
    token_id = tenant.token.split("_")[1]
    forged = f"lpscim_{token_id}_{'x' * 43}"
    for _ in range(ADDRESS_BURST):
        users(limited, tenant, token=forged, status=401)
    assert_scim_error(users(limited, tenant, token=forged, status=429), 429)
    users(limited, tenant, token="garbage", status=429)
    limited.get(f"{tenant.base}/Users", status=429)  # no token at all
    # The valid token, from the same address, still has its whole budget.
    for _ in range(BURST):
        users(limited, tenant)
    users(limited, tenant, status=429)
    # And once it is throttled, the forger is refused by the id too, costing nothing.
    users(limited, tenant, token=forged, status=429)


def test_only_the_scim_prefix_is_limited(limited, tenant):
    for _ in range(BURST):
        users(limited, tenant)
    users(limited, tenant, status=429)
    # HQ's page answers as it always does (a token is no HQ sign-in), not 429.
    limited.get("/hq/acme/scim", headers={"Authorization": f"Bearer {tenant.token}"}, status=403)


def test_off_when_the_settings_are_empty(app, testapp, tenant):
    assert "scim.rate_limits" not in app.registry
    for _ in range(20):
        users(testapp, tenant)
    settings = load_settings({"scim.rate_limit_per_minute": "", "scim.rate_limit_unauthenticated_per_minute": "0"})
    assert (settings.rate_limit_per_minute, settings.rate_limit_unauthenticated_per_minute) == (0, 0)


def test_settings_give_a_burst_of_a_quarter_minute_unless_set():
    assert load_settings({"scim.rate_limit_per_minute": "1800"}).rate_limit_burst == 450
    assert load_settings({"scim.rate_limit_per_minute": "1800", "scim.rate_limit_burst": "600"}).rate_limit_burst == 600
    with pytest.raises(ValueError):
        load_settings({"scim.rate_limit_per_minute": "-1"})
    with pytest.raises(ValueError):
        load_settings({"scim.rate_limit_per_minute": "60", "scim.rate_limit_burst": "0"})


def test_memory_is_bounded_least_recently_used_first():
    clock = Clock()
    buckets = TokenBuckets(60, 1, clock, max_keys=3)
    for key in "abcd":
        assert buckets.take(key) == 0
    assert len(buckets) == 3
    assert buckets.take("a") == 0  # evicted: back full (more lenient, never stricter)
    assert buckets.take("d") == pytest.approx(1.0)


@pytest.mark.commits
def test_exact_across_threads(limited_wsgi_app, clock, tenant, testapp):
    """Many parallel requests on a real 8-thread waitress: exactly the budget gets through."""
    # The token's first use writes its last_used_at; on SQLite, parallel first uses race
    # for the write lock (503s), which is not what this test is about.
    users(testapp, tenant)
    budget = 10
    limited_wsgi_app.registry["scim.rate_limits"] = RateLimits(tokens=TokenBuckets(60, budget, clock), addresses=None)
    with waitress_in_thread(limited_wsgi_app, host="127.0.0.1", port=0, threads=8) as server:
        url = f"http://127.0.0.1:{server.effective_port}{tenant.base}/Users?count=1"

        def get(_):
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {tenant.token}", "Host": HOST})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        statuses = parallel(40, get)
    assert statuses.count(200) == budget, statuses
    assert statuses.count(429) == 40 - budget, statuses
