"""README.md's configuration table lists exactly the variables the settings modules declare, each
with the default they declare and the process kinds that read it; and the deployments give
each process what it needs: in ``deploy/compose.yaml`` and ``deploy/k8s/`` every container gets
every variable its process kind requires, and no secret its process kind does not read.

The settings modules are found by their paths, not by a list: every ``services/<svc>/settings.py``,
``gateway/settings.py``, ``refnet/settings.py`` and ``refnet/cli/settings.py`` that exists is
imported and its ``SETTINGS`` (a ``services.common.settings.Settings``) iterated; the
``Setting``s of all of them (shared ones such as ``SERVICE`` counted once) make the declared set.

A module's process kind is its folder (``services/<kind>/settings.py``, ``gateway``), and
``refnet`` for the command's (``refnet/settings.py``, ``refnet/cli/settings.py``).

The table it reads is the first one under ``## Configuration``:

    | variable | default | read by | meaning |
    |---|---|---|---|
    | `REFNET_PORT`, `REFNET_HOST` | `8000`, `127.0.0.1` | gateway, refnet | where it listens |
    | `REFNET_HOLD_HOURS` | `48` | shelter | ... |
    | `REFNET_TOKEN_SECRET` | required (generated) | gateway, refnet | ... |
    | `REFERRAL_DATABASE_URL`, `SHELTER_DATABASE_URL` | `sqlite:///var/<service>.db` | ... |
    | `REFNET_METRICS_PORT_<SERVICE>` | `0` (any free port, logged) | ... |

* variable cell: every backticked upper-case name is a variable; ``<WORD>`` in a name stands for
  any upper-case word (a family of variables, such as one per service);
* default cell, read without its parenthesised remarks: backticked values, one per variable in
  the same order, or one for them all; no backticked value (``generated``, ``unset``, prose)
  means the setting declares no default (``None`` or empty); ``<word>`` in a value stands for
  the variable's own lower-cased first word (``SHELTER_DATABASE_URL`` -> ``shelter``);
  numbers compare by value (``1`` shows the default ``"1.0"``); a default cell that starts with
  ``required`` says a process kind that reads the variable cannot start without it, and must
  be there exactly when one does;
* read-by cell: the process kinds, comma-separated, whose settings declare any variable of the
  row (a row of several variables, such as each service's database URL, lists every kind that
  reads one of them).

The deployments: a container's process kind is what its command starts
(``refnet.settings.kind_of_command``); its variables are compose's ``environment``, or in
Kubernetes its ``env`` (a ``value``, a ``secretKeyRef`` or a ``configMapKeyRef``) and
``envFrom`` (resolved against the manifests' own ConfigMaps and Secrets). A secret is a
variable some settings module declares ``secret``; a Kubernetes variable no process reads (a
password) must be used by another one's value (``$(NAME)``).
"""

import copy
import importlib
import re
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from refnet.settings import kind_of_command

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
COMPOSE = ROOT / "deploy" / "compose.yaml"
K8S = ROOT / "deploy" / "k8s"
SETTINGS_MODULES = ("services/*/settings.py", "gateway/settings.py", "refnet/settings.py",
                    "refnet/cli/settings.py")
COLUMNS = ["variable", "default", "read by", "meaning"]
NAME = re.compile(r"`([A-Z][A-Z0-9_]*(?:<[A-Z]+>[A-Z0-9_]*)*)`")
VALUE = re.compile(r"`([^`]*)`")


class Row(NamedTuple):
    names: list[str]
    defaults: list[str]
    meaning: str
    read_by: set[str]
    required: bool


