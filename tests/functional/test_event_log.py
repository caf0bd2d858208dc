"""The HQ events page in words: what an admin reads after Okta's requests.

Each request is one sentence naming people and groups, changes read old → new, names
survive deletion, routine 404s after a DELETE are no failures, and the filters and the
CSV download show the same events.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from livepreso_scim_addon.host import Host
from livepreso_scim_addon.models.scim import ScimToken
from livepreso_scim_addon.service_lookup import build_service
from livepreso_scim_addon.services.audit import Actor, AuditService
from livepreso_scim_addon.services.licensing import LicenseService

from tests.common.db import statements_sent
from tests.common.factories import _request, make_hq_user, set_seats
from tests.common.hq import sign_in
from tests.common.scim import GROUP, add_members, group_named, okta_user, patch, remove_member, rename_group, set_active

GONE_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def okta(app, scim, tenant):
    """The tenant's token, labelled as an admin labels it on the SCIM page."""
    with _request(app) as request:
        request.dbsession.execute(update(ScimToken).where(ScimToken.instance_id == tenant.id).values(label="Okta production"))
    return scim


@pytest.fixture
def manager(app, testapp, tenant):
    make_hq_user(app, tenant, "boss@acme.com")
    sign_in(testapp, "acme", "boss@acme.com")
    return "boss@acme.com"


def person(scim, login, given, family, **extra):
    body = okta_user(login, displayName=f"{given} {family}", name={"givenName": given, "familyName": family}, **extra)
    return scim.post("Users", body).json


def rows(response):
    table = response.html.find("table", class_="events")
    return table.tbody.find_all("tr") if table else []


def sentences(response) -> list[str]:
    return [row.find(class_="sentence").text for row in rows(response)]


def details(row) -> list[str]:
    listed = row.find(class_="details")
    return [li.text for li in listed.find_all("li")] if listed else []


def events(testapp, **query):
    return testapp.get("/hq/acme/scim/events", query)


def test_a_persons_life_reads_as_sentences(testapp, manager, okta):
    erin = person(okta, "erin@acme.test", "Erin", "Evans")
    url = f"Users/{erin['id']}"
    okta.patch(url, patch({"op": "replace", "path": "name.givenName", "value": "Erina"},
                          {"op": "add", "path": "title", "value": "Sales lead"}))
    okta.patch(url, patch({"op": "replace", "path": "emails",
                           "value": [{"value": "erin@new.test", "type": "work", "primary": True}]}))
    set_active(okta, erin["id"], False)
    set_active(okta, erin["id"], True)
    shown = events(testapp)
    erin_label = "Erin Evans (erin@acme.test)"
    assert sentences(shown) == [
        f"Okta production reactivated {erin_label}",
        f"Okta production deactivated {erin_label}",
        f"Okta production updated {erin_label}: emails: erin@acme.test (work, primary) → erin@new.test (work, primary)",
        f"Okta production updated {erin_label}: name.givenName: Erin → Erina; title: — → Sales lead",
        f"Okta production created {erin_label}",
    ]
    assert details(rows(shown)[3]) == ["name.givenName: Erin → Erina", "title: — → Sales lead"]
    assert "[null" not in shown.text and '{"' not in shown.text  # never JSON
    # While Erin exists, her name links to her page.
    link = rows(shown)[0].find("a", class_="person")
    assert link.text == erin_label and link["href"].endswith(f"/hq/acme/scim/people/{erin['id']}")
    # Each row names its request in small print.
    assert f"PATCH /scim/v2/acme/Users/{erin['id']}" in rows(shown)[0].find(class_="request").text

    okta.delete(url)
    after = events(testapp)
    assert sentences(after)[0] == f"Okta production deleted {erin_label}"
    assert sentences(after)[-1] == f"Okta production created {erin_label}"  # still named
    assert after.html.find("a", class_="person") is None  # nobody left to link to


def test_license_group_changes_say_who_got_a_seat_and_who_waits(app, testapp, manager, okta):
    set_seats(app, okta.tenant, "standard", 2)
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    bob = person(okta, "bob@acme.test", "Bob", "Baker")
    cy = person(okta, "cy@acme.test", "Cy", "Cole")
    sales = group_named(okta, "Salesperson")
    rename_group(okta, sales, "Field Sales")
    add_members(okta, sales, ann["id"], bob["id"], cy["id"])
    remove_member(okta, sales, ann["id"])
    shown = events(testapp)
    assert sentences(shown)[:3] == [
        "Okta production removed Ann Archer (ann@acme.test) from Field Sales; 1 lost the Salesperson license; "
        "1 got the Salesperson license",
        "Okta production added 3 people to Field Sales; 2 got the Salesperson license; 1 waits for a seat",
        "Okta production renamed Salesperson to Field Sales (linked to Salesperson)",
    ]
    assert details(rows(shown)[1]) == [
        "Added: Ann Archer (ann@acme.test), Bob Baker (bob@acme.test), Cy Cole (cy@acme.test)",
        "Got the Salesperson license: Ann Archer (ann@acme.test), Bob Baker (bob@acme.test)",
        "Waiting for a seat: Cy Cole (cy@acme.test)",
    ]
    assert details(rows(shown)[0]) == [
        "Removed: Ann Archer (ann@acme.test)",
        "Lost the Salesperson license: Ann Archer (ann@acme.test)",
        "Got the Salesperson license: Cy Cole (cy@acme.test)",
    ]


