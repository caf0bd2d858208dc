"""``livepreso-hq CONFIG_URI COMMAND ...``: the reference HQ's own support commands.

Instances, break-glass managers, passwords and the demo of ``make run`` belong to HQ,
not to the SCIM add-on (whose ``livepreso-scim`` keeps the SCIM switch, tokens, seats
and SSO). Both are a ``livepreso_scim_addon.commands.Console``: one transaction per
command, any password read before it begins, one line on stderr and exit status 2 when
it fails. Of the add-on it uses only public entry points (``api``, ``commands`` and the
contract's types in ``host``).
"""

from __future__ import annotations

import getpass
import sys
import warnings

# Pyramid 2.1 imports pkg_resources, whose deprecation notice (about Pyramid, not this
# script) would otherwise open every run on support's terminal. Set before Pyramid loads.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API", category=UserWarning)


from livepreso_scim_addon import api  # noqa: E402
from livepreso_scim_addon.commands import CommandError, Console, Parser, read_line  # noqa: E402
from livepreso_scim_addon.host import HostConflict, HostInstance  # noqa: E402

from .accounts import MIN_PASSWORD_LENGTH, create_break_glass_manager, set_password  # noqa: E402
from .host import ReferenceHost  # noqa: E402
from .instances import create_instance  # noqa: E402


PROG = "livepreso-hq"
#: A few paid seats of each license, so the demo shows licensing (and its queue) at work.
DEMO_SEATS = {"standard": 10, "prep": 5, "hq": 2}


def _instance(db, slug) -> HostInstance:
    instance = ReferenceHost().find_instance(db, slug)
    if instance is None:
        raise CommandError(f"unknown instance {slug!r}")
    return instance


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
    instance = ReferenceHost().find_instance(request.dbsession, args.slug)
    if instance is None:
        try:
            instance = create_instance(request.dbsession, args.slug, "Demo")
        except ValueError as error:
            raise CommandError(str(error)) from None
        for license, seats in DEMO_SEATS.items():
            api.set_license_seats(request, instance, license, seats)
    api.enable_scim(request, instance)
    token = api.issue_token(request, instance, "make run")
    if not api.public_url(request.registry):
        print("(scim.public_url is not set: replace http://localhost with the address customers use)", file=out)
    print(f"SCIM base URL: {api.scim_base_url(request, instance)}", file=out)
    print(f"HQ sign-in:    {_login_url(request, instance)}", file=out)
    print("Token (shown once):", file=out)
    print(token, file=out)


# --- reading a password -------------------------------------------------------------


def _password(args):
    """From --password-file, or stdin, or a prompt."""
    if args.password_file is not None:
        password = read_line(args.password_file, "password")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="The reference HQ's support commands: instances, managers, passwords.")
    parser.add_argument("config_uri", help="the ini file, e.g. development.ini")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    instance = commands.add_parser("instance").add_subparsers(dest="action", required=True, parser_class=Parser)
    create = instance.add_parser("create", help="a new HQ instance (no seats, SCIM off)")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.set_defaults(run=instance_create)

    manager = commands.add_parser("manager").add_subparsers(dest="action", required=True, parser_class=Parser)
    manager_new = manager.add_parser("create", help="a break-glass manager: HQ access without the Manager license")
    manager_new.add_argument("slug")
    manager_new.add_argument("email")
    manager_new.add_argument("--password-file", help="read the password from this file ('-' for stdin)")
    manager_new.set_defaults(run=manager_create, read_secret=_password)

    password = commands.add_parser("password").add_subparsers(dest="action", required=True, parser_class=Parser)
    password_new = password.add_parser("set", help="a password for an HQ person, e.g. one Okta provisioned")
    password_new.add_argument("slug")
    password_new.add_argument("login")
    password_new.add_argument("--password-file", help="read the password from this file ('-' for stdin)")
    password_new.set_defaults(run=password_set, read_secret=_password)

    demo_cmd = commands.add_parser("demo", help="the demo instance for 'make run', with SCIM on and a new token")
    demo_cmd.add_argument("slug", nargs="?", default="demo")
    demo_cmd.set_defaults(run=demo)
    return parser


CONSOLE = Console(
    prog="livepreso-hq",
    build_parser=build_parser,
    tables="HQ's",
    migrate="alembic -c {ini} upgrade head",
)
run, main = CONSOLE.run, CONSOLE.main
