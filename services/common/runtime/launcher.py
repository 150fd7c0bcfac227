"""Runs a service the way ``nameko run --config FILE MODULE`` does, without nameko's CLI.

``python -m services.common.runtime.launcher --config deploy/nameko.yaml services.shelter.service``

nameko's command line (``nameko.cli.main``) imports ``pkg_resources`` only to print its own
version; in a running service that import holds about 4 MB of every process's memory, and it
costs each start a twentieth of a second (bench/README.md). This launcher does the rest of what
``nameko run`` does, with nameko's own pieces: eventlet's monkey patch first, the YAML config
with ``${VAR:default}`` taken from the environment (the value then read as YAML, as nameko
reads it), its logging, every service class of the module (``nameko.cli.run.import_service``)
and ``nameko.cli.run.run`` (SIGTERM stops the services).

One thing it adds: a signal wakes eventlet's hub at once. nameko's SIGTERM handler only
schedules the stop, and the hub ran it when it next woke on its own, 0.1-1 s later; the
signal's byte on a wakeup pipe the hub watches now ends that wait.
"""

import re
import sys

ENV_VAR = re.compile(r"\$\{([^}:\s]+)(?::([^}]*))?\}")


def expand(value, environ):
    """A config value with every ``${VAR}`` or ``${VAR:default}`` replaced from ``environ``;
    a string that changed is read again as YAML (``"1.0"`` -> 1.0), as nameko does."""
    import yaml
    if isinstance(value, dict):
        return {key: expand(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item, environ) for item in value]
    if not isinstance(value, str):
        return value
    replaced = ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    return value if replaced == value else yaml.safe_load(replaced)


def load_config(path: str, environ) -> dict:
    """The nameko config of ``path``, its ``${...}`` values taken from ``environ``."""
    import yaml
    with open(path) as handle:
        return expand(yaml.safe_load(handle) or {}, environ)


def parse(argv: list[str]) -> tuple[str, list[str]]:
    """``--config FILE MODULE...`` -> (FILE, [MODULE...]); exits with usage on anything else."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m services.common.runtime.launcher",
                                     description="Run nameko services (as `nameko run`).")
    parser.add_argument("--config", required=True, help="nameko YAML config")
    parser.add_argument("services", nargs="+", metavar="MODULE", help="a module of service classes")
    args = parser.parse_args(argv)
    return args.config, args.services


def wake_hub_on_signals() -> None:
    """Make every signal wake eventlet's hub, so a handler's scheduled work runs at once.

    ``signal.set_wakeup_fd`` writes a byte on a pipe when a signal arrives; a green thread
    reading that pipe keeps it in the hub's poll, so the poll returns instead of sleeping on
    to its next timer. Call from the main thread, after the monkey patch."""
    import os
    import signal

    import eventlet
    from eventlet.hubs import trampoline

    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)

    def drain() -> None:
        while True:
            trampoline(read_end, read=True)
            try:
                os.read(read_end, 512)
            except BlockingIOError:
                pass

    eventlet.spawn_n(drain)


def main(argv: list[str] | None = None) -> None:
    """Monkey-patch, load the config, import the services and run them until SIGTERM."""
    import eventlet
    # before anything else opens a socket or starts a thread; psycopg2 is made green by the
    # first PostgreSQL engine (services/common/db.py), so a service on SQLite never imports it
    eventlet.monkey_patch(psycopg=False)

    import logging.config
    import os

    from nameko.cli.run import import_service, run

    from services.common.runtime.startup import freeze_startup_objects

    config_path, modules = parse(sys.argv[1:] if argv is None else argv)
    if "." not in sys.path:
        sys.path.insert(0, ".")
    config = load_config(config_path, os.environ)
    if "LOGGING" in config:
        logging.config.dictConfig(config["LOGGING"])
    services = [cls for module in modules for cls in import_service(module)]
    wake_hub_on_signals()
    freeze_startup_objects()
    run(services, config)
    # Every service has stopped: its workers finished, its connections closed, its relay's
    # batch done. The interpreter's own teardown (freeing every module and object) took up to
    # seconds more of a restart and guards nothing: flush the logs and leave.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