def configuration_table(markdown: str) -> list[Row]:
    """The rows of the first table under ``## Configuration``."""
    section = re.split(r"^## Configuration *$", markdown, maxsplit=1, flags=re.M)
    if len(section) < 2:
        raise AssertionError("README.md has no '## Configuration' section")
    body = re.split(r"^## ", section[1], maxsplit=1, flags=re.M)[0]
    rows, in_table = [], False
    for line in body.splitlines():
        if not line.startswith("|"):
            if in_table:
                break
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if not in_table:
            assert [c.lower() for c in cells] == COLUMNS, cells
            in_table = True
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        names = NAME.findall(cells[0])
        assert names, f"a configuration row names no variable: {line}"
        default = re.sub(r"\([^)]*\)", "", cells[1])
        rows.append(Row(names, VALUE.findall(default), cells[3],
                        {kind.strip() for kind in cells[2].split(",") if kind.strip()},
                        default.strip().startswith("required")))
    return rows


def documented_defaults(markdown: str) -> dict[str, str | None]:
    """Variable (or family ``<WORD>`` pattern) -> the default shown for it (None: none shown)."""
    documented = {}
    for names, values, *_rest in configuration_table(markdown):
        if values and len(values) not in (1, len(names)):
            raise AssertionError(f"{names}: {len(values)} defaults shown for {len(names)} variables")
        for i, name in enumerate(names):
            assert name not in documented, f"{name} is documented twice"
            documented[name] = (values[i] if len(values) == len(names) else values[0]) if values else None
    return documented


def _name_pattern(name: str) -> re.Pattern:
    return re.compile("".join("[A-Z0-9]+" if re.fullmatch(r"<[A-Z]+>", part) else re.escape(part)
                              for part in re.split(r"(<[A-Z]+>)", name)) + r"\Z")


def _shown(value: str | None, env: str) -> str | None:
    return None if value is None else re.sub(r"<[a-z]+>", env.split("_")[0].lower(), value)


def _declared_default(setting) -> str | None:
    return None if setting.default in (None, "") else str(setting.default)


def _same(shown: str | None, declared: str | None) -> bool:
    """Equal text, or equal numbers (``1`` and ``1.0`` are the same default)."""
    if shown == declared:
        return True
    try:
        return float(shown) == float(declared)
    except (TypeError, ValueError):
        return False


def differences(documented: dict[str, str | None], declared) -> list[str]:
    """What the table and the declared ``Setting``s disagree on (empty when they agree)."""
    declared = {s.env: s for s in declared}
    out, used = [], set()
    for env, setting in sorted(declared.items()):
        rows = [name for name in documented if _name_pattern(name).match(env)]
        if not rows:
            out.append(f"{env} is declared but not in README.md's configuration table")
            continue
        used.update(rows)
        shown = _shown(documented[rows[0]], env)
        if not _same(shown, _declared_default(setting)):
            out.append(f"{env}: README.md shows default {shown!r}, the settings declare "
                       f"{_declared_default(setting)!r}")
    out += [f"{name} is in README.md's configuration table but no settings module declares it"
            for name in sorted(set(documented) - used)]
    return out


def settings_modules() -> list[str]:
    """The dotted names of the settings modules present in the tree."""
    paths = sorted(p for pattern in SETTINGS_MODULES for p in ROOT.glob(pattern)
                   if p.parent.name != "common")
    return [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in paths]


def kind_of_module(module: str) -> str:
    """``services.legal.settings`` -> ``legal``; ``gateway.settings`` -> ``gateway``; the
    ``refnet`` package's modules -> ``refnet``."""
    parts = module.split(".")
    return parts[1] if parts[0] == "services" else parts[0]


def declared_settings() -> list:
    """Every ``Setting`` of every settings module, each variable once."""
    found = {}
    for module in settings_modules():
        for setting in importlib.import_module(module).SETTINGS:
            found.setdefault(setting.env, setting)
    return list(found.values())


def declared_by_kind() -> dict[str, dict]:
    """Process kind -> {variable: its ``Setting``} as that kind's settings module declares it."""
    kinds: dict[str, dict] = {}
    for module in settings_modules():
        kinds.setdefault(kind_of_module(module), {}).update(
            {setting.env: setting for setting in importlib.import_module(module).SETTINGS})
    return kinds


