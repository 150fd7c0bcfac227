"""Schemathesis against the live OpenAPI document: generated requests, with a valid
token of a role the endpoint is for and with no token at all, over real processes. No server
error, no response that breaks the documented schema, and no endpoint answers without
authentication. ``REFNET_SCHEMATHESIS_EXAMPLES`` sets examples per operation (default 8)."""

import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from gateway.api import ENDPOINTS
from refnet.harness.broker import create_vhost, delete_vhost
from refnet.harness.network import Network

EXAMPLES = int(os.environ.get("REFNET_SCHEMATHESIS_EXAMPLES", "8"))
ROLE_OF = {e.name: e.roles[0] for e in ENDPOINTS}


@pytest.fixture(scope="module")
def fuzz_net(tmp_path_factory):
    name, uri = create_vhost("refnet-e2e-fuzz")
    net = Network(tmp_path_factory.mktemp("fuzz-network"), uri,
                  extra_env={"REFNET_RATE_LIMIT_PER_MINUTE": "1000000"})
    try:
        net.prepare()
        net.start()
        net.wait_ready()
        net.seed_facility()
        net.tokens = {role: net.token(role) for role in set(ROLE_OF.values())}
        yield net
    finally:
        net.stop()
        delete_vhost(name)


@pytest.fixture(scope="module")
def api_schema(fuzz_net):
    return schemathesis.openapi.from_url(f"{fuzz_net.url}/api/v1/openapi.json")


def _operation_id(case) -> str | None:
    return case.operation.definition.raw.get("operationId")


def _secured(operation) -> bool:
    return operation.definition.raw.get("security") != []


def _operations(api_schema):
    # schemathesis' own pytest plugin does not run under pytest 9 here ('_nodeid'), so each
    # operation's strategy is driven by hypothesis directly
    return [result.ok() for result in api_schema.get_all_operations()]


def _run(operation, examples, body):
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case):
        body(case)
    run()


def test_with_a_valid_token(api_schema, fuzz_net):
    """No 5xx and every response as documented, for a caller the endpoint is for."""
    failures, seen = [], {}
    operations = _operations(api_schema)
    for operation in operations:
        def body(case, operation=operation):
            seen[operation.label] = seen.get(operation.label, 0) + 1
            headers = {"X-Request-ID": f"fuzz-{uuid.uuid4().hex[:16]}"}
            if _secured(operation):
                headers["Authorization"] = f"Bearer {fuzz_net.tokens[ROLE_OF[_operation_id(case)]]}"
            case.call_and_validate(base_url=fuzz_net.url, headers=headers, timeout=15,
                                   checks=[not_a_server_error, response_schema_conformance])
        try:
            _run(operation, EXAMPLES, body)
        except Exception as exc:  # collect every operation's failure, then fail once
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert failures == [], "\n\n".join(failures)
    assert len(operations) >= len(ENDPOINTS) and set(seen) == {o.label for o in operations}
    print(f"schemathesis: {sum(seen.values())} requests over {len(seen)} operations")


def test_without_a_token_nothing_answers(api_schema, fuzz_net):
    failures = []
    for operation in _operations(api_schema):
        def body(case, operation=operation):
            if case.headers:
                case.headers.pop("Authorization", None)
            response = case.call(base_url=fuzz_net.url, timeout=15)
            if _secured(operation):
                assert response.status_code == 401, (response.status_code, response.text[:200])
            else:
                assert response.status_code in (200, 503)
        try:
            _run(operation, max(2, EXAMPLES // 4), body)
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)
