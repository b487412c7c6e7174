#!/usr/bin/python3
"""Checks every line of the given sidecars against docs/sidecar.schema.json
(the published schema), so that the tests keep the schema and Veil's
reader in agreement. Exits 1 naming the file, line and problem of the first
line that breaks it.

Usage: check_schema.py SIDECAR.jsonl ...
"""
import json, os, sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "docs", "sidecar.schema.json")) as f:
    schema = json.load(f)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
lines = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for n, text in enumerate(f, 1):
            if not text.strip():
                continue
            errors = sorted(validator.iter_errors(json.loads(text)), key=lambda e: e.path)
            if errors:
                sys.exit(f"{path}:{n}: {errors[0].message}")
            lines += 1
print(f"{lines} lines match docs/sidecar.schema.json")