def test_readme_configuration_table_matches_the_settings_modules():
    assert len(settings_modules()) >= 5  # three services, the gateway, the refnet command
    problems = differences(documented_defaults(README.read_text()), declared_settings())
    assert problems == [], "\n" + "\n".join(problems)


# ---- who reads what: the table's "read by" and "required" against the settings modules ----

def read_by_differences(rows: list[Row], by_kind: dict[str, dict]) -> list[str]:
    """Rows whose "read by" or "required" disagrees with what the kinds declare."""
    out = []
    for row in rows:
        patterns = [_name_pattern(name) for name in row.names]
        readers = {kind: [s for env, s in declared.items() if any(p.match(env) for p in patterns)]
                   for kind, declared in by_kind.items()}
        readers = {kind: found for kind, found in readers.items() if found}
        label = ", ".join(row.names)
        if set(readers) != row.read_by:
            out.append(f"{label}: README.md says read by {', '.join(sorted(row.read_by)) or '-'}, "
                       f"the settings modules of {', '.join(sorted(readers)) or '-'} declare it")
        required = any(s.required for found in readers.values() for s in found)
        if required != row.required:
            out.append(f"{label}: README.md {'says' if row.required else 'does not say'} "
                       f"required, the settings {'do' if required else 'do not'} require it")
    return out


def test_readme_says_which_processes_read_and_require_each_variable():
    by_kind = declared_by_kind()
    assert set(by_kind) == {"referral", "shelter", "legal", "notify", "gateway", "refnet"}
    problems = read_by_differences(configuration_table(README.read_text()), by_kind)
    assert problems == [], "\n" + "\n".join(problems)


# ---- what the deployments give each container, against what its process kind needs ----

class Container(NamedTuple):
    where: str          # "compose referral", "k8s refnet-legal/legal"
    kind: str | None    # the process kind its command starts
    variables: dict     # variable -> where its value comes from ("value", "secret NAME", ...)


def compose_containers(compose: dict) -> list[Container]:
    """Every service of a compose file whose command starts a refnet process (or that builds
    the image), with its ``environment``."""
    out = []
    for name, service in compose["services"].items():
        command = service.get("command") or []
        command = command.split() if isinstance(command, str) else command
        kind = kind_of_command(command)
        if kind is None and "build" not in service:
            continue  # the broker, the database
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.partition("=")[::2] for item in environment)
        out.append(Container(f"compose {name}", kind, {k: "value" for k in environment}))
    return out


def k8s_documents() -> list[dict]:
    """Every document of deploy/k8s outside the operators' folder and the kustomizations."""
    paths = sorted(p for p in K8S.rglob("*.yaml")
                   if "operators" not in p.parts and p.name != "kustomization.yaml")
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


