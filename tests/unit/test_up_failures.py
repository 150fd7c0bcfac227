"""A step of ``refnet up`` that fails is said in one line (what to do, no password, no
traceback), and the network it started is stopped."""

import pytest

from refnet.cli import failure, network


def test_one_line_names_the_step_the_error_and_what_to_do():
    error = RuntimeError("capacity 25 is below the 37 beds occupied or held\n[SQL: UPDATE ...]")
    line = failure.one_line("seeding the demo data", "see var/log/refnet.log", error)
    assert line == ("seeding the demo data failed (RuntimeError: capacity 25 is below the 37 beds "
                    "occupied or held): see var/log/refnet.log")


def test_one_line_hides_passwords_and_cuts_long_messages():
    error = ConnectionError("could not connect to postgresql://refnet:s3cret@db:5432/shelter " + "x" * 400)
    line = failure.one_line("migrating the shelter database", "check SHELTER_DATABASE_URL", error)
    assert "s3cret" not in line and "postgresql://***@db:5432/shelter" in line
    assert "\n" not in line and len(line) < 300 and line.endswith("...): check SHELTER_DATABASE_URL")


def test_an_error_with_no_message_is_named_by_its_kind():
    assert failure.one_line("starting", "retry", KeyError()) == "starting failed (KeyError): retry"
    assert failure.one_line("starting", "retry") == "starting failed: retry"


def test_a_step_turns_any_error_into_its_line():
    with pytest.raises(failure.StepFailed) as caught:
        with failure.step("declaring the broker's exchanges", "see RabbitMQ's log"):
            raise OSError("connection reset")
    assert str(caught.value) == ("declaring the broker's exchanges failed (OSError: connection "
                                 "reset): see RabbitMQ's log")


class Runner:
    """The background network, in memory: started or not."""

    log_file = "var/log/refnet.log"
    url = "http://127.0.0.1:8000"

    def __init__(self, ready=True):
        self.started = False
        self.ready = ready
        self.dying = []

    def running_pid(self):
        return 4242 if self.started else None

    def start(self, replicas, metrics_base_port):
        self.started = True

    def wait_ready(self):
        return self.ready

    def crash_looping(self):
        return self.dying

    def stop(self):
        was, self.started = self.started, False
        return was


@pytest.fixture
def up(monkeypatch):
    """``cmd_up`` with its steps in memory; each test breaks one."""
    class Values:
        amqp_uri = "amqp://guest:guest@127.0.0.1:5672/"
        replicas, metrics_base_port = 1, 9500

    local = Runner()
    monkeypatch.setattr(network, "runner", lambda: local)
    monkeypatch.setattr(network.keys, "cmd_init_secrets", lambda: 0)
    monkeypatch.setattr(network.settings, "load", Values)
    monkeypatch.setattr(network, "check_process_settings", lambda: None)
    monkeypatch.setattr(network, "unreachable", lambda _uri: None)
    monkeypatch.setattr(network.prepare, "migrate", lambda _values, say: None)
    monkeypatch.setattr(network.prepare, "declare_broker", lambda _values: True)
    monkeypatch.setattr(network.demo, "seed_demo", lambda _values: {})
    monkeypatch.setattr(network.demo, "show", lambda _values, _seeded: print("refnet is up"))
    return local


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_seeding_failure_stops_the_network_it_started(up, monkeypatch, capsys):
    def refused(_values):
        raise RuntimeError("capacity 25 is below the 37 beds occupied or held")
    monkeypatch.setattr(network.demo, "seed_demo", refused)
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys) == (
        "refnet up: seeding the demo data failed (RuntimeError: capacity 25 is below the 37 beds "
        "occupied or held): see the last lines of var/log/refnet.log, then `make up` again; the "
        "network it started is stopped")


def test_a_network_that_never_gets_ready_is_stopped(up, capsys):
    up.ready = False
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys) == (
        "refnet up: the network did not answer http://127.0.0.1:8000/readyz in time: see the last "
        "lines of var/log/refnet.log, then `make up` again; the network it started is stopped")


def test_a_process_that_keeps_dying_is_named(up, capsys):
    up.ready, up.dying = False, ["legal", "legal.2"]
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys) == (
        "refnet up: legal, legal.2 kept dying while starting: see the last lines of "
        "var/log/refnet.log, then `make up` again; the network it started is stopped")


def test_a_migration_failure_names_the_database_and_starts_nothing(up, monkeypatch, capsys):
    def migrate(_values, say):
        say("referral: database at the latest schema")
        raise OSError("connection refused")
    monkeypatch.setattr(network.prepare, "migrate", migrate)
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys) == (
        "refnet up: migrating the shelter database failed (OSError: connection refused): check "
        "SHELTER_DATABASE_URL and that its database answers, then `make up` again")


def test_no_broker_is_one_line_and_starts_nothing(up, monkeypatch, capsys):
    monkeypatch.setattr(network, "unreachable", lambda _uri: "RabbitMQ does not answer: start one")
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys) == "refnet up: RabbitMQ does not answer: start one"


def test_an_unforeseen_error_is_one_line_too(up, monkeypatch, capsys):
    monkeypatch.setattr(network.demo, "show", lambda _v, _s: None)
    monkeypatch.setattr(up, "wait_ready", lambda: {}["no such key"])
    assert network.cmd_up() == 1
    assert not up.started
    assert one_error_line(capsys).startswith("refnet up: starting the network failed (KeyError: ")


def test_a_network_that_comes_up_is_left_running(up, capsys):
    assert network.cmd_up() == 0
    assert up.started and "refnet is up" in capsys.readouterr().out



def test_a_bad_secret_stops_refnet_up_before_any_process_starts(monkeypatch):
    """The processes' own start check, run by ``refnet up`` before it starts them (the
    command's ``main`` turns the error into one line naming the variable)."""
    from services.common.settings import SettingsError
    monkeypatch.setenv("REFNET_FILE_KEYS", "SEEKRIT")
    with pytest.raises(SettingsError) as caught:
        network.check_process_settings()
    assert str(caught.value).startswith("REFNET_FILE_KEYS is malformed")
    assert "SEEKRIT" not in str(caught.value)
