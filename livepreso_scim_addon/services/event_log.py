"""The audit trail told in words: filters, the listing, and one sentence per request.

The HQ events page and its CSV download (``views/hq.py``) read the trail through this
module; it imports no Pyramid, so the sentences test as plain functions too. Names come
from the labels stored with each event (``user_label``, ``resource_label``), so a user or
group deleted since is still named; events written before the labels existed fall back
to ids. The events one request wrote (one ``request_id``) make one :class:`EventEntry`:
"Okta production added 3 people to Field Sales; 2 got the Salesperson license".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..models.scim import ScimEvent, ScimGroup, ScimToken, ScimUser, with_ids
from ..scim.text import storable, user_name_key
from .audit import AuditAction as A
from .audit import LABEL_COLUMNS, label_of

#: The kinds the page filters by (``?kind=``), and the actions each stands for. The
#: health panel of the SCIM page links to ``events?kind=failed``.
KINDS: dict[str, tuple[str | None, frozenset[str]]] = {
    "people": ("User", frozenset({A.CREATE, A.UPDATE, A.DELETE, A.GONE})),
    "groups": ("Group", frozenset({A.CREATE, A.UPDATE, A.DELETE, A.RESET, A.GONE})),
    "members": (None, frozenset({A.MEMBER_ADDED, A.MEMBER_REMOVED, A.MEMBER_SKIPPED})),
    "licenses": (None, frozenset({A.LICENSE_GRANTED, A.LICENSE_REVOKED, A.SEATS_CHANGED})),
    "tokens": (None, frozenset({A.TOKEN_CREATED, A.TOKEN_REVOKED})),
    "failed": (None, frozenset({A.FAILED})),
}
#: The most rows a CSV download holds; the page says so beside the link.
CSV_MAX_ROWS = 50_000
CSV_COLUMNS = ("at", "actor", "kind", "sentence", "person", "group", "status", "request", "details")
#: The largest key ``scim_events.pk`` (INTEGER) holds: a larger cursor would fail on PostgreSQL.
MAX_EVENT_PK = 2**31 - 1
#: The most people a detail line names; the rest are counted.
NAMED_PER_LINE = 25


@dataclass(frozen=True)
class EventFilter:
    """What a manager asked to see; dates are UTC days, ``until`` included."""

    kind: str | None = None
    user_id: str | None = None
    group_id: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    before_pk: int | None = None
    #: A person or group was asked for and names nobody: nothing matches.
    nobody: bool = False


@dataclass(frozen=True)
class Person:
    """A user named in a sentence; ``linked`` while the user still exists."""

    label: str
    user_id: str | None
    linked: bool = False

    def __str__(self) -> str:
        return self.label


#: A sentence as text and people, so the page can link the people and the CSV print them.
Segments = list[str | Person]


def text(segments: Segments) -> str:
    return "".join(str(s) for s in segments)


@dataclass
class EventEntry:
    """One request's events as an admin reads them."""

    at: dt.datetime
    actor: str
    headline: Segments
    details: list[Segments]
    css: str  # ok, failed, routine
    kind: str
    request: str | None
    request_id: str | None
    status: int | None
    people: list[Person] = field(default_factory=list)
    group: str | None = None
    oldest_pk: int = 0

    @property
    def sentence(self) -> str:
        return text(self.headline)


@dataclass(frozen=True)
class Naming:
    """What the sentences need beyond the events: token labels, license names, who still exists."""

    token_labels: Mapping[str, str] = field(default_factory=dict)
    #: license type -> its built-in group name ("standard" -> "Salesperson")
    license_names: Mapping[str, str] = field(default_factory=dict)
    #: license group id -> license type
    license_groups: Mapping[str, str] = field(default_factory=dict)
    existing_users: frozenset[str] = frozenset()
    #: current names of users and groups a failed request was about
    names: Mapping[str, str] = field(default_factory=dict)


# --- reading the filter ------------------------------------------------------------------


