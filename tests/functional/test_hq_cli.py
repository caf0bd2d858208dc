"""``livepreso-hq``: the reference HQ's own commands (instances, break-glass managers,
passwords, the demo of ``make run``), and how they fail.

As for ``livepreso-scim`` (test_cli.py), most tests call ``run`` in-process on one ini
file per backend whose app is built once for the module and works inside the test's
savepoint; the command still parses its arguments, bootstraps from the file and runs in
its own transaction. SQLite's write lock, an ini file without ``scim.public_url`` and
the installed console script need real commits or a process of their own.
"""

from __future__ import annotations

import sys

import pytest
import sqlalchemy as sa

from livepreso_scim_addon.hq.models import HqUser, Instance, LicenseSeats
from livepreso_scim_addon.hq.scripts import CONSOLE
from tests.common.factories import make_hq_user, make_tenant
from tests.common.hq import PASSWORD, sign_in
from tests.common.scim import ScimClient, okta_user, set_active
from tests.common.scripts import (
    TypedWhileTheDatabaseIsFree,
    console_script,
    one_line_failure,
    printed,
    seconds_waited_for_the_write_lock,
    write_ini,
)


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text(f"{PASSWORD}\n")
    return str(path)


def cli(ini, *args, status=0) -> str:
    return printed(CONSOLE, ini, *args, status=status)


def failure(capsys, *argv) -> str:
    return one_line_failure(CONSOLE, capsys, *argv)


def seats(dbsession, slug="initech") -> dict:
    """The instance's paid seats, as the commands so far left them."""
    dbsession.rollback()
    rows = dbsession.execute(
        sa.select(LicenseSeats.license, LicenseSeats.seats).join(Instance).where(Instance.slug == slug)
    )
    return dict(rows.all())


# ---------------------------------------------------------------------------- commands


def test_instance_create_makes_an_instance_with_no_seats_and_scim_off(ini, testapp, dbsession):
    output = cli(ini, "instance", "create", "initech", "--name", "Initech")
    assert output.startswith("created instance initech (id ")
    assert f"'livepreso-scim {ini} instance enable initech'" in output
    assert seats(dbsession) == {"standard": 0, "prep": 0, "hq": 0}
    assert "Initech" in testapp.get("/hq/initech/login").text
    testapp.get("/scim/v2/initech/Users", status=404)  # SCIM is support's to switch on


def test_a_break_glass_manager_signs_in_and_manages_without_a_license(ini, initech, password_file, testapp):
    output = cli(ini, "manager", "create", "initech", "pat@initech.com", "--password-file", password_file)
    assert output == (
        "break-glass manager pat@initech.com of initech can sign in at https://hq.example.com/hq/initech/login\n"
    )
    sign_in(testapp, "initech", "pat@initech.com")
    assert testapp.get("/hq/initech/scim").status_int == 200
    row = next(tr for tr in testapp.get("/hq/initech/users").html.find("table", class_="users").tbody("tr"))
    assert row.find(class_="hq-access").text.strip() == "Manager (break-glass)"


def test_manager_create_makes_an_existing_person_a_manager_with_a_new_password(
    ini, initech, tmp_path, testapp, dbsession
):
    scim = ScimClient(testapp, initech)
    scim.post("Users", okta_user("pat@initech.com"))
    new = tmp_path / "new"
    new.write_text("another long password\n")
    cli(ini, "manager", "create", "initech", "PAT@initech.com", "--password-file", str(new))
    dbsession.rollback()
    [person] = dbsession.scalars(sa.select(HqUser).where(HqUser.instance_id == initech.id)).all()
    assert person.login == "pat@initech.com" and person.break_glass_manager and person.scim_managed
    sign_in(testapp, "initech", "pat@initech.com", password="another long password")
    assert testapp.get("/hq/initech/scim").status_int == 200


def test_password_set_lets_an_okta_person_sign_in_without_making_a_manager(ini, initech, password_file, testapp):
    scim = ScimClient(testapp, initech)
    user = scim.post("Users", okta_user("ann@initech.com")).json
    output = cli(ini, "password", "set", "initech", "Ann@Initech.com", "--password-file", password_file)
    assert output == "ann@initech.com of initech can sign in at https://hq.example.com/hq/initech/login\n"
    sign_in(testapp, "initech", "ann@initech.com")
    assert testapp.get("/hq/initech/").status_int == 200
    testapp.get("/hq/initech/scim", status=403)  # a password is no license

    set_active(scim, user["id"], False)
    output = cli(ini, "password", "set", "initech", "ann@initech.com", "--password-file", password_file)
    assert "is deactivated: the password works once they are active again" in output


def test_demo_creates_an_enabled_instance_with_seats_and_runs_twice(ini, testapp, dbsession):
    first = cli(ini, "demo").splitlines()
    second = cli(ini, "demo").splitlines()
    assert first[0] == second[0] == "SCIM base URL: https://hq.example.com/scim/v2/demo"
    assert first[1] == "HQ sign-in:    https://hq.example.com/hq/demo/login"
    assert first[-2] == "Token (shown once):"
    assert first[-1] != second[-1]  # a fresh token each time, both valid
    for token in (first[-1], second[-1]):
        testapp.get("/scim/v2/demo/Users", headers={"Authorization": f"Bearer {token}"}, status=200)
    assert seats(dbsession, "demo") == {"standard": 10, "prep": 5, "hq": 2}
    groups = testapp.get("/scim/v2/demo/Groups", headers={"Authorization": f"Bearer {first[-1]}"}).json
    assert sorted(g["displayName"] for g in groups["Resources"]) == ["Manager", "Prep User", "Salesperson"]


