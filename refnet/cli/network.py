"""``refnet up | down | status | supervise | migrate | broker-setup``: the network on this machine.

``refnet up`` writes the secrets once, migrates, declares the broker topology, starts the
supervisor (``refnet supervise``: every deploy/Procfile line, restarted when it dies) in the
background, waits until ``/readyz`` answers, seeds the demo data into an empty network and
prints where to go next; a step that fails is one line saying what to do, and stops what
``refnet up`` started. ``refnet status`` shows each process; ``refnet down`` stops the
supervisor's process group.
"""

import os
import sys
import time

from refnet import settings
from refnet.local import prepare, supervisor
from refnet.local.broker import unreachable
from refnet.local.runner import Runner
from services.common.settings import SettingsError

from . import demo, failure, keys


def runner() -> Runner:
    """The runner of this machine's network (``REFNET_VAR``, ``REFNET_PORT``)."""
    location = settings.LOCATION.load()
    return Runner(settings.var(), settings.base_url(location))


def cmd_migrate(_args=None) -> int:
    """Bring every service's database, and the gateway's tables, to the latest schema."""
    prepare.migrate(settings.load())
    return 0


def cmd_broker_setup(_args=None) -> int:
    """Declare the exchanges and durable queues."""
    return 0 if prepare.declare_broker(settings.load()) else 1


def cmd_up(_args=None) -> int:
    """Start the whole network in the background, seed the demo data, say where to go. A step
    that fails is said in one line (what to do; no traceback), and what was started is stopped."""
    local = runner()
    if local.running_pid():
        print(f"refnet is already running (pid {local.running_pid()}); `make down` stops it")
        return 0
    try:
        values, seeded = start_network(local)
    except failure.StepFailed as failed:
        return give_up(local, str(failed))
    except SettingsError:  # a variable it cannot take: `refnet` says which, in one line
        raise
    except Exception as exc:  # a step not foreseen above: still one line, still stopped
        return give_up(local, failure.one_line("starting the network", f"see {local.log_file}", exc))
    except KeyboardInterrupt:
        return give_up(local, "interrupted", code=130)
    demo.show(values, seeded)
    return 0


def give_up(local: Runner, line: str, code: int = 1) -> int:
    """Stop the network this ``refnet up`` started, if it got so far (none ran before it), and
    say why in one line."""
    stopped = local.stop()
    print(f"refnet up: {line}" + ("; the network it started is stopped" if stopped else ""),
          file=sys.stderr)
    return code


def check_process_settings() -> None:
    """What each process of the network checks at its start, checked once before any starts
    (after ``settings.load`` put var/refnet.env into the environment): a bad secret is one line
    (``SettingsError``, naming it) instead of processes the supervisor restarts in vain."""
    for kind in settings.KINDS:
        settings.settings_of_kind(kind).load()


def start_network(local: Runner):
    """The steps of ``refnet up``, in order; the first that fails raises ``StepFailed``.
    Returns the settings and what the demo seeding found."""
    folder = settings.var()
    with failure.step("writing the secrets", f"make {folder} a folder you may write (REFNET_VAR)"):
        keys.cmd_init_secrets()
    values = settings.load()
    check_process_settings()
    problem = unreachable(values.amqp_uri)
    if problem:
        raise failure.StepFailed(problem)
    migrate(values)
    with failure.step("declaring the broker's exchanges and queues",
                      "see RabbitMQ's log, then `make up` again"):
        if not prepare.declare_broker(values):
            raise ConnectionError("RabbitMQ stopped answering")
    with failure.step("starting the processes", f"see {local.log_file}"):
        local.start(values.replicas, values.metrics_base_port)
    print(f"starting the network with {values.replicas} replica(s) of each service "
          f"(logs: {local.log_file}) ...")
    if not local.wait_ready():
        dying = local.crash_looping()
        what = (f"{', '.join(dying)} kept dying while starting" if dying
                else f"the network did not answer {local.url}/readyz in time" if local.running_pid()
                else "a process of the network stopped while starting")
        raise failure.StepFailed(f"{what}: see the last lines of {local.log_file}, then `make up` again")
    with failure.step("seeding the demo data",
                      f"see the last lines of {local.log_file}, then `make up` again"):
        seeded = demo.seed_demo(values)
    return values, seeded


def migrate(values) -> None:
    """``prepare.migrate``, saying which database failed and which variable names it."""
    done = []

    def said(line: str) -> None:
        print(line)
        done.append(line.split(":", 1)[0])

    try:
        prepare.migrate(values, say=said)
    except Exception as exc:
        name = next((n for n in (*settings.SERVICES, "gateway") if n not in done), "gateway")
        variable = ("REFNET_GATEWAY_DATABASE_URL" if name == "gateway"
                    else f"{name.upper()}_DATABASE_URL")
        raise failure.StepFailed(failure.one_line(
            f"migrating the {name} database", f"check {variable} and that its database answers, "
            "then `make up` again", exc)) from exc


def cmd_supervise(_args=None) -> int:
    """Run every process in the foreground, starting again any that dies, until SIGTERM (the
    systemd unit's command; ``refnet up`` runs it in the background)."""
    values = settings.load()
    local = runner()
    pid = local.running_pid()
    if pid and pid != os.getpid():
        print(f"refnet is already running (pid {pid}); `refnet down` stops it", file=sys.stderr)
        return 1
    return local.supervisor(values.replicas, values.metrics_base_port, dict(os.environ)).run()


def cmd_down(_args=None) -> int:
    """Stop every process ``refnet up`` started."""
    print("refnet stopped" if runner().stop() else "refnet is not running")
    return 0


def cmd_status(_args=None) -> int:
    """Say whether the network is running and show each process: pid, port, uptime, restarts,
    last exit (exit 1 when the supervisor is not running)."""
    local = runner()
    pid = local.running_pid()
    if not pid:
        print("not running")
        return 1
    print(f"running (pid {pid}) at {local.url}")
    state = local.state()
    if state:
        print("\n".join(supervisor.render_status(state, time.time())))
    return 0


def add_commands(sub) -> None:
    """Register the network's commands."""
    for name, func, help_text in (
        ("up", cmd_up, "start the whole network in the background"),
        ("down", cmd_down, "stop every process `refnet up` started"),
        ("status", cmd_status, "show each process of the network: pid, uptime, restarts"),
        ("supervise", cmd_supervise, "run the whole network in the foreground (systemd)"),
        ("migrate", cmd_migrate, "migrate every service database"),
        ("broker-setup", cmd_broker_setup, "declare the broker topology"),
    ):
        sub.add_parser(name, help=help_text).set_defaults(func=func)
