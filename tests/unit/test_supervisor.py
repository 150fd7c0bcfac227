"""The supervisor's rules without processes: the back-off, the process plan and its ports, how
an exit is recorded, and what `refnet status` prints from the state file."""

import json
import signal

from refnet.local.runner import Runner
from refnet.local.supervisor import (BackOff, Spec, describe_exit, duration, plan, read_procfile,
                                     render_status)

PROCFILE = [("referral", "nameko run services.referral.service"),
            ("shelter", "nameko run services.shelter.service"),
            ("legal", "nameko run services.legal.service"),
            ("gateway", "gunicorn gateway.app")]
SERVICES = ("referral", "shelter", "legal")


def test_the_wait_doubles_from_one_second_up_to_thirty():
    backoff = BackOff()
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(0) == 0


def test_deaths_in_a_row_count_until_a_process_stays_up_a_while():
    backoff = BackOff(stable_after=60)
    deaths = 0
    for _ in range(4):  # dies within seconds of each start
        deaths = backoff.deaths_in_a_row(deaths, uptime=2.0)
    assert deaths == 4 and backoff.delay(deaths) == 8
    deaths = backoff.deaths_in_a_row(deaths, uptime=60.0)  # had been up a minute: starts over
    assert deaths == 1 and backoff.delay(deaths) == 1


def test_a_custom_backoff_keeps_its_bounds():
    backoff = BackOff(first=0.5, most=3, stable_after=10)
    assert [backoff.delay(n) for n in range(1, 5)] == [0.5, 1, 2, 3]
    assert backoff.deaths_in_a_row(7, uptime=9.9) == 8


def test_services_are_replicated_and_numbered_each_with_its_own_port():
    specs = plan(PROCFILE, replicas=2, base_port=9500, replicated=SERVICES)
    assert [(s.name, s.port) for s in specs] == [
        ("referral", 9500), ("referral.2", 9501), ("shelter", 9600), ("shelter.2", 9601),
        ("legal", 9700), ("legal.2", 9701), ("gateway", 9800)]
    assert specs[1] == Spec("referral.2", "nameko run services.referral.service", 9501)
    assert [s.name for s in plan(PROCFILE, 1, 9500, SERVICES)] == ["referral", "shelter", "legal", "gateway"]


def test_the_procfile_is_read_in_order_without_comments_and_blank_lines(tmp_path):
    path = tmp_path / "Procfile"
    path.write_text("# the services\nreferral: env A=b nameko run x\n\ngateway: gunicorn -c a.py \"app:create()\"\n")
    assert read_procfile(path) == [("referral", "env A=b nameko run x"),
                                   ("gateway", 'gunicorn -c a.py "app:create()"')]


def test_an_exit_is_kept_as_a_code_or_a_signal_name():
    assert describe_exit(0) == {"code": 0}
    assert describe_exit(3) == {"code": 3}
    assert describe_exit(-signal.SIGKILL) == {"signal": "SIGKILL"}
    assert describe_exit(-signal.SIGTERM) == {"signal": "SIGTERM"}


def test_durations_are_short_and_exact_to_their_largest_two_units():
    assert [duration(s) for s in (0, 42, 62, 3600 * 3 + 7 * 60 + 5, 86400 * 2 + 3600 * 4)] == [
        "0s", "42s", "1m 02s", "3h 07m", "2d 04h"]
    assert duration(-3) == "0s"  # a clock step backwards never prints a negative time


NOW = 1_800_000_000.0
STATE = {
    "supervisor": {"pid": 100, "started_at": NOW - 400, "stopping": False},
    "processes": {
        "referral": {"pid": 101, "port": 9500, "started_at": NOW - 400, "restarts": 0,
                     "deaths_in_a_row": 0, "last_exit": None, "restart_at": None},
        "legal": {"pid": 205, "port": 9700, "started_at": NOW - 12, "restarts": 1,
                  "deaths_in_a_row": 1, "last_exit": {"signal": "SIGKILL", "at": NOW - 13},
                  "restart_at": None},
        "gateway": {"pid": None, "port": 9800, "started_at": None, "restarts": 3,
                    "deaths_in_a_row": 4, "last_exit": {"code": 1, "at": NOW - 2},
                    "restart_at": NOW + 6},
        "shelter": {"pid": None, "port": 9600, "started_at": None, "restarts": 0,
                    "deaths_in_a_row": 0, "last_exit": {"code": 0, "at": NOW - 1},
                    "restart_at": None},
    },
}


def test_status_shows_each_process_with_pid_uptime_restarts_and_last_exit():
    lines = render_status(STATE, NOW)
    assert [line.split()[:2] for line in lines] == [["process", "pid"], ["referral", "101"],
                                                   ["legal", "205"], ["gateway", "-"],
                                                   ["shelter", "-"]]
    header, referral, legal, gateway, shelter = lines
    assert referral.split() == ["referral", "101", "9500", "6m", "40s", "0", "-"]
    assert legal.split() == ["legal", "205", "9700", "12s", "1", "killed", "by", "SIGKILL", "13s", "ago"]
    assert "down, again in 6s" in gateway and gateway.split()[-5:] == ["3", "exit", "1", "2s", "ago"]
    assert "stopped" in shelter and shelter.endswith("exit 0 1s ago")
    # columns line up: every row's restarts count starts where the header's does
    column = header.index("restarts")
    assert {line[column] for line in lines[1:]} == {"0", "1", "3"}


def test_refnet_up_gives_up_on_a_process_that_died_three_times_in_a_row(tmp_path):
    runner = Runner(tmp_path, "http://127.0.0.1:1")
    assert runner.state() is None and runner.crash_looping() == []
    runner.state_file.parent.mkdir(parents=True)
    runner.state_file.write_text(json.dumps(STATE))
    assert runner.crash_looping() == ["gateway"]  # 4 deaths in a row; legal died once
