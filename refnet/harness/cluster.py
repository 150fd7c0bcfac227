"""A three-node RabbitMQ cluster on this machine, for the benchmark's cluster scenario.

Each node is the installed ``rabbitmq-server`` with a name of its own (``refnet-c1@localhost``...),
its own AMQP and distribution ports (free ones), data, logs and config in one temporary
directory, no plugins, and an Erlang cookie of its own (the directory is the nodes' and the
CLI's ``$HOME``): so no command of the cluster's can reach the machine's own broker
(``rabbit@localhost`` on 5672), which is never touched. Nodes 2 and 3 join node 1
(``rabbitmqctl join_cluster``). ``kill`` crashes a node (SIGKILL to its Erlang VM, not a
graceful stop); ``start_node`` brings it back, and it rejoins by itself.

``with Cluster() as cluster:`` stops all three nodes and deletes the directory on the way out,
also when the body fails. While a cluster is up, ``cli_environment()`` points the plain
``rabbitmqctl`` the harness runs (``refnet.harness.broker``) at a running node of it.
"""

import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from services.common import broker_uri

from .network import free_port


def server_scripts() -> Path:
    """Where ``rabbitmq-server`` and ``rabbitmqctl`` themselves are: Debian's package directory
    (its /usr/sbin wrappers run them as the rabbitmq user, with that user's home and cookie),
    else wherever ``rabbitmq-server`` is on the PATH."""
    debian = Path("/usr/lib/rabbitmq/bin")
    if debian.is_dir():
        return debian
    found = shutil.which("rabbitmq-server")
    return Path(found).parent if found else debian


SBIN = server_scripts()
NO_MANAGEMENT = "http://127.0.0.1:1"  # the nodes run no plugins: nothing answers there
# what aims this process's plain ``rabbitmqctl`` at a node (``Cluster.cli_environment``)
CLI_VARIABLES = ("HOME", "PATH", "RABBITMQ_NODENAME", "RABBITMQ_CONF_ENV_FILE")


def free_dist_port() -> int:
    """A free port for a node's Erlang distribution, in 20000-29999: the CLI aimed at it takes
    one of the ten ports 10000 above it, which must still be a port (the machine's own broker's
    25672 is never picked)."""
    while True:
        port = random.randrange(20000, 29990)
        if port == 25672:
            continue
        with contextlib.closing(socket.socket()) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


@dataclass
class Node:
    """One node: its name, AMQP port, distribution port and the process running it."""
    name: str
    port: int
    dist_port: int
    process: subprocess.Popen | None = None


