"""Benchmark Okta's hot paths through the real WSGI stack, and how their cost grows.

    python bench/run.py [--sizes 1000,10000,100000] [--backends sqlite,postgresql]
                        [--repeat 200] [--analyze] [--out bench/out]

For each backend and size: a fresh database migrated with Alembic, an instance seeded
in bulk (not N HTTP calls), then each call measured through webtest against the
reference HQ app, beside a bare Pyramid route returning a fixed small JSON body (the
framework's floor) in the same process. Reports median and p95 latency, requests per
second, SQL statements per request and peak memory (the process's high-water mark),
checks the targets of issue 6, and writes JSON and Markdown. Whether the hot calls stay
flat is measured apart, with the smallest and largest sizes interleaved
(``paired_scaling``). PostgreSQL runs when SCIM_TEST_POSTGRES_URL is set. Timings are
measurements, never test assertions.

On PostgreSQL the seeded tables have no statistics, as after Okta's first push to a
server whose autovacuum is off or has not come round yet: autovacuum is switched off for
them so that it cannot analyze them mid-run, whatever the server's setting. ``--analyze``
refreshes them after seeding (``refresh_statistics``, as after a migration) instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import sys
import time
import uuid
import warnings
from urllib.parse import quote

warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API")
warnings.filterwarnings("ignore", message="Deprecated call to `pkg_resources.declare_namespace")

import sqlalchemy as sa  # noqa: E402
import webtest  # noqa: E402
from pyramid.config import Configurator  # noqa: E402

from livepreso_scim_addon.hq import main  # noqa: E402
from livepreso_scim_addon.hq.instances import create_instance  # noqa: E402
from livepreso_scim_addon.hq.models import HqUser  # noqa: E402
from livepreso_scim_addon.models.migrations import refresh_statistics, scratch_database  # noqa: E402
from livepreso_scim_addon.models.scim import ScimToken, ScimUser, ScimUserValue  # noqa: E402
from livepreso_scim_addon.service_lookup import build_service  # noqa: E402
from livepreso_scim_addon.services.instances import InstanceService  # noqa: E402
from livepreso_scim_addon.services.tokens import TokenService  # noqa: E402
from pyramid.scripting import prepare  # noqa: E402

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


# --- set-up ---------------------------------------------------------------------------


def database(backend: str):
    """A fresh, migrated database URL; dropped afterwards."""
    return scratch_database(backend, os.environ.get("SCIM_TEST_POSTGRES_URL"), prefix="scim_bench")


def seed(app, size: int, analyze: bool = False) -> tuple[int, str, list[str]]:
    """An enabled instance with ``size`` users, inserted in bulk; (instance id, token, user ids).

    No statistics unless ``analyze``: see the module's docstring.
    """
    registry = app.registry
    env = prepare(registry=registry)
    try:
        request = env["request"]
        with request.tm:
            instance = create_instance(request.dbsession, "bench", "Bench")
            build_service(request, InstanceService).set_enabled(instance.id, True)
            _, token = build_service(request, TokenService).create(instance.id, "bench")
    finally:
        env["closer"]()
    engine = registry["db_engine"]
    now = dt.datetime(2026, 1, 1)
    ids = [str(uuid.uuid4()) for _ in range(size)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in sa.inspect(connection).get_table_names():
                connection.exec_driver_sql(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
        for start in range(0, size, 10_000):
            connection.execute(
                sa.insert(HqUser),
                [
                    {"instance_id": instance.id, "login": f"user{i}@example.com",
                     "login_ci": f"user{i}@example.com", "email": f"user{i}@example.com", "active": True,
                     "break_glass_manager": False, "scim_managed": True, "created_at": now}
                    for i in range(start, min(size, start + 10_000))
                ],
            )
        host_ids = dict(connection.execute(sa.select(HqUser.login_ci, HqUser.id).where(HqUser.instance_id == instance.id)).all())
        for start in range(0, size, 10_000):
            batch = range(start, min(size, start + 10_000))
            connection.execute(
                sa.insert(ScimUser),
                [
                    {"id": ids[i], "instance_id": instance.id, "host_user_id": str(host_ids[f"user{i}@example.com"]),
                     "user_name": f"user{i}@example.com", "user_name_ci": f"user{i}@example.com",
                     "name_given": "Bench", "name_family": f"User {i}", "display_name": f"Bench User {i}",
                     "active": True, "created_at": now, "updated_at": now, "version": 1}
                    for i in batch
                ],
            )
        pks = dict(connection.execute(sa.select(ScimUser.id, ScimUser.pk).where(ScimUser.instance_id == instance.id)).all())
        for start in range(0, size, 10_000):
            connection.execute(
                sa.insert(ScimUserValue),
                [
                    {"user_pk": pks[ids[i]], "attribute": "emails", "position": 0,
                     "value": f"user{i}@example.com", "type": "work", "primary": True}
                    for i in range(start, min(size, start + 10_000))
                ],
            )
        if analyze:
            refresh_statistics(connection)
    return instance.id, token, ids


def floor_app():
    """A bare Pyramid route with a fixed small JSON body: the framework's own cost."""
    with Configurator() as config:
        config.add_route("floor", "/floor")
        config.add_view(lambda request: {"ok": True, "items": [1, 2, 3]}, route_name="floor", renderer="json")
    return config.make_wsgi_app()


