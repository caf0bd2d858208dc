"""SCIM as an identity provider speaks it: bodies, a tenant's client, and the arrange
steps several modules share (users, groups, members)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

# The contract kit's client and message helpers serve these tests too.
from livepreso_scim_addon.testing.harness import (
    CORE,
    ERROR,
    GROUP,
    HOST,
    PATCH_OP,
    ScimClient,
    assert_scim_error,
    patch,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
__all__ = ["CORE", "ENTERPRISE", "ERROR", "GROUP", "HOST", "PATCH_OP", "ScimClient", "assert_scim_error", "patch"]


# --- bodies ---------------------------------------------------------------------------


def okta_user(user_name="jane.doe@example.com", **extra):
    """The body Okta sends to create a user (Okta SCIM 2.0 reference)."""
    body = {
        "schemas": [CORE],
        "userName": user_name,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Jane Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(extra)
    return body


# --- a tenant and its client ------------------------------------------------------------


@dataclass
class Tenant:
    """An HQ instance with SCIM on, and a bearer token for it."""

    slug: str
    id: int
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def base(self) -> str:
        return f"/scim/v2/{self.slug}"


# --- arrange steps over SCIM --------------------------------------------------------------


def create_user(scim: ScimClient, user_name="jane.doe@example.com", **extra) -> dict:
    """POST /Users with Okta's body; the created resource."""
    return scim.post("Users", okta_user(user_name, **extra)).json


def create_users(scim: ScimClient, *names: str) -> dict[str, str]:
    """``name@example.com`` for each name: {name: SCIM id}."""
    return {name: create_user(scim, f"{name}@example.com")["id"] for name in names}


def set_active(scim: ScimClient, user_id: str, active: bool) -> dict:
    """Okta's (de)activation: a PATCH replacing ``active`` without a path."""
    return scim.patch(f"Users/{user_id}", patch({"op": "replace", "value": {"active": active}})).json


def group_named(scim: ScimClient, name: str) -> dict:
    """The one group with this displayName (case-insensitively, as SCIM filters compare it)."""
    found = scim.get("Groups?filter=" + quote(f'displayName eq "{name}"')).json["Resources"]
    assert len(found) == 1, name
    return found[0]


def member_ids(scim: ScimClient, group_id: str) -> list[str]:
    return sorted(m["value"] for m in scim.get(f"Groups/{group_id}").json.get("members", []))


def add_members(scim: ScimClient, group: dict, *user_ids: str) -> None:
    """Okta's membership push: one PATCH adding these users."""
    body = patch({"op": "add", "path": "members", "value": [{"value": u} for u in user_ids]})
    scim.patch(f"Groups/{group['id']}", body, status=204)


def remove_member(scim: ScimClient, group: dict, user_id: str) -> None:
    """Okta's membership removal: a PATCH with a value filter."""
    scim.patch(f"Groups/{group['id']}", patch({"op": "remove", "path": f'members[value eq "{user_id}"]'}), status=204)


def rename_group(scim: ScimClient, group: dict, name: str) -> None:
    """Okta's Group Linking: the app group takes the Okta group's name."""
    scim.patch(f"Groups/{group['id']}", patch({"op": "replace", "value": {"displayName": name}}), status=204)
