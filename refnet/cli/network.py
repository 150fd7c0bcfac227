"""``refnet up | down | status | migrate | broker-setup``: the network on this machine.

``refnet up`` writes the secrets once, migrates, declares the broker topology, starts honcho
(deploy/Procfile) in the background, waits until ``/readyz`` answers, seeds the demo data and
prints where to go next; ``refnet down`` stops the whole process group.
"""

import sys

from refnet import settings
from refnet.local import prepare
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


def cmd_down(_args=None) -> int:
    """Stop every process ``refnet up`` started."""
    print("refnet stopped" if runner().stop() else "refnet is not running")
    return 0


def cmd_status(_args=None) -> int:
    """Say whether the network is running (exit 1 when not)."""
    local = runner()
    pid = local.running_pid()
    print(f"running (pid {pid}) at {local.url}" if pid else "not running")
    return 0 if pid else 1


def add_commands(sub) -> None:
    """Register the network's commands."""
    for name, func, help_text in (
        ("up", cmd_up, "start the whole network in the background"),
        ("down", cmd_down, "stop every process `refnet up` started"),
        ("status", cmd_status, "say whether the network is running"),
        ("migrate", cmd_migrate, "migrate every service database"),
        ("broker-setup", cmd_broker_setup, "declare the broker topology"),
    ):
        sub.add_parser(name, help=help_text).set_defaults(func=func)
