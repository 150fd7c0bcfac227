"""``refnet up | down | status | supervise | migrate | broker-setup``: the network on this machine.

``refnet up`` writes the secrets once, migrates, declares the broker topology, starts the
supervisor (``refnet supervise``: every deploy/Procfile line, restarted when it dies) in the
background, waits until ``/readyz`` answers, seeds the demo data and prints where to go next;
``refnet status`` shows each process; ``refnet down`` stops the supervisor's process group.
"""

import os
import sys
import time

from refnet import settings
from refnet.local import prepare, supervisor
from refnet.local.broker import check_broker
from refnet.local.runner import Runner

from . import demo, keys


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
    """Start the whole network in the background, seed the demo data, say where to go."""
    local = runner()
    if local.running_pid():
        print(f"refnet is already running (pid {local.running_pid()}); `make down` stops it")
        return 0
    keys.cmd_init_secrets()
    values = settings.load()
    if not check_broker(values.amqp_uri):
        return 1
    prepare.migrate(values)
    prepare.declare_broker(values)
    local.start(values.replicas, values.metrics_base_port)
    print(f"starting the network with {values.replicas} replica(s) of each service "
          f"(logs: {local.log_file}) ...")
    if not local.wait_ready():
        print(f"the network did not become ready; see {local.log_file}", file=sys.stderr)
        cmd_down()
        return 1
    return demo.cmd_seed_demo()


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
