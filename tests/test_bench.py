"""The benchmark script runs (tiny sizes, no timing asserted), so `make bench` does not rot."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
import webtest

from livepreso_scim_addon.hq import main
from tests.common import ROOT
from tests.common.db import statements_sent


def _script(name: str, *path: str):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "bench", *path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Pyramid's Configurator looks its caller up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


@pytest.fixture(scope="module")
def bench():
    yield from _script("bench_run", "run.py")


@pytest.fixture(scope="module")
def sql_floor():
    yield from _script("addon_sql_floor", "peers-bench", "peers", "addon_sql_floor.py")


def test_a_small_run_reports_every_call_and_target(bench, tmp_path):
    assert bench.main_cli(["--sizes", "30,60", "--backends", "sqlite", "--repeat", "4", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "RESULTS.md").read_text()
    for call in ("userName lookup", "GET /Users/{id}", "POST /Users", "deactivating PATCH", "floor: bare Pyramid JSON route"):
        assert f"| {call} |" in report
    assert "| sqlite | GET /Users/{id}: median at 60 / at 30 (interleaved) |" in report
    assert "| sqlite | deactivating PATCH |" in report  # the interleaved table
    assert "Full import, count=100: 1 pages" in report


def test_the_sql_floor_sends_the_add_ons_own_statements_for_each_okta_call(bench, sql_floor):
    """peers-bench's SQL floor is only a floor if it runs what the add-on runs: the same
    statements, in the same order, for a lookup, a GET, a create and a deactivation."""
    with bench.database("sqlite") as url:
        settings = {"sqlalchemy.url": url, "scim.rate_limit_per_minute": "", "scim.rate_limit_unauthenticated_per_minute": ""}
        addon = main({}, **settings)
        _, token, ids = bench.seed(addon, 5)
        floor = sql_floor.make_app({}, **settings)
        sent = {}
        for name, app, victim in (("addon", addon, ids[1]), ("floor", floor, ids[2])):
            client = webtest.TestApp(app, extra_environ={"HTTP_AUTHORIZATION": f"Bearer {token}"})
            client.get(f"/scim/v2/bench/Users/{ids[0]}")  # the token's first use of the minute is written
            user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": f"{name}@example.com",
                    "externalId": f"00u{name}", "displayName": "Ann Lee", "name": {"givenName": "Ann", "familyName": "Lee"},
                    "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}], "active": True}
            deactivate = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace", "value": {"active": False}}]}
            with statements_sent(app.registry["db_engine"]) as statements:
                assert client.get('/scim/v2/bench/Users?filter=userName eq "user3@example.com"').json["totalResults"] == 1
                assert client.get(f"/scim/v2/bench/Users/{ids[4]}").json["id"] == ids[4]
                client.post_json("/scim/v2/bench/Users", user, status=201)
                client.patch_json(f"/scim/v2/bench/Users/{victim}", deactivate, status=(200, 204))
                assert client.get(f"/scim/v2/bench/Users/{victim}").json["active"] is False
            sent[name] = [" ".join(s.statement.split()) for s in statements]
    assert sent["floor"] == sent["addon"]
    assert len(sent["addon"]) == 2 + 2 + 7 + 7 + 2  # BEGIN IMMEDIATE opens each write
