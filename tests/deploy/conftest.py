"""Offline checks of deploy/: no Docker engine, no cluster, no network."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
CRDS = REPO / "docs" / "standards" / "crds"  # unchanged copies of the operators' CRDs
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A validator's executable: the virtualenv's (pip extras "deploy-check"), else PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: `pip install -e '.[deploy-check]'` "
                    "(docker-compose: `apt-get install docker-compose`)")
    return found


def run(*command, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120,
                          env=env, cwd=cwd)


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def write_documents(path: Path, docs: list[dict]) -> Path:
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


@pytest.fixture
def broken(tmp_path):
    """broken(source, old, new): a copy of ``source`` in tmp with ``old`` replaced by ``new``."""
    def make(source: Path, old: str, new: str, name: str | None = None) -> Path:
        text = source.read_text()
        assert old in text, f"{old!r} not in {source}"
        target = tmp_path / (name or source.name)
        target.write_text(text.replace(old, new, 1))
        return target
    return make
