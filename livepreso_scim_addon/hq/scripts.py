"""``livepreso-hq CONFIG_URI COMMAND ...``: the reference HQ's own support commands.

Instances, break-glass managers, passwords and the demo of ``make run`` belong to HQ,
not to the SCIM add-on (whose ``livepreso-scim`` keeps the SCIM switch, tokens, seats
and SSO). Like it, each command runs in one transaction, begun as a writer (SQLite's
write lock first, waiting on the busy timeout while the server writes), prints once that
transaction has committed, reads any password before it begins, and fails in one line
on stderr with exit status 2, never a traceback. Of the add-on it uses only the public
entry points (``livepreso_scim_addon.api`` and the contract's types in ``.host``).
"""

from __future__ import annotations

import argparse
import getpass
import io
import logging
import os
import re
import sys
import warnings

# Pyramid 2.1 imports pkg_resources, whose deprecation notice (about Pyramid, not this
# script) would otherwise open every run on support's terminal. Set before Pyramid loads.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API", category=UserWarning)

from pyramid.request import Request  # noqa: E402  (after the filter above)
from pyramid.scripting import prepare  # noqa: E402
from pyramid.scripts.common import get_config_loader  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from livepreso_scim_addon import api  # noqa: E402
from livepreso_scim_addon.host import HostConflict, HostInstance  # noqa: E402

from .accounts import MIN_PASSWORD_LENGTH, create_break_glass_manager, set_password  # noqa: E402
from .instances import create_instance  # noqa: E402
from .models import Instance, LicenseSeats  # noqa: E402

log = logging.getLogger(__name__)

PROG = "livepreso-hq"
#: A few paid seats of each license, so the demo shows licensing (and its queue) at work.
DEMO_SEATS = {"standard": 10, "prep": 5, "hq": 2}


class CommandError(Exception):
    """A problem with what support asked for: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CommandError(message)


def _instance(db, slug) -> HostInstance:
    row = db.scalar(select(Instance).where(Instance.slug == slug))
    if row is None:
        raise CommandError(f"unknown instance {slug!r}")
    return HostInstance(id=row.id, slug=row.slug, name=row.name)


def _login_url(request, instance: HostInstance) -> str:
    return request.route_url("hq.login", instance=instance.slug)


# --- commands ---------------------------------------------------------------------


def instance_create(env, args, out):
    try:
        instance = create_instance(env["request"].dbsession, args.slug, args.name)
    except (ValueError, HostConflict) as error:
        raise CommandError(str(error)) from None
    print(
        f"created instance {instance.slug} (id {instance.id}); its SCIM is off until support runs "
        f"'livepreso-scim {args.config_uri} instance enable {instance.slug}'",
        file=out,
    )


def manager_create(env, args, out):
    """A break-glass manager: HQ access without the Manager license, for when the IdP is out."""
    request = env["request"]
    instance = _instance(request.dbsession, args.slug)
    person = create_break_glass_manager(request.dbsession, instance.id, args.email, args.secret)
    print(
        f"break-glass manager {person.login} of {instance.slug} can sign in at {_login_url(request, instance)}",
        file=out,
    )


def password_set(env, args, out):
    """A password for anyone of the instance, people Okta provisioned included (tests, demos)."""
    request = env["request"]
    instance = _instance(request.dbsession, args.slug)
    person = set_password(request.dbsession, instance.id, args.login, args.secret)
    if person is None:
        raise CommandError(f"instance {instance.slug} has nobody signing in as {args.login!r}")
    print(f"{person.login} of {instance.slug} can sign in at {_login_url(request, instance)}", file=out)
    if not person.active:
        print(f"({person.login} is deactivated: the password works once they are active again)", file=out)


def demo(env, args, out):
    """The demo instance, made once with some seats, SCIM on; a base URL and a new token."""
    request = env["request"]
    db = request.dbsession
    row = db.scalar(select(Instance).where(Instance.slug == args.slug))
    if row is None:
        try:
            instance = create_instance(db, args.slug, "Demo")
        except ValueError as error:
            raise CommandError(str(error)) from None
        for license, seats in DEMO_SEATS.items():
            db.get(LicenseSeats, (instance.id, license)).seats = seats
        db.flush()
    else:
        instance = HostInstance(id=row.id, slug=row.slug, name=row.name)
    api.enable_scim(request, instance)
    token = api.issue_token(request, instance, "make run")
    if not api.public_url(request.registry):
        print("(scim.public_url is not set: replace http://localhost with the address customers use)", file=out)
    print(f"SCIM base URL: {api.scim_base_url(request, instance)}", file=out)
    print(f"HQ sign-in:    {_login_url(request, instance)}", file=out)
    print("Token (shown once):", file=out)
    print(token, file=out)


# --- reading a password -------------------------------------------------------------


def _read_line(path, what):
    """The first line of a file, or of stdin for '-': secrets never come from the command line."""
    if path == "-":
        return sys.stdin.readline().rstrip("\n")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n")
    except OSError as error:
        raise CommandError(f"cannot read the {what}: {error.strerror}: {path}") from None


def _password(args):
    """From --password-file, or stdin, or a prompt."""
    if args.password_file is not None:
        password = _read_line(args.password_file, "password")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="The reference HQ's support commands: instances, managers, passwords.")
    parser.add_argument("config_uri", help="the ini file, e.g. development.ini")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    instance = commands.add_parser("instance").add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = instance.add_parser("create", help="a new HQ instance (no seats, SCIM off)")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.set_defaults(run=instance_create)

    manager = commands.add_parser("manager").add_subparsers(dest="action", required=True, parser_class=_Parser)
    manager_new = manager.add_parser("create", help="a break-glass manager: HQ access without the Manager license")
    manager_new.add_argument("slug")
    manager_new.add_argument("email")
    manager_new.add_argument("--password-file", help="read the password from this file ('-' for stdin)")
    manager_new.set_defaults(run=manager_create, read_secret=_password)

    password = commands.add_parser("password").add_subparsers(dest="action", required=True, parser_class=_Parser)
    password_new = password.add_parser("set", help="a password for an HQ person, e.g. one Okta provisioned")
    password_new.add_argument("slug")
    password_new.add_argument("login")
    password_new.add_argument("--password-file", help="read the password from this file ('-' for stdin)")
    password_new.set_defaults(run=password_set, read_secret=_password)

    demo_cmd = commands.add_parser("demo", help="the demo instance for 'make run', with SCIM on and a new token")
    demo_cmd.add_argument("slug", nargs="?", default="demo")
    demo_cmd.set_defaults(run=demo)
    return parser


# --- running one command --------------------------------------------------------------


def run(argv, out=None) -> int:
    """Run one command; returns the exit status: 0, or 2 after one line on stderr."""
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
        output = _execute(args)
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    out.write(output)
    return 0


def _execute(args) -> str:
    """The command's output; any failure becomes a CommandError with a one-line message."""
    env = _bootstrap(args.config_uri)
    try:
        if "read_secret" in args:
            # Asked for before the transaction begins: no lock is held while someone types.
            args.secret = args.read_secret(args)
        output = io.StringIO()
        with env["request"].tm:
            api.begin_writing(env["request"].dbsession)  # every command writes
            args.run(env, args, output)
        return output.getvalue()
    except CommandError:
        raise
    except DBAPIError as error:
        raise CommandError(_database_problem(error, args.config_uri)) from None
    except Exception as error:
        log.debug("%s %s failed", PROG, args.command, exc_info=True)
        raise CommandError(f"unexpected {type(error).__name__}: {_first_line(error)}") from None
    finally:
        env["closer"]()
        engine = env["registry"].get("db_engine")
        if engine is not None:
            engine.dispose()


