"""The ``livepreso-scim`` console script: support's switch, tokens and seats."""

from __future__ import annotations

import io

import pytest

from livepreso_scim_addon.host import LICENSES
from livepreso_scim_addon.hq.models import LicenseSeats
from livepreso_scim_addon.scripts.cli import run


@pytest.fixture
def ini(tmp_path, database_url, app):
    path = tmp_path / "test.ini"
    path.write_text(
        "[app:main]\nuse = egg:livepreso_scim_addon\n"
        f"sqlalchemy.url = {database_url}\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARN\nhandlers = console\n"
        "[handler_console]\nclass = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
        "[formatter_generic]\nformat = %(message)s\n"
    )
    return str(path)


def cli(ini, *args, status=0):
    out = io.StringIO()
    assert run([ini, *args], out=out) == status
    return out.getvalue()


def test_instance_lifecycle_and_token(ini, testapp):
    assert "SCIM is disabled" in cli(ini, "instance", "create", "initech", "--name", "Initech")
    assert cli(ini, "instance", "list").splitlines() == ["initech\tdisabled\tInitech"]
    token = cli(ini, "token", "create", "initech", "--label", "Okta").splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    testapp.get("/scim/v2/initech/Users", headers=headers, status=404)  # still off
    cli(ini, "instance", "enable", "initech")
    assert cli(ini, "instance", "list").splitlines() == ["initech\tenabled\tInitech"]
    testapp.get("/scim/v2/initech/Users", headers=headers, status=200)

    listing = cli(ini, "token", "list", "initech").splitlines()
    assert listing[0] == "id\tlabel\tcreated\tlast used"
    token_id, label, _created, last_used = listing[1].split("\t")
    assert label == "Okta" and last_used != "never"
    assert token not in "\n".join(listing) and token[len("lpscim_") + 17 :] not in "\n".join(listing)

    cli(ini, "token", "revoke", "initech", token_id)
    testapp.get("/scim/v2/initech/Users", headers=headers, status=401)
    assert len(cli(ini, "token", "list", "initech").splitlines()) == 1

    cli(ini, "instance", "disable", "initech")
    testapp.get("/scim/v2/initech/Users", status=404)


def test_seats(ini, dbsession):
    cli(ini, "instance", "create", "initech", "--name", "Initech")
    assert "seats = 25" in cli(ini, "seats", "set", "initech", "standard", "25")
    assert "seats = unlimited" in cli(ini, "seats", "set", "initech", "hq", "unlimited")
    seats = {row.license: row.seats for row in dbsession.query(LicenseSeats)}
    assert seats == {"standard": 25, "prep": 0, "hq": None}
    assert set(seats) == set(LICENSES)