def k8s_containers(documents: list[dict]) -> tuple[list[Container], list[str]]:
    """Every container of a Deployment or Job with its variables (``envFrom`` resolved against
    the ConfigMaps and Secrets among ``documents``), and what cannot be resolved."""
    sources = {(d["kind"], d["metadata"]["name"]): {**d.get("data", {}), **d.get("stringData", {})}
               for d in documents if d["kind"] in ("ConfigMap", "Secret")}
    read = {env for declared in declared_by_kind().values() for env in declared}
    out, problems = [], []
    for document in documents:
        if document["kind"] not in ("Deployment", "Job"):
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            where = f"k8s {document['metadata']['name']}/{container['name']}"
            variables = {}
            for source in container.get("envFrom", []):
                ref_kind, ref = (("ConfigMap", source["configMapRef"]) if "configMapRef" in source
                                 else ("Secret", source["secretRef"]))
                keys = sources.get((ref_kind, ref["name"]))
                if keys is None:
                    problems.append(f"{where}: envFrom {ref_kind} {ref['name']} is not in the "
                                    "manifests, so what it gives cannot be told")
                    continue
                variables.update({key: f"{ref_kind} {ref['name']}" for key in keys})
            for entry in container.get("env", []):
                origin = entry.get("valueFrom", {})
                if "secretKeyRef" in origin:
                    variables[entry["name"]] = f"secret {origin['secretKeyRef']['name']}"
                elif "configMapKeyRef" in origin:
                    ref = origin["configMapKeyRef"]
                    if ref["key"] not in sources.get(("ConfigMap", ref["name"]), {}):
                        problems.append(f"{where}: {entry['name']} refers to {ref['key']}, "
                                        f"which ConfigMap {ref['name']} does not hold")
                    variables[entry["name"]] = f"ConfigMap {ref['name']}"
                else:
                    variables[entry["name"]] = "value"
            command = [*container.get("command", []), *container.get("args", [])]
            out.append(Container(where, kind_of_command(command), variables))
            used = " ".join(str(e.get("value", "")) for e in container.get("env", []))
            problems += [f"{where}: {name} ({origin}) is read by no process and used by no "
                         "other variable" for name, origin in variables.items()
                         if origin.startswith("secret") and f"$({name})" not in used
                         and name not in read]
    return out, problems


def container_differences(containers: list[Container], by_kind: dict[str, dict]) -> list[str]:
    """Containers that miss a variable their process requires, or get a secret it does not
    read, or whose command starts no known process kind."""
    secrets = {env for declared in by_kind.values() for env, s in declared.items() if s.secret}
    out = []
    for container in containers:
        if container.kind is None:
            out.append(f"{container.where}: its command starts no refnet process kind")
            continue
        declared = by_kind[container.kind]
        for env in sorted(env for env, s in declared.items() if s.required):
            if env not in container.variables:
                out.append(f"{container.where}: {env} is missing; the {container.kind} process "
                           "does not start without it")
        for env in sorted(set(container.variables) & secrets - set(declared)):
            out.append(f"{container.where}: {env} is a secret the {container.kind} process "
                       "does not read")
    return out


def test_compose_gives_each_process_what_it_requires_and_no_secret_it_does_not_read():
    containers = compose_containers(yaml.safe_load(COMPOSE.read_text()))
    assert {c.kind for c in containers} == {"referral", "shelter", "legal", "notify", "gateway", "refnet"}
    problems = container_differences(containers, declared_by_kind())
    assert problems == [], "\n" + "\n".join(problems)


def test_kubernetes_gives_each_process_what_it_requires_and_no_secret_it_does_not_read():
    containers, problems = k8s_containers(k8s_documents())
    assert {c.kind for c in containers} == {"referral", "shelter", "legal", "notify", "gateway", "refnet"}
    problems += container_differences(containers, declared_by_kind())
    assert problems == [], "\n" + "\n".join(problems)


def test_kubernetes_secrets_come_from_keys_refnet_init_secrets_writes():
    """refnet-secrets is made from var/refnet.env (README): each key referred to is one there,
    under the variable's own name."""
    from refnet.local.secrets import new_secrets
    written = set(new_secrets())
    for document in k8s_documents():
        if document["kind"] not in ("Deployment", "Job"):
            continue
        for container in document["spec"]["template"]["spec"]["containers"]:
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] == "refnet-secrets":
                    assert ref["key"] == entry["name"] and ref["key"] in written, entry


# ---- the checks themselves fail on what they are meant to catch ----

def _compose_without(service: str, variable: str) -> dict:
    compose = yaml.safe_load(COMPOSE.read_text())
    compose["services"][service]["environment"].pop(variable)
    return compose


