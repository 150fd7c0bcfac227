"""How the deployed configuration's environments are derived (refnet.harness.deployed): the
image's ENV, compose's config, Kubernetes' env/envFrom/secretKeyRef/configMapKeyRef and
$(VAR) expansion, and what is made local."""

import shlex
from pathlib import Path

import pytest
import yaml

from refnet.harness import deployed as d
from refnet.harness.network import procfile
from services.contracts import broker_users

DOCKERFILE = """\
FROM python:3.11 AS build
ENV PIP_NO_CACHE_DIR=1 BUILD_ONLY=yes
FROM python:3.11 AS runtime
ENV PATH=/opt/refnet/bin:$PATH \\
    REFNET_HOST=0.0.0.0 \\
    REFNET_VAR=/tmp/refnet
ENV SPACED="a b"
CMD ["gunicorn"]
"""


def test_the_image_env_is_the_last_stage_s_with_continued_lines():
    assert d.image_env(DOCKERFILE) == {"PATH": "/opt/refnet/bin:$PATH", "REFNET_HOST": "0.0.0.0",
                                       "REFNET_VAR": "/tmp/refnet", "SPACED": "a b"}


def test_the_compose_env_file_fills_every_line_of_the_example():
    example = "# comment\nRABBITMQ_PASSWORD=\nREFNET_FILE_KEYS=\n\nLEGAL_DB_PASSWORD=\n"
    words = iter(["pw1", "pw2"])
    text = d.compose_env_file(example, {"REFNET_FILE_KEYS": "key", "UNUSED": "x"}, lambda: next(words))
    assert text == "RABBITMQ_PASSWORD=pw1\nREFNET_FILE_KEYS=key\nLEGAL_DB_PASSWORD=pw2\n"


def _compose_config(environment_of_referral) -> dict:
    service = {"command": ["nameko", "run", "x"], "environment": {"AMQP_URI": "amqp://u:p$$w@rabbitmq/v"}}
    return {"services": {
        "rabbitmq": {"environment": {"RABBITMQ_DEFAULT_USER": "refnet", "RABBITMQ_DEFAULT_PASS": "p$$w",
                                     "RABBITMQ_DEFAULT_VHOST": "v"}},
        "postgres": {"environment": {"LEGAL_DB_PASSWORD": "l$$1"}},
        "migrate": {"command": "sh -c 'refnet migrate'", "environment": {}},
        "referral": {"command": ["nameko", "run", "r"], "environment": environment_of_referral},
        "shelter": service, "legal": service, "notify": service,
        "gateway": {"command": ["gunicorn"], "environment": {"REFNET_HOST": "10.0.0.1", "EMPTY": None}},
    }}


def test_compose_config_gives_each_kind_the_image_env_under_its_own_with_dollars_unescaped():
    config = _compose_config(["REFNET_FILE_KEYS=k$$1", "AMQP_URI=amqp://u:p@rabbitmq/v"])
    form = d.from_compose(config, {"REFNET_HOST": "0.0.0.0", "REFNET_VAR": "/tmp/refnet"})
    assert form.environments["referral"] == {"REFNET_HOST": "0.0.0.0", "REFNET_VAR": "/tmp/refnet",
                                             "REFNET_FILE_KEYS": "k$1", "AMQP_URI": "amqp://u:p@rabbitmq/v"}
    assert form.environments["shelter"]["AMQP_URI"] == "amqp://u:p$w@rabbitmq/v"
    assert form.environments["gateway"]["REFNET_HOST"] == "10.0.0.1"
    assert form.environments["gateway"]["EMPTY"] == ""
    assert form.commands["migrate"] == ["sh", "-c", "refnet migrate"]
    assert form.hosts == {"rabbitmq", "postgres", "migrate", "referral", "shelter", "legal", "notify",
                          "gateway"}
    assert form.vhosts == [{"name": "v", "default_queue_type": None}]
    assert form.users == [{"name": "refnet", "password": "p$w", "tags": ("administrator",),
                           "vhosts": ("v",)}]
    assert form.postgres_env == {"LEGAL_DB_PASSWORD": "l$1"}


