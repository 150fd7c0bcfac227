"""Offline validation of operator resources against the operators' own CRD schemas.

A core-kinds validator (kubernetes-validate) skips custom resources, so each RabbitmqCluster,
Policy, Vhost, Cluster and Database is checked against the ``openAPIV3Schema`` of its CRD (the
unchanged copies in docs/standards/crds/), the way the API server's strict field validation
(``kubectl --validate=strict``) does: a property the schema does not declare is an error, except
under ``x-kubernetes-preserve-unknown-fields`` or where the schema is a map
(``additionalProperties``). CEL rules (``x-kubernetes-validations``) are not evaluated.
"""

import copy
from pathlib import Path

import jsonschema
import yaml

OBJECT_META = {  # the part of ObjectMeta a manifest may set
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
}


def strict(schema):
    """A copy of an OpenAPI v3 structural schema where undeclared properties are errors."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for child in (node.get("properties") or {}).values():
            walk(child)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                walk(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key) or []:
                walk(child)

    walk(schema)
    return schema


class CrdCatalog:
    """(apiVersion, kind) -> strict validator, from a directory of CRD files."""

    def __init__(self, directory: Path):
        self.validators: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
        for path in sorted(Path(directory).glob("*.yaml")):
            for crd in yaml.safe_load_all(path.read_text()):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    schema = strict(version["schema"]["openAPIV3Schema"])
                    schema["properties"]["metadata"] = OBJECT_META
                    schema.setdefault("required", [])
                    schema["required"] = sorted(set(schema["required"]) | {"apiVersion", "kind", "metadata"})
                    self.validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)

    @property
    def groups(self) -> set[str]:
        return {api_version.split("/")[0] for api_version, _kind in self.validators}

    def errors(self, document: dict) -> list[str]:
        """Every problem of one resource; [] when it is valid."""
        key = (document.get("apiVersion"), document.get("kind"))
        validator = self.validators.get(key)
        if validator is None:
            return [f"no CRD for {key[1]} {key[0]}"]
        return [f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
                for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))]
