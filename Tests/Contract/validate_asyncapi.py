#!/usr/bin/env python3
"""Validates docs/asyncapi.yaml: parsed as YAML, checked against the official AsyncAPI 3.0.0 JSON Schema
(asyncapi/spec-json-schemas, schemas/3.0.0-without-$id.json, vendored in asyncapi/ with its licence),
every local `$ref` resolving, every event type having a message whose schema files exist.

  validate_asyncapi.py ASYNCAPI_YAML SCHEMAS_DIR

Prints one line per problem and exits 1 when there is any."""
import json, os, sys
import yaml
from jsonschema import Draft7Validator

doc_path, schemas_dir = sys.argv[1], sys.argv[2]
with open(doc_path) as f:
    doc = yaml.safe_load(f)
with open(os.path.join(os.path.dirname(__file__), "asyncapi", "asyncapi-3.0.0.schema.json")) as f:
    spec = json.load(f)
problems = [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message[:200]}" for e in Draft7Validator(spec).iter_errors(doc)]


def walk(node, path):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith("#/"):
                target = doc
                for part in ref[2:].split("/"):
                    target = target.get(part) if isinstance(target, dict) else None
                if target is None:
                    problems.append(f"{path}: $ref {ref} resolves to nothing")
            elif not os.path.exists(os.path.join(os.path.dirname(doc_path), ref)):
                problems.append(f"{path}: $ref {ref}: no such file")
        for k, v in node.items():
            walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{path}/{i}")


walk(doc, "$")
types = sorted(f[:-5] for f in os.listdir(schemas_dir) if f.startswith("vicidial."))
named = {m.get("name") for m in doc.get("components", {}).get("messages", {}).values()}
problems += [f"no message for {t}" for t in types if t not in named]
for p in problems:
    print(p)
print(f"{len(named)} messages, {len(doc.get('channels', {}))} channels, {len(problems)} problems")
sys.exit(1 if problems else 0)