def test_support_changing_seats_is_told(app, testapp, manager, okta):
    set_seats(app, okta.tenant, "standard", 3)
    people = [person(okta, f"{n}@acme.test", n.title(), "Test")["id"] for n in ("ann", "bob", "cy")]
    add_members(okta, group_named(okta, "Salesperson"), *people)
    with _request(app) as request:  # what support's `livepreso-scim seats set acme standard 1` does
        db, host = request.dbsession, build_service(request, Host)
        audit = AuditService(db, okta.tenant.id, Actor(None, "livepreso-scim seats set acme standard 1"))
        LicenseService(db, host, okta.tenant.id, audit).set_seats("standard", 1)
    assert sentences(events(testapp))[0] == "Support changed the Salesperson seats from 3 to 1; 2 lost their license"


def test_deleted_groups_and_people_keep_their_names(testapp, manager, okta):
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    team = okta.post("Groups", {"schemas": [GROUP], "displayName": "Team",
                                "members": [{"value": ann["id"]}, {"value": GONE_ID}]}).json
    okta.delete(f"Users/{ann['id']}")
    okta.delete(f"Groups/{team['id']}")
    assert sentences(events(testapp)) == [
        "Okta production deleted the group Team",
        "Okta production deleted Ann Archer (ann@acme.test)",
        "Okta production pushed the group Team; added Ann Archer (ann@acme.test); skipped 1 unknown member id",
        "Okta production created Ann Archer (ann@acme.test)",
    ]
    shown = rows(events(testapp))[2]
    assert f"Skipped unknown member id {GONE_ID} (not a user of this instance)" in details(shown)


def test_a_404_after_a_delete_is_routine_and_other_404s_fail(testapp, manager, okta):
    erin = person(okta, "erin@acme.test", "Erin", "Evans")
    okta.delete(f"Users/{erin['id']}")
    okta.get(f"Users/{erin['id']}", status=404)  # Okta's routine read after its DELETE
    okta.patch(f"Users/{GONE_ID}", patch({"op": "remove", "path": "title"}), status=404)
    shown = events(testapp)
    assert sentences(shown)[:2] == [
        f"Okta production's PATCH of user {GONE_ID} was refused (404): Resource '{GONE_ID}' not found.",
        "Okta production asked for Erin Evans (erin@acme.test), deleted earlier: not found, as expected",
    ]
    assert "failed" in rows(shown)[0]["class"] and "routine" in rows(shown)[1]["class"]
    assert sentences(events(testapp, kind="failed")) == sentences(shown)[:1]  # the routine 404 is no failure


def test_filters_by_kind_person_group_and_dates(app, testapp, manager, okta):
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    person(okta, "bob@acme.test", "Bob", "Baker")
    team = okta.post("Groups", {"schemas": [GROUP], "displayName": "Team"}).json
    add_members(okta, team, ann["id"])
    okta.post("Users", okta_user("bob@acme.test"), status=409)
    testapp.post("/hq/acme/scim/tokens", {"csrf_token": _csrf(testapp), "label": "Entra"})
    okta.delete(f"Groups/{team['id']}")

    by_kind = {kind: sentences(events(testapp, kind=kind)) for kind in
               ("people", "groups", "members", "licenses", "tokens", "failed")}
    assert by_kind["people"] == ["Okta production created Bob Baker (bob@acme.test)",
                                 "Okta production created Ann Archer (ann@acme.test)"]
    assert by_kind["groups"] == ["Okta production deleted the group Team", "Okta production pushed the group Team"]
    assert by_kind["members"] == ["Okta production removed Ann Archer (ann@acme.test) from Team",
                                  "Okta production added Ann Archer (ann@acme.test) to Team"]
    assert by_kind["licenses"] == []
    assert by_kind["tokens"] == ["boss@acme.com created the token “Entra”"]
    assert len(by_kind["failed"]) == 1 and "POST to Users was refused (409)" in by_kind["failed"][0]

    for wanted in ("ANN@acme.test", ann["id"]):
        assert all("Ann Archer" in s for s in sentences(events(testapp, user=wanted))), wanted
    assert len(sentences(events(testapp, user="ann@acme.test"))) == 3
    # The group is deleted: still found by its name and its id.
    for wanted in ("Team", "team", team["id"]):
        assert sentences(events(testapp, group=wanted)) == [
            "Okta production deleted the group Team; removed Ann Archer (ann@acme.test) from Team",
            "Okta production added Ann Archer (ann@acme.test) to Team",
            "Okta production pushed the group Team",
        ], wanted
    assert events(testapp, user="nobody").html.find(class_="no-events")
    assert events(testapp, group="No such group").html.find(class_="no-events")

    today = dt.datetime.now(dt.timezone.utc).date()
    day = dt.timedelta(days=1)
    assert len(rows(events(testapp, **{"from": str(today), "to": str(today)}))) == 7
    assert rows(events(testapp, **{"from": str(today + day)})) == []
    assert rows(events(testapp, to=str(today - day))) == []


