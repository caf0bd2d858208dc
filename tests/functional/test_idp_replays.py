"""Replays of what Okta and Microsoft Entra ID send: one data file per IdP flow.

Each file in ``tests/idp_replays/`` is one flow, as the IdP runs it (sources in
../shared/IDP_REQUESTS.md), and runs as one test on every host the project proves the
add-on against (the reference HQ and the second host, ``tests/common/hosts.py``),
each on every database backend, through the host contract kit's harness: a new instance
of the host per flow, with SCIM on and a token::

    {"idp": "Okta" | "Entra ID", "flow": "...", "source": "...",
     "hq": {"license_seats": {"{license1}": 2}},
     "steps": [
       {"note": "optional, shown on failure",
        "request": {"method": "PATCH", "path": "Users/{user_id}",
                    "query": {"filter": "userName eq \\"x\\""}, "headers": {...}, "body": {...}},
        "expect": {"status": 200, "headers": {"ETag": true}, "body": {...}, "save": {"user_id": "id"}}},
       {"check": "hq_user", "user": "{user_id}", "expect": {"active": false}}
     ]}

Requests
    ``path`` is relative to the tenant's SCIM base; ``query`` is percent-encoded in
    order (spaces as %20, as Okta sends them). ``body`` goes as application/scim+json.

Placeholders
    ``{name}`` in any string is a value saved by an earlier step; a string that is
    nothing but one placeholder takes the saved value as it is (an object, a number),
    so a step can send back what an earlier response held (Okta PUTs back ``meta``).
    Known from the start, for the host the flow runs on:

    - ``{base_url}``: the instance's SCIM base URL (``http://hq.example.com/scim/v2/<slug>``);
    - ``{license1}``, ``{license2}``, ...: the host's licenses in the order it sells them
      (``Host.licenses()``), by type; ``{license1_group}``, ...: their license groups'
      names. On the reference HQ ``{license1}`` is "standard" and ``{license1_group}`` is
      "Salesperson" (then "Prep User", then "Manager", which grants HQ access); on the
      second host "basic"/"Members", "pro"/"Power Users", "admin"/"Administrators".

``expect``
    ``status`` (required) is the exact status. ``save`` maps names to dotted paths
    into the response body (``"Resources.0.id"``); saving happens before the body and
    headers are matched, so headers can be compared with the body (``Location`` with
    ``meta.location``). ``headers``: a string is the exact value, ``true`` present,
    ``false`` absent. ``body`` is a subset match:

    - an object: every key given must match; keys not given are not looked at;
    - a list: the same length, item by item in order (each item a subset match);
    - ``{"$unordered": [...]}``: the same length, each item matching a different item;
    - ``{"$len": n}``: a list of n items, whatever they hold;
    - ``{"$exact": value}``: equal in full, no key more (at any depth);
    - ``{"$type": "string"}``: any value of that JSON type (string, integer, boolean, ...);
    - ``{"$absent": true}`` as a key's value: the key must not be there;
    - anything else: equal, and of the same JSON type (``false`` is not ``0`` nor ``"False"``).

``hq`` (optional)
    What HQ holds before the flow: ``license_seats`` per license type (a number, or null
    for unlimited), set as support's ``seats set`` does. A new instance of either host
    has no paid seats.

Checks (what the host itself now holds, read through the kit's adapter of the host)
    ``hq_user``: the person behind a SCIM user; ``expect`` maps the fields every host
    holds (``livepreso_scim_addon.testing.Person``: login, email, given_name,
    family_name, display_name, active) to values.
    ``hq_licenses``: the license types the host has granted that person, a sorted list.

Anything the runner does not know (a key, a matcher, a check) fails the test rather
than being skipped, so no expectation in a file can silently stop checking.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from livepreso_scim_addon.testing import HostHarness, Person, Tenant
from tests.common.hosts import each_host_and_backend, running

REPLAY_DIR = Path(__file__).resolve().parent.parent / "idp_replays"
REPLAYS = sorted(REPLAY_DIR.glob("*.json"))
IDPS = {"Okta", "Entra ID"}
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MATCHERS = {"$unordered", "$len", "$exact", "$type", "$absent"}
JSON_TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "null": type(None)}
_MISSING = object()
PERSON_FIELDS = [field.name for field in dataclasses.fields(Person)]


class ReplayFailure(Exception):
    """A mismatch or a malformed file; the runner adds the file and the step."""


def test_replays_are_there():
    # An empty folder would parametrize nothing, and pass.
    assert len(REPLAYS) >= 10, f"replay files missing from {REPLAY_DIR}"


@pytest.fixture(scope="module", params=each_host_and_backend())
def harness(request) -> HostHarness:
    """Each host the project proves the add-on against, on each backend (one database each)."""
    host, backend = request.param
    with running(host, backend) as harness:
        yield harness


@pytest.mark.parametrize("replay", REPLAYS, ids=[p.stem for p in REPLAYS])
def test_idp_replay(replay, harness):
    name = replay.relative_to(REPLAY_DIR.parent).as_posix()
    data = json.loads(replay.read_text(encoding="utf-8"))
    where, failure = name, None
    tenant = harness.new_tenant()
    scim = harness.scim(tenant)
    try:
        _only(data, {"idp", "flow", "source", "hq", "steps"}, required={"idp", "flow", "source", "steps"})
        if data["idp"] not in IDPS:
            raise ReplayFailure(f"idp must be one of {sorted(IDPS)}, not {data['idp']!r}")
        if not data["steps"]:
            raise ReplayFailure("no steps")
        saved: dict = _known_from_the_start(harness, tenant)
        _arrange_hq(data.get("hq"), harness, tenant, saved)
        for number, step in enumerate(data["steps"], start=1):
            where = f"{name}, step {number}"
            if not isinstance(step, dict):
                raise ReplayFailure(f"a step is an object, not {_show(step)}")
            request = step.get("request") if isinstance(step.get("request"), dict) else {}
            label = step.get("note") or (
                f"check {step['check']}" if "check" in step else f"{request.get('method')} {request.get('path')}"
            )
            where = f"{where} ({label})"
            if "check" in step:
                _run_check(step, saved, harness, tenant)
            else:
                _run_request(step, saved, scim)
    except ReplayFailure as error:
        failure = f"{harness.host_under_test.name}: {where}: {error}"
    if failure:  # outside the except: the report shows this message alone, no chained traceback
        pytest.fail(failure, pytrace=False)


def _known_from_the_start(harness: HostHarness, tenant: Tenant) -> dict:
    """The placeholders every flow may use: the base URL, and the host's licenses by position."""
    known = {"base_url": tenant.base_url}
    for position, license in enumerate(harness.licenses(), start=1):
        known[f"license{position}"] = license.type
        known[f"license{position}_group"] = license.group_name
    return known