def test_k8s_expansion_takes_variables_defined_before_and_leaves_the_rest():
    defined = {"USER": "ann", "HOST": "broker"}
    assert d.expand("amqp://$(USER)@$(HOST)/$(LATER)", defined) == "amqp://ann@broker/$(LATER)"
    assert d.expand("$$(USER) costs $$5", defined) == "$(USER) costs $5"


CONTAINER = {
    "envFrom": [{"configMapRef": {"name": "config"}}, {"secretRef": {"name": "extra", "optional": True}}],
    "env": [
        {"name": "HOST", "value": "from-env"},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "config", "key": "LEVEL"}}},
        {"name": "URL", "value": "pg://u:$(PASSWORD)@$(HOST)/$(LEVEL)"},
        {"name": "MAYBE", "valueFrom": {"secretKeyRef": {"name": "db", "key": "nope", "optional": True}}},
    ],
}


def test_a_container_env_is_the_image_then_env_from_then_env_in_order():
    env = d.container_env(CONTAINER, {"config": {"HOST": "from-map", "LEVEL": "INFO"}},
                          {"db": {"password": "s3cret"}}, {"HOST": "image", "PATH": "/bin"})
    assert env == {"HOST": "from-env", "LEVEL": "INFO", "PASSWORD": "s3cret", "PATH": "/bin",
                   "URL": "pg://u:s3cret@from-env/INFO"}


def test_a_missing_secret_key_or_config_map_fails_as_the_pod_would():
    with pytest.raises(KeyError, match="'db' has no key 'password'"):
        d.container_env(CONTAINER, {"config": {"LEVEL": "INFO"}}, {"db": {}}, {})
    with pytest.raises(KeyError, match="'config' does not exist"):
        d.container_env(CONTAINER, {}, {"db": {"password": "x"}}, {})


def _filled_secrets() -> dict:
    from refnet.local.secrets import new_secrets
    return {"refnet-secrets": {k: f"value-of-{k}" for k in new_secrets()},
            **{f"refnet-db-{s}": {"username": s, "password": f"pw-{s}"}
               for s in ("referral", "shelter", "legal", "notify", "gateway")},
            "refnet-broker-default-user": {"username": "default_user_x", "password": "bpw"},
            **{f"refnet-broker-{kind}-user-credentials": {"username": f"{kind}_x", "password": f"bpw-{kind}"}
               for kind in ("gateway", "referral", "shelter", "legal", "notify")}}


def test_the_k8s_manifests_resolve_for_every_kind_with_the_operators_objects():
    form = d.from_k8s(d.k8s_documents(), _filled_secrets(), {"PATH": "/opt/refnet/bin"})
    assert set(form.environments) == set(d.KINDS)
    for kind, env in form.environments.items():
        user = "default_user_x:bpw" if kind == "migrate" else f"{kind}_x:bpw-{kind}"
        assert env["AMQP_URI"] == f"amqp://{user}@refnet-broker:5672/refnet", kind
        assert "$(" not in "".join(env.values()), kind
    assert form.environments["legal"]["LEGAL_DATABASE_URL"] == \
        "postgresql+psycopg2://legal:pw-legal@refnet-db-rw:5432/legal"
    assert {"refnet-broker", "refnet-db-rw", "refnet-gateway.refnet.svc.cluster.local"} <= form.hosts
    assert form.vhosts == [{"name": "refnet", "default_queue_type": "quorum"}]
    assert [p["name"] for p in form.policies] == ["refnet-delivery-limit", "refnet-dead-letters"]
    assert form.users[0]["name"] == "default_user_x" and form.users[0]["vhosts"] == ("refnet",)
    gateway = next(u for u in form.users if u["name"] == "gateway_x")  # the Topology Operator's
    assert gateway["vhosts"] == ("refnet",) and gateway["permissions"] == broker_users.permissions("gateway")
    assert gateway["topic_permissions"] == broker_users.topic_permissions("gateway")
    assert 'CREATE ROLE "legal" LOGIN PASSWORD \'pw-legal\'' in form.database_sql
    assert 'CREATE DATABASE "legal" OWNER "legal"' in form.database_sql
    assert form.database_sql.index('CREATE ROLE "gateway" LOGIN PASSWORD \'pw-gateway\'') < \
        form.database_sql.index('CREATE DATABASE "referral" OWNER "referral"')


