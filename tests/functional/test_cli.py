"""The ``livepreso-scim`` console script: support's switch, tokens and seats, and how it fails.

Most tests call ``run`` in-process on one ini file per backend, whose app is built once
for the module (``support_app``) and, like every app of a test, works inside the test's
savepoint; the command still parses its arguments, bootstraps from that file and runs in
its own transaction. Loading an ini file itself, and the SQLite write lock, are tested
with ini files of their own, and real commits. Instances are arranged with
``make_tenant`` where the CLI's own ``instance create`` is not what a test is about.
Tracebacks and exit statuses belong to the process, so the failure modes that matter
most also run the installed console script as a subprocess.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from livepreso_scim_addon.hq.models import LicenseSeats
from livepreso_scim_addon.models.scim import ScimEvent, ScimSso
from livepreso_scim_addon.scripts.cli import CONSOLE
from tests.common import POSTGRES_URL, ROOT
from tests.common.factories import make_tenant
from tests.common.scripts import (
    TypedWhileTheDatabaseIsFree,
    console_script,
    one_line_failure,
    printed,
    seconds_waited_for_the_write_lock,
    write_ini,
    write_lock,
)
from tests.common.scim import ScimClient, add_members, group_named, okta_user, set_active

def cli(ini, *args, status=0) -> str:
    return printed(CONSOLE, ini, *args, status=status)


def failure(capsys, *argv) -> str:
    return one_line_failure(CONSOLE, capsys, *argv)


def assert_one_line_failure(process: subprocess.CompletedProcess) -> str:
    assert process.returncode == 2, process.stderr
    assert process.stdout == "" and process.stderr.count("\n") == 1, process.stderr
    assert process.stderr.startswith("livepreso-scim: error: ")
    return process.stderr


# ---------------------------------------------------------------------------- commands


def test_instance_lifecycle_and_token(ini, testapp, app):
    make_tenant(app, "initech", enabled=False)
    assert cli(ini, "instance", "list").splitlines() == ["initech\tdisabled\tInitech"]
    created = cli(ini, "token", "create", "initech", "--label", "Okta").splitlines()
    assert created[0] == "SCIM base URL: https://hq.example.com/scim/v2/initech"
    token = created[-1]
    headers = {"Authorization": f"Bearer {token}"}
    testapp.get("/scim/v2/initech/Users", headers=headers, status=404)  # still off
    cli(ini, "instance", "enable", "initech")
    assert cli(ini, "instance", "list").splitlines() == ["initech\tenabled\tInitech"]
    testapp.get("/scim/v2/initech/Users", headers=headers, status=200)

    listing = cli(ini, "token", "list", "initech").splitlines()
    assert listing[0] == "id\tlabel\tcreated\tlast used"
    (okta_row,) = [row.split("\t") for row in listing[1:] if row.split("\t")[1] == "Okta"]
    token_id, _label, _created, last_used = okta_row
    assert last_used != "never"
    assert token not in "\n".join(listing) and token[len("lpscim_") + 17 :] not in "\n".join(listing)

    cli(ini, "token", "revoke", "initech", token_id)
    testapp.get("/scim/v2/initech/Users", headers=headers, status=401)
    assert "Okta" not in cli(ini, "token", "list", "initech")

    cli(ini, "instance", "disable", "initech")
    testapp.get("/scim/v2/initech/Users", status=404)


def test_seats(ini, initech, dbsession):
    assert "seats = 25" in cli(ini, "seats", "set", "initech", "standard", "25")
    assert "seats = unlimited" in cli(ini, "seats", "set", "initech", "hq", "unlimited")
    seats = {row.license: row.seats for row in dbsession.query(LicenseSeats)}
    assert seats == {"standard": 25, "prep": 0, "hq": None}


def test_seats_of_a_license_the_host_does_not_sell(capsys, ini, initech):
    err = failure(capsys, ini, "seats", "set", "initech", "gold", "5")
    assert err == "livepreso-scim: error: unknown license 'gold': this HQ sells standard, prep, hq\n"


def test_seat_changes_by_support_are_in_the_audit_trail(ini, initech, testapp, dbsession):
    scim = ScimClient(testapp, initech)
    user = scim.post("Users", okta_user()).json
    add_members(scim, group_named(scim, "Salesperson"), user["id"])
    cli(ini, "seats", "set", "initech", "standard", "1")
    dbsession.rollback()
    events = dbsession.scalars(
        sa.select(ScimEvent).where(ScimEvent.instance_id == initech.id).order_by(ScimEvent.pk.desc()).limit(2)
    ).all()
    changed, granted = events[1], events[0]
    assert (changed.action, changed.token_id, changed.request) == ("seats_changed", None, "livepreso-scim seats set initech standard 1")
    assert changed.changes == {"license": "standard", "seats": [0, 1]}
    assert (granted.action, granted.user_id, granted.request) == ("license_granted", user["id"], changed.request)


def test_events_and_status(ini, initech, testapp):
    cli(ini, "seats", "set", "initech", "standard", "1")
    scim = ScimClient(testapp, initech)
    ann = scim.post("Users", okta_user("ann@example.com")).json
    bob = scim.post("Users", okta_user("bob@example.com")).json
    set_active(scim, bob["id"], False)
    add_members(scim, group_named(scim, "Salesperson"), ann["id"], bob["id"])
    scim.post("Users", okta_user("ann@example.com"), status=409)

    lines = [json.loads(line) for line in cli(ini, "events", "initech", "--json").splitlines()]
    assert [e["action"] for e in lines] == [
        "failed", "license_granted", "member_added", "member_added", "update", "create", "create", "seats_changed"
    ]
    assert lines[0]["status"] == 409 and "already exists" in lines[0]["detail"]
    assert all(initech.token not in json.dumps(e) for e in lines)
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


def test_sso_settings_by_support(ini, initech, tmp_path, dbsession, monkeypatch):
    monkeypatch.setenv("SCIM_SSO_KEY", Fernet.generate_key().decode())
    assert "SSO is not configured" in cli(ini, "sso", "show", "initech")
    secret = tmp_path / "secret"
    secret.write_text("top-secret-value\n")
    output = cli(ini, "sso", "set", "initech", "--issuer", "https://initech.okta.com/", "--client-id", "0oa1",
                 "--client-secret-file", str(secret))
    # Built from scim.public_url, as the server builds them.
    assert "sign-in redirect URI: https://hq.example.com/sso/initech/callback" in output
    assert "initiate login URI:   https://hq.example.com/sso/initech/login" in output
    assert "public_url is not set" not in output
    shown = cli(ini, "sso", "show", "initech")
    assert "issuer:    https://initech.okta.com" in shown and "client id: 0oa1" in shown
    assert "top-secret-value" not in shown
    row = dbsession.get(ScimSso, dbsession.query(ScimSso.instance_id).scalar())
    assert "top-secret-value" not in row.client_secret_encrypted and row.enabled
    cli(ini, "sso", "disable", "initech")
    assert "SSO for initech: disabled" in cli(ini, "sso", "show", "initech")
    cli(ini, "sso", "set", "initech", "--issuer", "initech.okta.com", "--client-id", "x", "--client-secret-file", str(secret), status=2)
    cli(ini, "sso", "set", "initech", "--issuer", "https://x", "--client-id", "x", "--client-secret-file", "/nope", status=2)


def test_sso_needs_a_key(ini, initech, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SCIM_SSO_KEY", raising=False)
    secret = tmp_path / "secret"
    secret.write_text("top-secret-value\n")
    err = failure(capsys, ini, "sso", "set", "initech", "--issuer", "https://x", "--client-id", "x",
                  "--client-secret-file", str(secret))
    assert "SCIM_SSO_KEY" in err


# ------------------------------------------------------------- every failure: one line, status 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["token", "create", "nope"], "unknown instance 'nope'"),
        (["instance", "enable", "nope"], "unknown instance 'nope'"),
        (["seats", "set", "initech", "gold", "3"], "unknown license 'gold'"),
        (["seats", "set", "initech", "standard", "many"], "whole number or 'unlimited'"),
        (["seats", "set", "initech", "standard", "-1"], "cannot be negative"),
        (["token", "revoke", "initech", "deadbeef"], "no live token"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_errors_are_one_line_and_status_2(ini, initech, capsys, args, message):
    assert message in failure(capsys, ini, *args)


def test_every_command_and_argument_says_what_it_is():
    """``livepreso-scim … --help`` at every level describes each subcommand and argument."""
    import argparse

    from livepreso_scim_addon.scripts.cli import build_parser

    undescribed, parsers = [], [("livepreso-scim", build_parser())]
    while parsers:
        name, parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                described = {choice.dest for choice in action._choices_actions if choice.help}
                undescribed += [f"{name} {sub}" for sub in action.choices if sub not in described]
                parsers += [(f"{name} {sub}", subparser) for sub, subparser in action.choices.items()]
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                undescribed.append(f"{name} {action.dest}")
    assert undescribed == []


def test_a_forgotten_ini_file_is_named_as_such(capsys):
    """``livepreso-scim instance list`` without the ini file: argparse would complain about 'list'."""
    err = failure(capsys, "instance", "list")
    assert err == "livepreso-scim: error: the ini file comes first: livepreso-scim production.ini instance list\n"


@pytest.mark.parametrize(
    "contents, message",
    [
        (None, "no such config file"),
        ("not an ini file\n", "cannot load"),
        ("[app:other]\nuse = egg:livepreso_scim_addon\n", "cannot load"),
    ],
)
def test_a_config_file_missing_or_broken_is_one_line(tmp_path, capsys, contents, message):
    path = tmp_path / "support.ini"
    if contents is not None:
        path.write_text(contents)
    assert message in failure(capsys, str(path), "instance", "list")


def test_an_unset_database_url_variable_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SCIM_TEST_NO_SUCH_URL", raising=False)
    ini = write_ini(tmp_path / "env.ini", **{"scim.database_url_env": "SCIM_TEST_NO_SUCH_URL"})
    err = failure(capsys, ini, "instance", "list")
    assert "set the environment variable SCIM_TEST_NO_SUCH_URL to the database URL" in err


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 nothing listens on (bound but not listening: refused at once)."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path, capsys, monkeypatch, closed_port):
    monkeypatch.setenv("SCIM_DATABASE_URL", f"postgresql+psycopg://scim:pa55-word@127.0.0.1:{closed_port}/livepreso")
    ini = write_ini(tmp_path / "down.ini", **{"scim.database_url_env": "SCIM_DATABASE_URL"})
    for args in (["instance", "list"], ["seats", "set", "acme", "standard", "3"]):
        err = failure(capsys, ini, *args)
        assert "cannot connect to the database" in err and f"port {closed_port}" in err, err
        assert "pa55-word" not in err


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated_database_url(request, tmp_path):
    """A database nobody ran the migrations on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/unmigrated.sqlite"
        return
    if not POSTGRES_URL:
        pytest.skip("SCIM_TEST_POSTGRES_URL is not set: PostgreSQL tests are not run")
    name = f"scim_unmigrated_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_a_database_without_the_schema_says_to_run_the_migrations(tmp_path, capsys, unmigrated_database_url):
    ini = write_ini(tmp_path / "new.ini", **{"sqlalchemy.url": unmigrated_database_url})
    for args in (["instance", "list"], ["instance", "enable", "acme"]):
        err = failure(capsys, ini, *args)
        assert f"run the migrations (alembic -c {ini} -n scim_alembic upgrade head)" in err, err


