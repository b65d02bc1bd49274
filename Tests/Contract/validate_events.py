#!/usr/bin/env python3
"""Validates events (CloudEvents JSON, one per line) against vicinotify's JSON Schemas with Python's
jsonschema (2020-12), independently of the Swift code that wrote both: the envelope against
envelope.json, `data` against the schema its `dataschema` names.

  validate_events.py [--require-every-type] SCHEMAS_DIR FILE...

Prints one JSON object (events per type, failures) and exits 1 when an event fails, or, with
--require-every-type, when a type with a schema was never seen."""
import glob, json, os, sys
from jsonschema import Draft202012Validator, FormatChecker


def main(argv):
    require_all = "--require-every-type" in argv
    args = [a for a in argv if a != "--require-every-type"]
    schemas_dir, files = args[0], args[1:]
    checker = FormatChecker()
    validators = {}
    for path in glob.glob(os.path.join(schemas_dir, "*.json")):
        with open(path) as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
        validators[schema["$id"]] = Draft202012Validator(schema, format_checker=checker)
    envelope = validators["urn:vicinotify:schema:envelope:v1"]
    counts, failures = {}, []
    for name in files:
        with open(name) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{os.path.basename(name)}:{n}"
                try:
                    event = json.loads(line)
                except ValueError as e:
                    failures.append(f"{where}: not JSON ({e})")
                    continue
                problems = [f"envelope {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in envelope.iter_errors(event)]
                data_validator = validators.get(event.get("dataschema"))
                if data_validator is None:
                    problems.append(f"no schema {event.get('dataschema')!r}")
                else:
                    problems += [f"data/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in data_validator.iter_errors(event.get("data"))]
                counts[event.get("type")] = counts.get(event.get("type"), 0) + 1
                failures += [f"{where} {event.get('type')}: {p}" for p in problems[:3]]
    if require_all:
        types = {v.schema["$id"].split(":")[3] for v in validators.values()} - {"envelope", "config", "webhooks"}
        failures += [f"no event of type {t} was produced" for t in sorted(types - set(counts))]
    print(json.dumps({"events": sum(counts.values()), "types": counts, "failures": failures[:50]}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
