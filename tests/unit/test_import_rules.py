"""The import rules of docs/architecture.md, checked over the source tree with ``ast`` (no import
is executed, no package is needed).

| rule | modules (sources)                                   | may not import                                                                        |
|------|-----------------------------------------------------|---------------------------------------------------------------------------------------|
| a    | ``services.*.domain.**``                            | a framework or I/O library (FRAMEWORKS), directly or through any module of the tree it imports |
| b    | ``services.<svc>.**`` (a service)                   | another service: ``services.**`` other than ``services.<svc>``, ``services.common``, ``services.contracts`` |
| c    | ``services.common.**``, ``services.contracts.**``   | any service package                                                                   |
| c'   | ``services.contracts.**``                           | a framework or I/O library, directly or through ``services.common`` (contracts are plain schemas) |
| d    | ``gateway.**``                                      | ``services.**`` other than ``services.common`` and ``services.contracts`` |
| d'   | ``gateway.**``                                      | ``services.common.runtime.**`` (the nameko runtime)                                   |
| e    | everything scanned but the nameko edge and gateway  | ``nameko``; the edge is ``services.common.runtime.**``, ``services.*.service``, ``services.*.dependencies`` |
| e'   | ``gateway.**``                                      | ``nameko`` other than ``nameko.exceptions`` (the wire format of the services' errors) |
| f    | ``services.**``, ``gateway.**``                     | the tools around the product: ``refnet``, ``deploy``, ``bench``, ``tests``            |
| g    | ``services.**``, ``gateway.**``                     | ``sqlalchemy.orm`` (Core statements only; the ORM costs ~6 MB in every process)        |

Rules are written against package patterns (``*`` one name, ``**`` any number of names), never
file lists, so a module moved inside its package stays covered. ``marshmallow`` is not a
framework here: the contracts are marshmallow schemas and domain modules read their vocabulary.
Each violation is reported as ``file:line`` with the import (and, for a transitive one, the
chain that reaches the library).
"""

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("services", "gateway", "refnet", "deploy", "bench")   # top-level packages checked
SKIPPED_PARTS = {"migrations", "__pycache__", ".venv", "node_modules"}

FRAMEWORKS = ("nameko", "eventlet", "flask", "flask_*", "sqlalchemy", "kombu", "amqp", "werkzeug",
              "requests", "psycopg2", "psycopg", "alembic", "gunicorn", "prometheus_client")

SERVICES_SHARED = ("services.common.**", "services.contracts.**")
NAMEKO_EDGE = ("services.common.runtime.**", "services.*.service", "services.*.dependencies")


@dataclass(frozen=True)
class Rule:
    name: str
    says: str
    sources: tuple[str, ...]
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()          # exceptions to ``forbidden`` (may use {svc})
    except_sources: tuple[str, ...] = ()
    transitive: bool = False               # follow imports of tree modules to third-party ones


RULES = (
    Rule("a", "a domain module imports no framework or I/O library",
         sources=("services.*.domain.**",), forbidden=FRAMEWORKS, transitive=True),
    Rule("b", "no service imports another service",
         sources=("services.{svc}.**",), forbidden=("services.**",),
         allowed=("services.{svc}.**",) + SERVICES_SHARED, except_sources=SERVICES_SHARED),
    Rule("c", "services.common and services.contracts import no service",
         sources=SERVICES_SHARED, forbidden=("services.**",), allowed=SERVICES_SHARED),
    Rule("c'", "services.contracts pulls in no framework or I/O library",
         sources=("services.contracts.**",), forbidden=FRAMEWORKS, transitive=True),
    Rule("d", "the gateway imports only services.common and services.contracts",
         sources=("gateway.**",), forbidden=("services.**",), allowed=SERVICES_SHARED),
    Rule("d'", "the gateway never imports the nameko runtime",
         sources=("gateway.**",), forbidden=("services.common.runtime.**",)),
    Rule("e", "only the nameko edge imports nameko",
         sources=("**",), forbidden=("nameko.**",), except_sources=NAMEKO_EDGE + ("gateway.**",)),
    Rule("e'", "the gateway takes from nameko only its error wire format (it calls the services "
         "in nameko's RPC protocol with kombu, gateway/rpc.py)",
         sources=("gateway.**",), forbidden=("nameko.**",), allowed=("nameko.exceptions",)),
    Rule("f", "the product imports none of the tools around it",
         sources=("services.**", "gateway.**"), forbidden=("refnet.**", "deploy.**", "bench.**", "tests.**")),
    Rule("g", "the product runs on SQLAlchemy Core: no module imports the ORM (its import alone "
         "is about 6 MB of every service's and gateway worker's memory, bench/README.md)",
         sources=("services.**", "gateway.**"), forbidden=("sqlalchemy.orm", "sqlalchemy.orm.**")),
)