def test_the_console_script_fails_in_one_line_with_production_ini():
    """production.ini as shipped, SCIM_DATABASE_URL not exported: what support sees first."""
    err = assert_one_line_failure(console_script("livepreso-scim", "production.ini", "instance", "list"))
    assert "set the environment variable SCIM_DATABASE_URL" in err


# ------------------------------------------------------------------------- SQLite's write lock

WRITING_COMMANDS = {
    "seats set": ["seats", "set", "initech", "standard", "3"],
    "instance enable": ["instance", "enable", "initech"],
    "token revoke": ["token", "revoke", "initech", "{token_id}"],
    "sso set": ["sso", "set", "initech", "--issuer", "https://initech.okta.com", "--client-id", "0oa1",
                "--client-secret-file", "{secret_file}"],
}


@pytest.mark.commits  # the lock is held from another connection
@pytest.mark.parametrize("command", WRITING_COMMANDS)
def test_a_writing_command_waits_for_the_servers_write_lock(ini, app, sqlite_path, tmp_path, monkeypatch, command):
    """The lock is taken the moment the command connects and released 0.3 s later, well
    inside the busy timeout (10 s): the command waits for it, then succeeds."""
    initech = make_tenant(app, "initech", enabled=False)  # so that 'enable' has something to write
    monkeypatch.setenv("SCIM_SSO_KEY", Fernet.generate_key().decode())
    secret_file = tmp_path / "secret"
    secret_file.write_text("top-secret-value\n")
    token_id = initech.token.split("_")[1]
    args = [arg.format(token_id=token_id, secret_file=secret_file) for arg in WRITING_COMMANDS[command]]
    assert seconds_waited_for_the_write_lock(sqlite_path, lambda: cli(ini, *args), hold=0.3) >= 0.3