def parse_filter(db, instance_id: int, params: Mapping[str, str]) -> tuple[EventFilter, list[str]]:
    """The filter a GET form asked for, and notes on what was ignored; never raises."""
    notes: list[str] = []
    kind = params.get("kind", "").strip()
    if kind and kind not in KINDS:
        notes.append("Unknown kind of event: showing all kinds.")
        kind = ""
    nobody = False
    user_text = params.get("user", "").strip()
    user_id = None
    if user_text:
        user_id = find_user_id(db, instance_id, user_text)
        nobody = nobody or user_id is None
    group_text = params.get("group", "").strip()
    group_id = None
    if group_text:
        group_id = find_group_id(db, instance_id, group_text)
        nobody = nobody or group_id is None
    since, until = _date(params.get("from", ""), "From", notes), _date(params.get("to", ""), "To", notes)
    try:
        before = int(params.get("before", ""))
    except ValueError:
        before = None
    if before is not None and not 0 < before <= MAX_EVENT_PK:
        before = None  # no event has such a key, and the database could not compare with it
    return EventFilter(kind or None, user_id, group_id, since, until, before, nobody), notes


def _date(value: str, name: str, notes: list[str]) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
        day + dt.timedelta(days=1)  # the last day there is cannot end a range
    except (ValueError, OverflowError):
        notes.append(f"{name}: {value[:40]!r} is not a date (YYYY-MM-DD); ignored.")
        return None
    return day


def find_user_id(db, instance_id: int, wanted: str) -> str | None:
    """The id of the user named by id or userName, the user deleted or not; or None."""
    if not storable(wanted) or len(wanted) > 1024:
        return None  # text no database holds (a NUL, say) names nobody rather than failing
    found = db.scalar(
        select(ScimUser.id).where(
            ScimUser.instance_id == instance_id,
            (ScimUser.id == wanted) | (ScimUser.user_name_ci == user_name_key(wanted)),
        )
    )
    if found is None and len(wanted) <= 36:
        # Deleted since: the trail still knows the id.
        found = db.scalar(
            select(ScimEvent.user_id).where(ScimEvent.instance_id == instance_id, ScimEvent.user_id == wanted).limit(1)
        )
    return found


def find_group_id(db, instance_id: int, wanted: str) -> str | None:
    """The id of the group named by id or displayName, the group deleted or not; or None."""
    if not storable(wanted) or len(wanted) > 1024:
        return None
    found = db.scalar(
        select(ScimGroup.id).where(
            ScimGroup.instance_id == instance_id,
            (ScimGroup.id == wanted) | (ScimGroup.display_name_ci == wanted.lower()),
        )
    )
    if found is None:
        # A deleted group, by its id or the name it had.
        found = db.scalar(
            select(ScimEvent.resource_id)
            .where(
                ScimEvent.instance_id == instance_id,
                ScimEvent.resource_type == "Group",
                (ScimEvent.resource_id == wanted[:36]) | (func.lower(ScimEvent.resource_label) == wanted.lower()),
            )
            .order_by(ScimEvent.pk.desc())
            .limit(1)
        )
    return found


# --- the listing ---------------------------------------------------------------------------


def _query(instance_id: int, wanted: EventFilter, before: int | None):
    query = select(ScimEvent).where(ScimEvent.instance_id == instance_id)
    if wanted.kind:
        resource_type, actions = KINDS[wanted.kind]
        query = query.where(ScimEvent.action.in_(sorted(actions)))
        if resource_type:
            query = query.where(ScimEvent.resource_type == resource_type)
    if wanted.user_id:
        query = query.where(ScimEvent.user_id == wanted.user_id)
    if wanted.group_id:
        query = query.where(ScimEvent.resource_id == wanted.group_id)
    if wanted.since:
        query = query.where(ScimEvent.at >= dt.datetime.combine(wanted.since, dt.time()))
    if wanted.until:
        query = query.where(ScimEvent.at < dt.datetime.combine(wanted.until + dt.timedelta(days=1), dt.time()))
    if before is not None:
        query = query.where(ScimEvent.pk < before)
    return query.order_by(ScimEvent.pk.desc())