@functools.lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern:
    """``services.*.domain.**`` -> a regex over dotted names; ``{svc}`` captures one name."""
    out = []
    for i, part in enumerate(pattern.split(".")):
        dot = r"\." if i else ""
        if part == "**":
            out.append(r"(?:\.[^.]+)*" if i else r"[^.]+(?:\.[^.]+)*")
        elif part == "{svc}":
            out.append(dot + r"(?P<svc>[^.]+)")
        else:
            out.append(dot + re.escape(part).replace(r"\*", r"[^.]*"))
    return re.compile("".join(out) + r"\Z")


def _match(name: str, patterns, svc: str | None = None) -> re.Match | None:
    for pattern in patterns:
        found = _regex(pattern.replace("{svc}", svc) if svc else pattern).match(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Import:
    module: str      # the importing module
    target: str      # the imported module (dotted)
    path: str        # the importing file, relative to the root
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def scan(root: Path, packages=SCANNED) -> tuple[dict[str, list[Import]], dict[str, str]]:
    """Every import statement of every module under ``packages``: module -> imports, and
    module -> file."""
    files = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            if SKIPPED_PARTS.isdisjoint(path.relative_to(root).parts):
                files[module_name(path, root)] = path
    imports = {}
    for module, path in files.items():
        rel = str(path.relative_to(root))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        found = []
        for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
            if isinstance(node, ast.Import):
                found += [Import(module, alias.name, rel, node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                found.append(Import(module, base, rel, node.lineno))
                for alias in node.names:      # ``from services.common import db`` names a module
                    if f"{base}.{alias.name}" in files:
                        found.append(Import(module, f"{base}.{alias.name}", rel, node.lineno))
        imports[module] = found
    return imports, {m: str(p.relative_to(root)) for m, p in files.items()}


def _reached(module: str, imports, files) -> list[tuple[Import, list[Import]]]:
    """Third-party imports reached from ``module`` through modules of the tree:
    (the library import, the chain of tree imports that leads to it)."""
    seen, out, todo = {module}, [], [(module, [])]
    while todo:
        current, chain = todo.pop()
        for imp in imports.get(current, ()):
            if imp.target in files:
                if imp.target not in seen:
                    seen.add(imp.target)
                    todo.append((imp.target, chain + [imp]))
            elif not any(imp.target == m or imp.target.startswith(m + ".") for m in files):
                out.append((imp, chain))
    return out


def _library(target: str, patterns) -> bool:
    top = target.split(".")[0]
    return any(_regex(p).match(top) for p in patterns)


def violations(root: Path = ROOT, rules=RULES) -> list[tuple[str, str, str]]:
    """(rule, "file:line", message) for every import that breaks a rule."""
    imports, files = scan(root)
    found = []
    for rule in rules:
        for module in sorted(imports):
            source = _match(module, rule.sources)
            if not source or _match(module, rule.except_sources):
                continue
            svc = source.groupdict().get("svc")
            if rule.transitive:
                for imp, chain in _reached(module, imports, files):
                    if _library(imp.target, rule.forbidden):
                        first = chain[0] if chain else imp
                        via = " -> ".join([i.target for i in chain]
                                          + [f"{imp.target} ({imp.path}:{imp.line})" if chain else imp.target])
                        found.append((rule.name, f"{first.path}:{first.line}", f"imports {via}: {rule.says}"))
                continue
            for imp in imports[module]:
                if _match(imp.target, rule.forbidden) and not _match(imp.target, rule.allowed, svc):
                    found.append((rule.name, f"{imp.path}:{imp.line}", f"imports {imp.target}: {rule.says}"))
    # ``from a.b import c`` is an import of a.b and of a.b.c: report the line once, by the latter
    one = {}
    for rule_name, where, message in found:
        if len(message) > len(one.get((rule_name, where), "")):
            one[(rule_name, where)] = message
    return sorted((rule_name, where, message) for (rule_name, where), message in one.items())


def test_the_tree_keeps_the_import_rules():
    found = violations()
    assert found == [], "\n" + "\n".join(f"rule {r}: {where}: {msg}" for r, where, msg in found)


def test_the_tree_is_scanned():
    imports, files = scan(ROOT)
    assert any(_match(m, ("services.*.domain.**",)) for m in files)
    assert any(m.startswith("gateway.") for m in files)
    assert sum(len(v) for v in imports.values()) > 300


def _plant(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if str(parent) != ".":
            (root / parent / "__init__.py").touch()
    path.write_text(text)


PLANTED = [
    ("a", "services/shelter/domain/planted.py", "import os\nimport sqlalchemy\n", 2),
    ("a", "services/shelter/domain/planted.py", "from services.common.db import Database\n", 1),
    ("a", "services/shelter/domain/planted.py", "def f():\n    from flask import g\n", 2),
    ("b", "services/shelter/usecases/planted.py", "from services.legal.domain import access\n", 1),
    ("b", "services/referral/planted.py", "from ..shelter import tables\n", 1),
    ("c", "services/common/planted.py", "import services.referral.tables\n", 1),
    ("c'", "services/contracts/planted.py", "from services.common import db\n", 1),
    ("d", "gateway/resources/planted.py", "from services.shelter.domain import beds\n", 1),
    ("e'", "gateway/planted.py", "from nameko.standalone.rpc import ClusterRpcProxy\n", 1),
    ("e", "refnet/demo/planted.py", "from nameko.exceptions import RemoteError\n", 1),
    ("e", "services/shelter/usecases/planted.py", "import nameko.rpc\n", 1),
    ("f", "gateway/planted.py", "from tests.support import network\n", 1),
]


@pytest.mark.parametrize("rule, relative, text, line", PLANTED)
def test_the_checker_reports_a_planted_import(tmp_path, rule, relative, text, line):
    for other in ("services/legal/domain/access.py", "services/shelter/tables.py",
                  "services/shelter/domain/beds.py", "services/referral/tables.py"):
        _plant(tmp_path, other, "")
    _plant(tmp_path, "services/common/db.py", "import sqlalchemy\n")
    _plant(tmp_path, relative, text)
    found = violations(tmp_path)
    assert (rule, f"{relative}:{line}") in {(r, where) for r, where, _ in found}, found


def test_the_allowed_imports_are_not_reported(tmp_path):
    _plant(tmp_path, "services/common/runtime/providers.py", "import nameko.extensions\nimport sqlalchemy\n")
    _plant(tmp_path, "services/common/caller.py", "from services.contracts.vocabulary import ROLES\n")
    _plant(tmp_path, "services/contracts/vocabulary.py", "")
    _plant(tmp_path, "services/contracts/events.py", "import marshmallow\nfrom .vocabulary import ROLES\n")
    _plant(tmp_path, "services/shelter/service.py", "from nameko.rpc import rpc\nfrom .usecases import beds\n")
    _plant(tmp_path, "services/shelter/usecases/beds.py", "import sqlalchemy\nfrom ..domain import beds\n")
    _plant(tmp_path, "services/shelter/domain/beds.py",
           "import datetime\nfrom services.common.caller import Caller\nfrom services.contracts import events\n")
    _plant(tmp_path, "gateway/resources/beds.py",
           "import flask\nfrom services.common.caller import Caller\nfrom services.contracts import events\n")
    assert violations(tmp_path) == []
