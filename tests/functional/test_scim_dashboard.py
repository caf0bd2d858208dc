"""The SCIM page as an admin's dashboard: connection health, request counts, seats as a
picture, the waiting list, the per-person page, and the waits on HQ's users page."""

from __future__ import annotations

import pytest

from tests.common.db import statements_sent
from tests.common.factories import backdate_events, make_hq_user, set_seats
from tests.common.hq import sign_in
from tests.common.scim import ScimClient, add_members, create_users, group_named, okta_user, rename_group


@pytest.fixture
def manager(app, testapp, tenant):
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(testapp, "acme", "boss@acme.com")
    return "boss@acme.com"


class Clock:
    """The traffic counter's clock, moved by the test."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app, monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(app.registry["scim.traffic"], "clock", clock)
    return clock


def health(testapp) -> dict:
    html = testapp.get("/hq/acme/scim").html
    panel = html.find(id="health")
    failures = panel.find(id="recent-failures")
    return {
        "status": panel.find(id="health-status").text,
        "class": panel["class"],
        "last": " ".join(panel.find(id="last-request").text.split()),
        "requests": int(panel.find(id="requests-24h").text),
        "failures": int(panel.find(id="failures-24h").text),
        "recent": [li.find(class_="what").text for li in failures.find_all("li")] if failures else [],
        "link": panel.find(id="failures-link")["href"],
    }


# --- connection health -----------------------------------------------------------------------


def test_never_connected(testapp, manager, tenant):
    shown = health(testapp)
    assert shown["status"] == "Never connected" and "never" in shown["class"]
    assert (shown["last"], shown["requests"], shown["failures"], shown["recent"]) == ("never", 0, 0, [])
    assert shown["link"] == "http://hq.example.com/hq/acme/scim/events?kind=failed"


def test_healthy_then_failing_then_healthy(testapp, manager, scim, clock):
    scim.post("Users", okta_user("ann@example.com"))
    shown = health(testapp)
    assert shown["status"] == "Connected" and "connected" in shown["class"]
    assert 'token “test”' in shown["last"] and shown["last"].endswith(f"({scim.tenant.token[7:23]})")
    assert (shown["requests"], shown["failures"]) == (1, 0)

    clock.now += 61
    scim.post("Users", okta_user("ann@example.com"), status=409)
    shown = health(testapp)
    assert shown["status"] == "Failing" and "failing" in shown["class"]
    assert shown["failures"] == 1
    assert shown["recent"] == [
        "POST /scim/v2/acme/Users refused (409): A user with userName 'ann@example.com' already exists."
    ]
    # The refused request was counted, though its transaction (and its write) was rolled
    # back: the next write, a minute on, carries it.
    clock.now += 1
    scim.get("Users")
    assert health(testapp)["requests"] == 1
    clock.now += 60
    scim.get("Users")
    assert health(testapp)["requests"] == 4

    scim.post("Users", okta_user("bob@example.com"))  # a change after the failure
    shown = health(testapp)
    assert shown["status"] == "Connected" and shown["failures"] == 1 and len(shown["recent"]) == 1


def test_failures_older_than_a_day_do_not_count(app, testapp, manager, scim):
    scim.post("Users", okta_user("ann@example.com"))
    scim.post("Users", okta_user("ann@example.com"), status=409)
    backdate_events(app, scim.tenant, 25)
    shown = health(testapp)
    assert shown["status"] == "Connected" and (shown["failures"], shown["recent"]) == (0, [])


def test_only_the_three_latest_failures_are_told(testapp, manager, scim):
    scim.post("Users", okta_user("ann@example.com"))
    for _ in range(5):
        scim.post("Users", okta_user("ann@example.com"), status=409)
    shown = health(testapp)
    assert shown["failures"] == 5 and len(shown["recent"]) == 3


# --- request counts ------------------------------------------------------------------------------


def writes(sent) -> list[str]:
    return [s.statement for s in sent if s.statement.lstrip().upper().startswith(("UPDATE", "INSERT"))]


def test_requests_are_counted_and_written_once_a_minute_per_process(testapp, manager, scim, clock, engine):
    with statements_sent(engine) as first:
        scim.get("Users")
    assert [w.split()[0:3] for w in writes(first)] == [["UPDATE", "scim_tokens", "SET"], ["INSERT", "INTO", "scim_traffic"]]
    for _ in range(3):
        clock.now += 10
        with statements_sent(engine) as sent:
            scim.get("Users")
        assert writes(sent) == [], "a GET within the minute is a read"
    assert health(testapp)["requests"] == 1  # a minute late at most

    clock.now += 60
    with statements_sent(engine) as sent:
        scim.get("Users")
    assert len(writes(sent)) == 2  # last_used_at, and the three pending plus this one, added
    assert health(testapp)["requests"] == 5


def test_requests_without_a_valid_token_are_not_counted(testapp, manager, tenant, clock):
    testapp.get(f"{tenant.base}/Users", headers={"Authorization": "Bearer lpscim_0000000000000000_x"}, status=401)
    assert health(testapp)["requests"] == 0 and health(testapp)["status"] == "Never connected"


# --- seats and the waiting list -----------------------------------------------------------------


@pytest.fixture
def queue(app, scim):
    """Salesperson with two seats and four members: ann, bob licensed; cat #1, dan #2."""
    set_seats(app, scim.tenant, "standard", 2)
    ids = create_users(scim, "ann", "bob", "cat", "dan")
    sales = group_named(scim, "Salesperson")
    for name in ("ann", "bob", "cat", "dan"):  # one PATCH each: one queue time each
        add_members(scim, sales, ids[name])
    return ids, sales


