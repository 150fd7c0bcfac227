"""Schemathesis against the live OpenAPI document: generated requests, with a valid
token of a role the endpoint is for and with no token at all, over real processes. No server
error, no response that breaks the documented schema, and no endpoint answers without
authentication. ``REFNET_SCHEMATHESIS_EXAMPLES`` sets examples per operation (default 8).

The last test runs schemathesis' own engine (its command, as a CI job would) with the coverage
phase (boundary and invalid values of every parameter, missing and wrong media types) and the
stateful phase (sequences that follow links it infers, e.g. a submission's ``Location``), with
real references of referrals recorded on this network drawn for ``{reference}``. The network's
rate limit is raised so that no operation hides behind ``429``."""

import collections
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

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


HOOKS = textwrap.dedent('''
    """The bearer token of a role each operation is for (REFNET_FUZZ_TOKENS: operationId -> token)."""
    import json
    import os

    import schemathesis

    TOKENS = json.loads(os.environ["REFNET_FUZZ_TOKENS"])


    @schemathesis.auth(refresh_interval=None)
    class ByRole:
        def get(self, case, ctx):
            return TOKENS.get(case.operation.definition.raw.get("operationId"))

        def set(self, case, data, ctx):
            if data:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
''')


def _recorded_references(net, count: int = 3) -> list[str]:
    """References of referrals this network recorded (one accepted, one withdrawn and
    anonymised), for the engine to use."""
    from tests.e2e.conftest import CANONICAL
    police, shelter = net.token("police"), net.token("shelter")
    references = []
    for _ in range(count):
        answer = net.api("POST", "/referrals", police, json=CANONICAL)
        assert answer.status_code == 202, answer.text
        references.append(answer.json()["reference"])
    for reference in references:
        net.wait_status(reference, "received", police)
    accepted = net.api("POST", f"/referrals/{references[0]}/decision", shelter,
                       json={"decision": "accept"})
    assert accepted.status_code == 200, accepted.text
    withdrawn = net.api("POST", f"/referrals/{references[-1]}/withdraw", police,
                        json={"reason_code": "placed_elsewhere", "reason": "moved away"})
    assert withdrawn.status_code == 200, withdrawn.text
    anonymise = subprocess.run([str(Path(sys.executable).with_name("refnet")), "anonymise",
                                "--days", "0"], env=net.env, capture_output=True, text=True,
                               timeout=120)
    assert anonymise.returncode == 0, anonymise.stderr
    assert net.api("GET", f"/referrals/{references[-1]}", shelter).json()["anonymised"] is True
    return references


def test_coverage_and_stateful_phases_with_real_references(fuzz_net, api_schema, tmp_path):
    """No server error, every status and response documented, over the coverage and stateful
    phases; the time it took is printed."""
    references = _recorded_references(fuzz_net)
    # the anonymised file, as the engine may draw it: as its response schema says
    operation = api_schema["/api/v1/referrals/{reference}"]["GET"]
    operation.Case(path_parameters={"reference": references[-1]}).call_and_validate(
        base_url=fuzz_net.url, headers={"Authorization": f"Bearer {fuzz_net.tokens['shelter']}"},
        timeout=15, checks=[not_a_server_error, response_schema_conformance])
    (tmp_path / "refnet_fuzz_hooks.py").write_text(HOOKS)
    (tmp_path / "schemathesis.toml").write_text(textwrap.dedent(f"""
        [dictionaries.references]
        values = {json.dumps(references)}

        [parameters]
        "path.reference" = {{ dictionary = "references", probability = 0.7 }}
    """))
    tokens = {e.name: fuzz_net.tokens[ROLE_OF[e.name]] for e in ENDPOINTS}
    env = {**os.environ, "REFNET_FUZZ_TOKENS": json.dumps(tokens),
           "SCHEMATHESIS_HOOKS": "refnet_fuzz_hooks",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    run = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file",
         str(tmp_path / "schemathesis.toml"), "run", f"{fuzz_net.url}/api/v1/openapi.json",
         "--phases", "coverage,stateful", "--max-examples", str(EXAMPLES), "--seed", "17",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                     "response_schema_conformance",
         "--request-timeout", "15", "--no-color"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    print(f"schemathesis coverage+stateful: {elapsed:.0f} s\n{output[-3000:]}")
    assert run.returncode == 0, output[-12000:]
    answered = _answered(fuzz_net)
    assert sum(answered.values()) > 1000 and answered[429] == 0, answered  # none hidden by 429


def _answered(net) -> collections.Counter:
    """The gateway's answers by status (its access log, one JSON object a line)."""
    statuses = collections.Counter()
    for line in net.all_logs().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and "route" in entry and "status" in entry:
            statuses[entry["status"]] += 1
    return statuses
