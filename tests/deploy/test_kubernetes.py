"""deploy/k8s: core kinds with ``kubernetes-validate --strict``; the operators' resources against
their CRD schemas (docs/standards/crds/), unknown fields being errors; and what neither
schema says: replicas, probes, resources, disruption budgets, secrets by reference, the broker
policies matching the topology the services declare."""

import re

import pytest

from services.contracts import broker_users, topology
from tests.deploy.conftest import CRDS, K8S, documents, run, tool, write_documents
from tests.deploy.crd_schema import CrdCatalog

OPERATORS = K8S / "operators"


@pytest.fixture(scope="module")
def crds():
    assert CRDS.is_dir(), f"the CRD schemas are expected in the repository: {CRDS}"
    return CrdCatalog(CRDS)


def core_files():
    return sorted(p for p in K8S.rglob("*.yaml") if OPERATORS not in p.parents and p.name != "kustomization.yaml")


def all_core_documents():
    return [d for p in core_files() for d in documents(p)]


def kubernetes_validate(*paths):
    return run(tool("kubernetes-validate"), "--strict", "--no-warn", *paths)


def test_core_kinds_pass_kubernetes_validate_strict():
    files = core_files()
    assert {p.name for p in files} >= {"namespace.yaml", "config.yaml", "referral.yaml", "shelter.yaml",
                                      "legal.yaml", "notify.yaml", "gateway.yaml", "job.yaml"}
    result = kubernetes_validate(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(all_core_documents())


def test_kubernetes_validate_fails_on_an_unknown_field_and_a_wrong_type(broken):
    typo = broken(K8S / "gateway.yaml", "  replicas: 2\n", "  replica: 2\n", name="typo.yaml")
    result = kubernetes_validate(typo)
    assert result.returncode != 0 and "replica" in result.stdout + result.stderr
    wrong = broken(K8S / "referral.yaml", "containerPort: 9100", "containerPort: metrics", name="wrong.yaml")
    assert kubernetes_validate(wrong).returncode != 0


def test_operator_resources_match_their_crd_schemas(crds):
    kinds = set()
    for path in sorted(OPERATORS.glob("*.yaml")):
        for document in documents(path):
            assert crds.errors(document) == [], (path.name, document["metadata"]["name"])
            kinds.add(document["kind"])
    assert kinds == {"RabbitmqCluster", "Vhost", "Policy", "User", "Permission", "TopicPermission",
                     "Cluster", "Database"}


@pytest.mark.parametrize("kind,change,expected", [
    ("RabbitmqCluster", lambda d: d["spec"].update(replica=3), "replica"),          # unknown field
    ("RabbitmqCluster", lambda d: d["spec"].update(replicas="three"), "three"),     # wrong type
    ("Policy", lambda d: d["spec"].pop("pattern"), "pattern"),                      # required
    ("Policy", lambda d: d["spec"].update(priority="high"), "high"),                # wrong type
    ("Cluster", lambda d: d["spec"]["storage"].update(sizee="20Gi"), "sizee"),      # unknown, nested
    ("Cluster", lambda d: d["spec"]["managed"]["roles"][0].update(password="x"), "password"),
    ("Database", lambda d: d["spec"].pop("owner"), "owner"),
    ("Database", lambda d: d["metadata"].update(labelz={}), "labelz"),              # metadata too
])
def test_the_crd_check_fails_on_a_broken_resource(crds, tmp_path, kind, change, expected):
    docs = [d for p in sorted(OPERATORS.glob("*.yaml")) for d in documents(p)]
    target = next(d for d in docs if d["kind"] == kind)
    change(target)
    copy = write_documents(tmp_path / "broken.yaml", [target])  # round trip through a file
    errors = crds.errors(documents(copy)[0])
    assert errors and any(expected in e for e in errors), errors


def test_every_resource_is_checked_by_one_validator(crds):
    """Core kinds only outside operators/, operator kinds only inside: nothing slips past both."""
    for document in all_core_documents():
        assert document["apiVersion"].split("/")[0] not in crds.groups, document["kind"]
    for path in OPERATORS.glob("*.yaml"):
        for document in documents(path):
            assert document["apiVersion"].split("/")[0] in crds.groups, document["kind"]
    listed = documents(K8S / "kustomization.yaml")[0]["resources"]
    for resource in listed:
        assert (K8S / resource).exists(), resource
    assert set(listed) == {str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml")
                           if p.name != "kustomization.yaml" and "migrate" not in p.parts}


def workloads():
    return {d["metadata"]["name"]: d for d in all_core_documents() if d["kind"] in ("Deployment", "Job")}


def test_deployments_have_replicas_probes_resources_budgets_and_run_as_non_root():
    docs = all_core_documents()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"refnet-referral", "refnet-shelter", "refnet-legal", "refnet-notify",
                                "refnet-gateway"}
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for name, deployment in deployments.items():
        spec = deployment["spec"]
        assert spec["replicas"] >= 2, name
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] >= 1000
        for container in pod["containers"]:
            assert container["readinessProbe"] and container["livenessProbe"], name
            assert set(container["resources"]) == {"requests", "limits"}, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
        labels = spec["template"]["metadata"]["labels"]
        assert any(set(b["spec"]["selector"]["matchLabels"].items()) <= set(labels.items()) for b in budgets), name


