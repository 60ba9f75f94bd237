#!/usr/bin/env python3
"""Deploy-artifact size: zip a directory (or one file) the way a Lambda code
asset is uploaded (deflate, paths relative to the directory) into a temp file
and print its size. Same tool for both sides, so the numbers compare.

    python3 bench/zip_size.py DIR_OR_FILE [LABEL]   -> one JSON line
    e.g. the anchor's handler asset:
    python3 bench/zip_size.py ~/.cache/vigil/bench-anchor/node_modules/@aws-cdk/integ-tests-alpha/lib/assertions/providers/lambda-handler.bundle anchor
"""
import json
import os
import sys
import tempfile
import zipfile


def files(path):
    if os.path.isfile(path):
        yield path, os.path.basename(path)
        return
    for root, _, names in os.walk(path):
        for n in sorted(names):
            p = os.path.join(root, n)
            yield p, os.path.relpath(p, path)


def main():
    path = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else path
    with tempfile.TemporaryDirectory() as d:
        z = os.path.join(d, "artifact.zip")
        raw = 0
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            for p, arc in files(path):
                raw += os.path.getsize(p)
                zf.write(p, arc)
        print(json.dumps({"label": label, "unzipped_bytes": raw, "zip_bytes": os.path.getsize(z)}))


if __name__ == "__main__":
    main()
