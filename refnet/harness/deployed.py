"""Each process kind's environment as deploy/ defines it, for the test that runs the deployed
configuration as local processes (tests/e2e/test_deployed_config.py).

Two forms: Docker Compose (``deploy/compose.yaml`` through ``docker-compose config`` with a
filled env file) and Kubernetes (``deploy/k8s``: each container's ``env`` and ``envFrom``,
``secretKeyRef`` and ``configMapKeyRef`` resolved against the manifests' ConfigMap and the
Secrets the operator creates, ``$(VAR)`` expanded as the kubelet does). Either way a container
starts from the image's ``ENV`` (``deploy/Dockerfile``'s runtime stage).

``Deployed`` holds one form's result: the environment and command of each kind (``migrate``,
the services, ``gateway``), and what the broker and the database server must hold before they
start. ``localise`` then makes an environment runnable here: host names to this machine's broker
and PostgreSQL, ``0.0.0.0`` to ``127.0.0.1``, a container's ``/tmp`` to a folder of the test's,
``PATH`` to this virtualenv's. Nothing else is added or changed.

``set_up_servers`` makes the form's broker vhost, users and policies and its PostgreSQL roles
and databases on the harness's servers (their names are the form's, fixed: the forms run one
after another; what an earlier run left is removed first, and anything of those names the test
did not make is left alone and stops it), ``tear_down_servers`` removes them, ``run_migrate``
runs the migrate container's command, and ``find_in_databases`` reads every table for a text.
"""

import os
import re
import shlex
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import create_engine, make_url, text

from refnet.local.broker_users import passwords
from refnet.settings import ROOT, SERVICES
from services.contracts.broker_users import user_name

from . import broker, postgres

DEPLOY = ROOT / "deploy"
KINDS = ("migrate", *SERVICES, "gateway")
LOCAL_ADDRESSES = ("127.0.0.1", "localhost")
WEB_SCHEMES = ("http", "https")


@dataclass
class Deployed:
    """One deployed form: per kind its environment and command (as the container has them),
    the host names its URLs may name, and the broker's and the database server's contents."""

    form: str
    environments: dict[str, dict[str, str]]
    commands: dict[str, list[str]]
    hosts: set[str]
    vhosts: list[dict] = field(default_factory=list)      # name, default_queue_type
    users: list[dict] = field(default_factory=list)       # name, password, tags, vhosts,
    #     permissions, topic_permissions (None: every one); made_by_the_form: only removed here
    policies: list[dict] = field(default_factory=list)    # vhost, name, pattern, definition...
    database_sql: list[str] = field(default_factory=list)  # k8s: the operator's roles, databases
    template_sql: list[str] = field(default_factory=list)  # k8s: run in each database it makes
    postgres_env: dict[str, str] = field(default_factory=dict)  # compose: the init script's


# --- the image ----------------------------------------------------------------------------------

def image_env(dockerfile: str) -> dict[str, str]:
    """The ``ENV`` of the Dockerfile's last stage (``KEY=value`` pairs, continued lines joined)."""
    text = re.sub(r"\\\n", " ", dockerfile)
    stages = re.split(r"(?im)^FROM\s", text)
    env: dict[str, str] = {}
    for line in stages[-1].splitlines():
        if re.match(r"(?i)^ENV\s", line.strip()):
            for pair in shlex.split(line.strip()[3:], comments=False):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


# --- Docker Compose -----------------------------------------------------------------------------

def compose_env_file(example: str, secrets: dict[str, str], password) -> str:
    """The env file of ``deploy/compose.env.example`` with every line filled: a refnet secret
    from ``secrets``, any other (passwords) from ``password()``."""
    names = [line.split("=", 1)[0].strip() for line in example.splitlines()
             if "=" in line and not line.lstrip().startswith("#")]
    return "".join(f"{name}={secrets[name] if name in secrets else password()}\n" for name in names)