def _key(event: ScimEvent):
    # Events from before request ids: one statement wrote one request's rows at one time.
    return event.request_id or (event.request, event.at, event.token_id)


def event_groups(db, instance_id: int, wanted: EventFilter, chunk: int = 200) -> Iterator[list[ScimEvent]]:
    """The events newest first, in runs of one request each, read ``chunk`` at a time."""
    if wanted.nobody:
        return
    before, current = wanted.before_pk, []
    while True:
        rows = db.scalars(_query(instance_id, wanted, before).limit(chunk)).all()
        for event in rows:
            if current and _key(current[-1]) != _key(event):
                yield current
                current = []
            current.append(event)
        if len(rows) < chunk:
            break
        before = rows[-1].pk
    if current:
        yield current


def page(db, instance_id: int, wanted: EventFilter, per_page: int) -> tuple[list[list[ScimEvent]], int | None]:
    """``per_page`` requests' events, and the cursor of the next page (None: no more)."""
    groups = []
    for group in event_groups(db, instance_id, wanted, chunk=max(4 * per_page, 20)):
        groups.append(group)
        if len(groups) > per_page:
            # A later request began: the last one kept is complete.
            return groups[:per_page], groups[per_page - 1][-1].pk
    return groups, None


def naming(db, instance_id: int, licenses, groups: list[list[ScimEvent]]) -> Naming:
    """What the sentences of these events need to know, in at most four queries."""
    events = [e for group in groups for e in group]
    tokens = {row.id: row.label for row in db.execute(
        select(ScimToken.id, ScimToken.label).where(ScimToken.instance_id == instance_id)
    )}
    license_groups = dict(db.execute(
        select(ScimGroup.id, ScimGroup.license)
        .where(ScimGroup.instance_id == instance_id, ScimGroup.license.is_not(None))
    ).all())
    user_ids = {e.user_id for e in events if e.user_id}
    failed_ids = {_target(e)[1] for e in events if e.action == A.FAILED} - {None}
    existing, names = set(), {}
    if user_ids | failed_ids:
        for row in db.execute(
            select(ScimUser.id, *LABEL_COLUMNS).where(with_ids(ScimUser, instance_id, sorted(user_ids | failed_ids)))
        ):
            existing.add(row.id)
            names[row.id] = label_of(row)
    if failed_ids:
        names.update(db.execute(
            select(ScimGroup.id, ScimGroup.display_name).where(with_ids(ScimGroup, instance_id, sorted(failed_ids)))
        ).all())
    return Naming(
        token_labels=tokens,
        license_names={license.type: license.group_name for license in licenses},
        license_groups=license_groups,
        existing_users=frozenset(existing),
        names=names,
    )


# --- the sentences ------------------------------------------------------------------------


def actor_name(event: ScimEvent, naming: Naming) -> str:
    """Who acted: the token's label, the HQ manager's login, or Support (its CLI)."""
    if event.token_id:
        return naming.token_labels.get(event.token_id) or f"token {event.token_id[:6]}…"
    request = event.request or ""
    if request.startswith("HQ: "):
        return request[4:]
    if request.startswith("livepreso-scim"):
        return "Support"
    return "Someone"


def entries(groups: list[list[ScimEvent]], naming: Naming) -> list[EventEntry]:
    return [_entry(group, naming) for group in groups]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _person(naming: Naming, user_id: str | None, label: str | None) -> Person:
    return Person(label or (f"user {user_id}" if user_id else "someone"), user_id, user_id in naming.existing_users)


def _people_line(title: str, people: list[Person]) -> Segments:
    line: Segments = [f"{title}: "]
    for i, person in enumerate(people[:NAMED_PER_LINE]):
        if i:
            line.append(", ")
        line.append(person)
    if len(people) > NAMED_PER_LINE:
        line.append(f" and {len(people) - NAMED_PER_LINE} more")
    return line


def _target(event: ScimEvent) -> tuple[str | None, str | None]:
    """(``Users``/``Groups``, id) a request was addressed to, from its method and path."""
    path = (event.request or "").split(" ", 1)[-1].split("?", 1)[0]
    parts = path.rstrip("/").split("/")
    for i, part in enumerate(parts):
        if part in ("Users", "Groups"):
            return part, parts[i + 1] if i + 1 < len(parts) else None
    return None, None


