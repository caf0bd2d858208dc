"""The whole scim2-tester suite against the server: an outside client's view of compliance.

scim2-tester (``check_server``) reads the discovery endpoints (ServiceProviderConfig,
ResourceTypes, Schemas, RFC 7644 §4), builds the resource models they publish, and
then exercises every published resource type the way an identity provider would:
create, get, list, ``attributes``/``excludedAttributes``, ``/.search``, PUT, DELETE,
and PATCH add/remove/replace on every writable attribute, plus the error answers
(404 for unknown URLs, 405 for writes on discovery endpoints).

It runs on every host the project proves the add-on against (the reference HQ and the
second host, ``tests/common/hosts.py``), each on every database backend, with a
new instance's bearer token, over real HTTP against the host's app on a waitress server on
127.0.0.1, as Okta or Entra would reach it (``scim2_client.engines.httpx2``). The host
contract kit's harness builds the app and the instance; its requests commit for real, so
the server's threads see them. A run in process, through scim2-client's WSGI engine,
would make the same checks of the same app, minus waitress.

Every check must end SUCCESS (COMPLIANT and ACCEPTABLE are the tester's other passing
grades). SKIPPED is accepted only where the ServiceProviderConfig the server published
declares the feature unsupported (PATCH, bulk, ...): a check skipped for any other
reason did not prove anything, so it fails the test like an error. The failure
message names every check that did not pass, with its status and scim2-tester's reason.
"""

from __future__ import annotations

import random

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import ServiceProviderConfig
from scim2_tester import CheckResult, Status, check_server

from tests.common.servers import waitress_in_thread
from tests.common.hosts import each_host_and_backend, running

#: The tester's grades for a server that does what the RFCs ask (MUST, SHOULD or MAY).
PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}

#: scim2-tester tags its checks by feature ("patch:add", ...); these roots name the
#: optional features a ServiceProviderConfig declares (RFC 7643 §5), as its fields.
FEATURE_TAGS = {
    "patch": "patch",
    "bulk": "bulk",
    "filter": "filter",
    "sort": "sort",
    "etag": "etag",
    "change-password": "change_password",
}


@pytest.fixture(autouse=True)
def _reproducible_values():
    """scim2-tester fills resources with random values: same seed, same run."""
    state = random.getstate()
    random.seed(7644)
    yield
    random.setstate(state)


@pytest.fixture(params=each_host_and_backend())
def harness(request):
    host, backend = request.param
    with running(host, backend) as harness:
        yield harness


def test_every_check_passes_over_http(harness):
    tenant = harness.new_tenant()
    with waitress_in_thread(harness.app, host="127.0.0.1", port=0, threads=8) as server:
        base_url = f"http://127.0.0.1:{server.effective_port}{tenant.base}"
        with httpx2.Client(base_url=base_url, headers=tenant.headers, timeout=60) as http:
            client = SyncSCIMClient(http)
            results = check_server(client)
            config = client.provider.config
    assert_all_passed(results, config, base_url)


def assert_all_passed(results: list[CheckResult], config: ServiceProviderConfig | None, base_url: str) -> None:
    unsupported = _declared_unsupported(config)
    failures = [result for result in results if not _passed(result, unsupported)]
    exercised = {result.resource_type for result in results if result.resource_type}
    problems = [f"  - {_describe(result)}" for result in failures]
    if "User" not in exercised:
        # Discovery went wrong before any resource was touched: the run proves nothing.
        problems.append("  - no User check ran: discovery did not publish a usable User resource type")
    if problems:
        summary = f"scim2-tester against {base_url}: {len(failures)} of {len(results)} checks did not pass"
        pytest.fail("\n".join([summary, *problems]), pytrace=False)


def _declared_unsupported(config: ServiceProviderConfig | None) -> set[str]:
    """The feature tag roots whose feature the ServiceProviderConfig says is unsupported."""
    if config is None:
        return set()
    unsupported = set()
    for tag_root, field in FEATURE_TAGS.items():
        feature = getattr(config, field, None)
        if feature is not None and feature.supported is False:
            unsupported.add(tag_root)
    return unsupported


def _passed(result: CheckResult, unsupported: set[str]) -> bool:
    if result.status in PASSING:
        return True
    if result.status is Status.SKIPPED:
        return any(tag.split(":")[0] in unsupported for tag in result.tags)
    return False


def _describe(result: CheckResult) -> str:
    where = f"{result.resource_type} " if result.resource_type else ""
    reason = (result.reason or "(no reason given)").strip().replace("\n", "\n      ")
    return f"{where}{result.title}: {result.status.name}: {reason}"