def compose_config(env_file: Path, compose_file: Path = DEPLOY / "compose.yaml") -> dict:
    """``docker-compose config`` of the compose file with ``env_file``: the file as compose
    would run it. Run with no environment of this process, so only the env file fills it."""
    run = subprocess.run(["docker-compose", "-f", str(compose_file), "--env-file", str(env_file),
                          "config"], capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin"}, cwd=env_file.parent)
    if run.returncode:
        raise RuntimeError(f"docker-compose config failed: {run.stderr.strip()}")
    return yaml.safe_load(run.stdout)


def _compose_value(value) -> str:
    """A value of ``config``'s output as the container gets it (``$$`` is a literal ``$``)."""
    return "" if value is None else str(value).replace("$$", "$")


def from_compose(config: dict, image: dict[str, str]) -> Deployed:
    """The compose form from ``docker-compose config``'s output and the image's ``ENV``."""
    services = config["services"]
    environments, commands = {}, {}
    for kind in KINDS:
        declared = services[kind].get("environment") or {}
        if isinstance(declared, list):
            declared = dict(item.split("=", 1) for item in declared)
        environments[kind] = {**image, **{k: _compose_value(v) for k, v in declared.items()}}
        command = services[kind]["command"]
        commands[kind] = shlex.split(command) if isinstance(command, str) else list(command)
    broker = {k: _compose_value(v) for k, v in services["rabbitmq"]["environment"].items()}
    vhost = broker.get("RABBITMQ_DEFAULT_VHOST", "/")
    return Deployed(
        "compose", environments, commands, hosts=set(services),
        vhosts=[{"name": vhost, "default_queue_type": None}],
        users=[{"name": broker["RABBITMQ_DEFAULT_USER"], "password": broker["RABBITMQ_DEFAULT_PASS"],
                "tags": ("administrator",), "vhosts": (vhost,)}]
        + [{"name": user_name(kind), "made_by_the_form": True}  # its migrate step makes them
           for kind in passwords(environments["migrate"])],
        postgres_env={k: _compose_value(v) for k, v in services["postgres"]["environment"].items()})


# --- Kubernetes ---------------------------------------------------------------------------------

def k8s_documents(folder: Path = DEPLOY / "k8s") -> list[dict]:
    """Every object of the manifests under ``folder`` (kustomization files aside)."""
    docs = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(value: str, defined: dict[str, str]) -> str:
    """``$(VAR)`` as the kubelet expands it: a variable defined before, else left as written;
    ``$$`` is a literal ``$``."""
    def one(match):
        if match.group(0) == "$$":
            return "$"
        return defined.get(match.group(1), match.group(0))
    return _REFERENCE.sub(one, value)


def _lookup(store: dict[str, dict[str, str]], what: str, ref: dict) -> str | None:
    data = store.get(ref["name"])
    if data is None or ref["key"] not in data:
        if ref.get("optional"):
            return None
        raise KeyError(f"{what} {ref['name']!r} has no key {ref['key']!r}")
    return data[ref["key"]]


def container_env(container: dict, config_maps: dict[str, dict[str, str]],
                  secrets: dict[str, dict[str, str]], image: dict[str, str]) -> dict[str, str]:
    """A container's environment: the image's, then ``envFrom`` in order, then ``env`` in order
    (a later definition wins); a reference to a missing ConfigMap, Secret or key fails as the
    pod would, unless marked optional."""
    env = dict(image)
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        for what, store in (("configMapRef", config_maps), ("secretRef", secrets)):
            if what in source:
                ref = source[what]
                if ref["name"] not in store:
                    if ref.get("optional"):
                        continue
                    raise KeyError(f"{what} {ref['name']!r} does not exist")
                env.update({prefix + k: str(v) for k, v in store[ref["name"]].items()})
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = expand(str(item["value"]), env)
        elif "valueFrom" in item:
            source = item["valueFrom"]
            if "secretKeyRef" in source:
                value = _lookup(secrets, "Secret", source["secretKeyRef"])
            elif "configMapKeyRef" in source:
                value = _lookup(config_maps, "ConfigMap", source["configMapKeyRef"])
            else:
                raise ValueError(f"{item['name']}: only secretKeyRef and configMapKeyRef are resolved")
            if value is not None:
                env[item["name"]] = value
        else:
            env[item["name"]] = ""
    return env


def _containers(docs: list[dict]) -> dict[str, dict]:
    """Each Deployment's and Job's containers, by container name."""
    out = {}
    for doc in docs:
        if doc.get("kind") in ("Deployment", "Job"):
            for container in doc["spec"]["template"]["spec"]["containers"]:
                out[container["name"]] = container
    return out


def from_k8s(docs: list[dict], secrets: dict[str, dict[str, str]], image: dict[str, str],
             namespace: str = "refnet") -> Deployed:
    """The Kubernetes form from the manifests, the Secrets they name (filled by the caller: in a
    cluster you or an operator create them) and the image's ``ENV``."""
    config_maps = {d["metadata"]["name"]: {k: str(v) for k, v in d.get("data", {}).items()}
                   for d in docs if d.get("kind") == "ConfigMap"}
    containers = _containers(docs)
    environments = {kind: container_env(containers[kind], config_maps, secrets, image)
                    for kind in KINDS}
    commands = {kind: list(containers[kind].get("command", [])) + list(containers[kind].get("args", []))
                for kind in KINDS}
    names = {d["metadata"]["name"] for d in docs if d.get("kind") == "Service"}
    for doc in docs:  # the Services the operators make for their clusters
        if doc.get("kind") == "RabbitmqCluster":
            names.add(doc["metadata"]["name"])
        elif doc.get("kind") == "Cluster" and doc["apiVersion"].startswith("postgresql.cnpg.io"):
            names |= {doc["metadata"]["name"] + suffix for suffix in ("-rw", "-ro", "-r")}
    hosts = names | {f"{n}.{namespace}.svc" for n in names} \
        | {f"{n}.{namespace}.svc.cluster.local" for n in names}
    vhosts = [{"name": d["spec"]["name"], "default_queue_type": d["spec"].get("defaultQueueType")}
              for d in docs if d.get("kind") == "Vhost"]
    policies = [{"vhost": d["spec"].get("vhost", "/"), "name": d["spec"]["name"],
                 "pattern": d["spec"]["pattern"], "definition": d["spec"]["definition"],
                 "priority": d["spec"].get("priority", 0), "apply_to": d["spec"].get("applyTo", "all")}
                for d in docs if d.get("kind") == "Policy"]
    clusters = [d for d in docs if d.get("kind") == "RabbitmqCluster"]
    # the Cluster Operator's default user (an administrator); the Topology Operator acts as it
    users = [{"name": secrets[f"{c['metadata']['name']}-default-user"]["username"],
              "password": secrets[f"{c['metadata']['name']}-default-user"]["password"],
              "tags": ("administrator",), "vhosts": tuple(v["name"] for v in vhosts)}
             for c in clusters]
    template_sql = [statement for d in docs if d.get("kind") == "Cluster"
                    for statement in d["spec"].get("bootstrap", {}).get("initdb", {})
                    .get("postInitTemplateSQL", [])]
    users += k8s_broker_users(docs, secrets)
    return Deployed("k8s", environments, commands, hosts, vhosts, users, policies,
                    database_sql=cnpg_sql(docs, secrets), template_sql=template_sql)


def k8s_broker_users(docs: list[dict], secrets: dict[str, dict[str, str]]) -> list[dict]:
    """The Topology Operator's ``User`` objects with their ``Permission`` and
    ``TopicPermission`` objects; each user's name and password from the Secret the operator
    generates for it (``<User name>-user-credentials``, filled by the caller)."""
    users = []
    for doc in docs:
        if doc.get("kind") != "User" or not doc["apiVersion"].startswith("rabbitmq.com/"):
            continue
        name = doc["metadata"]["name"]
        granted = [d["spec"] for d in docs if d.get("kind") == "Permission"
                   and d["spec"].get("userReference", {}).get("name") == name]
        topics = {d["spec"]["permissions"]["exchange"]:
                  {k: d["spec"]["permissions"][k] for k in ("write", "read")}
                  for d in docs if d.get("kind") == "TopicPermission"
                  and d["spec"].get("userReference", {}).get("name") == name}
        for spec in granted or [None]:
            credentials = secrets[f"{name}-user-credentials"]
            users.append({"name": credentials["username"], "password": credentials["password"],
                          "tags": tuple(doc["spec"].get("tags", ())),
                          "vhosts": (spec["vhost"],) if spec else (),
                          "permissions": spec["permissions"] if spec else None,
                          "topic_permissions": topics})
    return users


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cnpg_sql(docs: list[dict], secrets: dict[str, dict[str, str]]) -> list[str]:
    """What CloudNativePG makes of the manifests' ``Cluster`` managed roles and ``Database``
    objects, as SQL: each role (login, password from its Secret), then each database."""
    sql = []
    for doc in docs:
        if doc.get("kind") == "Cluster" and doc["apiVersion"].startswith("postgresql.cnpg.io"):
            for role in doc["spec"].get("managed", {}).get("roles", []):
                if role.get("ensure", "present") != "present":
                    continue
                if not role.get("login") and "passwordSecret" not in role:
                    # a role of the whole server that owns no database (audit_owner): made
                    # once, kept (other databases on the server may hold what it owns)
                    sql.append(f'DO $$ BEGIN CREATE ROLE "{role["name"]}" NOLOGIN; '
                               'EXCEPTION WHEN duplicate_object THEN NULL; END $$')
                    continue
                options = ["LOGIN" if role.get("login") else "NOLOGIN"]
                if "passwordSecret" in role:
                    password = secrets[role["passwordSecret"]["name"]]["password"]
                    options.append(f"PASSWORD {_quote_literal(password)}")
                sql.append(f'CREATE ROLE "{role["name"]}" {" ".join(options)}')
    for doc in docs:
        if doc.get("kind") == "Database" and doc["apiVersion"].startswith("postgresql.cnpg.io"):
            sql.append(f'CREATE DATABASE "{doc["spec"]["name"]}" OWNER "{doc["spec"]["owner"]}"')
    return sql


# --- on this machine ----------------------------------------------------------------------------

def _local_url(value: str, hosts: set[str], endpoints: dict[str, str]) -> str:
    """A URL's host and port as this machine's for its scheme (``amqp``, ``postgresql``). A web
    address outside the form (``REFNET_PUBLIC_URL``, where people open refnet: only written
    into messages' links) is kept as it is."""
    parts = urllib.parse.urlsplit(value)
    if not parts.scheme or not parts.netloc:
        return value
    scheme = parts.scheme.split("+")[0]
    host = parts.hostname or ""
    if scheme in WEB_SCHEMES and host not in hosts:
        return value
    if host not in hosts and host not in LOCAL_ADDRESSES:
        raise ValueError(f"a URL names the host {host!r}, which the deployed form does not define")
    if scheme not in endpoints:
        raise ValueError(f"no local endpoint for a {scheme} URL")
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{endpoints[scheme]}" if userinfo else endpoints[scheme]
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def localise(env: dict[str, str], hosts: set[str], endpoints: dict[str, str], tmp: Path,
             path: str) -> dict[str, str]:
    """A container's environment made runnable here: URLs to this machine's endpoints by
    scheme (``{"amqp": "127.0.0.1:5672", ...}``), a ``*_HOST`` (a host name of the form, or
    ``0.0.0.0``) to ``127.0.0.1`` (an empty one stays empty), paths under the container's
    ``/tmp`` under ``tmp``, and ``PATH`` to ``path``. Every other variable is kept as it is."""
    out = {}
    for key, value in env.items():
        if "://" in value:
            value = _local_url(value, hosts, endpoints)
        elif key.endswith("_HOST") and value:  # empty: not set (notify's SMTP server: off)
            if value not in hosts and value not in ("0.0.0.0", *LOCAL_ADDRESSES):
                raise ValueError(f"{key} names the host {value!r}, which the deployed form does "
                                 "not define")
            value = "127.0.0.1"
        elif value == "/tmp" or value.startswith("/tmp/"):
            value = str(tmp) + value[len("/tmp"):]
        out[key] = value
    out["PATH"] = path
    return out


def database_urls(env: dict[str, str]) -> dict[str, str]:
    """The database URLs of an environment (``*_DATABASE_URL``), by variable."""
    return {k: v for k, v in env.items() if k.endswith("_DATABASE_URL") and v}


def endpoints() -> dict[str, str]:
    """This machine's broker and PostgreSQL server (the harness's), as ``host:port`` by scheme."""
    amqp = urllib.parse.urlsplit(broker.BASE_URI)
    pg = postgres.admin_endpoint()
    return {"amqp": f"{amqp.hostname or '127.0.0.1'}:{amqp.port or 5672}",
            "postgresql": f"{pg['PGHOST']}:{pg['PGPORT']}"}


def local_environments(deployed: Deployed, workdir: Path) -> dict[str, dict[str, str]]:
    """Every kind's environment, localised (``localise``); each kind's ``/tmp`` its own folder."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    out = {}
    for kind, env in deployed.environments.items():
        tmp = workdir / kind / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        out[kind] = localise(env, deployed.hosts, endpoints(), tmp, path)
    return out


def databases(environments: dict[str, dict[str, str]]) -> dict[str, str]:
    """The databases the processes use, and the role each connects as (database -> role)."""
    out = {}
    for env in environments.values():
        for url in database_urls(env).values():
            parsed = make_url(url)
            out[parsed.database] = parsed.username
    return out


# marks the databases, roles and vhosts the set-up makes: only those are ever removed
MARK = "made by refnet's deployed-configuration test, which removes it"


class NotOurs(RuntimeError):
    """A database, role or vhost of a deployed form's name exists and the test did not make it."""


def _refuse_what_is_not_ours(deployed: Deployed, named: dict[str, str]) -> None:
    found = {f"database {n}": c for n, c in postgres.comments("database", list(named)).items()}
    found |= {f"role {n}": c for n, c in postgres.comments("role", list(set(named.values()))).items()}
    found |= {f"broker vhost {v['name']}": broker.vhost_description(v["name"]) for v in deployed.vhosts}
    strangers = sorted(what for what, mark in found.items() if mark is not None and mark != MARK)
    if strangers:
        verb, them = ("exists and was", "it") if len(strangers) == 1 else ("exist and were", "them")
        raise NotOurs(f"{', '.join(strangers)} {verb} not made by this test, which will not "
                      f"remove {them} (run the test against another PostgreSQL server and broker: "
                      "REFNET_TEST_POSTGRES_URL, REFNET_TEST_AMQP_URI)")


def set_up_servers(deployed: Deployed, environments: dict[str, dict[str, str]]) -> None:
    """The broker's vhosts, users and policies and the database server's roles and databases,
    as the form declares them, each marked as the test's (``MARK``); what an earlier run left
    is removed first. Refuses (``NotOurs``) when one of those names is taken by anything else."""
    tear_down_servers(deployed, environments)
    for vhost in deployed.vhosts:
        broker.add_vhost(vhost["name"], vhost["default_queue_type"], MARK)
    for user in deployed.users:
        if user.get("made_by_the_form"):  # `refnet broker-setup` makes it, as the form runs it
            continue
        broker.add_user(user["name"], user["password"], user["tags"], user["vhosts"],
                        user.get("permissions"), user.get("topic_permissions"))
    for policy in deployed.policies:
        broker.set_policy(policy["vhost"], policy["name"], policy["pattern"], policy["definition"],
                          policy["priority"], policy["apply_to"])
    if deployed.database_sql:
        postgres.execute_as_admin(deployed.database_sql)
    for name in sorted(databases(environments)) if deployed.template_sql else ():
        # CloudNativePG runs these in template1 once; here, in each database made from it
        postgres.execute_as_admin_in(name, deployed.template_sql)
    if deployed.postgres_env:  # the postgres image runs the script as its superuser
        admin = postgres.admin_endpoint()
        env = {**deployed.postgres_env, "PATH": "/usr/bin:/bin", "PGHOST": admin["PGHOST"],
               "PGPORT": admin["PGPORT"], "POSTGRES_USER": admin["PGUSER"],
               "REFNET_AUDIT_OWNER_SQL": str(DEPLOY / "postgres" / "audit-owner.sql")}
        run = subprocess.run(["sh", str(DEPLOY / "compose" / "postgres-init.sh")], env=env,
                             capture_output=True, text=True, timeout=120)
        if run.returncode:
            raise RuntimeError(f"postgres-init.sh failed: {run.stderr.strip()}")
    named = databases(environments)
    missing = set(named) - set(postgres.comments("database", list(named)))
    if missing:
        raise RuntimeError(f"the form's set-up made no database {sorted(missing)}")
    postgres.comment_on("database", sorted(named), MARK)
    postgres.comment_on("role", sorted(set(named.values())), MARK)


def tear_down_servers(deployed: Deployed, environments: dict[str, dict[str, str]]) -> None:
    """Remove the form's databases, roles, broker users and vhosts (``NotOurs`` when one of
    them exists and is not marked as the test's)."""
    named = databases(environments)
    _refuse_what_is_not_ours(deployed, named)
    postgres.drop_databases_and_roles(sorted(named), sorted(set(named.values())))
    broker.delete_users_and_vhosts([user["name"] for user in deployed.users],
                                   [vhost["name"] for vhost in deployed.vhosts])


def run_migrate(deployed: Deployed, environments: dict[str, dict[str, str]]) -> None:
    """The migrate container's command with its environment, as the deployed form runs it once
    before the services start."""
    run = subprocess.run(deployed.commands["migrate"], env=environments["migrate"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    if run.returncode:
        raise RuntimeError(f"migrate failed ({run.returncode}): {run.stdout[-2000:]}{run.stderr[-2000:]}")


def find_in_databases(names: list[str], needles: list[str]) -> dict[str, list[str]]:
    """Every row of every table of the named databases, read as the superuser (each row as
    PostgreSQL's text of the whole row: text, JSON and bytea, the latter as hex), searched for
    each needle: ``{"db.schema.table": [needles found]}``."""
    found: dict[str, list[str]] = {}
    for name in names:
        engine = create_engine(postgres.admin_url_of(name))
        with engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')")).all()
            for schema, table in tables:
                rows = conn.execute(text(f'SELECT t::text FROM "{schema}"."{table}" t')).scalars()
                blob = "\n".join(rows)
                hits = [n for n in needles if n in blob or n.encode().hex() in blob]
                if hits:
                    found[f"{name}.{schema}.{table}"] = hits
        engine.dispose()
    return found
