"""userNames are one userName under NFC and case folding (``scim.text.user_name_key``):
uniqueness, Okta's existence check and the other filters, the events page's lookup.
SSO email matching: test_sso.py; the migration that recomputed the keys: test_migrations.py."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from livepreso_scim_addon.services.event_log import find_user_id
from tests.common.scim import okta_user, patch

NFC = "caf\u00e9@example.com"
NFD = "cafe\u0301@example.com"


def search(scim, expression) -> list[str]:
    response = scim.get(f"Users?filter={quote(expression)}")
    return sorted(resource["id"] for resource in response.json["Resources"])


@pytest.mark.parametrize("first, twin", [(NFC, NFD), (NFD, NFC.upper()), ("stra\u00dfe@example.com", "STRASSE@example.com")])
def test_creating_a_twin_is_409_uniqueness(scim, first, twin):
    scim.post("Users", okta_user(first))
    response = scim.post("Users", okta_user(twin), status=409)
    assert response.json["scimType"] == "uniqueness" and twin in response.json["detail"]


def test_renaming_into_a_twin_is_409_and_renaming_oneself_is_not(scim):
    scim.post("Users", okta_user(NFC))
    other = scim.post("Users", okta_user("other@example.com")).json
    renamed = patch({"op": "replace", "path": "userName", "value": NFD})
    assert scim.patch(f"Users/{other['id']}", renamed, status=409).json["scimType"] == "uniqueness"
    other["userName"] = "STRA\u1e9eE@example.com"
    scim.put(f"Users/{other['id']}", other)
    # A user may change between the forms of its own name: the stored form follows.
    other["userName"] = "strasse@example.com"
    assert scim.put(f"Users/{other['id']}", other).json["userName"] == "strasse@example.com"


def test_okta_finds_the_user_in_the_other_form(scim):
    """Okta's existence check before a create, ``userName eq``, in NFD, NFC or upper case."""
    cafe = scim.post("Users", okta_user(NFD)).json["id"]
    strasse = scim.post("Users", okta_user("Stra\u00dfe@example.com")).json["id"]
    for asked in (NFC, NFD, NFC.upper(), "CAFE\u0301@EXAMPLE.COM"):
        assert search(scim, f'userName eq "{asked}"') == [cafe], ascii(asked)
    assert search(scim, 'userName eq "strasse@example.com"') == [strasse]
    assert search(scim, f'userName ne "{NFC}"') == [strasse]


def test_substring_filters_compare_keys(scim):
    """co, sw, ew take the key of the value against the stored key."""
    cafe = scim.post("Users", okta_user(NFD)).json["id"]
    strasse = scim.post("Users", okta_user("STRASSE@example.com")).json["id"]
    assert search(scim, 'userName sw "stra\u00df"') == [strasse]  # "straß" is "strass"
    assert search(scim, 'userName sw "Stras"') == [strasse]
    assert search(scim, 'userName co "A\u00df"') == [strasse]
    assert search(scim, 'userName sw "CAF\u00c9"') == [cafe]
    assert search(scim, 'userName co "e\u0301@"') == [cafe]
    # The key holds é as one character: the name starts with "café", not with "cafe".
    assert search(scim, 'userName sw "cafe"') == []
    assert search(scim, 'userName ew "EXAMPLE.COM"') == sorted([cafe, strasse])


def test_the_events_page_lookup_finds_the_other_form(scim, dbsession, tenant):
    cafe = scim.post("Users", okta_user(NFC)).json["id"]
    assert find_user_id(dbsession, tenant.id, NFD.upper()) == cafe
    assert find_user_id(dbsession, tenant.id, cafe) == cafe
    assert find_user_id(dbsession, tenant.id, "cafe@example.com") is None