def _arrange_hq(hq, harness: HostHarness, tenant: Tenant, saved: dict):
    """What HQ holds before the IdP starts: paid seats per license (none in a new instance)."""
    if hq is None:
        return
    _only(hq, {"license_seats"}, required={"license_seats"})
    sold = [license.type for license in harness.licenses()]
    for license, seats in _fill(hq["license_seats"], saved).items():
        if license not in sold or not (seats is None or type(seats) is int):
            raise ReplayFailure(f"hq.license_seats: {license!r}: {seats!r} (licenses: {sold}; seats: a number or null)")
        harness.set_seats(tenant, license, seats)


# Requests


def _run_request(step, saved, scim):
    _only(step, {"note", "request", "expect"}, required={"request", "expect"})
    request, expect = step["request"], step["expect"]
    _only(request, {"method", "path", "query", "headers", "body"}, required={"method", "path"})
    _only(expect, {"status", "headers", "body", "save"}, required={"status"})
    method = request["method"]
    path = _fill(request["path"], saved)
    if "query" in request:
        path += "?" + urlencode(_fill(request["query"], saved), quote_via=quote)
    headers = _fill(request.get("headers"), saved)
    if method == "GET":
        response = scim.get(path, status="*", headers=headers)
    elif method == "DELETE":
        response = scim.delete(path, status="*", headers=headers)
    elif method in ("POST", "PUT", "PATCH"):
        response = scim.send(method, path, _fill(request.get("body"), saved), "*", headers=headers)
    else:
        raise ReplayFailure(f"unknown method {method!r}")
    try:
        _expect_response(response, expect, saved)
    except ReplayFailure as failure:
        raise ReplayFailure(f"{failure}\n{method} {path} answered {response.status}:\n{response.text[:2000]}") from None


def _expect_response(response, expect, saved):
    if response.status_int != expect["status"]:
        raise ReplayFailure(f"status {response.status_int}, expected {expect['status']}")
    body = _MISSING
    if response.body:
        try:
            body = response.json
        except ValueError:
            raise ReplayFailure(f"the body is not JSON ({response.content_type})") from None
    for key, path in (expect.get("save") or {}).items():
        if key in saved:
            raise ReplayFailure(f"{key!r} is already saved: choose another name")
        saved[key] = _at(body, path)
    for header, wanted in (expect.get("headers") or {}).items():
        value = response.headers.get(header)
        if wanted is True or wanted is False:
            if (value is not None) != wanted:
                raise ReplayFailure(f"header {header} is {'missing' if wanted else 'present: ' + value}")
        elif value != _fill(wanted, saved):
            raise ReplayFailure(f"header {header} is {value!r}, expected {_fill(wanted, saved)!r}")
    if "body" in expect:
        if body is _MISSING:
            raise ReplayFailure("no body, one was expected")
        _match(_fill(expect["body"], saved), body, "body")


def _at(body, path):
    """The value at a dotted path (numbers index lists), for ``save``."""
    value = body
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ReplayFailure(f"cannot save {path!r}: the response has no {part!r} there")
    return value


