"""GET /Users and POST /Users/.search: filters, paging, sorting, projection."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import webtest

from livepreso_scim_addon.hq import main
from tests.common.db import statements_sent
from tests.common.scim import ENTERPRISE, ScimClient, okta_user, patch


@pytest.fixture
def people(scim):
    """Five users with varied attributes; returns {userName: id}."""
    specs = [
        ("alice@example.com", {"title": "Engineer", "active": True, "emails": [{"value": "alice@example.com", "type": "work", "primary": True}], ENTERPRISE: {"department": "R&D"}}),
        ("Bob@Example.com", {"title": "Manager", "active": False, "emails": [{"value": "bob@home.org", "type": "home"}]}),
        ("carol@example.com", {"title": "engineer", "nickName": "C", "emails": [{"value": "carol@example.com", "type": "work"}, {"value": "c@home.org", "type": "home"}]}),
        ("dave@other.com", {"emails": []}),
        ("eve_100%@example.com", {"displayName": "Eve", "emails": [{"value": "eve@example.com", "type": "work"}]}),
    ]
    ids = {}
    for user_name, extra in specs:
        body = okta_user(user_name, externalId=f"ext-{user_name[:3]}", displayName=extra.pop("displayName", user_name))
        body.pop("title", None)
        body.update(extra)
        ids[user_name] = scim.post("Users", body).json["id"]
    return ids


def names(response):
    return sorted(r["userName"] for r in response.json["Resources"])


def search(scim, expression, status=200):
    return scim.get(f"Users?filter={quote(expression)}", status=status)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('userName eq "ALICE@example.com"', ["alice@example.com"]),
        ('userName eq "bob@example.com"', ["Bob@Example.com"]),  # inactive users are found too
        ('username EQ "bob@example.com"', ["Bob@Example.com"]),
        ('userName sw "car"', ["carol@example.com"]),
        ('userName ew "@OTHER.com"', ["dave@other.com"]),
        ('userName co "100%"', ["eve_100%@example.com"]),  # LIKE wildcards are literal
        ('userName co "_"', ["eve_100%@example.com"]),
        ('externalId eq "ext-ali"', ["alice@example.com"]),
        ('externalId eq "EXT-ALI"', []),  # externalId is caseExact
        ('title eq "engineer"', ["alice@example.com", "carol@example.com"]),
        ("title pr", ["Bob@Example.com", "alice@example.com", "carol@example.com"]),
        ('not (title pr)', ["dave@other.com", "eve_100%@example.com"]),
        ('title ne "Engineer"', ["Bob@Example.com", "dave@other.com", "eve_100%@example.com"]),
        ("active eq false", ["Bob@Example.com"]),
        ('active eq true and title eq "Engineer"', ["alice@example.com", "carol@example.com"]),
        ('title eq "Manager" or nickName eq "C"', ["Bob@Example.com", "carol@example.com"]),
        ('title eq "Manager" or nickName eq "C" and active eq false', ["Bob@Example.com"]),
        ('(title eq "Manager" or nickName eq "C") and active eq true', ["carol@example.com"]),
        ('emails co "@home.org"', ["Bob@Example.com", "carol@example.com"]),
        ('emails.type eq "home"', ["Bob@Example.com", "carol@example.com"]),
        ('emails[type eq "work" and value co "@example.com"]', ["alice@example.com", "carol@example.com", "eve_100%@example.com"]),
        ('emails[type eq "work"].value eq "CAROL@example.com"', ["carol@example.com"]),  # Entra
        ('emails[not (type eq "work")]', ["Bob@Example.com", "carol@example.com"]),
        ("emails pr", ["Bob@Example.com", "alice@example.com", "carol@example.com", "eve_100%@example.com"]),
        ('name.givenName eq "jane"', ["Bob@Example.com", "alice@example.com", "carol@example.com", "dave@other.com", "eve_100%@example.com"]),
        (f'{ENTERPRISE}:department eq "r&d"', ["alice@example.com"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "dave@other.com"', ["dave@other.com"]),
        ('meta.resourceType eq "User" and userName sw "a"', ["alice@example.com"]),
        ('meta.created gt "2000-01-01T00:00:00Z" and userName sw "a"', ["alice@example.com"]),
        ('meta.lastModified lt "2000-01-01T00:00:00Z"', []),
        ('displayName gt "Eve" and displayName lt "zzz"', []),
    ],
)
def test_filters(scim, people, expression, expected):
    response = search(scim, expression)
    assert names(response) == sorted(expected)
    assert response.json["totalResults"] == len(expected)


def test_filter_by_id(scim, people):
    user_id = people["carol@example.com"]
    assert names(search(scim, f'id eq "{user_id}"')) == ["carol@example.com"]


@pytest.mark.parametrize(
    "expression, fragment",
    [
        ('userName eq', "value"),
        ('nosuch eq "x"', "nosuch"),
        ('name.nosuch eq "x"', "nosuch"),
        ('userName zz "x"', ""),
        ('userName eq "unterminated', ""),
        ('(userName eq "x"', ""),
        ("active gt true", ""),
        ('meta.created gt "yesterday"', "dateTime"),
        ('password eq "x"', ""),
    ],
)
def test_bad_filters_are_invalid_filter(scim, people, expression, fragment):
    response = search(scim, expression, status=400)
    assert response.json["scimType"] == "invalidFilter"
    assert fragment in response.json["detail"]


def test_okta_existence_check_shape(scim, people):
    url = "Users?filter=userName%20eq%20%22nobody%40example.com%22&startIndex=1&count=100"
    body = scim.get(url).json
    assert body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_paging_is_stable_and_complete(scim, people):
    seen = []
    for start in (1, 3, 5):
        body = scim.get(f"Users?startIndex={start}&count=2").json
        assert body["totalResults"] == 5 and body["startIndex"] == start
        seen += [r["id"] for r in body["Resources"]]
    assert sorted(seen) == sorted(people.values()) and len(seen) == 5
    assert scim.get("Users?startIndex=9&count=2").json["Resources"] == []
    assert scim.get("Users?count=0").json["totalResults"] == 5
    assert scim.get("Users?count=0").json["Resources"] == []
    assert scim.get("Users?startIndex=-4&count=1").json["startIndex"] == 1
    response = scim.get("Users?count=many", status=400)
    assert response.json["scimType"] == "invalidValue"


def test_okta_test_connection(scim, people):
    body = scim.get("Users?startIndex=1&count=2").json
    assert body["itemsPerPage"] == 2 and isinstance(body["totalResults"], int)


def test_sorting(scim, people):
    ascending = [r["userName"] for r in scim.get("Users?sortBy=userName").json["Resources"]]
    assert ascending == ["alice@example.com", "Bob@Example.com", "carol@example.com", "dave@other.com", "eve_100%@example.com"]
    descending = [r["userName"] for r in scim.get("Users?sortBy=userName&sortOrder=descending").json["Resources"]]
    assert descending == list(reversed(ascending))
    by_email = [r["userName"] for r in scim.get("Users?sortBy=emails.value").json["Resources"]]
    assert by_email[:3] == ["alice@example.com", "Bob@Example.com", "carol@example.com"]
    assert scim.get("Users?sortBy=nosuch", status=400).json["scimType"] == "invalidFilter"
    assert scim.get("Users?sortOrder=sideways", status=400).json["scimType"] == "invalidValue"


def test_attributes_and_excluded_attributes(scim, people):
    body = scim.get("Users?attributes=userName,name.givenName,emails.value&filter=" + quote('userName eq "alice@example.com"')).json
    assert body["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "id": people["alice@example.com"],
            "userName": "alice@example.com",
            "name": {"givenName": "Jane"},
            "emails": [{"value": "alice@example.com"}],
        }
    ]
    single = scim.get(f"Users/{people['alice@example.com']}?excludedAttributes=emails,meta,{ENTERPRISE}:department").json
    assert "emails" not in single and "meta" not in single and "department" not in single.get(ENTERPRISE, {})
    assert single["userName"] == "alice@example.com" and single["id"]
    # id is returned "always", even when excluded
    assert "id" in scim.get(f"Users/{people['alice@example.com']}?excludedAttributes=id").json


def test_search_endpoint(scim, people):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'title eq "engineer"',
        "attributes": ["userName"],
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 1,
        "count": 10,
    }
    response = scim.post("Users/.search", body, status=200)
    assert [r["userName"] for r in response.json["Resources"]] == ["carol@example.com", "alice@example.com"]
    assert set(response.json["Resources"][0]) == {"schemas", "id", "userName"}
    assert scim.post("Users/.search", {"filter": "bad ("}, status=400).json["scimType"] == "invalidFilter"
    assert scim.post("Users/.search", [1], status=400).json["scimType"] == "invalidSyntax"


def _user_queries(scim, engine, url):
    """(the response, the statements that read scim_users) for one GET."""
    with statements_sent(engine) as sent:
        response = scim.get(url)
    statements = [s.statement for s in sent]
    assert not any("scim_user_values" in s and "FROM scim_users" not in s for s in statements)
    return response.json, [s for s in statements if "FROM scim_users" in s and "scim_tokens" not in s]


@pytest.mark.parametrize(
    "start, count, counted",
    [
        (1, 100, False),  # a short first page is the whole result: no COUNT
        (2, 100, False),  # a short later page ends the result too
        (1, 1, True),  # a full page may have more behind it: COUNT
        (50, 100, True),  # past the end: only a COUNT can say how many there are
    ],
)
def test_a_filtered_page_counts_only_when_the_page_cannot_tell(scim, people, engine, start, count, counted):
    where = quote('userName sw "a" or title pr')
    everything, _ = _user_queries(scim, engine, f"Users?count=1000&filter={where}")
    body, queries = _user_queries(scim, engine, f"Users?startIndex={start}&count={count}&filter={where}")
    assert everything["totalResults"] >= 2
    assert body["totalResults"] == everything["totalResults"]
    assert [r["id"] for r in body["Resources"]] == [r["id"] for r in everything["Resources"]][start - 1 : start - 1 + count]
    assert sum("count(" in s.lower() for s in queries) == counted
    # The page's keys, then (unless there are none) those users with their values
    # and groups joined in.
    assert "scim_user_values" not in queries[0]
    if body["Resources"]:
        assert len(queries) == 2 + counted
        assert "scim_user_values" in queries[1]
    else:
        assert len(queries) == 1 + counted


def test_deactivated_users_still_listed(scim, people):
    alice = people["alice@example.com"]
    scim.patch(f"Users/{alice}", patch({"op": "replace", "value": {"active": False}}))
    assert names(search(scim, "active eq false")) == ["Bob@Example.com", "alice@example.com"]


def test_null_comparisons_mean_absence(scim, people):
    assert names(search(scim, "title eq null")) == ["dave@other.com", "eve_100%@example.com"]
    assert names(search(scim, "nickName ne null")) == ["carol@example.com"]


def _page_ids(scim, start, count=2):
    return [r["id"] for r in scim.get(f"Users?startIndex={start}&count={count}").json["Resources"]]


def test_paging_seeks_from_the_last_page_and_stays_exact(scim, people, engine):
    """Okta's walk through startIndex: later pages seek from where the last one ended,
    and return exactly what OFFSET would, also when users come and go in between."""
    everyone = [r["id"] for r in scim.get("Users?count=100").json["Resources"]]
    assert _page_ids(scim, 1) == everyone[0:2]
    with statements_sent(engine) as sent:
        assert _page_ids(scim, 3) == everyone[2:4]
    page = [s.statement for s in sent if "FROM scim_users" in s.statement and "LIMIT" in s.statement]
    assert page and "scim_users.pk >" in page[-1]  # a seek, not a skip
    # Someone before the cursor is deleted: the next page must still be startIndex 5 of
    # the new list, not of the old one.
    scim.delete(f"Users/{everyone[0]}")
    now = [r["id"] for r in scim.get("Users?count=100").json["Resources"]]
    assert _page_ids(scim, 3) == now[2:4]
    # Someone is added: positions before the cursor do not move, and it shows at the end.
    added = scim.post("Users", okta_user("zed@example.com")).json["id"]
    assert _page_ids(scim, 1) == now[0:2] and _page_ids(scim, 3) == now[2:4] and _page_ids(scim, 5) == [added]


def test_a_page_served_by_another_process_seeks_too(app, bind_app, scim, people, engine):
    """Okta's next import page may land on another process behind the proxy: the cursor
    the first process saved (scim_page_cursors) lets the second one seek as well."""
    other_process = bind_app(main({}, **app.registry.settings))  # its own PageCursors
    try:
        other = ScimClient(webtest.TestApp(other_process, extra_environ=scim.testapp.extra_environ), scim.tenant)
        everyone = [r["id"] for r in scim.get("Users?count=100").json["Resources"]]
        assert _page_ids(scim, 1) == everyone[0:2]
        with statements_sent(engine) as sent:  # the test's connection: both apps' sessions are on it
            assert _page_ids(other, 3) == everyone[2:4]
        page = [s.statement for s in sent if "FROM scim_users" in s.statement and "LIMIT" in s.statement]
        assert page and "scim_users.pk >" in page[-1], page  # a seek, not a skip
        # And back: the second process's page told the first where the next one starts.
        assert _page_ids(scim, 5) == everyone[4:6]
    finally:
        other_process.registry["db_engine"].dispose()