@pytest.mark.commits  # the lock is held from another connection, the command runs in another process
def test_the_write_lock_held_past_the_busy_timeout_is_one_line(initech, sqlite_path, database_url, tmp_path):
    """Reads go on beside the lock (WAL); a write waits 0.2 s, then fails in one line."""
    ini = write_ini(tmp_path / "short.ini", **{"sqlalchemy.url": database_url, "scim.sqlite_busy_timeout_ms": 200})
    with write_lock(sqlite_path):
        assert cli(ini, "status", "initech").startswith("instance initech (Initech)")
        started = time.monotonic()
        err = assert_one_line_failure(console_script("livepreso-scim", ini, "seats", "set", "initech", "standard", "3"))
        assert time.monotonic() - started >= 0.2
    assert "database is still locked by another writer after the busy timeout (scim.sqlite_busy_timeout_ms)" in err


@pytest.mark.commits  # the lock is probed from another connection
@pytest.mark.parametrize(
    "args",
    [
        ["sso", "set", "initech", "--issuer", "https://initech.okta.com", "--client-id", "0oa1", "--client-secret-file", "-"],
    ],
)
def test_secrets_are_read_before_the_write_lock_is_taken(ini, initech, sqlite_path, monkeypatch, args):
    """Nothing is locked while someone types a password: the server's writes go on."""
    monkeypatch.setenv("SCIM_SSO_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(sys, "stdin", TypedWhileTheDatabaseIsFree("a long enough password\n", sqlite_path))
    cli(ini, *args)


# ------------------------------------------------------------------ what the scripts print


@pytest.mark.parametrize("script", ["livepreso-scim", "livepreso-hq"])
def test_the_console_scripts_print_no_warning(script, tmp_path):
    """Run as support runs them (no PYTHONWARNINGS): Pyramid's pkg_resources notice is
    about Pyramid, and the scripts keep it off support's console."""
    ini = write_ini(tmp_path / "support.ini", **{"sqlalchemy.url": f"sqlite:///{tmp_path}/none.sqlite"})
    for argv in (["--help"], [ini, "--help"]):
        process = console_script(script, *argv)
        assert process.returncode == 0 and process.stderr == "", process.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_on_another_port_serves_what_it_prints(tmp_path):
    """`make run PORT=...` as a developer runs it, on a copy of development.ini: the
    migrations, the demo's base URL and token, and the address pserve listens on agree."""
    config = tmp_path / "development.ini"
    shutil.copy(os.path.join(ROOT, "development.ini"), config)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "SCIM_DATABASE_URL")}
    # -o: the venv is the one running this test; never reinstall it from here.
    server = subprocess.Popen(
        ["make", "-s", "-o", ".venv/.installed-stamp", "run", f"CONFIG={config}", f"PORT={port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Serving on" in line for line in seen):
            assert server.poll() is None and time.monotonic() < deadline, "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        printed_lines = [line.strip() for line in seen]
        base = f"http://127.0.0.1:{port}/scim/v2/demo"
        assert f"SCIM base URL: {base}" in printed_lines, seen
        assert f"HQ sign-in:    http://127.0.0.1:{port}/hq/demo/login" in printed_lines, seen
        assert any(f"Serving on http://127.0.0.1:{port}" in line for line in printed_lines), seen
        token = printed_lines[printed_lines.index("Token (shown once):") + 1]
        request = urllib.request.Request(f"{base}/Users?count=1", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200 and "totalResults" in json.load(answer)
        # The copy it served from is the one support commands take.
        assert (tmp_path / "var" / f"development-{port}.ini").is_file()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        reader.join(timeout=5)
        server.stdout.close()


@pytest.mark.commits  # the command loads an app of its own
@pytest.mark.parametrize(
    "settings, unset",
    [
        ({}, "(scim.public_url is not set: "),
        ({"scim.public_url_env": "TEST_UNSET_PUBLIC_URL"}, "(the environment variable TEST_UNSET_PUBLIC_URL "),
    ],
)
def test_urls_printed_without_a_public_url_say_so_first(tmp_path, database_url, app, monkeypatch, settings, unset):
    """What support would hand a customer: never a bare http://localhost."""
    monkeypatch.delenv("TEST_UNSET_PUBLIC_URL", raising=False)
    monkeypatch.setenv("SCIM_SSO_KEY", Fernet.generate_key().decode())
    make_tenant(app, "initech")
    ini = write_ini(tmp_path / "bare.ini", **{"sqlalchemy.url": database_url, **settings})
    created = cli(ini, "token", "create", "initech").splitlines()
    assert created[0].startswith(unset) and created[1] == "SCIM base URL: http://localhost/scim/v2/initech"
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    cli(ini, "sso", "set", "initech", "--issuer", "https://initech.okta.com", "--client-id", "0oa1",
        "--client-secret-file", str(secret))
    shown = cli(ini, "sso", "show", "initech").splitlines()
    warning = next(i for i, line in enumerate(shown) if line.startswith(unset))
    assert shown[warning + 1] == "sign-in redirect URI: http://localhost/sso/initech/callback"