def test_a_container_missing_a_required_secret_or_given_a_foreign_one_is_named():
    by_kind = declared_by_kind()
    compose = _compose_without("legal", "REFNET_FILE_KEYS")
    compose["services"]["shelter"]["environment"]["REFNET_INTAKE_PRIVATE_KEY"] = "x"
    compose["services"]["referral"]["command"] = ["python", "-m", "http.server"]
    assert container_differences(compose_containers(compose), by_kind) == [
        "compose referral: its command starts no refnet process kind",
        "compose shelter: REFNET_INTAKE_PRIVATE_KEY is a secret the shelter process does not read",
        "compose legal: REFNET_FILE_KEYS is missing; the legal process does not start without it",
    ]


def test_kubernetes_env_from_and_unused_passwords_are_resolved_or_named():
    documents = copy.deepcopy(k8s_documents())
    legal = next(d for d in documents if d["metadata"]["name"] == "refnet-legal")
    container = legal["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [e for e in container["env"] if e["name"] != "REFNET_FILE_KEYS"]
    container["envFrom"].append({"secretRef": {"name": "refnet-secrets"}})
    gateway = next(d for d in documents if d["metadata"]["name"] == "refnet-gateway")
    gateway["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "SPARE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}})
    containers, problems = k8s_containers(documents)
    assert problems == [
        "k8s refnet-gateway/gateway: SPARE_PASSWORD (secret x) is read by no process and used by "
        "no other variable",
        "k8s refnet-legal/legal: envFrom Secret refnet-secrets is not in the manifests, so what "
        "it gives cannot be told"]
    assert container_differences(containers, declared_by_kind()) == [
        "k8s refnet-legal/legal: REFNET_FILE_KEYS is missing; the legal process does not start "
        "without it"]
    documents.append({"kind": "Secret", "metadata": {"name": "refnet-secrets"},
                      "stringData": {"REFNET_FILE_KEYS": "", "REFNET_TOKEN_SECRET": ""}})
    containers, problems = k8s_containers(documents)
    assert container_differences(containers, declared_by_kind()) == [
        "k8s refnet-legal/legal: REFNET_TOKEN_SECRET is a secret the legal process does not read"]


def test_a_wrong_read_by_or_required_mark_is_named():
    rows = configuration_table(README.read_text())
    by_kind = declared_by_kind()
    changed = [row._replace(read_by={"referral", "shelter", "refnet"})
               if row.names == ["REFNET_FILE_KEYS"] else
               row._replace(required=False) if row.names == ["REFNET_TOKEN_SECRET"] else row
               for row in rows]
    assert read_by_differences(changed, by_kind) == [
        "REFNET_TOKEN_SECRET: README.md does not say required, the settings do require it",
        "REFNET_FILE_KEYS: README.md says read by referral, refnet, shelter, the settings modules "
        "of legal, notify, referral, refnet, shelter declare it",
    ]


# ---- the parser and the comparison, on a small table and a fake Settings ----

class FakeSetting:
    def __init__(self, env, default, meaning="m"):
        self.env, self.default, self.meaning = env, default, meaning


SAMPLE = """# x

## Configuration

Everything comes from the environment.

| variable | default | read by | meaning |
|---|---|---|---|
| `AMQP_URI` | `amqp://guest:guest@127.0.0.1:5672/` | referral, gateway | the broker |
| `REFNET_PORT`, `REFNET_HOST` | `8000`, `127.0.0.1` | gateway | where the gateway listens |
| `REFERRAL_DATABASE_URL`, `SHELTER_DATABASE_URL` | `sqlite:///var/<service>.db` | referral, shelter | each service's own |
| `REFNET_HOLD_HOURS` (`REFNET_HOLD_SECONDS` overrides) | `48` | shelter | hold (a \\| in text) |
| `REFNET_TOKEN_SECRET` | required (`refnet init-secrets` writes it) | gateway,refnet | signs tokens |
| `REFNET_METRICS_PORT_<SERVICE>`, `REFNET_METRICS_PORT` | `0` (any free port, `off` turns it off) | referral | metrics |

| not | this | table |
|---|---|---|
| `OTHER` | `1` | x |

## Next
"""