def seat_row(html, license):
    row = html.find(id="license-groups").find("tr", attrs={"data-license": license})
    meter = row.find("meter")
    return {
        "name": " ".join(row.find(class_="group-name").text.split()),
        "seats": row.find(class_="seat-count").text,
        "waiting": " ".join(row.find(class_="waiting-count").text.split()),
        "full": "full" in row["class"],
        "meter": (meter["value"], meter["max"]) if meter else None,
    }


def waiting_list(html, license):
    table = html.find(id="waiting").find("table", attrs={"data-license": license})
    return [[td.text.strip() for td in tr.find_all("td")[:2]] for tr in table.tbody.find_all("tr")]


def test_seats_and_waiting_list(testapp, manager, queue, scim):
    html = testapp.get("/hq/acme/scim").html
    assert seat_row(html, "standard") == {
        "name": "Salesperson", "seats": "2 of 2 seats", "waiting": "full: 2 waiting", "full": True, "meter": ("2", "2"),
    }
    assert seat_row(html, "prep") == {
        "name": "Prep User", "seats": "0 of 0 seats", "waiting": "none waiting", "full": False, "meter": None,
    }
    assert waiting_list(html, "standard") == [["1", "Jane Doe (cat@example.com)"], ["2", "Jane Doe (dan@example.com)"]]
    assert html.find(id="waiting").find("table", attrs={"data-license": "prep"}) is None

    rename_group(scim, queue[1], "Field Sales")
    html = testapp.get("/hq/acme/scim").html
    assert seat_row(html, "standard")["name"] == "Field Sales — linked to Salesperson"
    assert [h.text for h in html.find(id="waiting").find_all("h3")] == ["Field Sales — linked to Salesperson"]


def test_unlimited_seats_say_so(app, testapp, manager, scim):
    set_seats(app, scim.tenant, "standard", None)
    add_members(scim, group_named(scim, "Salesperson"), *create_users(scim, "ann").values())
    html = testapp.get("/hq/acme/scim").html
    assert seat_row(html, "standard")["seats"] == "1 licensed, unlimited seats"
    assert html.find(id="nobody-waiting")


