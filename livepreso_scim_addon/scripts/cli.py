"""``livepreso-scim CONFIG_URI COMMAND ...``: support's switch, tokens, seats, SSO, events.

It works through the host contract only, so it serves any HQ; how a command runs (one
transaction, one line when it fails) is ``commands.Console``.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings

# Pyramid 2.1 imports pkg_resources, whose deprecation notice (about Pyramid, not this
# script) would otherwise open every run on support's terminal. Set before Pyramid loads.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API", category=UserWarning)

from ..commands import CommandError, Console, Parser, read_line  # noqa: E402  (after the filter above)
from ..host import Host, license_of  # noqa: E402
from ..resources import InstanceScope, ScimRoot  # noqa: E402
from ..services import sso  # noqa: E402
from ..services.audit import Actor, AuditService  # noqa: E402
from ..services.instances import InstanceService  # noqa: E402
from ..services.licensing import LicenseService  # noqa: E402
from ..services.tokens import TokenService  # noqa: E402
from ..views.base import scim_base_url  # noqa: E402
from ..service_lookup import build_service  # noqa: E402


def _service(env, service_class, instance=None):
    """A service for this command, built as for a request (``services/__init__.py``);
    ``instance`` for the services of one instance."""
    request = env["request"]
    context = None if instance is None else InstanceScope(ScimRoot(request), instance)
    return build_service(request, service_class, context)


def _instance(env, slug):
    instance = _service(env, Host).find_instance(env["request"].dbsession, slug)
    if instance is None:
        raise CommandError(f"unknown instance {slug!r}")
    return instance


def instance_enable(env, args, out):
    instance = _instance(env, args.slug)
    _service(env, InstanceService).set_enabled(instance.id, True)
    print(f"SCIM enabled for {instance.slug}", file=out)


def instance_disable(env, args, out):
    instance = _instance(env, args.slug)
    _service(env, InstanceService).set_enabled(instance.id, False)
    print(f"SCIM disabled for {instance.slug}; its data is kept", file=out)


def instance_list(env, args, out):
    switches = _service(env, InstanceService)
    for instance in _service(env, Host).list_instances(env["request"].dbsession):
        state = "enabled" if switches.is_enabled(instance.id) else "disabled"
        print(f"{instance.slug}\t{state}\t{instance.name}", file=out)


def token_create(env, args, out):
    instance = _instance(env, args.slug)
    row, token = _service(env, TokenService).create(instance.id, args.label or "")
    _warn_without_public_url(env, out)
    print(f"SCIM base URL: {scim_base_url(env['request'], instance)}", file=out)
    print(f"token {row.id} for {instance.slug}; it is shown once, store it now:", file=out)
    print(token, file=out)


def token_list(env, args, out):
    instance = _instance(env, args.slug)
    print("id\tlabel\tcreated\tlast used", file=out)
    for row in _service(env, TokenService).live_tokens(instance.id):
        last_used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        print(f"{row.id}\t{row.label}\t{row.created_at.isoformat(timespec='seconds')}\t{last_used}", file=out)


def token_revoke(env, args, out):
    instance = _instance(env, args.slug)
    if not _service(env, TokenService).revoke(instance.id, args.token_id):
        raise CommandError(f"instance {instance.slug} has no live token {args.token_id!r}")
    print(f"revoked token {args.token_id}", file=out)


def _seat_count(text):
    if text == "unlimited":
        return None
    try:
        count = int(text)
    except ValueError:
        raise CommandError(f"seats must be a whole number or 'unlimited', not {text!r}") from None
    if count < 0:
        raise CommandError("seats cannot be negative")
    return count


def seats_set(env, args, out):
    instance = _instance(env, args.slug)
    seats = _seat_count(args.count)
    host, db = _service(env, Host), env["request"].dbsession
    license = license_of(host, args.license)
    if license is None:
        sold = ", ".join(license.type for license in host.licenses())
        raise CommandError(f"unknown license {args.license!r}: this HQ sells {sold}")
    # Seats moved by support are on the trail, with the command as the request.
    audit = AuditService(
        db, instance.id, Actor(None, f"livepreso-scim seats set {instance.slug} {args.license} {args.count}")
    )
    LicenseService(db, host, instance.id, audit).set_seats(args.license, seats)
    shown = "unlimited" if seats is None else seats
    print(f"{instance.slug}: {args.license} ({license.group_name}) seats = {shown}", file=out)


def _since(text):
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(f"--since takes an ISO 8601 date or time, not {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment


def events(env, args, out):
    """The audit trail, newest first, as text lines or JSON lines."""
    instance = _instance(env, args.slug)
    since = _since(args.since) if args.since else None
    for event in _service(env, AuditService, instance).events(since=since, limit=args.limit):
        record = {
            "at": event.at.isoformat(timespec="seconds") + "Z",
            "action": event.action,
            "resource_type": event.resource_type,
            "resource_id": event.resource_id,
            "user_id": event.user_id,
            "status": event.status,
            "changes": event.changes,
            "detail": event.detail,
            "token_id": event.token_id,
            "request": event.request,
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False), file=out)
        else:
            fields = [record["at"], event.action, f"{event.resource_type or ''} {event.resource_id or ''}".strip()]
            fields += [f"user={event.user_id}"] if event.user_id else []
            fields += [f"status={event.status}"] if event.status else []
            fields += [json.dumps(event.changes, ensure_ascii=False)] if event.changes else []
            fields += [event.detail] if event.detail else []
            print("\t".join(fields), file=out)


def status(env, args, out):
    """Support's overview: switch, tokens, seats and their use, counts, last request."""
    instance = _instance(env, args.slug)
    switches = _service(env, InstanceService)
    live = _service(env, TokenService).live_tokens(instance.id)
    last_used = max((t.last_used_at for t in live if t.last_used_at), default=None)
    print(f"instance {instance.slug} ({instance.name})", file=out)
    print(f"SCIM: {'enabled' if switches.is_enabled(instance.id) else 'disabled'}", file=out)
    print(f"tokens: {len(live)} live", file=out)
    for summary in _service(env, LicenseService, instance).summary():
        seats = "unlimited" if summary.seats is None else summary.seats
        print(
            f"license {summary.license} ({summary.name}): seats {seats}, "
            f"licensed {summary.licensed}, waiting {summary.waiting}",
            file=out,
        )
    counts = switches.counts(instance.id)
    print(f"users: {counts['users']} ({counts['active_users']} active), groups: {counts['groups']}", file=out)
    last_event = _service(env, AuditService, instance).last_event_at()
    shown = max(filter(None, (last_used, last_event)), default=None)
    print(f"last SCIM request: {shown.isoformat(timespec='seconds') + 'Z' if shown else 'never'}", file=out)