AGREEING = [FakeSetting("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"), FakeSetting("REFNET_PORT", "8000.0"),
            FakeSetting("REFNET_HOST", "127.0.0.1"),
            FakeSetting("REFERRAL_DATABASE_URL", "sqlite:///var/referral.db"),
            FakeSetting("SHELTER_DATABASE_URL", "sqlite:///var/shelter.db"),
            FakeSetting("REFNET_HOLD_HOURS", "48"), FakeSetting("REFNET_HOLD_SECONDS", "48"),
            FakeSetting("REFNET_TOKEN_SECRET", None), FakeSetting("REFNET_METRICS_PORT_SHELTER", "0"),
            FakeSetting("REFNET_METRICS_PORT_LEGAL", "0"), FakeSetting("REFNET_METRICS_PORT", "0")]


def test_the_table_is_read_row_by_row():
    rows = configuration_table(SAMPLE)
    assert rows[1][:2] == (["REFNET_PORT", "REFNET_HOST"], ["8000", "127.0.0.1"])
    assert rows[3][:2] == (["REFNET_HOLD_HOURS", "REFNET_HOLD_SECONDS"], ["48"])
    assert rows[4][:2] == (["REFNET_TOKEN_SECRET"], [])
    assert rows[4].read_by == {"gateway", "refnet"} and rows[4].required
    assert rows[3].read_by == {"shelter"} and not rows[3].required
    assert rows[5][1] == ["0"]
    assert len(rows) == 6          # the second table is not the configuration table
    documented = documented_defaults(SAMPLE)
    assert documented["REFNET_HOST"] == "127.0.0.1" and documented["REFNET_TOKEN_SECRET"] is None
    assert documented["REFNET_METRICS_PORT_<SERVICE>"] == "0"


def test_a_table_that_agrees_with_the_settings_has_no_difference():
    assert differences(documented_defaults(SAMPLE), AGREEING) == []


def test_every_kind_of_disagreement_is_named():
    declared = [s for s in AGREEING if s.env != "REFNET_HOST"]                       # documented only
    declared += [FakeSetting("REFNET_NEW", "1")]                                     # declared only
    declared = [FakeSetting("REFNET_PORT", "8080") if s.env == "REFNET_PORT" else s for s in declared]
    declared = [FakeSetting(s.env, "x") if s.env == "REFNET_TOKEN_SECRET" else s for s in declared]
    declared = [FakeSetting(s.env, "sqlite:///x.db") if s.env == "SHELTER_DATABASE_URL" else s
                for s in declared]
    assert differences(documented_defaults(SAMPLE), declared) == [
        "REFNET_NEW is declared but not in README.md's configuration table",
        "REFNET_PORT: README.md shows default '8000', the settings declare '8080'",
        "REFNET_TOKEN_SECRET: README.md shows default None, the settings declare 'x'",
        "SHELTER_DATABASE_URL: README.md shows default 'sqlite:///var/shelter.db', the settings "
        "declare 'sqlite:///x.db'",
        "REFNET_HOST is in README.md's configuration table but no settings module declares it",
    ]


def test_a_family_row_must_match_at_least_one_declared_variable():
    declared = [s for s in AGREEING if not s.env.startswith("REFNET_METRICS_PORT_")]
    assert differences(documented_defaults(SAMPLE), declared) == [
        "REFNET_METRICS_PORT_<SERVICE> is in README.md's configuration table but no settings "
        "module declares it"]


def test_a_row_with_a_wrong_number_of_defaults_is_refused():
    broken = SAMPLE.replace("`8000`, `127.0.0.1`", "`8000`, `127.0.0.1`, `x`")
    with pytest.raises(AssertionError, match="3 defaults shown for 2 variables"):
        documented_defaults(broken)


def test_the_readme_table_is_readable_today():
    documented = documented_defaults(README.read_text())
    assert {"AMQP_URI", "REFNET_HOLD_HOURS", "REFNET_FILE_KEYS"} <= set(documented)