def test_demo_takes_a_slug_and_switches_an_existing_instance_on(ini, app, testapp):
    make_tenant(app, "initech", enabled=False)
    output = cli(ini, "demo", "initech").splitlines()
    assert output[0] == "SCIM base URL: https://hq.example.com/scim/v2/initech"
    testapp.get("/scim/v2/initech/Users", headers={"Authorization": f"Bearer {output[-1]}"}, status=200)


@pytest.mark.commits  # the command loads an app of its own
def test_without_a_public_url_printed_urls_say_so(tmp_path, database_url, app):
    ini = write_ini(tmp_path / "bare.ini", **{"sqlalchemy.url": database_url})
    output = cli(ini, "demo").splitlines()
    assert output[0].startswith("(scim.public_url is not set")
    assert output[1] == "SCIM base URL: http://localhost/scim/v2/demo"


# ------------------------------------------------------------- every failure: one line, status 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["instance", "create", "initech", "--name", "Again"], "instance 'initech' already exists"),
        (["instance", "create", "Not-A-Slug", "--name", "X"], "a slug is 1 to 64 lower-case letters"),
        (["instance", "create", "x"], "--name"),
        (["manager", "create", "nope", "pat@initech.com", "--password-file", "{password_file}"],
         "unknown instance 'nope'"),
        (["manager", "create", "initech", "pat@initech.com", "--password-file", "/no/such/file"],
         "cannot read the password: No such file or directory: /no/such/file"),
        (["manager", "create", "initech", "pat@initech.com", "--password-file", "{short_file}"],
         "the password must have at least 8 characters"),
        (["password", "set", "initech", "nobody@initech.com", "--password-file", "{password_file}"],
         "instance initech has nobody signing in as 'nobody@initech.com'"),
        (["demo", "Not A Slug"], "a slug is 1 to 64 lower-case letters"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_and_status_2(ini, initech, tmp_path, password_file, capsys, args, message):
    short_file = tmp_path / "short"
    short_file.write_text("short\n")
    argv = [arg.format(password_file=password_file, short_file=short_file) for arg in args]
    assert message in failure(capsys, ini, *argv)


def test_a_missing_config_file_is_one_line(tmp_path, capsys):
    assert "no such config file" in failure(capsys, str(tmp_path / "nope.ini"), "demo")


def test_a_database_without_the_schema_says_to_run_the_migrations(tmp_path, capsys):
    ini = write_ini(tmp_path / "new.ini", **{"sqlalchemy.url": f"sqlite:///{tmp_path}/unmigrated.sqlite"})
    err = failure(capsys, ini, "instance", "create", "acme", "--name", "Acme")
    assert f"run the migrations (alembic -c {ini} upgrade head)" in err, err


def test_the_console_script_fails_in_one_line_with_production_ini():
    """production.ini as shipped, SCIM_DATABASE_URL not exported: what support sees first."""
    process = console_script("livepreso-hq", "production.ini", "demo")
    assert process.returncode == 2, process.stderr
    assert process.stdout == "" and process.stderr.count("\n") == 1, process.stderr
    assert process.stderr.startswith("livepreso-hq: error: ")
    assert "set the environment variable SCIM_DATABASE_URL" in process.stderr


# ------------------------------------------------------------------------- SQLite's write lock

WRITING_COMMANDS = {
    "instance create": ["instance", "create", "globex", "--name", "Globex"],
    "manager create": ["manager", "create", "initech", "pat@initech.com", "--password-file", "{password_file}"],
    "demo": ["demo", "initech"],
}


@pytest.mark.commits  # the lock is held from another connection
@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_writing_command_waits_for_the_servers_write_lock(ini, app, sqlite_path, password_file, command):
    """The lock is taken the moment the command connects and released 0.3 s later, well
    inside the busy timeout: the command waits for it, then succeeds."""
    make_tenant(app, "initech")
    args = [arg.format(password_file=password_file) for arg in WRITING_COMMANDS[command]]
    assert seconds_waited_for_the_write_lock(sqlite_path, lambda: cli(ini, *args), hold=0.3) >= 0.3


@pytest.mark.commits  # the lock is probed from another connection
@pytest.mark.parametrize("command", ["manager", "password"])
def test_passwords_are_read_before_the_write_lock_is_taken(ini, app, sqlite_path, monkeypatch, command):
    """Nothing is locked while someone types a password: the server's writes go on."""
    initech = make_tenant(app, "initech")
    make_hq_user(app, initech, "rep@initech.com", break_glass=False)
    monkeypatch.setattr(sys, "stdin", TypedWhileTheDatabaseIsFree(f"{PASSWORD}\n", sqlite_path))
    if command == "manager":
        cli(ini, "manager", "create", "initech", "pat@initech.com", "--password-file", "-")
    else:
        cli(ini, "password", "set", "initech", "rep@initech.com", "--password-file", "-")