def _bootstrap(config_uri):
    """What ``pyramid.paster.bootstrap`` returns, logging set up from the same file, and
    a request whose URLs are the public ones (``scim.public_url``), as the server's."""
    if not os.path.isfile(config_uri.partition("#")[0]):
        raise CommandError(f"no such config file: {config_uri}")
    try:
        loader = get_config_loader(config_uri)
        loader.setup_logging()
        app = loader.get_wsgi_app()
    except Exception as error:  # a broken file, or a setting the app refuses: its message says which
        raise CommandError(f"cannot load {config_uri}: {_first_line(error)}") from None
    public_url = api.public_url(app.registry)
    return prepare(request=Request.blank("/", base_url=public_url) if public_url else None, registry=app.registry)


def _first_line(error: BaseException) -> str:
    """An error's message without what follows its first line (SQLAlchemy puts SQL there)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


_MISSING_SCHEMA = re.compile(r"no such (table|column)")  # SQLite's words for it
_UNDEFINED_TABLE_OR_COLUMN = {"42P01", "42703"}  # PostgreSQL's SQLSTATEs


def _database_problem(error: DBAPIError, config_uri: str) -> str:
    """What went wrong with the database, for support: no SQL, no parameters, no URL."""
    cause = error.orig
    message = _first_line(cause)
    if message.startswith("database is locked"):  # SQLite, after its busy timeout
        return "the database is still locked by another writer after the busy timeout; try again"
    if getattr(cause, "sqlstate", None) in _UNDEFINED_TABLE_OR_COLUMN or _MISSING_SCHEMA.match(message):
        ini = config_uri.partition("#")[0]
        return f"the database lacks HQ's tables or columns: run the migrations (alembic -c {ini} upgrade head)"
    if error.statement is None:  # SQLAlchemy wraps a failed connect without a statement
        return f"cannot connect to the database: {message}"
    return f"database error: {message}"


def main(argv=None):
    sys.exit(run(sys.argv[1:] if argv is None else argv))
