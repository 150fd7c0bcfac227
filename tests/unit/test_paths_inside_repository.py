"""No file of the repository refers to a path outside it: a clone in an empty folder, with
nothing beside it, builds, tests and reads its documentation with what it holds.

Four ways a file reaches out, each caught here: a relative path that climbs above the
repository (or names nothing in it), a Python path joined with a parent step, ``__file__``
climbed past the repository's root, and an absolute path of one machine (home folders, the
temporary folder, mount points). Paths inside a container image (the Dockerfile, the
Kubernetes manifests, the harness that runs their environment locally) are the image's own,
not this machine's."""

import fnmatch
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]

# One or more parent steps starting a path (not inside one, as in a/b/<parent>/c), then what
# they lead to.
CLIMB = re.compile(r"(?<![\w.\-/])((?:\.\./)+)([\w.\-]+(?:/[\w.\-]+)*)?")
# A parent step joined in code: Path / "<parent>", os.path.join(x, "<parent>"), Path("<parent>").
JOINED_PARENT = re.compile(r"""[/,(]\s*(['"])\.\.\1""")
# __file__ climbed with .parent or .parents[N].
PARENT = re.compile(r"\.parent\b(?!s)")
PARENTS = re.compile(r"\.parents\[(\d+)\]")
# Absolute paths of one machine.
MACHINE = re.compile(r"(?<![\w.\-/~])(?:/(?:home|root|Users|work|mnt|media|tmp)/|~[/])")
# Where absolute paths are inside a container, not on this machine: the image, the manifests,
# and the harness that maps a container's paths onto local folders (and its unit test).
CONTAINER = ("deploy/Dockerfile", "deploy/k8s/", "refnet/harness/deployed.py",
             "tests/unit/test_deployed_env.py")
# Path-traversal probes the tests feed to validators: attacks, not references.
PROBES = {"etc/passwd"}


def repository_files() -> list[str]:
    """Tracked files and new files git does not ignore; without git (an unpacked archive),
    the tree minus what .gitignore names."""
    if (ROOT / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, capture_output=True, check=True).stdout.decode()
        return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})
    ignored = [line.strip().rstrip("/") for line in (ROOT / ".gitignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")] + [".git"]
    names = (p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file())
    return sorted(name for name in names
                  if not any(fnmatch.fnmatch(part, pattern) or name.startswith(pattern + "/")
                             for pattern in ignored for part in name.split("/")))


def outside_references(name: str, text: str, exists=lambda path: (ROOT / path).exists()) -> list[str]:
    """Every reference of one file (its repository-relative ``name``) to a path outside."""
    found = []
    folder = PurePosixPath(name).parent.parts
    for number, line in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}: {line.strip()[:120]}"
        for match in CLIMB.finditer(line):
            steps, rest = match.group(1).count("../"), match.group(2) or ""
            if rest in PROBES:
                continue
            if steps > len(folder) or not exists(PurePosixPath(*folder[:len(folder) - steps], rest)):
                found.append(where)
        if JOINED_PARENT.search(line):
            found.append(where)
        if "__file__" in line:
            climbs = len(PARENT.findall(line)) + sum(int(n) + 1 for n in PARENTS.findall(line))
            if climbs > len(folder) + 1:
                found.append(where)
        if not name.startswith(CONTAINER) and MACHINE.search(line):
            found.append(where)
    return sorted(set(found))


def read_text(name: str) -> str | None:
    """The file's text; None for a binary file (a compiled catalogue, an image)."""
    data = (ROOT / name).read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_file_refers_to_a_path_outside_the_repository():
    files = repository_files()
    assert "Makefile" in files and "tests/unit/test_paths_inside_repository.py" in files
    found = [ref for name in files if (text := read_text(name)) is not None
             for ref in outside_references(name, text)]
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


# Built, so that this file holds none of what it looks for.
UP = ".." + "/"
DOT_DOT = '".' + '."'
FILE = "__" + "file__"


@pytest.mark.parametrize("name, line", [
    ("Makefile", f"CRDS = {UP}shared/standards/crds"),
    ("tests/deploy/conftest.py", f'"""The schemas ship beside the repository, in {UP}shared/standards."""'),
    ("README.md", f"[the standards]({UP}{UP}standards/README.md)"),
    ("docs/decisions/x.md", f"see [notes]({UP}{UP}{UP}notes.md)"),
    ("tests/support/hsds.py", f'HSDS_DIR = ROOT / {DOT_DOT} / "shared" / "standards"'),
    ("tests/support/hsds.py", f"HSDS_DIR = os.path.join(ROOT, {DOT_DOT}, 'shared')"),
    ("tests/unit/test_x.py", f"ROOT = Path({FILE}).resolve().parents[3]"),
    ("refnet/settings.py", f"ROOT = Path({FILE}).resolve().parent.parent.parent"),
    (".ci/run", "cd /" + "work/refnet && make test"),
    ("bench/run.py", 'OUT = "/' + 'tmp/refnet-bench/result.json"'),
    ("docs/x.md", "clone it into /" + "home/someone/src"),
    ("deploy/compose.yaml", "env_file: ~" + "/refnet.env"),
])
def test_a_reference_outside_the_repository_is_found(name, line):
    assert outside_references(name, line, exists=lambda path: False) == [f"{name}:1: {line}"]


@pytest.mark.parametrize("name, line", [
    ("docs/decisions/0027-x.md", f"([architecture.md]({UP}architecture.md))"),
    ("tests/unit/test_legal_rules.py", f'["Mars/Olympus", "{UP}{UP}etc/passwd"]'),
    ("tests/unit/test_care_gateway.py", f'client.get("/api/v1/shelter/plans/12/notes/{UP}x")'),
    ("tests/unit/test_x.py", f"ROOT = Path({FILE}).resolve().parents[2]"),
    ("services/legal/domain/hearings.py", f"    or {DOT_DOT} in name:"),
    ("deploy/Dockerfile", "ENV REFNET_VAR=/" + "tmp/refnet"),
    ("deploy/k8s/gateway.yaml", "value: /" + "tmp/refnet-metrics"),
    ("README.md", "see https://example.org/" + "home/page and /usr/bin/chromium"),
])
def test_a_reference_inside_the_repository_or_its_image_passes(name, line):
    assert outside_references(name, line, exists=lambda path: True) == []
