"""The published Open Referral HSDS 3.1 JSON schemas, loaded as a jsonschema validator.

The schemas are unchanged copies kept in the repository, in ``docs/standards/hsds/v3.1-dev``
(source and licence: ``docs/standards/hsds/README.md``). Every file of that folder goes into
one ``referencing`` registry under its file name, so ``"$ref": "unit.json"`` resolves in that
folder and nowhere else (no network).
"""

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
HSDS_DIR = ROOT / "docs" / "standards" / "hsds" / "v3.1-dev"


def validator(schema_name: str = "service.json") -> Draft202012Validator:
    """A Draft 2020-12 validator for one HSDS schema, its ``$ref``s resolved in the same folder."""
    if not HSDS_DIR.is_dir():
        raise FileNotFoundError(f"HSDS schemas not found at {HSDS_DIR.resolve()}")
    resources = []
    for path in sorted(HSDS_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
    registry = Registry().with_resources(resources)
    schema = json.loads((HSDS_DIR / schema_name).read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def errors(instance: dict, schema_name: str = "service.json") -> list[str]:
    """Every validation error, as "path: message" (empty when the instance is valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator(schema_name).iter_errors(instance)]
