#!/usr/bin/env python3
"""buf breaking, as proto/buf.yaml configures it, refuses what would break a client: a copy of
proto/ with one field deleted, and one with an RPC renamed, must each fail against proto/ as it
is, and an unchanged copy must pass. So the check `tools/dev lint` runs on every change cannot be
weakened (its rules emptied, the file ignored) without this failing. Skipped (77) without the
buf CLI (tools/dev installs it into tools/node_modules).

    check_buf_breaking.py SOURCE_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

TARGET = "hub/system/v1/system.proto"  # small and stable; any file of the contract would do


def delete_field(text):
    """The text less its first field declaration."""
    new, n = re.subn(r"^\s+[\w.]+ \w+ = \d+;\n", "", text, count=1, flags=re.M)
    assert n == 1, f"no field in {TARGET}"
    return new


def rename_rpc(text):
    """The text with its first RPC renamed."""
    new, n = re.subn(r"^(\s+rpc )(\w+)\(", r"\1\2Renamed(", text, count=1, flags=re.M)
    assert n == 1, f"no rpc in {TARGET}"
    return new


def breaking(buf, proto, against):
    r = subprocess.run([buf, "breaking", proto, "--against", against], capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    src = argv[0]
    buf = os.path.join(src, "tools", "node_modules", ".bin", "buf")
    if not os.access(buf, os.X_OK):
        print(f"no buf CLI at {buf} (tools/dev lint installs it): skipped")
        return 77
    proto = os.path.join(src, "proto")
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [("unchanged", lambda t: t, False), ("a field deleted", delete_field, True),
                 ("an RPC renamed", rename_rpc, True)]
        for name, change, must_break in cases:
            copy = os.path.join(tmp, name.replace(" ", "_"))
            shutil.copytree(proto, copy, ignore=shutil.ignore_patterns("*.c", "*.h", "CMakeLists.txt", "codec"))
            path = os.path.join(copy, TARGET)
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(change(text))
            rc, out = breaking(buf, copy, proto)
            if must_break and rc == 0:
                failures.append(f"{name}: buf breaking passed; it must refuse this change")
            elif not must_break and rc != 0:
                failures.append(f"{name}: buf breaking failed on an unchanged copy:\n{out}")
            else:
                print(f"{name}: {'refused' if must_break else 'passed'}" + (f" ({out.splitlines()[0]})" if out else ""))
    for f in failures:
        print(f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