@pytest.mark.parametrize(
    "args, message",
    [
        (["token", "create", "nope"], "unknown instance 'nope'"),
        (["instance", "enable", "nope"], "unknown instance 'nope'"),
        (["seats", "set", "initech", "gold", "3"], "invalid choice"),
        (["seats", "set", "initech", "standard", "many"], "whole number or 'unlimited'"),
        (["seats", "set", "initech", "standard", "-1"], "cannot be negative"),
        (["token", "revoke", "initech", "deadbeef"], "no live token"),
        (["instance", "create", "initech", "--name", "Again"], "already exists"),
        (["frobnicate"], "invalid choice"),
        (["instance", "create", "x"], "--name"),
    ],
)
def test_errors_are_one_line_and_status_2(ini, capsys, args, message):
    cli(ini, "instance", "create", "initech", "--name", "Initech")
    capsys.readouterr()
    cli(ini, *args, status=2)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_missing_config_file(capsys):
    assert run(["/no/such.ini", "instance", "list"]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_manager_password_from_file_and_demo(ini, tmp_path, testapp):
    cli(ini, "instance", "create", "initech", "--name", "Initech")
    secret = tmp_path / "pw"
    secret.write_text("a long enough password\n")
    cli(ini, "manager", "create", "initech", "pat@initech.com", "--password-file", str(secret))
    form = testapp.get("/hq/initech/login").forms[0]
    form["login"], form["password"] = "pat@initech.com", "a long enough password"
    form.submit(status=303)
    short = tmp_path / "short"
    short.write_text("short\n")
    cli(ini, "manager", "create", "initech", "pat@initech.com", "--password-file", str(short), status=2)

    output = cli(ini, "demo", "--slug", "initech").splitlines()
    assert output[0] == "SCIM base URL: http://127.0.0.1:6543/scim/v2/initech"
    testapp.get("/scim/v2/initech/Users", headers={"Authorization": f"Bearer {output[-1]}"}, status=200)


def test_demo_creates_an_enabled_instance_with_seats_and_runs_twice(ini, testapp, dbsession):
    first = cli(ini, "demo").splitlines()
    second = cli(ini, "demo").splitlines()
    assert first[0] == second[0] == "SCIM base URL: http://127.0.0.1:6543/scim/v2/demo"
    assert first[-1] != second[-1]  # a fresh token each time, both valid
    for token in (first[-1], second[-1]):
        testapp.get("/scim/v2/demo/Users", headers={"Authorization": f"Bearer {token}"}, status=200)
    seats = {row.license: row.seats for row in dbsession.query(LicenseSeats)}
    assert seats == {"standard": 10, "prep": 5, "hq": 2}


def test_seat_changes_by_support_are_in_the_audit_trail(ini, testapp, dbsession):
    from sqlalchemy import select

    from livepreso_scim_addon.models.scim import ScimEvent

    from .test_groups import group_named
    from .test_users import okta_user, patch
    from tests.conftest import ScimClient, Tenant

    cli(ini, "instance", "create", "initech", "--name", "Initech")
    cli(ini, "instance", "enable", "initech")
    token = cli(ini, "token", "create", "initech").splitlines()[-1]
    scim = ScimClient(testapp, Tenant("initech", 0, token))
    user = scim.post("Users", okta_user()).json
    sales = group_named(scim, "Salesperson")
    scim.patch(f"Groups/{sales['id']}", patch({"op": "add", "path": "members", "value": [{"value": user["id"]}]}), status=204)
    cli(ini, "seats", "set", "initech", "standard", "1")
    dbsession.rollback()
    granted = dbsession.scalars(select(ScimEvent).where(ScimEvent.action == "license_granted")).all()
    assert [(e.user_id, e.token_id, e.request) for e in granted] == [
        (user["id"], None, "livepreso-scim seats set standard 1")
    ]


def test_events_and_status(ini, testapp, capsys):
    import json

    from .test_groups import group_named
    from .test_users import okta_user, patch
    from tests.conftest import ScimClient, Tenant

    cli(ini, "instance", "create", "initech", "--name", "Initech")
    cli(ini, "instance", "enable", "initech")
    cli(ini, "seats", "set", "initech", "standard", "1")
    token = cli(ini, "token", "create", "initech").splitlines()[-1]
    scim = ScimClient(testapp, Tenant("initech", 0, token))
    ann = scim.post("Users", okta_user("ann@example.com")).json
    bob = scim.post("Users", okta_user("bob@example.com")).json
    scim.patch(f"Users/{bob['id']}", patch({"op": "replace", "value": {"active": False}}))
    sales = group_named(scim, "Salesperson")
    body = patch({"op": "add", "path": "members", "value": [{"value": ann["id"]}, {"value": bob["id"]}]})
    scim.patch(f"Groups/{sales['id']}", body, status=204)
    scim.post("Users", okta_user("ann@example.com"), status=409)

    lines = [json.loads(line) for line in cli(ini, "events", "initech", "--json").splitlines()]
    assert [e["action"] for e in lines] == [
        "failed", "license_granted", "member_added", "member_added", "update", "create", "create"
    ]
    assert lines[0]["status"] == 409 and "already exists" in lines[0]["detail"]
    assert all(token not in json.dumps(e) for e in lines)
    text = cli(ini, "events", "initech", "--limit", "1").splitlines()
    assert len(text) == 1 and "failed" in text[0] and "status=409" in text[0]
    assert cli(ini, "events", "initech", "--since", "2999-01-01") == ""
    cli(ini, "events", "initech", "--since", "yesterday", status=2)

    status = cli(ini, "status", "initech").splitlines()
    assert status[0] == "instance initech (Initech)"
    assert status[1] == "SCIM: enabled"
    assert status[2] == "tokens: 1 live"
    assert status[3] == "license standard (Salesperson): seats 1, licensed 1, waiting 0"
    assert status[6] == "users: 2 (1 active), groups: 3"
    assert status[7].startswith("last SCIM request: 20")


def test_sso_settings_by_support(ini, tmp_path, dbsession, monkeypatch):
    from cryptography.fernet import Fernet

    from livepreso_scim_addon.models.scim import ScimSso

    monkeypatch.setenv("SCIM_SSO_KEY", Fernet.generate_key().decode())
    cli(ini, "instance", "create", "initech", "--name", "Initech")
    assert "SSO is not configured" in cli(ini, "sso", "show", "initech")
    secret = tmp_path / "secret"
    secret.write_text("top-secret-value\n")
    output = cli(ini, "sso", "set", "initech", "--issuer", "https://initech.okta.com/", "--client-id", "0oa1",
                 "--client-secret-file", str(secret))
    assert "sign-in redirect URI: http://localhost/sso/initech/callback" in output
    assert "initiate login URI:   http://localhost/sso/initech/login" in output
    shown = cli(ini, "sso", "show", "initech")
    assert "issuer:    https://initech.okta.com" in shown and "client id: 0oa1" in shown
    assert "top-secret-value" not in shown
    row = dbsession.get(ScimSso, dbsession.query(ScimSso.instance_id).scalar())
    assert "top-secret-value" not in row.client_secret_encrypted and row.enabled
    cli(ini, "sso", "disable", "initech")
    assert "SSO for initech: disabled" in cli(ini, "sso", "show", "initech")
    cli(ini, "sso", "set", "initech", "--issuer", "initech.okta.com", "--client-id", "x", "--client-secret-file", str(secret), status=2)
    cli(ini, "sso", "set", "initech", "--issuer", "https://x", "--client-id", "x", "--client-secret-file", "/nope", status=2)


def test_sso_needs_a_key(ini, monkeypatch, capsys):
    monkeypatch.delenv("SCIM_SSO_KEY", raising=False)
    cli(ini, "instance", "create", "initech", "--name", "Initech")
    capsys.readouterr()
    cli(ini, "sso", "set", "initech", "--issuer", "https://x", "--client-id", "x", "--client-secret-file", "-", status=2)
    assert "SCIM_SSO_KEY" in capsys.readouterr().err
