"""The services' launcher (services/common/runtime/launcher.py): the nameko config read as
``nameko run`` reads it, without nameko's CLI."""

import pytest

from services.common.runtime import launcher

CONFIG = """\
AMQP_URI: ${AMQP_URI:amqp://guest:guest@127.0.0.1:5672/}
max_workers: 10
OUTBOX_POLL_SECONDS: ${REFNET_OUTBOX_POLL_SECONDS:1.0}
LOGGING:
  root:
    level: ${REFNET_LOG_LEVEL:INFO}
    handlers: [console]
"""


def test_the_environment_fills_the_config_and_values_are_read_as_yaml(tmp_path):
    path = tmp_path / "nameko.yaml"
    path.write_text(CONFIG)
    config = launcher.load_config(str(path), {"AMQP_URI": "amqp://u:p@h1:5672/v;amqp://u:p@h2:5673/v",
                                              "REFNET_OUTBOX_POLL_SECONDS": "0.25"})
    assert config["AMQP_URI"] == "amqp://u:p@h1:5672/v;amqp://u:p@h2:5673/v"
    assert config["OUTBOX_POLL_SECONDS"] == 0.25  # a number, as nameko gives it
    assert config["max_workers"] == 10
    assert config["LOGGING"]["root"] == {"level": "INFO", "handlers": ["console"]}


def test_defaults_apply_when_the_variable_is_unset(tmp_path):
    path = tmp_path / "nameko.yaml"
    path.write_text(CONFIG)
    config = launcher.load_config(str(path), {})
    assert config["AMQP_URI"] == "amqp://guest:guest@127.0.0.1:5672/"
    assert config["OUTBOX_POLL_SECONDS"] == 1.0


@pytest.mark.parametrize("value, expected", [
    ("plain", "plain"), ("${MISSING}", None), ("x-${NAME}-y", "x-svc-y"), (7, 7),
])
def test_expand_replaces_only_placeholders(value, expected):
    assert launcher.expand(value, {"NAME": "svc"}) == expected


def test_the_command_line_is_a_config_and_modules():
    assert launcher.parse(["--config", "deploy/nameko.yaml", "services.shelter.service"]) == (
        "deploy/nameko.yaml", ["services.shelter.service"])
    with pytest.raises(SystemExit):
        launcher.parse(["services.shelter.service"])  # no config


def test_the_procfile_starts_every_service_through_the_launcher():
    from pathlib import Path

    from refnet.settings import kind_of_command
    procfile = Path(__file__).resolve().parents[2] / "deploy" / "Procfile"
    lines = dict(line.split(": ", 1) for line in procfile.read_text().splitlines() if ": " in line)
    for service in ("referral", "shelter", "legal", "notify"):
        assert "services.common.runtime.launcher --config deploy/nameko.yaml" in lines[service]
        assert "nameko run" not in lines[service]
        assert kind_of_command(lines[service].split()) == service


def test_start_up_objects_leave_the_collectors_reach_and_later_ones_stay_in_it():
    """After start-up a full collection walks only what was made since (gc.freeze): the
    objects alive then are counted frozen, and neither new objects nor a collection add to
    or take from them."""
    import gc

    from services.common.runtime.startup import freeze_startup_objects

    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_objects()
        frozen = gc.get_freeze_count()
        assert frozen > 1000                       # the modules, classes and functions loaded
        later = [[n] for n in range(5000)]
        gc.collect()
        assert gc.get_freeze_count() == frozen and all(gc.is_tracked(item) for item in later)
    finally:
        gc.unfreeze()