def test_secrets_are_referenced_never_written():
    assert not [d for d in all_core_documents() if d["kind"] == "Secret"]
    secret_like = re.compile(r"(SECRET|PASSWORD|KEYS?$|PRIVATE|PUBLIC_KEY)")
    for name, workload in workloads().items():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            for variable in container.get("env", []):
                if secret_like.search(variable["name"]):
                    assert "secretKeyRef" in variable.get("valueFrom", {}), (name, variable["name"])
    referral = workloads()["refnet-referral"]["spec"]["template"]["spec"]["containers"][0]
    gateway = workloads()["refnet-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert "REFNET_INTAKE_PRIVATE_KEY" in {v["name"] for v in referral["env"]}
    assert "REFNET_INTAKE_PRIVATE_KEY" not in {v["name"] for v in gateway["env"]}  # only referral unseals


def test_migrations_run_as_a_job_with_every_database():
    job = workloads()["refnet-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert "refnet migrate" in " ".join(container["args"]) and "broker-setup" in " ".join(container["args"])
    names = {v["name"] for v in container["env"]}
    assert {"REFERRAL_DATABASE_URL", "SHELTER_DATABASE_URL", "LEGAL_DATABASE_URL", "NOTIFY_DATABASE_URL",
            "AMQP_URI"} <= names


def test_every_container_keeps_the_image_entrypoint_that_checks_its_settings():
    """A Kubernetes ``command`` replaces the image's ENTRYPOINT (``refnet entrypoint``, which
    checks the process's settings before it starts): the process is given as ``args``."""
    for name, workload in workloads().items():
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert "command" not in container and container["args"], (name, container["name"])


def test_the_broker_is_three_quorum_nodes_with_policies_that_match_the_declared_topology():
    docs = documents(OPERATORS / "rabbitmq.yaml")
    cluster = next(d for d in docs if d["kind"] == "RabbitmqCluster")
    assert cluster["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in cluster["spec"]["rabbitmq"]["additionalConfig"]
    vhost = next(d for d in docs if d["kind"] == "Vhost")
    assert vhost["spec"]["defaultQueueType"] == "quorum"
    limits = next(d for d in docs if d["kind"] == "Policy" and "delivery-limit" in d["spec"]["definition"])
    assert limits["spec"]["definition"]["delivery-limit"] == topology.DELIVERY_LIMIT
    assert limits["spec"]["definition"]["dead-letter-exchange"] == topology.DEAD_LETTER_EXCHANGE
    assert limits["spec"]["vhost"] == vhost["spec"]["name"]
    pattern = re.compile(limits["spec"]["pattern"])
    for queue in [topology.INTAKE_QUEUE, *topology.EVENT_QUEUES]:
        assert pattern.search(queue), queue
    assert not pattern.search(topology.DEAD_LETTER_QUEUE)  # a parked message is never re-parked
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in documents(OPERATORS / "postgres.yaml")
                 if d["kind"] == "Database"}
    assert databases == {"referral": "referral", "shelter": "shelter", "legal": "legal",
                         "notify": "notify", "gateway": "gateway"}  # revoked tokens, web users and sessions


def _statements(sql: str) -> list[str]:
    """SQL statements without comments, whitespace folded (a function body is one statement)."""
    body = " ".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    head, dollar, rest = body.partition("END $$")
    parts = [head + dollar] + rest.split(";") if dollar else body.split(";")
    return [" ".join(p.split()).strip(" ;") for p in parts if p.strip(" ;")]


def test_the_cluster_prepares_every_database_with_the_audit_owner_statements():
    """The audit trail's owner on Kubernetes is made as on compose: the role ``audit_owner``
    and deploy/postgres/audit-owner.sql's statements (run in template1, so in every database)."""
    cluster = next(d for d in documents(OPERATORS / "postgres.yaml") if d["kind"] == "Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    assert roles["audit_owner"].get("login", False) is False
    template = cluster["spec"]["bootstrap"]["initdb"]["postInitTemplateSQL"]
    sql = (K8S.parent / "postgres" / "audit-owner.sql").read_text()
    assert [" ".join(s.split()).strip(" ;") for s in template] == _statements(sql)
    compose_init = (K8S.parent / "compose" / "postgres-init.sh").read_text()
    assert "CREATE ROLE audit_owner NOLOGIN" in compose_init and "audit-owner.sql" in compose_init


def _container_secret(workload: dict, variable: str) -> str | None:
    container = workload["spec"]["template"]["spec"]["containers"][0]
    for item in container.get("env", []):
        if item["name"] == variable:
            return item.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
    return None


@pytest.mark.parametrize("kind", broker_users.KINDS)
def test_each_process_kind_has_its_own_broker_user_with_least_privilege(kind):
    """The operator makes one User per kind with the contract's patterns; each Deployment reads
    its own kind's credentials and none the administrator's (the migrate Job alone does)."""
    docs = documents(OPERATORS / "broker-users.yaml")
    name = f"refnet-broker-{kind}"
    assert [d for d in docs if d["kind"] == "User" and d["metadata"]["name"] == name]
    granted = [d["spec"] for d in docs if d["kind"] == "Permission"
               and d["spec"]["userReference"]["name"] == name]
    assert len(granted) == 1 and granted[0]["vhost"] == "refnet"
    assert granted[0]["permissions"] == broker_users.permissions(kind)
    topics = {d["spec"]["permissions"]["exchange"]: {k: d["spec"]["permissions"][k] for k in ("write", "read")}
              for d in docs if d["kind"] == "TopicPermission" and d["spec"]["userReference"]["name"] == name}
    assert topics == broker_users.topic_permissions(kind)
    workload = workloads()[name.replace("broker-", "")]
    for variable in ("AMQP_USER", "AMQP_PASSWORD"):
        assert _container_secret(workload, variable) == f"{name}-user-credentials", variable
    assert _container_secret(workloads()["refnet-migrate"], "AMQP_PASSWORD") == "refnet-broker-default-user"


def _selects(selector: dict, labels: dict) -> bool:
    if not set((selector.get("matchLabels") or {}).items()) <= set(labels.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


# the notify service alone sends out of the cluster: SMTP (relay, implicit TLS, submission) and
# the SMS provider's HTTPS webhook, to public addresses only
OUTSIDE = {"refnet-notify": {("outside", 25), ("outside", 465), ("outside", 587), ("outside", 443)}}
PRIVATE_RANGES = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}


def test_every_workload_is_denied_all_traffic_but_the_broker_its_database_and_dns():
    policies = [d for d in all_core_documents() if d["kind"] == "NetworkPolicy"]
    allowed_egress = {("refnet-broker", 5672), ("refnet-db", 5432), ("kube-dns", 53)}
    for name, workload in workloads().items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        selecting = [p["spec"] for p in policies if _selects(p["spec"]["podSelector"], labels)]
        deny = [s for s in selecting if "ingress" not in s and "egress" not in s]
        assert deny and set(deny[0]["policyTypes"]) == {"Ingress", "Egress"}, name
        allows = [s for s in selecting if "egress" in s]
        assert len(allows) == 1, name
        reached = set()
        for rule in allows[0]["egress"]:
            for peer in rule["to"]:
                if "ipBlock" in peer and name in OUTSIDE:
                    assert set(peer) == {"ipBlock"} and set(peer["ipBlock"]["except"]) >= PRIVATE_RANGES
                    reached |= {("outside", port["port"]) for port in rule["ports"]}
                    continue
                assert set(peer) <= {"podSelector", "namespaceSelector"}, (name, peer)  # no ipBlock
                target = next(iter(peer["podSelector"]["matchLabels"].values()))
                reached |= {(target, port["port"]) for port in rule["ports"]}
        assert reached == allowed_egress | OUTSIDE.get(name, set()), name
        ports = {port["port"] for s in selecting for rule in s.get("ingress", [])
                 for port in rule.get("ports", [])}
        assert ports == ({8000} if name == "refnet-gateway" else set() if name == "refnet-migrate"
                         else {9100}), name
