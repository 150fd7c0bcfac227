"""The settings mechanism and the process clock (services/common/settings.py, clock.py)."""

from datetime import datetime, timedelta, timezone

import pytest

from services.common.clock import FixedClock, OffsetClock, SystemClock, process_clock
from services.common.settings import (Setting, Settings, SettingsError, boolean, service_settings)

from .conftest import service_secrets

HOLD = Setting("REFNET_HOLD_HOURS", "48", "hours a bed is held", float)
KEY = Setting("REFNET_TOKEN_SECRET", None, "signs tokens", required=True, secret=True)


def test_default_environment_and_override_in_that_order():
    settings = Settings("demo", HOLD)
    assert settings.load({}).hold_hours == 48.0
    assert settings.load({"REFNET_HOLD_HOURS": "2"})["REFNET_HOLD_HOURS"] == 2.0
    assert settings.load({"REFNET_HOLD_HOURS": "2"}, {"REFNET_HOLD_HOURS": 5}).hold_hours == 5


def test_a_bad_or_missing_value_names_the_variable_and_not_the_value():
    with pytest.raises(SettingsError, match="REFNET_HOLD_HOURS") as bad:
        Settings("demo", HOLD).load({"REFNET_HOLD_HOURS": "soon-ish"})
    assert "soon-ish" not in str(bad.value)
    with pytest.raises(SettingsError, match="REFNET_TOKEN_SECRET is required"):
        Settings("demo", KEY).load({})


def test_included_settings_come_once_and_the_first_declaration_wins():
    shadow = Setting("REFNET_HOLD_HOURS", "1", "another meaning", float)
    settings = Settings("demo", Settings("inner", HOLD), shadow)
    assert [s.env for s in settings] == ["REFNET_HOLD_HOURS"]
    assert settings.load({}).hold_hours == 48.0
    with pytest.raises(AttributeError):
        settings.load({}).no_such_setting


def test_a_service_reads_the_common_settings_its_database_and_its_metrics_port():
    envs = {s.env for s in service_settings("shelter")}
    assert {"AMQP_URI", "SHELTER_DATABASE_URL", "REFNET_METRICS_PORT_SHELTER",
            "REFNET_FILE_KEYS", "REFNET_DEMO_CLOCK_FILE"} <= envs
    values = service_settings("shelter").load(service_secrets())
    assert values.shelter_database_url == "sqlite:///var/shelter.db"


def test_boolean_parses_yes_and_no_only():
    assert boolean("Yes") is True and boolean("off") is False
    with pytest.raises(ValueError):
        boolean("maybe")


def test_offset_clock_reads_each_file_at_every_call(tmp_path):
    demo, test = tmp_path / "demo", tmp_path / "test"
    demo.write_text("-86400")
    clock = OffsetClock(str(demo), str(test))  # the test file does not exist yet: no offset
    assert clock.offset() == timedelta(days=-1)
    test.write_text("3600")
    assert clock.offset() == timedelta(days=-1, hours=1)
    drift = clock.now() - datetime.now(timezone.utc)
    assert abs(drift - timedelta(hours=-23)) < timedelta(seconds=5)


def test_process_clock_is_the_system_clock_unless_a_clock_file_is_set(tmp_path):
    assert isinstance(process_clock({"REFNET_DEMO_CLOCK_FILE": None}), SystemClock)
    moved = process_clock({"REFNET_TEST_CLOCK_OFFSET_FILE": str(tmp_path / "offset")})
    assert isinstance(moved, OffsetClock) and moved.files == (str(tmp_path / "offset"),)


def test_fixed_clock_moves_only_when_told():
    clock = FixedClock(datetime(2026, 3, 1, 9, tzinfo=timezone.utc))
    clock.advance(days=1, hours=2)
    assert clock.now() == datetime(2026, 3, 2, 11, tzinfo=timezone.utc)
    assert clock.today().isoformat() == "2026-03-02"