def node_env(base: Path, node: Node) -> dict[str, str]:
    """The environment of one node's server and of the CLI aimed at it."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")},
        "HOME": str(base), "PATH": f"{SBIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "RABBITMQ_NODENAME": node.name, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(node.port), "RABBITMQ_DIST_PORT": str(node.dist_port),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"), "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_PID_FILE": str(base / f"{node.name}.pid"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }


class Cluster:
    """Three (``size``) RabbitMQ nodes joined in one cluster, on free local ports."""

    def __init__(self, size: int = 3, prefix: str = "refnet-c"):
        self.base = Path(tempfile.mkdtemp(prefix="refnet-cluster-"))
        self.nodes = [Node(f"{prefix}{n}-{self.base.name[-6:].lower()}@localhost", free_port(),
                           free_dist_port()) for n in range(1, size + 1)]
        self.write_config()

    # --- set up ---------------------------------------------------------------------------------

    def write_config(self) -> None:
        """The nodes' shared files: config, no plugins, an empty env file and a fresh cookie."""
        (self.base / "rabbitmq.conf").write_text(
            "loopback_users = none\n"
            "cluster_partition_handling = pause_minority\n"
            "log.console = false\n")
        (self.base / "advanced.config").write_text("[].\n")
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        cookie = self.base / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)

    def __enter__(self) -> "Cluster":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, timeout: float = 120.0) -> None:
        """Start every node, then join nodes 2.. to node 1."""
        for node in self.nodes:
            self.start_node(node, wait=False)
        for node in self.nodes:
            self.wait_node(node, timeout)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            self.ctl(node, "stop_app")
            self.ctl(node, "join_cluster", first.name)
            self.ctl(node, "start_app")
        self.wait_members(len(self.nodes), timeout)

    def start_node(self, node: Node, wait: bool = True, timeout: float = 120.0) -> None:
        """Start (or restart) one node's server; with ``wait``, until it runs its broker."""
        log = open(self.base / f"{node.name}.out", "ab")
        node.process = subprocess.Popen(
            [str(SBIN / "rabbitmq-server")], env=node_env(self.base, node), cwd=self.base,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        if wait:
            self.wait_node(node, timeout)

    def wait_node(self, node: Node, timeout: float = 120.0) -> None:
        """Wait until a node's broker is running (``rabbitmqctl await_startup``)."""
        deadline, last = time.time() + timeout, ""
        while time.time() < deadline:
            if node.process is not None and node.process.poll() is not None:
                raise RuntimeError(f"{node.name} exited ({node.process.returncode}):\n"
                                   f"{self.tail(node)}")
            result = self.ctl(node, "await_startup", "--timeout", "10", check=False)
            if result.returncode == 0:
                return
            last = result.stderr.strip().splitlines()[:1]
            time.sleep(0.5)
        raise RuntimeError(f"{node.name} did not start in {timeout}s: {last}\n{self.tail(node)}")

    def wait_members(self, count: int, timeout: float = 60.0) -> None:
        """Wait until ``count`` nodes run in the cluster, as a running node sees it."""
        deadline, running = time.time() + timeout, []
        while time.time() < deadline:
            running = self.running_nodes()
            if len(running) >= count:
                return
            time.sleep(0.5)
        raise RuntimeError(f"cluster: {running} running, wanted {count}")

    # --- asking and acting ----------------------------------------------------------------------

    def ctl(self, node: Node, *args: str, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """``rabbitmqctl`` aimed at ``node`` (raises on failure with ``check``)."""
        result = subprocess.run([str(SBIN / "rabbitmqctl"), "-q", *args], capture_output=True,
                                text=True, env=node_env(self.base, node), timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {node.name}: "
                               f"{(result.stderr or result.stdout).strip()[:500]}")
        return result

    def alive(self) -> list[Node]:
        """The nodes whose server process runs."""
        return [n for n in self.nodes if n.process is not None and n.process.poll() is None]

    def any_alive(self) -> Node:
        """A node whose server runs (the first such)."""
        alive = self.alive()
        if not alive:
            raise RuntimeError("cluster: no node runs")
        return alive[0]

    def running_nodes(self) -> list[str]:
        """The names of the nodes running in the cluster, as a live node sees them."""
        result = self.ctl(self.any_alive(), "eval", "rabbit_nodes:all_running().", check=False)
        if result.returncode != 0:
            return []
        return [name.strip(" '\n[]") for name in result.stdout.split(",") if "@" in name]

    def node_named(self, name: str) -> Node:
        """The node of a name RabbitMQ gives (``refnet-c2-...@localhost``)."""
        return next(n for n in self.nodes if n.name == name)

    def uri(self, vhost: str, user: str = "guest", password: str = "guest") -> str:
        """The failover AMQP URI naming every node, on ``vhost``."""
        return broker_uri.of_nodes([n.port for n in self.nodes], vhost, user, password)

    def add_vhost(self, name: str, default_queue_type: str = "quorum") -> None:
        """A vhost where queues declared without a type are quorum queues (as the Kubernetes
        manifests' ``Vhost`` says), with every permission for guest."""
        node = self.any_alive()
        self.ctl(node, "add_vhost", name, "--default-queue-type", default_queue_type)
        self.ctl(node, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")

    def queues(self, vhost: str) -> dict[str, dict]:
        """Each queue of ``vhost``: its type, leader, members and messages."""
        out = self.ctl(self.any_alive(), "list_queues", "-p", vhost, "--formatter", "json",
                       "name", "type", "leader", "members", "messages").stdout
        return {q["name"]: q for q in json.loads(out or "[]")}

    def kill(self, node: Node) -> None:
        """Crash a node: SIGKILL to its server's whole process group (its Erlang VM)."""
        if node.process is None or node.process.poll() is not None:
            return
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(30)

    @contextlib.contextmanager
    def cli_environment(self):
        """Within: this process's plain ``rabbitmqctl`` (``refnet.harness.broker``) talks to a
        running node of this cluster, and the harness finds no management API (the nodes run
        none), so no broker call of the harness reaches another broker."""
        from . import broker, network
        env = node_env(self.base, self.any_alive())
        saved = {k: os.environ.get(k) for k in CLI_VARIABLES}
        saved_management = (broker.MANAGEMENT, network.MANAGEMENT)
        os.environ.update({k: env[k] for k in CLI_VARIABLES})
        broker.MANAGEMENT = network.MANAGEMENT = NO_MANAGEMENT
        try:
            yield
        finally:
            broker.MANAGEMENT, network.MANAGEMENT = saved_management
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    # --- tear down ------------------------------------------------------------------------------

    def tail(self, node: Node, lines: int = 20) -> str:
        """The last lines of a node's output, for a failure message."""
        path = self.base / f"{node.name}.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def close(self) -> None:
        """Kill every node still running and delete the directory (data, logs, cookie)."""
        for node in self.nodes:
            try:
                self.kill(node)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.base, ignore_errors=True)
