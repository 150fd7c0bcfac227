"""README.md's configuration table lists exactly the variables the settings modules declare, each
with the default they declare.

The settings modules are found by their paths, not by a list: every ``services/<svc>/settings.py``,
``gateway/settings.py``, ``refnet/settings.py`` and ``refnet/cli/settings.py`` that exists is
imported and its ``SETTINGS`` (a ``services.common.settings.Settings``) iterated; the
``Setting``s of all of them (shared ones such as ``SERVICE`` counted once) make the declared set.

The table it reads is the first one under ``## Configuration``:

    | variable | default | meaning |
    |---|---|---|
    | `REFNET_PORT`, `REFNET_HOST` | `8000`, `127.0.0.1` | where the gateway listens |
    | `REFNET_HOLD_HOURS` | `48` | ... |
    | `REFNET_TOKEN_SECRET` | generated | ... |
    | `REFERRAL_DATABASE_URL`, `SHELTER_DATABASE_URL` | `sqlite:///var/<service>.db` | ... |
    | `REFNET_METRICS_PORT_<SERVICE>` | `0` (any free port, logged) | ... |

* variable cell: every backticked upper-case name is a variable; ``<WORD>`` in a name stands for
  any upper-case word (a family of variables, such as one per service);
* default cell, read without its parenthesised remarks: backticked values, one per variable in
  the same order, or one for them all; no backticked value (``generated``, ``unset``, prose)
  means the setting declares no default (``None`` or empty); ``<word>`` in a value stands for
  the variable's own lower-cased first word (``SHELTER_DATABASE_URL`` -> ``shelter``);
  numbers compare by value (``1`` shows the default ``"1.0"``).
"""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETTINGS_MODULES = ("services/*/settings.py", "gateway/settings.py", "refnet/settings.py",
                    "refnet/cli/settings.py")
NAME = re.compile(r"`([A-Z][A-Z0-9_]*(?:<[A-Z]+>[A-Z0-9_]*)*)`")
VALUE = re.compile(r"`([^`]*)`")


def configuration_table(markdown: str) -> list[tuple[list[str], list[str], str]]:
    """The rows of the first table under ``## Configuration``: (names, shown defaults, meaning)."""
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
            assert [c.lower() for c in cells[:3]] == ["variable", "default", "meaning"], cells
            in_table = True
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        names = NAME.findall(cells[0])
        assert names, f"a configuration row names no variable: {line}"
        rows.append((names, VALUE.findall(re.sub(r"\([^)]*\)", "", cells[1])), cells[2]))
    return rows


def documented_defaults(markdown: str) -> dict[str, str | None]:
    """Variable (or family ``<WORD>`` pattern) -> the default shown for it (None: none shown)."""
    documented = {}
    for names, values, _meaning in configuration_table(markdown):
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


def declared_settings() -> list:
    """Every ``Setting`` of every settings module, each variable once."""
    found = {}
    for module in settings_modules():
        for setting in importlib.import_module(module).SETTINGS:
            found.setdefault(setting.env, setting)
    return list(found.values())


def test_readme_configuration_table_matches_the_settings_modules():
    assert len(settings_modules()) >= 5  # three services, the gateway, the refnet command
    problems = differences(documented_defaults(README.read_text()), declared_settings())
    assert problems == [], "\n" + "\n".join(problems)


# ---- the parser and the comparison, on a small table and a fake Settings ----

class FakeSetting:
    def __init__(self, env, default, meaning="m"):
        self.env, self.default, self.meaning = env, default, meaning


SAMPLE = """# x

## Configuration

Everything comes from the environment.

| variable | default | meaning |
|---|---|---|
| `AMQP_URI` | `amqp://guest:guest@127.0.0.1:5672/` | the broker |
| `REFNET_PORT`, `REFNET_HOST` | `8000`, `127.0.0.1` | where the gateway listens |
| `REFERRAL_DATABASE_URL`, `SHELTER_DATABASE_URL` | `sqlite:///var/<service>.db` | each service's own |
| `REFNET_HOLD_HOURS` (`REFNET_HOLD_SECONDS` overrides) | `48` | hold (a \\| in text) |
| `REFNET_TOKEN_SECRET` | generated | signs tokens |
| `REFNET_METRICS_PORT_<SERVICE>`, `REFNET_METRICS_PORT` | `0` (any free port, `off` turns it off) | metrics |

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
