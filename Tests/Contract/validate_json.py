#!/usr/bin/env python3
"""Validates JSON files against one JSON Schema (2020-12) with Python's jsonschema.

  validate_json.py SCHEMA FILE...

Prints one line per problem (file, JSON path, message) and exits 1 when a file fails."""
import json, sys
from jsonschema import Draft202012Validator, FormatChecker

with open(sys.argv[1]) as f:
    schema = json.load(f)
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema, format_checker=FormatChecker())
failed = False
for name in sys.argv[2:]:
    with open(name) as f:
        doc = json.load(f)
    for e in validator.iter_errors(doc):
        failed = True
        print(f"{name}: {'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}")
sys.exit(1 if failed else 0)