def test_users_page_shows_the_waits_in_one_query(testapp, manager, queue, engine):
    with statements_sent(engine) as sent:
        html = testapp.get("/hq/acme/users").html
    rows = {tr.find(class_="login").text: tr for tr in html.find("table", class_="users").tbody.find_all("tr")}
    waits = {login: [s.text for s in tr.find_all(class_="waiting-for")] for login, tr in rows.items()}
    assert waits == {
        "ann@example.com": [], "bob@example.com": [], "boss@acme.com": [],
        "cat@example.com": ["waiting for Salesperson (#1)"], "dan@example.com": ["waiting for Salesperson (#2)"],
    }
    ids = queue[0]
    assert rows["cat@example.com"].find(class_="login").a["href"].endswith(f"/hq/acme/scim/people/{ids['cat']}")
    assert rows["boss@acme.com"].find(class_="login").a is None  # not a SCIM user
    assert len([s for s in sent if "scim_users" in s.statement]) == 1


# --- the person page ------------------------------------------------------------------------------


def test_person_page(testapp, manager, queue, scim):
    ids, sales = queue
    rename_group(scim, sales, "Field Sales")
    html = testapp.get(f"/hq/acme/scim/people/{ids['cat']}").html
    assert html.find(id="person-name").text == "Jane Doe (cat@example.com)"
    attributes = {tr.th.text: tr.td.text for tr in html.find("table", class_="attributes").find_all("tr")}
    assert attributes["userName"] == "cat@example.com"
    assert attributes["name.givenName"] == "Jane" and attributes["active"] == "yes"
    assert attributes["emails"] == "cat@example.com (work, primary)"
    assert [li.text for li in html.find(id="groups").find_all("li")] == ["Field Sales"]
    waiting = " ".join(html.find(id="licenses").find(class_="waiting").text.split())
    assert waiting.startswith("Waiting for Salesperson (#1) through Field Sales since ")
    assert html.find(id="events-link")["href"] == f"http://hq.example.com/hq/acme/scim/events?user={ids['cat']}"
    # Their own events, newest first, as sentences: joining the group, then being created.
    sentences = [" ".join(p.text.split()) for p in html.find(id="person-events").find_all(class_="sentence")]
    assert len(sentences) == 2, sentences
    assert "added Jane Doe (cat@example.com) to Salesperson" in sentences[0] and "waits for a seat" in sentences[0]
    assert sentences[1].endswith("created Jane Doe (cat@example.com)")

    ann = testapp.get(f"/hq/acme/scim/people/{ids['ann']}").html
    assert " ".join(ann.find(id="licenses").find(class_="held").text.split()).startswith(
        "Holds Salesperson (through Field Sales) since "
    )


def test_unknown_people_are_404(testapp, manager, scim, other_tenant):
    theirs = ScimClient(testapp, other_tenant).post("Users", okta_user("eve@globex.com")).json["id"]
    for user_id in (theirs, "00000000-0000-4000-8000-000000000000", "nobody", "%00", "x" * 2000, "..%2f", "%F0%9F%98%80"):
        testapp.get(f"/hq/acme/scim/people/{user_id}", status=404)
    # Bytes that are no UTF-8 are refused before routing (ingress.py), signed in or not;
    # WebTest's cookie jar cannot even send them with the session.
    testapp.reset()
    testapp.get("/hq/acme/scim/people/%ff%fe", status=404)


def test_person_page_is_for_managers(app, testapp, tenant, scim):
    user_id = scim.post("Users", okta_user("ann@example.com")).json["id"]
    testapp.get(f"/hq/acme/scim/people/{user_id}", status=303)
    make_hq_user(app, tenant, "rep@acme.com", break_glass=False)
    sign_in(testapp, "acme", "rep@acme.com")
    testapp.get(f"/hq/acme/scim/people/{user_id}", status=403)