# Matching


def _match(expected, actual, where):
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in MATCHERS:
        (matcher, argument), = expected.items()
        if matcher == "$len":
            if not isinstance(actual, list) or len(actual) != argument:
                raise ReplayFailure(f"{where}: expected a list of {argument}, got {_show(actual)}")
        elif matcher == "$exact":
            if not _same(argument, actual):
                raise ReplayFailure(f"{where}: expected exactly {_show(argument)}, got {_show(actual)}")
        elif matcher == "$type":
            if argument not in JSON_TYPES:
                raise ReplayFailure(f"{where}: unknown $type {argument!r} (known: {sorted(JSON_TYPES)})")
            if type(actual) is not JSON_TYPES[argument]:
                raise ReplayFailure(f"{where}: expected a {argument}, got {_show(actual)}")
        elif matcher == "$unordered":
            if not isinstance(actual, list) or len(actual) != len(argument):
                raise ReplayFailure(f"{where}: expected {len(argument)} items in any order, got {_show(actual)}")
            if not _pairs(argument, actual, where):
                raise ReplayFailure(f"{where}: expected {_show(argument)} in any order, got {_show(actual)}")
        else:
            raise ReplayFailure(f"{where}: $absent is for a key's value (\"key\": {{\"$absent\": true}})")
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise ReplayFailure(f"{where}: expected an object, got {_show(actual)}")
        for key, value in expected.items():
            if value == {"$absent": True}:
                if key in actual:
                    raise ReplayFailure(f"{where}.{key}: expected absent, got {_show(actual[key])}")
            elif key not in actual:
                raise ReplayFailure(f"{where}.{key}: missing (the object has {sorted(actual)})")
            else:
                _match(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            raise ReplayFailure(f"{where}: expected {_show(expected)}, got {_show(actual)}")
        for index, (item, value) in enumerate(zip(expected, actual)):
            _match(item, value, f"{where}.{index}")
    elif type(expected) is not type(actual) or expected != actual:
        raise ReplayFailure(f"{where}: expected {_show(expected)}, got {_show(actual)}")


def _same(expected, actual) -> bool:
    """Equal in full, and of the same JSON types (True is not 1)."""
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(_same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(_same(e, a) for e, a in zip(expected, actual))
    return expected == actual


def _pairs(expected, actual, where) -> bool:
    """Whether each expected item matches a different actual item (small lists: backtrack)."""
    if not expected:
        return True
    first, rest = expected[0], expected[1:]
    for index, candidate in enumerate(actual):
        try:
            _match(first, candidate, where)
        except ReplayFailure:
            continue
        if _pairs(rest, actual[:index] + actual[index + 1 :], where):
            return True
    return False


def _show(value) -> str:
    return json.dumps(value, ensure_ascii=False) if value is not _MISSING else "nothing"


def _fill(value, saved):
    """The value with each {placeholder} replaced by what an earlier step saved."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return _saved(whole.group(1), saved)
        return PLACEHOLDER.sub(lambda m: str(_saved(m.group(1), saved)), value)
    if isinstance(value, dict):
        return {_fill(k, saved): _fill(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, saved) for v in value]
    return value


def _saved(key, saved):
    if key not in saved:
        raise ReplayFailure(f"{{{key}}} was not saved by an earlier step (saved: {sorted(saved)})")
    return saved[key]


def _only(step, allowed, required=()):
    if not isinstance(step, dict):
        raise ReplayFailure(f"expected an object, got {_show(step)}")
    if unknown := set(step) - set(allowed):
        raise ReplayFailure(f"unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    if missing := set(required) - set(step):
        raise ReplayFailure(f"missing keys {sorted(missing)}")


# Checks on the HQ side


def _run_check(step, saved, harness: HostHarness, tenant: Tenant):
    _only(step, {"note", "check", "user", "expect"}, required={"check", "user", "expect"})
    user_id = _fill(step["user"], saved)
    try:
        key = harness.host_key(tenant, user_id)
    except AssertionError:
        raise ReplayFailure(f"no SCIM user {user_id!r}") from None
    expected = _fill(step["expect"], saved)
    if step["check"] == "hq_user":
        if not isinstance(expected, dict) or not expected or set(expected) - set(PERSON_FIELDS):
            raise ReplayFailure(f"hq_user expects an object of a person's fields ({PERSON_FIELDS})")
        person = harness.person(key)
        if person is None:
            raise ReplayFailure(f"the host holds no person {key!r} (SCIM user {user_id})")
        _match(expected, {field: getattr(person, field) for field in expected}, "hq_user")
    elif step["check"] == "hq_licenses":
        if not isinstance(expected, list):
            raise ReplayFailure("hq_licenses expects a list of license types")
        _match(expected, sorted(harness.licenses_of(key)), "hq_licenses")
    else:
        raise ReplayFailure(f"unknown check {step['check']!r} (known: hq_user, hq_licenses)")