#: The cheapest statement a token check can be: a prebuilt Core primary-key lookup.
_TOKEN_BY_ID = sa.select(ScimToken.__table__.c.instance_id).where(ScimToken.__table__.c.id == sa.bindparam("id"))


def transaction_floor_app(url: str):
    """The same route inside the stack every SCIM request needs: pyramid_tm, a
    zope.sqlalchemy session, and one primary-key lookup (what checking a token costs at
    least), as a prebuilt Core statement on the session's connection."""
    with Configurator(settings={"sqlalchemy.url": url}) as config:
        config.include("livepreso_scim_addon.models")
        config.add_route("floor", "/floor")

        def view(request):
            request.dbsession.connection().execute(_TOKEN_BY_ID, {"id": "0000000000000000"}).first()
            return {"ok": True, "items": [1, 2, 3]}

        config.add_view(view, route_name="floor", renderer="json")
    return config.make_wsgi_app()


# --- measuring ------------------------------------------------------------------------


class Counter:
    """SQL statements sent by one engine."""

    def __init__(self, engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def measure(name, call, repeat, counter=None) -> dict:
    """Run ``call(i)`` ``repeat`` times; latency statistics in milliseconds."""
    call(0)  # warm caches and code paths once
    durations, statements = [], 0
    for i in range(1, repeat + 1):
        before = counter.count if counter else 0
        start = time.perf_counter()
        call(i)
        durations.append((time.perf_counter() - start) * 1000)
        statements += (counter.count - before) if counter else 0
    durations.sort()
    return {
        "call": name,
        "n": repeat,
        "median_ms": round(statistics.median(durations), 3),
        "p95_ms": round(durations[int(0.95 * (len(durations) - 1))], 3),
        "rps": round(1000 / statistics.mean(durations), 1),
        "sql_per_request": round(statements / repeat, 2) if counter else None,
    }


def run_size(backend: str, size: int, repeat: int, analyze: bool = False) -> dict:
    with database(backend) as url:
        app = main({}, **{"sqlalchemy.url": url, "scim.sqlite_busy_timeout_ms": "30000"})
        engine = app.registry["db_engine"]
        t0 = time.perf_counter()
        instance_id, token, ids = seed(app, size, analyze)
        seeded = time.perf_counter() - t0
        client = webtest.TestApp(app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
        counter = Counter(engine)
        base = "/scim/v2/bench"
        rng = random.Random(7644)
        results = []

        def lookup(i, upper=False):
            k = rng.randrange(size)
            name = f"user{k}@example.com"
            name = name.upper() if upper else name
            body = client.get(f"{base}/Users?filter={quote(f'userName eq {json.dumps(name)}')}&startIndex=1&count=100").json
            assert body["totalResults"] == 1, body

        results.append(measure("userName lookup", lookup, repeat, counter))
        results.append(measure("userName lookup, other case", lambda i: lookup(i, upper=True), repeat, counter))
        results.append(measure("GET /Users/{id}", lambda i: client.get(f"{base}/Users/{ids[rng.randrange(size)]}"), repeat, counter))

        def create(i):
            client.post_json(f"{base}/Users", {"schemas": [CORE_USER], "userName": f"new{i}-{uuid.uuid4().hex[:6]}@example.com",
                                               "name": {"givenName": "New", "familyName": "User"},
                                               "emails": [{"value": "new@example.com", "type": "work", "primary": True}],
                                               "active": True}, status=201)

        results.append(measure("POST /Users", create, repeat // 2, counter))
        victims = iter(rng.sample(ids, min(size, repeat + 2)))

        def replace(i):
            user = client.get(f"{base}/Users/{next(victims)}").json
            user["title"] = f"Title {i}"
            client.put_json(f"{base}/Users/{user['id']}", user)

        results.append(measure("PUT /Users/{id} (GET + PUT)", replace, repeat // 2, counter))
        deactivations = iter(rng.sample(ids, min(size, repeat + 2)))
        deactivate = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
        results.append(measure("deactivating PATCH", lambda i: client.patch_json(f"{base}/Users/{next(deactivations)}", deactivate), repeat // 2, counter))

        # A full import: every page of count=100, in order, as Okta walks them.
        pages, start_index = [], 1
        t0 = time.perf_counter()
        while True:
            started = time.perf_counter()
            body = client.get(f"{base}/Users?startIndex={start_index}&count=100").json
            pages.append((time.perf_counter() - started) * 1000)
            start_index += body["itemsPerPage"]
            if start_index > body["totalResults"] or not body["itemsPerPage"]:
                break
        import_seconds = time.perf_counter() - t0
        middle = pages[len(pages) // 2]
        imported = {"pages": len(pages), "first_ms": round(pages[0], 3), "middle_ms": round(middle, 3),
                    "last_ms": round(pages[-1], 3), "total_s": round(import_seconds, 3)}

        # Groups: 1000 members in batches of 100, and in one PATCH; one member for the ratio.
        members = [ids[i] for i in range(min(size, 1000))]

        def new_group(name):
            return client.post_json(f"{base}/Groups", {"schemas": [CORE_GROUP], "displayName": name}, status=201).json["id"]

        def add(group, chunk):
            before, started = counter.count, time.perf_counter()
            client.patch_json(f"{base}/Groups/{group}", {"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": m} for m in chunk]}]}, status=204)
            return (time.perf_counter() - started) * 1000, counter.count - before

        batched = new_group("Batched")
        batches = [add(batched, members[i:i + 100]) for i in range(0, len(members), 100)]
        # The ratio compares single requests on fresh groups, taken in turns (one after the
        # other, a drifting machine moved the ratio): five of 1,000 members, and five of one
        # member at each turn, as a few milliseconds' jitter moves a one-member PATCH by a
        # third; one of each is kept for the group listings below, the rest deleted.
        at_once, one = [], []
        for k in range(5):
            group = new_group(f"At once {k}")
            at_once.append((group, *add(group, members)))
            for j in range(5):
                group = new_group(f"One {k}.{j}")
                one.append((group, *add(group, members[:1])))
        for group, _, _ in at_once[1:] + one[1:]:
            client.delete(f"{base}/Groups/{group}", status=204)
        groups = {
            "batches_of_100_total_ms": round(sum(b[0] for b in batches), 3),
            "batch_of_100_median_ms": round(statistics.median(b[0] for b in batches), 3),
            "one_patch_1000_ms": round(statistics.median(ms for _, ms, _ in at_once), 3),
            "one_patch_1000_sql": max(sql for _, _, sql in at_once),
            "one_member_ms": round(statistics.median(ms for _, ms, _ in one), 3),
            "one_member_sql": max(sql for _, _, sql in one),
        }
        results.append(measure("GET /Groups (members)", lambda i: client.get(f"{base}/Groups?count=100"), max(10, repeat // 10), counter))
        results.append(measure("GET /Groups excludedAttributes=members",
                               lambda i: client.get(f"{base}/Groups?count=100&excludedAttributes=members"), repeat, counter))

        floor = webtest.TestApp(floor_app())
        results.append(measure("floor: bare Pyramid JSON route", lambda i: floor.get("/floor"), repeat))
        with_transaction = transaction_floor_app(url)
        tm_floor = webtest.TestApp(with_transaction)
        results.append(measure("floor + pyramid_tm + one PK query", lambda i: tm_floor.get("/floor"), repeat))
        with_transaction.registry["db_engine"].dispose()
        state = database_state(engine, analyze)
        engine.dispose()
        return {
            "backend": backend,
            "size": size,
            "seed_s": round(seeded, 2),
            "database": state,
            "calls": results,
            "import": imported,
            "groups": groups,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


#: The calls whose cost must not grow with the number of users.
SCALING_CALLS = ("userName lookup", "GET /Users/{id}", "deactivating PATCH")


def paired_scaling(backend: str, small: int, large: int, repeat: int, analyze: bool = False, block: int = 10) -> dict:
    """Each of SCALING_CALLS on ``small`` and ``large`` users, interleaved: blocks of
    ``block`` calls alternate between the two databases, so both are measured in the same
    minutes. Measured one size after the other, a machine whose speed drifts (a shared VM
    here swung a third between two runs of one workload) decides the ratio, not the size.
    Returns {call: {"small_ms", "large_ms", "ratio"}} from the medians."""
    with database(backend) as small_url, database(backend) as large_url:
        apps = [_scaling_app(small_url, small, analyze), _scaling_app(large_url, large, analyze)]
        sides = [calls for calls, _ in apps]
        try:
            result = {}
            for name in SCALING_CALLS:
                durations = ([], [])
                for b in range(max(2, repeat // block)):
                    for side in (0, 1) if b % 2 == 0 else (1, 0):
                        for _ in range(block):
                            started = time.perf_counter()
                            sides[side][name]()
                            durations[side].append((time.perf_counter() - started) * 1000)
                small_ms, large_ms = (statistics.median(d) for d in durations)
                result[name] = {"small_ms": round(small_ms, 3), "large_ms": round(large_ms, 3), "ratio": round(large_ms / small_ms, 2)}
            return result
        finally:
            for _, engine in apps:
                engine.dispose()


def _scaling_app(url: str, size: int, analyze: bool) -> tuple[dict, sa.Engine]:
    """SCALING_CALLS (each warmed once) against an app over ``size`` seeded users, and its engine."""
    app = main({}, **{"sqlalchemy.url": url, "scim.sqlite_busy_timeout_ms": "30000"})
    _, token, ids = seed(app, size, analyze)
    client = webtest.TestApp(app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
    base, rng = "/scim/v2/bench", random.Random(size)
    flips = itertools.count()

    def lookup():
        name = json.dumps(f"user{rng.randrange(size)}@example.com")
        assert client.get(f"{base}/Users?filter={quote(f'userName eq {name}')}&startIndex=1&count=100").json["totalResults"] == 1

    def deactivate():
        # Deactivate, then reactivate the next time: each call a real change, for any count.
        active = next(flips) % 2 == 1
        client.patch_json(f"{base}/Users/{ids[rng.randrange(size)]}",
                          {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": active}}]})

    calls = {
        "userName lookup": lookup,
        "GET /Users/{id}": lambda: client.get(f"{base}/Users/{ids[rng.randrange(size)]}"),
        "deactivating PATCH": deactivate,
    }
    for warm_up in calls.values():
        warm_up()
    return calls, app.registry["db_engine"]


def database_state(engine, analyze: bool) -> str:
    """What the planner had to go on, as the app's own connections see it."""
    if engine.dialect.name != "postgresql":
        return "SQLite, no statistics"
    with engine.connect() as connection:
        jit = connection.exec_driver_sql("SHOW jit").scalar()
    return f"statistics {'refreshed after seeding' if analyze else 'none'}, JIT {jit} on the app's connections"


# --- reporting ------------------------------------------------------------------------


def call(run, name):
    return next(c for c in run["calls"] if c["call"] == name)


def targets(runs: list[dict], scaling: dict[str, dict]) -> list[dict]:
    """Issue 6's targets, checked per backend on the smallest and largest sizes measured;
    how the hot calls scale from ``scaling`` (:func:`paired_scaling`, per backend)."""
    checks = []
    for backend in sorted({r["backend"] for r in runs}):
        mine = sorted((r for r in runs if r["backend"] == backend), key=lambda r: r["size"])
        small, large = mine[0], mine[-1]
        floor = call(large, "floor: bare Pyramid JSON route")["median_ms"]

        def check(what, value, limit):
            checks.append({"backend": backend, "target": what, "value": round(value, 2), "limit": limit, "met": value <= limit})

        for name, paired in scaling.get(backend, {}).items():
            check(f"{name}: median at {large['size']:,} / at {small['size']:,} (interleaved)", paired["ratio"], 1.5)
        for run in mine:
            check(f"import at {run['size']:,}: last page / first page", run["import"]["last_ms"] / run["import"]["first_ms"], 2.0)
            check(f"PATCH of 1000 members at {run['size']:,} / PATCH of one", run["groups"]["one_patch_1000_ms"] / run["groups"]["one_member_ms"], 20.0)
        check("GET /Users/{id} median / floor median", call(large, "GET /Users/{id}")["median_ms"] / floor, 3.0)
        check("userName lookup median / floor median", call(large, "userName lookup")["median_ms"] / floor, 4.0)
        if backend == "sqlite":
            for run in mine:
                if run["size"] == 20_000:
                    check("full import of 20,000 users (s)", run["import"]["total_s"], 5.0)
    return checks


def machine() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    postgres = None
    if os.environ.get("SCIM_TEST_POSTGRES_URL"):
        engine = sa.create_engine(os.environ["SCIM_TEST_POSTGRES_URL"])
        with engine.connect() as connection:
            postgres = connection.exec_driver_sql("SHOW server_version").scalar()
            postgres += f" (autovacuum {connection.exec_driver_sql('SHOW autovacuum').scalar()})"
        engine.dispose()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres, "sqlalchemy": sa.__version__, "date": dt.date.today().isoformat()}


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']}, "
        f"PostgreSQL {m['postgresql'] or 'not run'}, SQLAlchemy {m['sqlalchemy']}. In-process WSGI (webtest), one "
        "client; on a shared machine medians taken minutes apart can differ by a third. `make bench` reproduces it; "
        "`bench/out/results.json` has every number.",
        "",
        "## Targets",
        "",
        "| backend | target | value | limit | met |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for t in report["targets"]:
        lines.append(f"| {t['backend']} | {t['target']} | {t['value']} | {t['limit']} | {'yes' if t['met'] else '**no**'} |")
    if report["scaling"]:
        lines += ["", "## Scaling, interleaved", "",
                  "The smallest and the largest size side by side, blocks of ten calls alternating between them "
                  "(`paired_scaling`), so a drifting machine moves both alike.", "",
                  "| backend | call | median ms, smallest | median ms, largest | ratio |", "| --- | --- | ---: | ---: | ---: |"]
        for backend, calls in report["scaling"].items():
            for name, paired in calls.items():
                lines.append(f"| {backend} | {name} | {paired['small_ms']} | {paired['large_ms']} | {paired['ratio']} |")
    for run in report["runs"]:
        lines += ["", f"## {run['backend']}, {run['size']:,} users (seeded in {run['seed_s']} s, peak RSS {run['peak_rss_mib']} MiB)", "",
                  f"{run['database']}.", "",
                  "| call | median ms | p95 ms | req/s | SQL/request |", "| --- | ---: | ---: | ---: | ---: |"]
        for c in run["calls"]:
            lines.append(f"| {c['call']} | {c['median_ms']} | {c['p95_ms']} | {c['rps']} | {c['sql_per_request'] if c['sql_per_request'] is not None else ''} |")
        i, g = run["import"], run["groups"]
        lines += [
            "",
            f"Full import, count=100: {i['pages']} pages in {i['total_s']} s; first page {i['first_ms']} ms, "
            f"middle {i['middle_ms']} ms, last {i['last_ms']} ms.",
            f"Group members: 1000 in batches of 100 {g['batches_of_100_total_ms']} ms (median batch {g['batch_of_100_median_ms']} ms); "
            f"1000 in one PATCH {g['one_patch_1000_ms']} ms with {g['one_patch_1000_sql']} SQL statements; "
            f"one member {g['one_member_ms']} ms with {g['one_member_sql']} statements (medians of five and of twenty-five, taken in turns).",
        ]
    return "\n".join(lines) + "\n"


def main_cli(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,20000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--analyze", action="store_true", help="refresh PostgreSQL's statistics after seeding")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "out"))
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    if "postgresql" in backends and not os.environ.get("SCIM_TEST_POSTGRES_URL"):
        print("SCIM_TEST_POSTGRES_URL is not set: PostgreSQL is not benchmarked", file=sys.stderr)
        backends.remove("postgresql")
    runs, scaling = [], {}
    sizes = [int(s) for s in args.sizes.split(",")]
    for backend in backends:
        for size in sizes:
            print(f"{backend}, {size:,} users ...", file=sys.stderr, flush=True)
            runs.append(run_size(backend, size, args.repeat, args.analyze))
        if len(sizes) > 1:
            print(f"{backend}, {min(sizes):,} and {max(sizes):,} users interleaved ...", file=sys.stderr, flush=True)
            scaling[backend] = paired_scaling(backend, min(sizes), max(sizes), args.repeat, args.analyze)
    report = {"machine": machine(), "runs": runs, "scaling": scaling, "targets": targets(runs, scaling)}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(report, handle, indent=2)
    text = markdown(report)
    with open(os.path.join(args.out, "RESULTS.md"), "w") as handle:
        handle.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main_cli())