def _client_secret(args):
    secret = read_line(args.client_secret_file, "client secret").strip()
    if not secret:
        raise CommandError("the client secret is empty")
    return secret


def sso_set(env, args, out):
    instance = _instance(env, args.slug)
    if not args.issuer.startswith(("https://", "http://")):
        raise CommandError("--issuer must be the provider's URL, e.g. https://acme.okta.com")
    try:
        cipher = sso.client_secret_cipher(env["registry"].settings)
    except sso.SsoKeyMissing as error:
        raise CommandError(str(error)) from None
    sso.configure(env["request"].dbsession, cipher, instance.id, args.issuer, args.client_id, args.secret)
    print(f"SSO enabled for {instance.slug}: issuer {args.issuer.rstrip('/')}, client id {args.client_id}", file=out)
    _print_sso_uris(env, instance, out)


def _print_sso_uris(env, instance, out):
    request = env["request"]
    _warn_without_public_url(env, out)
    print(f"sign-in redirect URI: {request.route_url('scim.sso.callback', instance=instance.slug)}", file=out)
    print(f"initiate login URI:   {request.route_url('scim.sso.login', instance=instance.slug)}", file=out)


def _warn_without_public_url(env, out):
    """Before URLs built without a public URL: support would otherwise hand a customer
    http://localhost."""
    if env["registry"]["scim.settings"].public_url:
        return
    # production.ini names a variable: the fix is exporting it, not editing the file.
    variable = env["registry"].settings.get("scim.public_url_env")
    unset = f"the environment variable {variable} (scim.public_url_env) is not set" if variable else (
        "scim.public_url is not set"
    )
    print(f"({unset}: replace http://localhost with the address customers use)", file=out)


def sso_show(env, args, out):
    instance = _instance(env, args.slug)
    row = sso.settings_for(env["request"].dbsession, instance.id)
    if row is None:
        print(f"SSO is not configured for {instance.slug}", file=out)
        return
    print(f"SSO for {instance.slug}: {'enabled' if row.enabled else 'disabled'}", file=out)
    print(f"issuer:    {row.issuer}", file=out)
    print(f"client id: {row.client_id}", file=out)
    print("client secret: (stored encrypted, never shown)", file=out)
    _print_sso_uris(env, instance, out)