def test_bad_filter_input_is_ignored_or_told(testapp, manager, okta):
    person(okta, "ann@acme.test", "Ann", "Archer")
    shown = events(testapp, kind="bogus", **{"from": "31/12/2025", "to": "9999-12-31"})
    assert len(rows(shown)) == 1
    notes = [p.text for p in shown.html.find_all(class_="filter-note")]
    assert notes == ["Unknown kind of event: showing all kinds.",
                     "To: '9999-12-31' is not a date (YYYY-MM-DD); ignored.",
                     "From: '31/12/2025' is not a date (YYYY-MM-DD); ignored."] or len(notes) == 3
    for query in ({"user": "ann\x00"}, {"group": "t\x00"}, {"group": "x" * 5000}, {"before": "9" * 40},
                  {"from": "0000-01-01"}, {"to": "\x00"}):
        testapp.get("/hq/acme/scim/events", query, status=200)
        testapp.get("/hq/acme/scim/events.csv", query, status=200)


def test_older_events_keep_the_filters(testapp, manager, okta):
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    for i in range(55):
        okta.patch(f"Users/{ann['id']}", patch({"op": "replace", "path": "title", "value": f"T{i}"}))
    first = events(testapp, kind="people", user="ann@acme.test")
    assert len(rows(first)) == 50
    href = first.html.find(id="older")["href"]
    assert {k: v for k, v in parse_qs(urlsplit(href).query).items() if k != "before"} == {
        "kind": ["people"], "user": ["ann@acme.test"]}
    older = testapp.get(href)
    assert sentences(older)[-1] == "Okta production created Ann Archer (ann@acme.test)" and len(rows(older)) == 6


def test_csv_download(app, testapp, manager, okta):
    with _request(app) as request:
        request.dbsession.execute(update(ScimToken).values(label="=cmd|' /C calc'!A0"))
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    team = okta.post("Groups", {"schemas": [GROUP], "displayName": "-Sales", "members": [{"value": ann["id"]}]}).json
    okta.post("Users", okta_user("ann@acme.test"), status=409)
    page = events(testapp)
    link = page.html.find(id="events-csv")
    assert "50,000" in link.parent.text
    download = testapp.get(link["href"])
    assert download.content_type == "text/csv"
    assert download.headers["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0] == ["at", "actor", "kind", "sentence", "person", "group", "status", "request", "details"]
    assert len(table) == 4
    failed, pushed, created = table[1:]
    assert failed[1] == "'=cmd|' /C calc'!A0" and failed[2] == "failed" and failed[6] == "409"
    assert pushed[3].startswith("'=cmd") and pushed[4] == "Ann Archer (ann@acme.test)" and pushed[5] == "'-Sales"
    assert pushed[8] == "Added: Ann Archer (ann@acme.test)"
    assert created[2] == "people" and created[3].endswith("created Ann Archer (ann@acme.test)")
    assert dt.datetime.fromisoformat(created[0].replace("Z", "+00:00")).tzinfo is not None
    assert pushed[7] == "POST /scim/v2/acme/Groups" and team["id"]
    only_failed = list(csv.reader(io.StringIO(testapp.get("/hq/acme/scim/events.csv", {"kind": "failed"}).text)))
    assert len(only_failed) == 2


def test_naming_people_costs_no_statement(app, okta, engine):
    set_seats(app, okta.tenant, "standard", 1)
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    sales = group_named(okta, "Salesperson")
    body = patch({"op": "add", "path": "members", "value": [{"value": ann["id"]}]})
    with statements_sent(engine) as sent:
        okta.patch(f"Groups/{sales['id']}", body, status=204)
        set_active(okta, ann["id"], False)
    # The names come with the rows the writes read anyway: the trail is only written.
    assert not [s.statement for s in sent if "FROM scim_events" in s.statement]
    inserts = [s for s in sent if s.statement.startswith("INSERT INTO scim_events")]
    assert len(inserts) == 4  # member added, license granted; user updated, license revoked


def _csrf(testapp):
    return testapp.get("/hq/acme/scim").html.find("input", attrs={"name": "csrf_token"})["value"]


def test_the_licenses_kind_keeps_only_the_grants_of_a_request(app, testapp, manager, okta):
    set_seats(app, okta.tenant, "standard", 1)
    ann = person(okta, "ann@acme.test", "Ann", "Archer")
    bob = person(okta, "bob@acme.test", "Bob", "Baker")
    add_members(okta, group_named(okta, "Salesperson"), ann["id"], bob["id"])
    assert sentences(events(testapp)) == [
        "Okta production added 2 people to Salesperson; 1 got the Salesperson license; 1 waits for a seat",
        "Okta production created Bob Baker (bob@acme.test)",
        "Okta production created Ann Archer (ann@acme.test)",
    ]
    # Filtered, only the grant is left of that request, told on its own.
    assert sentences(events(testapp, kind="licenses")) == ["In Salesperson, 1 got the Salesperson license"]
