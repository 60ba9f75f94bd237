#!/usr/bin/env python3
"""Generate aws-model/data/input-shapes.jsonl: the input shape of every
operation of every awsJson service, from botocore's service models.

`vigil validate` checks each `aws` call's `params` against these: unknown
members, missing required members, JSON types, enum values, unions. Only
what those checks need is kept (no documentation, lengths or patterns,
which the services check themselves), so the file stays a few MB.

One line per service, sorted by name, so the crate parses only the
services a suite calls and a regeneration diffs per service:

    {"service": "dynamodb", "operations": {"GetItem": "GetItemInput", ...},
     "shapes": {"GetItemInput": {"type": "structure", "members": {...},
                "required": [...]}, ...}}

A member names its shape; a shape that is a bare scalar (no enum) is
written inline as `=string`, `=integer`, `=long`, `=double`, `=float`,
`=boolean`, `=timestamp` or `=blob` instead of by name. An operation
without input maps to null.

Usage (with the vigil venv, which has botocore):

    python3 scripts/gen-input-shapes.py [--check] [OUTPUT]
"""

import gzip
import json
import os
import sys

import botocore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO, "aws-model", "data", "input-shapes.jsonl")
# Unions that AWS's Smithy models declare and botocore's JSON does not flag
# (AWS's Smithy-based SDK for Python documents DynamoDB's AttributeValue as a
# "Union Type": exactly one of S, N, B, SS, NS, BS, M, L, NULL, BOOL).
SMITHY_UNIONS = {("dynamodb", "AttributeValue")}
SCALARS = {"string", "integer", "long", "double", "float", "boolean", "timestamp", "blob"}


def load(path):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return json.load(f)
    with gzip.open(path + ".gz", "rb") as f:
        return json.load(f)


def newest_model(service_dir):
    versions = sorted(
        d
        for d in os.listdir(service_dir)
        if os.path.exists(os.path.join(service_dir, d, "service-2.json"))
        or os.path.exists(os.path.join(service_dir, d, "service-2.json.gz"))
    )
    return os.path.join(service_dir, versions[-1], "service-2.json") if versions else None


def speaks_json(meta):
    # The same rule as gen-aws-services.py and gen-iam-actions.py.
    protocols = meta.get("protocols")
    if protocols:
        return "json" in protocols
    return meta.get("protocol") == "json"


def service_line(name, model):
    shapes = model["shapes"]
    kept = {}

    def ref(shape_name):
        shape = shapes[shape_name]
        if shape["type"] in SCALARS and "enum" not in shape:
            return "=" + shape["type"]
        visit(shape_name)
        return shape_name

    def visit(shape_name):
        if shape_name in kept:
            return
        shape = shapes[shape_name]
        kind = shape["type"]
        out = {"type": kind}
        kept[shape_name] = out
        if kind == "structure":
            if shape.get("document"):
                out["type"] = "document"
                return
            out["members"] = {m: ref(v["shape"]) for m, v in sorted(shape.get("members", {}).items())}
            if shape.get("required"):
                out["required"] = sorted(shape["required"])
            if shape.get("union") or (name, shape_name) in SMITHY_UNIONS:
                out["union"] = True
        elif kind == "list":
            out["member"] = ref(shape["member"]["shape"])
        elif kind == "map":
            out["key"] = ref(shape["key"]["shape"])
            out["value"] = ref(shape["value"]["shape"])
        elif "enum" in shape:
            out["enum"] = shape["enum"]

    operations = {}
    for op_name, op in sorted(model["operations"].items()):
        operations[op_name] = ref(op["input"]["shape"]) if "input" in op else None
    line = {"service": name, "operations": operations, "shapes": dict(sorted(kept.items()))}
    return json.dumps(line, separators=(",", ":"), sort_keys=False)


def render():
    data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    lines = []
    for name in sorted(os.listdir(data_dir)):
        service_dir = os.path.join(data_dir, name)
        if not os.path.isdir(service_dir):
            continue
        path = newest_model(service_dir)
        if path is None:
            continue
        model = load(path)
        if not speaks_json(model["metadata"]):
            continue
        lines.append(service_line(name, model))
    header = {"generated_by": "scripts/gen-input-shapes.py", "botocore": botocore.__version__}
    return json.dumps(header, separators=(",", ":")) + "\n" + "\n".join(lines) + "\n"


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    output = args[0] if args else DEFAULT_OUTPUT
    text = render()
    if check:
        current = open(output).read() if os.path.exists(output) else ""
        if current != text:
            sys.exit(f"{output} is stale: run scripts/gen-input-shapes.py")
        return
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
