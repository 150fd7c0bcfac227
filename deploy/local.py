"""Running the network on one machine: secrets, migrations, the broker, the process runner.

``refnet up`` starts honcho (deploy/Procfile) in its own session in the background, waits until
``/readyz`` answers, seeds the demo data and prints where to go next; ``refnet down`` stops the
whole process group.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("REFNET_VAR", ROOT / "var"))
ENV_FILE = VAR / "refnet.env"
PID_FILE = VAR / "run" / "refnet.pid"
LOG_FILE = VAR / "log" / "refnet.log"
SERVICES = ("referral", "shelter", "legal")
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def load_env() -> None:
    """Put var/refnet.env into os.environ, without overriding what is already set."""
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                key, value = line.split("=", 1)
                os.environ.setdefault(key.strip(), value.strip())
    os.environ.setdefault("AMQP_URI", DEFAULT_AMQP)
    for service in SERVICES:
        os.environ.setdefault(f"{service.upper()}_DATABASE_URL", f"sqlite:///{VAR / (service + '.db')}")
    os.environ.setdefault("REFNET_GATEWAY_DATABASE_URL", f"sqlite:///{VAR / 'gateway.db'}")


def new_secrets() -> dict:
    import secrets as stdlib_secrets

    from services.common.sealing import FileCipher, new_keypair
    private, public = new_keypair()
    return {
        "REFNET_TOKEN_SECRET": stdlib_secrets.token_urlsafe(48),
        "REFNET_REFERENCE_SECRET": stdlib_secrets.token_urlsafe(48),
        "REFNET_FILE_KEYS": FileCipher.new_key(),
        "REFNET_SEARCH_KEY": stdlib_secrets.token_urlsafe(48),
        "REFNET_INTAKE_PRIVATE_KEY": private,
        "REFNET_INTAKE_PUBLIC_KEY": public,
    }


def cmd_init_secrets(_args=None) -> int:
    if ENV_FILE.exists():
        print(f"{ENV_FILE} exists; left as it is")
        return 0
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# refnet secrets for this machine: never commit, never share."]
    lines += [f"{k}={v}" for k, v in new_secrets().items()]
    fd = os.open(ENV_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {ENV_FILE}")
    return 0


def check_broker(uri: str) -> bool:
    import kombu
    try:
        with kombu.Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception as exc:
        print(f"RabbitMQ does not answer at {_safe(uri)} ({type(exc).__name__}).\n"
              "Start one, for example:\n"
              "  rabbitmq-server -detached            (Debian: apt-get install rabbitmq-server)\n"
              "  docker run -d -p 5672:5672 rabbitmq:3-management\n"
              "or point AMQP_URI at yours.", file=sys.stderr)
        return False


def _safe(uri: str) -> str:
    """The URI without its password, for messages."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return uri


def cmd_migrate(_args=None) -> int:
    from services.common.migrations import upgrade
    load_env()
    for service in SERVICES:
        upgrade(service, os.environ[f"{service.upper()}_DATABASE_URL"])
        print(f"{service}: database at the latest schema")
    from gateway.accounts import AccountStore
    from gateway.revocation import RevocationStore
    RevocationStore(os.environ["REFNET_GATEWAY_DATABASE_URL"])
    AccountStore(os.environ["REFNET_GATEWAY_DATABASE_URL"])
    from gateway.availability import SharedGeneration
    SharedGeneration(os.environ["REFNET_GATEWAY_DATABASE_URL"]).db.dispose()
    print("gateway: revoked-token, web user, session and cache tables ready")
    return 0


def cmd_broker_setup(_args=None) -> int:
    import kombu

    from services.common.broker import declare_topology
    load_env()
    if not check_broker(os.environ["AMQP_URI"]):
        return 1
    with kombu.Connection(os.environ["AMQP_URI"]) as conn:
        declare_topology(conn)
    print("broker: exchanges and durable queues declared")
    return 0


