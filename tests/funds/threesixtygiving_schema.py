"""Validate a 360Giving package offline against ../shared/360giving (schemas and codelists)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "360giving"
GRANT_SCHEMA = SHARED / "360-giving-schema.json"
PACKAGE_SCHEMA = SHARED / "360-giving-package-schema.json"


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def package_validator() -> Draft202012Validator:
    """The package schema, with the grant schema registered under the URLs that name it (the
    package's $ref says 1.4.2, the grant schema's $id 1.4.3), and a date-time checker."""
    grant, package = _load(GRANT_SCHEMA), _load(PACKAGE_SCHEMA)
    resource = Resource(contents=grant, specification=DRAFT202012)
    ref = package["properties"]["grants"]["items"]["$ref"]
    registry = Registry().with_resources([(grant["$id"], resource), (ref, resource)])
    return Draft202012Validator(package, registry=registry, format_checker=FormatChecker())


def codelist(name: str) -> set[str]:
    with open(SHARED / "codelists" / name, encoding="utf-8", newline="") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


def codelist_fields() -> list[tuple[tuple[str, ...], str]]:
    """(path, codelist file) of every field the grant schema ties to a codelist."""
    grant = _load(GRANT_SCHEMA)
    defs = grant["$defs"]
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(node, path, seen):
        if not isinstance(node, dict):
            return
        if "$ref" in node and node["$ref"].startswith("#/$defs/"):
            name = node["$ref"].split("/")[-1]
            if name not in seen:
                walk(defs[name], path, seen | {name})
        if "codelist" in node:
            found.append((path, node["codelist"]))
        for key, child in node.get("properties", {}).items():
            walk(child, (*path, key), seen)
        if "items" in node:
            walk(node["items"], path, seen)

    walk(grant, (), frozenset())
    return found


def values_at(data, path: tuple[str, ...]) -> list:
    """Every value at path, looking through arrays on the way."""
    if isinstance(data, list):
        return [v for item in data for v in values_at(item, path)]
    if not path:
        return [data]
    if not isinstance(data, dict) or path[0] not in data:
        return []
    return values_at(data[path[0]], path[1:])


def codelist_problems(package: dict) -> list[str]:
    problems = []
    for path, name in codelist_fields():
        allowed = codelist(name)
        for grant in package["grants"]:
            for value in values_at(grant, path):
                if value not in allowed:
                    problems.append(f"{grant['id']}: {'/'.join(path)}={value!r} not in {name}")
    return problems
