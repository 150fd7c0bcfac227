"""deploy/compose.yaml against the Compose Specification schema and docker-compose's own model,
offline (``docker-compose config`` needs no engine)."""

import os

import yaml

from services.contracts import broker_users
from tests.deploy.conftest import DEPLOY, run, tool

COMPOSE = DEPLOY / "compose.yaml"
SECRETS = ("RABBITMQ_PASSWORD", "POSTGRES_PASSWORD", "REFERRAL_DB_PASSWORD", "SHELTER_DB_PASSWORD",
           "LEGAL_DB_PASSWORD", "NOTIFY_DB_PASSWORD", "GATEWAY_DB_PASSWORD", "REFNET_TOKEN_SECRET", "REFNET_REFERENCE_SECRET",
           "REFNET_FILE_KEYS",
           "REFNET_AUDIT_KEY", "REFNET_INTAKE_PRIVATE_KEY", "REFNET_INTAKE_PUBLIC_KEY",
           "REFNET_CALLER_SIGNING_KEY", "REFNET_CALLER_VERIFY_KEY",
           *(f"REFNET_BROKER_PASSWORD_{kind.upper()}" for kind in broker_users.KINDS))


def environment(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.update({name: f"test-{name.lower()}" for name in SECRETS})
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def compose_config(path, env=None):
    return run(tool("docker-compose"), "-f", path, "config", "-q", env=env or environment(), cwd=path.parent)


def schema_check(path):
    return run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", path)


def test_compose_file_matches_the_compose_spec_and_docker_compose_accepts_it():
    result = schema_check(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    result = compose_config(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_secret_comes_from_the_environment_and_a_missing_one_stops_compose():
    text = COMPOSE.read_text()
    for name in SECRETS:
        assert f"${{{name}:?" in text, name
    result = compose_config(COMPOSE, env=environment(REFNET_FILE_KEYS=None))
    assert result.returncode != 0 and "REFNET_FILE_KEYS" in result.stderr


def test_the_compose_spec_schema_fails_on_an_unknown_key(broken):
    bad = broken(COMPOSE, "      retries: 12\n      start_period: 30s\n",
                 "      retries: 12\n      start_perod: 30s\n")
    result = schema_check(bad)
    assert result.returncode != 0 and "start_perod" in (result.stdout + result.stderr)


def test_docker_compose_fails_on_a_broken_start_condition(broken):
    bad = broken(COMPOSE, "condition: service_completed_successfully",
                 "condition: service_finished")
    result = compose_config(bad)
    assert result.returncode != 0, result.stdout


def test_every_refnet_container_keeps_the_image_entrypoint_that_checks_its_settings():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("migrate", "referral", "shelter", "legal", "notify", "gateway"):
        assert "entrypoint" not in services[name] and services[name]["command"], name


def test_start_order_is_health_gated_and_data_lives_in_volumes():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert {"rabbitmq", "postgres", "migrate", "referral", "shelter", "legal", "notify", "gateway"} <= set(services)
    assert services["migrate"]["depends_on"] == {"rabbitmq": {"condition": "service_healthy"},
                                                 "postgres": {"condition": "service_healthy"}}
    for name in ("referral", "shelter", "legal", "notify"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert "healthcheck" in services[name]
        urls = [v for k, v in services[name]["environment"].items() if k.endswith("_DATABASE_URL")]
        assert len(urls) == 1 and f"/{name}" in urls[0] and f"://{name}:" in urls[0]  # own db, own role
    assert {d["condition"] for d in services["gateway"]["depends_on"].values()} == {"service_healthy"}
    for name in ("rabbitmq", "postgres"):
        assert "healthcheck" in services[name]
    assert "management" in services["rabbitmq"]["image"]
    assert set(compose["volumes"]) == {"rabbitmq-data", "postgres-data"}


def test_each_process_connects_as_its_own_broker_user_and_only_migrate_as_the_administrator():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for kind in broker_users.KINDS:
        environment_ = services[kind]["environment"]
        assert environment_["AMQP_URI"].startswith(f"amqp://{broker_users.user_name(kind)}:"
                                                   f"${{REFNET_BROKER_PASSWORD_{kind.upper()}:?"), kind
        assert not [k for k in environment_ if k.startswith("REFNET_BROKER_PASSWORD_")], kind
        assert "RABBITMQ_PASSWORD" not in str(environment_), kind
    migrate = services["migrate"]
    assert "refnet broker-setup" in " ".join(migrate["command"])
    assert {f"REFNET_BROKER_PASSWORD_{kind.upper()}" for kind in broker_users.KINDS} <= set(migrate["environment"])