def _running_pid() -> int | None:
    try:
        pid = int(PID_FILE.read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def _port() -> str:
    return os.environ.get("REFNET_PORT", "8000")


def base_url() -> str:
    return f"http://127.0.0.1:{_port()}"


def wait_ready(url: str, timeout: float = 90.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=3) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        if _running_pid() is None:
            return False
        time.sleep(0.5)
    return False


def replicas() -> int:
    """How many processes of each service `refnet up` runs (``REFNET_REPLICAS``, make up REPLICAS=N)."""
    count = int(os.environ.get("REFNET_REPLICAS") or "1")
    if count < 1:
        raise SystemExit("REFNET_REPLICAS must be 1 or more")
    return count


def honcho_options() -> list[str]:
    """Replicas of each service (competing consumers on the same queues and databases), and the
    base of the metrics ports: honcho gives each process ``PORT`` = base + 100 x its line in the
    Procfile + its replica number (referral 9500, 9501; shelter 9600...), which the services
    serve /metrics on (9100 and up is where node_exporter and friends usually listen)."""
    count = replicas()
    options = ["-c", ",".join(f"{service}={count}" for service in SERVICES)]
    return options + ["-p", os.environ.get("REFNET_METRICS_BASE_PORT", "9500")]


def cmd_up(_args=None) -> int:
    if _running_pid():
        print(f"refnet is already running (pid {_running_pid()}); `make down` stops it")
        return 0
    cmd_init_secrets()
    load_env()
    if not check_broker(os.environ["AMQP_URI"]):
        return 1
    cmd_migrate()
    cmd_broker_setup()
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    PID_FILE.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    honcho = Path(sys.executable).parent / "honcho"
    with open(LOG_FILE, "ab") as log:
        process = subprocess.Popen([str(honcho), "-f", str(ROOT / "deploy" / "Procfile"), "-d", str(ROOT),
                                    "start", *honcho_options()], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    PID_FILE.write_text(str(process.pid))
    print(f"starting the network with {replicas()} replica(s) of each service (logs: {LOG_FILE}) ...")
    if not wait_ready(base_url()):
        print(f"the network did not become ready; see {LOG_FILE}", file=sys.stderr)
        cmd_down()
        return 1
    return cmd_seed_demo()


def cmd_seed_demo(_args=None) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    from gateway.tokens import issue_token

    from . import demo
    load_env()
    admin = next(u for u in demo.USERS if u["role"] == "admin")
    with ClusterRpcProxy({"AMQP_URI": os.environ["AMQP_URI"]}, timeout=10) as rpc:
        rpc.shelter.ensure_facility(caller=admin, facility=demo.FACILITY["id"], name=demo.FACILITY["name"])
        for group, beds in demo.CAPACITY.items():
            rpc.shelter.set_capacity(caller=admin, facility=demo.FACILITY["id"],
                                     population_group=group, capacity=beds)
    tokens = {u["user"]: issue_token(os.environ["REFNET_TOKEN_SECRET"], **u) for u in demo.USERS}
    (VAR / "demo-tokens.json").write_text(json.dumps(
        [{**u, "token": tokens[u["user"]]} for u in demo.USERS], indent=2))
    web_users = seed_web_users(demo)
    url = base_url()
    print(f"\nrefnet is up: {url}")
    print(f"  API document: {url}/api/v1/openapi.json     readiness: {url}/readyz")
    print(f"  demo facility '{demo.FACILITY['id']}': {sum(demo.CAPACITY.values())} beds "
          f"({', '.join(f'{g} {n}' for g, n in demo.CAPACITY.items())})\n")
    print("Demo users (invented) and their bearer tokens, valid 12 hours (also in var/demo-tokens.json):")
    for user in demo.USERS:
        print(f"  {user['role']:8} {user['user']:14} {user['agency']:22} {tokens[user['user']]}")
    print(f"\nWeb pages: {url}/ (sign in; English, Arabic or Kurdish). Demo people, invented "
          "passwords (also in var/demo-web-users.json):")
    for person in web_users:
        print(f"  web {person['role']:8} {person['username']:14} {person['password']}")
    police = tokens["officer.demo"]
    print("\nTry it:\n"
          f"  curl -s {url}/api/v1/shelters/availability -H 'Authorization: Bearer {police[:12]}...'\n"
          "  (see README.md, 'A first referral', for the whole walk-through)\n"
          "`make down` stops the network.")
    return 0


def seed_web_users(demo) -> list[dict]:
    """One demo person per role for the web pages, with an invented password: kept in
    var/demo-web-users.json (mode 600) so a second `make up` prints the same ones."""
    from gateway.accounts import AccountStore, demo_password, verify_password
    store = AccountStore(os.environ["REFNET_GATEWAY_DATABASE_URL"])
    path = VAR / "demo-web-users.json"
    known = {}
    if path.exists():
        known = {p["username"]: p for p in json.loads(path.read_text())}
    people, roles = [], set()
    for user in demo.USERS:
        if user["role"] in roles:
            continue
        roles.add(user["role"])
        password = known.get(user["user"], {}).get("password") or demo_password()
        existing = store.get_user(user["user"])
        if existing is None:
            store.create_user(user["user"], password, user["role"], user["agency"])
        elif existing.disabled or not verify_password(existing.password_hash, password):
            store.set_password(user["user"], password)
        people.append({"username": user["user"], "role": user["role"], "agency": user["agency"],
                       "password": password})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(people, indent=2))
    return people


def cmd_down(_args=None) -> int:
    pid = _running_pid()
    if pid is None:
        print("refnet is not running")
        PID_FILE.unlink(missing_ok=True)
        return 0
    os.killpg(pid, signal.SIGTERM)
    deadline = time.time() + 20
    while time.time() < deadline and _running_pid():
        time.sleep(0.3)
    if _running_pid():
        os.killpg(pid, signal.SIGKILL)
    PID_FILE.unlink(missing_ok=True)
    print("refnet stopped")
    return 0


def cmd_status(_args=None) -> int:
    pid = _running_pid()
    print(f"running (pid {pid}) at {base_url()}" if pid else "not running")
    return 0 if pid else 1