def sso_disable(env, args, out):
    instance = _instance(env, args.slug)
    if not sso.disable(env["request"].dbsession, instance.id):
        raise CommandError(f"SSO is not configured for {instance.slug}")
    print(f"SSO disabled for {instance.slug}; its settings are kept", file=out)


#: Every command names an instance by its URL slug.
_SLUG = "the instance's URL slug, as in /scim/v2/<slug>"


def build_parser() -> Parser:
    parser = Parser(prog="livepreso-scim", description="Support's controls for the LivePreso SCIM add-on.")
    parser.add_argument("config_uri", help="the ini file, e.g. production.ini")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    instance = commands.add_parser("instance", help="SCIM on or off for an instance").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    for action, run, text in (
        ("enable", instance_enable, "SCIM on: the API appears, its license groups exist"),
        ("disable", instance_disable, "SCIM off: 404 for everyone, every user and token kept"),
    ):
        sub = instance.add_parser(action, help=text)
        sub.add_argument("slug", help=_SLUG)
        sub.set_defaults(run=run)
    instance.add_parser("list", help="every instance and whether its SCIM is on").set_defaults(run=instance_list)

    token = commands.add_parser("token", help="the bearer tokens Okta or Entra authenticate with").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    create = token.add_parser("create", help="a new token, printed once with the base URL")
    create.add_argument("slug", help=_SLUG)
    create.add_argument("--label", default="", help="what it is for, e.g. 'Okta production'")
    create.set_defaults(run=token_create)
    listing = token.add_parser("list", help="live tokens: id, label, created, last used (never the token)")
    listing.add_argument("slug", help=_SLUG)
    listing.set_defaults(run=token_list)
    revoke = token.add_parser("revoke", help="stop a token at once")
    revoke.add_argument("slug", help=_SLUG)
    revoke.add_argument("token_id", help="the id 'token list' shows")
    revoke.set_defaults(run=token_revoke)

    seats = commands.add_parser("seats", help="paid seats per license").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    seat_set = seats.add_parser("set", help="the paid seats of a license: members get or lose licenses at once")
    seat_set.add_argument("slug", help=_SLUG)
    seat_set.add_argument("license", help="a license type the HQ sells (the 'status' command lists them with their groups)")
    seat_set.add_argument("count", help="a whole number or 'unlimited'")
    seat_set.set_defaults(run=seats_set)

    events_cmd = commands.add_parser("events", help="the audit trail, newest first")
    events_cmd.add_argument("slug", help=_SLUG)
    events_cmd.add_argument("--since", help="only events at or after this ISO 8601 date or time (UTC)")
    events_cmd.add_argument("--limit", type=int, default=100, help="at most this many events (default 100)")
    events_cmd.add_argument("--json", action="store_true", help="one JSON object per line")
    events_cmd.set_defaults(run=events)

    status_cmd = commands.add_parser("status", help="switch, tokens, seats, counts, last request")
    status_cmd.add_argument("slug", help=_SLUG)
    status_cmd.set_defaults(run=status)

    sso_cmd = commands.add_parser("sso", help="sign-in to HQ through the customer's identity provider").add_subparsers(
        dest="action", required=True, parser_class=Parser
    )
    sso_new = sso_cmd.add_parser("set", help="the customer's OIDC issuer, client id and secret")
    sso_new.add_argument("slug", help=_SLUG)
    sso_new.add_argument("--issuer", required=True, help="the provider's URL, e.g. https://acme.okta.com")
    sso_new.add_argument("--client-id", required=True, help="the app's client id at the provider")
    sso_new.add_argument("--client-secret-file", required=True, help="a file holding the secret, or '-' for stdin")
    sso_new.set_defaults(run=sso_set, read_secret=_client_secret)
    for action, run, text in (
        ("show", sso_show, "the settings and the URIs to register (never the secret)"),
        ("disable", sso_disable, "SSO off; its settings are kept"),
    ):
        sub = sso_cmd.add_parser(action, help=text)
        sub.add_argument("slug", help=_SLUG)
        sub.set_defaults(run=run)
    return parser


CONSOLE = Console(
    prog="livepreso-scim",
    build_parser=build_parser,
    tables="the add-on's",
    migrate="alembic -c {ini} -n scim_alembic upgrade head",
    read_only=frozenset({instance_list, token_list, events, status, sso_show}),
)
run, main = CONSOLE.run, CONSOLE.main