def show(value) -> str:
    """A SCIM value as an admin reads it, never JSON: ``erin@acme.test (work, primary)``."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(show(item) for item in value)
    if isinstance(value, dict):
        main = next((value[k] for k in ("value", "formatted", "display", "streetAddress") if value.get(k)), None)
        notes = [str(value["type"])] if value.get("type") else []
        if value.get("primary"):
            notes.append("primary")
        if main is None:
            rest = [f"{k} {show(v)}" for k, v in value.items() if k not in ("type", "primary")]
            return ", ".join(rest + notes) or "—"
        return f"{main} ({', '.join(notes)})" if notes else str(main)
    return str(value)


def _change_lines(changes: dict | None, skip=()) -> list[Segments]:
    lines = []
    for attribute, change in (changes or {}).items():
        if attribute in skip:
            continue
        if isinstance(change, list) and len(change) == 2:
            lines.append([f"{attribute}: {show(change[0])} → {show(change[1])}"])
        else:
            lines.append([f"{attribute}: {show(change)}"])
    return lines


def _entry(group: list[ScimEvent], naming: Naming) -> EventEntry:
    events = list(reversed(group))  # in the order they happened
    first = events[0]
    actor = actor_name(first, naming)
    by_action: dict[str, list[ScimEvent]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    entry = EventEntry(
        at=group[0].at, actor=actor, headline=[], details=[], css="ok", kind="",
        request=first.request, request_id=first.request_id, status=None, oldest_pk=group[-1].pk,
    )
    main = next((e for e in events if e.action not in _FOLLOWERS), first)
    _MAIN.get(main.action, _unknown)(entry, main, naming)
    _followers(entry, by_action, naming)
    seen = set()
    for event in events:
        if event.user_id and event.user_id not in seen:
            seen.add(event.user_id)
            entry.people.append(_person(naming, event.user_id, event.user_label))
    return entry


#: Actions that tell what followed from a request's main change (or are the change, for a membership PATCH).
_FOLLOWERS = {A.MEMBER_ADDED, A.MEMBER_REMOVED, A.MEMBER_SKIPPED, A.LICENSE_GRANTED, A.LICENSE_REVOKED}


def _group_name(event: ScimEvent) -> str:
    if event.resource_label:
        return event.resource_label
    changes = event.changes or {}
    if isinstance(changes.get("group"), str):
        return changes["group"]
    return f"group {event.resource_id}" if event.resource_id else "a group"


def _license_name(naming: Naming, license_type) -> str:
    return naming.license_names.get(license_type, str(license_type))


def _user_change(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    person = _person(naming, event.resource_id, event.resource_label or event.user_label)
    changes = event.changes or {}
    entry.kind = "people"
    if event.action == A.CREATE:
        entry.headline = [f"{entry.actor} created ", person]
        entry.details = [[f"{k}: {show(v[1] if isinstance(v, list) else v)}"] for k, v in changes.items()]
    elif event.action == A.DELETE:
        entry.headline = [f"{entry.actor} deleted ", person]
    else:
        active = changes.get("active")
        verb = "updated"
        if isinstance(active, list) and len(active) == 2 and active[0] is not False and active[1] is False:
            verb = "deactivated"
        elif isinstance(active, list) and len(active) == 2 and active[0] is False and active[1] is not False:
            verb = "reactivated"
        lines = _change_lines(changes, skip=("active",) if verb != "updated" else ())
        entry.headline = [f"{entry.actor} {verb} ", person]
        if verb == "updated" and lines:
            inline = "; ".join(text(line) for line in lines[:3])
            entry.headline.append(f": {inline}{'; …' if len(lines) > 3 else ''}")
        entry.details = lines


def _group_change(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    name = _group_name(event)
    entry.kind, entry.group = "groups", name
    changes = event.changes or {}
    builtin = None
    if event.resource_id in naming.license_groups:
        builtin = _license_name(naming, naming.license_groups[event.resource_id])
    if event.action == A.CREATE:
        entry.headline = [f"{entry.actor} pushed the group {name}"]
    elif event.action == A.DELETE:
        entry.headline = [f"{entry.actor} deleted the group {name}"]
    elif event.action == A.RESET:
        old = changes.get("displayName", [name, name])[0]
        entry.headline = [f"{entry.actor} deleted {old}: the license group is {name} again, and empty"]
    else:
        rename = changes.get("displayName")
        if isinstance(rename, list) and len(rename) == 2:
            linked = f" (linked to {builtin})" if builtin else ""
            what = "" if builtin else "the group "
            entry.headline = [f"{entry.actor} renamed {what}{show(rename[0])} to {show(rename[1])}{linked}"]
        else:
            entry.headline = [f"{entry.actor} updated the group {name}"]
        entry.details = _change_lines(changes, skip=("displayName",))


def _seats(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    changes = event.changes or {}
    seats = changes.get("seats") if isinstance(changes.get("seats"), list) else [None, None]
    old, new = ("unlimited" if s is None else s for s in seats[:2])
    entry.kind, entry.group = "licenses", event.resource_label
    license = _license_name(naming, changes.get("license"))
    entry.headline = [f"{entry.actor} changed the {license} seats from {old} to {new}"]


def _token(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    label = (event.resource_label or (event.changes or {}).get("label")
             or naming.token_labels.get(event.resource_id or ""))
    name = f"the token “{label}”" if label else f"the token {event.resource_id}"
    verb = "created" if event.action == A.TOKEN_CREATED else "revoked"
    entry.kind = "tokens"
    entry.headline = [f"{entry.actor} {verb} {name}"]


def _failed(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    method = (event.request or "").split(" ", 1)[0] or "request"
    endpoint, resource_id = _target(event)
    if resource_id:
        kind = "user" if endpoint == "Users" else "group"
        target = f"{method} of {naming.names.get(resource_id) or f'{kind} {resource_id}'}"
    elif endpoint:
        target = f"{method} to {endpoint}"
    else:
        target = method
    entry.kind, entry.css, entry.status = "failed", "failed", event.status
    entry.headline = [f"{entry.actor}'s {target} was refused ({event.status}): {event.detail or ''}".rstrip(": ")]


def _gone(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    if event.resource_type == "User":
        what: Segments = [_person(naming, event.resource_id, event.resource_label)]
    else:
        what = [f"the group {event.resource_label or event.resource_id}"]
    entry.kind = "people" if event.resource_type == "User" else "groups"
    entry.css, entry.status = "routine", event.status
    entry.headline = [f"{entry.actor} asked for ", *what, ", deleted earlier: not found, as expected"]


def _membership_only(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    licenses = event.action in (A.LICENSE_GRANTED, A.LICENSE_REVOKED)
    entry.kind, entry.group = "licenses" if licenses else "members", _group_name(event)
    entry.headline = [entry.actor]


def _unknown(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    entry.kind = "other"
    what = f"{event.resource_type or ''} {event.resource_label or event.resource_id or ''}"
    entry.headline = [f"{entry.actor}: {event.action} {what}".rstrip()]


def _resource(entry: EventEntry, event: ScimEvent, naming: Naming) -> None:
    (_user_change if event.resource_type == "User" else _group_change)(entry, event, naming)


_MAIN = {
    A.CREATE: _resource,
    A.UPDATE: _resource,
    A.DELETE: _resource,
    A.RESET: _group_change,
    A.SEATS_CHANGED: _seats,
    A.TOKEN_CREATED: _token,
    A.TOKEN_REVOKED: _token,
    A.FAILED: _failed,
    A.GONE: _gone,
    **{action: _membership_only for action in _FOLLOWERS},
}


def _followers(entry: EventEntry, by_action: dict[str, list[ScimEvent]], naming: Naming) -> None:
    """Members added, removed or skipped, licenses granted or taken: clauses and name lists."""
    clauses: list[Segments] = []
    added, removed = by_action.get(A.MEMBER_ADDED, []), by_action.get(A.MEMBER_REMOVED, [])
    skipped = by_action.get(A.MEMBER_SKIPPED, [])
    granted, revoked = by_action.get(A.LICENSE_GRANTED, []), by_action.get(A.LICENSE_REVOKED, [])
    membership_first = entry.headline == [entry.actor]
    for verb, events, preposition in (("added", added, "to"), ("removed", removed, "from")):
        if not events:
            continue
        group = _group_name(events[0])
        entry.group = entry.group or group
        people = [_person(naming, e.user_id, e.user_label) for e in events]
        who: Segments = [people[0]] if len(people) == 1 else [f"{len(people)} people"]
        clause: Segments = [f"{verb} ", *who, f" {preposition} {group}"]
        if not membership_first and entry.kind == "groups" and len(clauses) == 0 and verb == "added":
            clause = ["added ", *who]
        clauses.append(clause)
        entry.details.append(_people_line(verb.capitalize(), people))
    if skipped:
        clauses.append([f"skipped {_plural(len(skipped), 'unknown member id', 'unknown member ids')}"])
        for event in skipped:
            member_id = (event.changes or {}).get("unknown_member", "")
            entry.details.append([f"Skipped unknown member id {member_id} (not a user of this instance)"])
    license_type = next(((e.changes or {}).get("license") for e in granted + revoked), None)
    license = _license_name(naming, license_type) if license_type else "their"
    if revoked:
        people = [_person(naming, e.user_id, e.user_label) for e in revoked]
        their = "their license" if entry.kind == "licenses" and not removed else f"the {license} license"
        clauses.append([f"{len(people)} lost {their}"])
        entry.details.append(_people_line(f"Lost the {license} license", people))
    if granted:
        people = [_person(naming, e.user_id, e.user_label) for e in granted]
        clauses.append([f"{len(people)} got the {license} license"])
        entry.details.append(_people_line(f"Got the {license} license", people))
    granted_ids = {e.user_id for e in granted}
    waiting = [e for e in added if (e.changes or {}).get("queued") and e.user_id not in granted_ids]
    if waiting:
        clauses.append([_plural(len(waiting), "waits for a seat", "wait for a seat")])
        people = [_person(naming, e.user_id, e.user_label) for e in waiting]
        entry.details.append(_people_line("Waiting for a seat", people))
    if not clauses:
        return
    if membership_first:
        entry.headline = [f"{entry.actor} "]
        for i, clause in enumerate(clauses):
            if i:
                entry.headline.append("; ")
            entry.headline.extend(clause)
        if entry.kind == "licenses" and len(clauses) and not (added or removed or skipped):
            # Licenses moved with no member change: a seat freed or a member reactivated.
            entry.headline = [f"In {entry.group}, "] + entry.headline[1:]
        return
    for clause in clauses:
        entry.headline.append("; ")
        entry.headline.extend(clause)


# --- CSV ---------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_rows(items: list[EventEntry]) -> list[list[str]]:
    return [
        [
            _cell(entry.at.replace(microsecond=0).isoformat() + "Z"),
            _cell(entry.actor),
            _cell(entry.kind),
            _cell(entry.sentence),
            _cell("; ".join(p.label for p in entry.people)),
            _cell(entry.group),
            _cell(entry.status),
            _cell(entry.request),
            _cell("\n".join(text(line) for line in entry.details)),
        ]
        for entry in items
    ]


def csv_text(db, instance_id: int, wanted: EventFilter, licenses, limit: int = CSV_MAX_ROWS) -> str:
    """The filtered trail as CSV, newest first, one row per request, at most ``limit`` rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    batch: list[list[ScimEvent]] = []
    written = 0

    def flush():
        writer.writerows(csv_rows(entries(batch, naming(db, instance_id, licenses, batch))))

    for group in event_groups(db, instance_id, wanted, chunk=1000):
        batch.append(group)
        written += 1
        if len(batch) == 500:
            flush()
            batch = []
        if written >= limit:
            break
    if batch:
        flush()
    return out.getvalue()