def test_cnpg_quotes_a_password_and_skips_an_absent_role():
    docs = [{"kind": "Cluster", "apiVersion": "postgresql.cnpg.io/v1", "spec": {"managed": {"roles": [
        {"name": "a", "login": True, "passwordSecret": {"name": "s"}},
        {"name": "gone", "ensure": "absent"}]}}}]
    assert d.cnpg_sql(docs, {"s": {"password": "it's"}}) == ["CREATE ROLE \"a\" LOGIN PASSWORD 'it''s'"]


def test_the_containers_run_the_procfile_s_commands():
    """The local runner and the containers start the same programs; the Procfile only adds an
    environment variable in front (``env X=y``)."""
    lines = {kind: shlex.split(line) for kind, line in procfile().items()}
    local = {kind: words[next(i for i, w in enumerate(words) if w != "env" and "=" not in w):]
             for kind, words in lines.items()}
    compose = yaml.safe_load((d.DEPLOY / "compose.yaml").read_text())["services"]
    k8s = d.from_k8s(d.k8s_documents(), _filled_secrets(), {}).commands
    for kind, words in local.items():
        assert compose[kind]["command"] == words == k8s[kind], kind
    assert compose["migrate"]["command"] == k8s["migrate"]


ENDPOINTS = {"amqp": "127.0.0.1:5673", "postgresql": "127.0.0.1:5433"}


def test_localise_points_urls_and_hosts_here_and_moves_tmp():
    env = {"AMQP_URI": "amqp://u:p@w@rabbitmq:5672/refnet",
           "DB": "postgresql+psycopg2://u:pw@refnet-db-rw.refnet.svc:5432/legal",
           "AMQP_HOST": "rabbitmq", "REFNET_HOST": "0.0.0.0", "VAR": "/tmp/refnet", "TMP": "/tmp",
           "OTHER": "rabbitmq", "PATH": "/opt/refnet/bin:$PATH", "NOT_TMP": "/tmpfoo",
           "REFNET_PUBLIC_URL": "https://refnet.example.org", "LOCAL_URL": "http://127.0.0.1:8000",
           "REFNET_SMTP_HOST": ""}
    out = d.localise(env, {"rabbitmq", "refnet-db-rw.refnet.svc"}, ENDPOINTS, Path("/here"), "/venv/bin")
    assert out == {"AMQP_URI": "amqp://u:p@w@127.0.0.1:5673/refnet",
                   "DB": "postgresql+psycopg2://u:pw@127.0.0.1:5433/legal",
                   "AMQP_HOST": "127.0.0.1", "REFNET_HOST": "127.0.0.1", "VAR": "/here/refnet",
                   "TMP": "/here", "OTHER": "rabbitmq", "PATH": "/venv/bin", "NOT_TMP": "/tmpfoo",
                   "REFNET_PUBLIC_URL": "https://refnet.example.org",  # only written into links
                   "LOCAL_URL": "http://127.0.0.1:8000", "REFNET_SMTP_HOST": ""}


def test_localise_refuses_a_host_the_form_does_not_define():
    with pytest.raises(ValueError, match="'db.example.org'"):
        d.localise({"URL": "postgresql://u@db.example.org/x"}, {"postgres"}, ENDPOINTS, Path("/t"), "")
    with pytest.raises(ValueError, match="AMQP_HOST"):
        d.localise({"AMQP_HOST": "elsewhere"}, {"rabbitmq"}, ENDPOINTS, Path("/t"), "")
    with pytest.raises(ValueError, match="redis"):
        d.localise({"URL": "redis://rabbitmq/0"}, {"rabbitmq"}, ENDPOINTS, Path("/t"), "")
    with pytest.raises(ValueError, match="http"):  # a web address of the form's own: no endpoint
        d.localise({"URL": "http://rabbitmq:15672/"}, {"rabbitmq"}, ENDPOINTS, Path("/t"), "")


def test_the_databases_are_read_from_the_urls():
    envs = {"a": {"REFERRAL_DATABASE_URL": "postgresql+psycopg2://referral:x@h:5432/referral",
                  "REFNET_GATEWAY_DATABASE_URL": "postgresql+psycopg2://gw:y@h/gateway"},
            "b": {"OTHER_DATABASE_URL": "", "X": "postgresql://no@h/none"}}
    assert d.databases(envs) == {"referral": "referral", "gateway": "gw"}
