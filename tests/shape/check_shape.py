#!/usr/bin/env python3
"""The service shape's boundaries, checked on the source tree (and on the built libraries).

1. Outside server/services/<d>/, nothing includes a header of <d> but services/<d>/api.h.
   tests/unit/ and tests/fuzz/ are the exceptions: a unit test or a fuzz target tests a
   service's pure modules through their internal header.
2. Inside server/services/<d>/, a header of another service <e> is only services/<e>/api.h,
   and only when <d>'s hub_service() line declares <e> under SERVICES.
3. A service library is linked only through that line: no CMakeLists.txt names a hub_svc_
   target, and no service folder calls target_link_libraries itself. The one exception is a
   service's own test folder, tests/integration/<d>/, which may link hub_svc_<d> (and no
   other) to call its api.h as another service would.
4. With the built archives (d=path arguments): a service library uses symbols of another
   service library only when it declares that service.

Usage: check_shape.py SOURCE_DIR [domain=libhub_svc_domain.a ...]
"""
import os
import re
import subprocess
import sys

src = os.path.abspath(sys.argv[1])
archives = dict(a.split("=", 1) for a in sys.argv[2:])
services_dir = os.path.join(src, "server", "services")
problems = []

# hub_service(<d> SERVICES a b LIBS ...) in server/services/<d>/CMakeLists.txt
declared = {}
for d in sorted(os.listdir(services_dir)):
    cml = os.path.join(services_dir, d, "CMakeLists.txt")
    if not os.path.isfile(cml):
        continue
    text = re.sub(r"#[^\n]*", "", open(cml).read())
    calls = re.findall(r"hub_service\(\s*(\w+)([^)]*)\)", text)
    if len(calls) != 1 or calls[0][0] != d:
        problems.append(f"server/services/{d}/CMakeLists.txt: needs exactly one hub_service({d} ...) line")
        declared[d] = set()
        continue
    words = calls[0][1].split()
    uses, on = set(), False
    for w in words:
        if w in ("SERVICES", "LIBS"):
            on = w == "SERVICES"
        elif on:
            uses.add(w)
    declared[d] = uses
    if "target_link_libraries" in text:
        problems.append(f"server/services/{d}/CMakeLists.txt: links go on the hub_service() line, not "
                        "target_link_libraries")
    for u in sorted(uses - set(os.listdir(services_dir))):
        problems.append(f"server/services/{d}/CMakeLists.txt: SERVICES names {u}, which is not a service")

include_re = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
roots = ["server", "tests", "tools", "client", "common", "proto"]
for root in roots:
    for dirpath, dirnames, filenames in os.walk(os.path.join(src, root)):
        dirnames[:] = [n for n in dirnames if n not in ("node_modules",) and not n.startswith(".")]
        for name in filenames:
            if not name.endswith((".c", ".h", ".cc", ".cpp")):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, src)
            parts = rel.split(os.sep)
            own = parts[2] if len(parts) > 3 and parts[:2] == ["server", "services"] else None
            for inc in include_re.findall(open(path, errors="replace").read()):
                if own and inc.startswith("../"):
                    problems.append(f"{rel}: includes {inc}: name headers from server/ (services/<d>/...)")
                    continue
                m = re.match(r"services/([^/]+)/(.+)$", inc)
                if not m:
                    continue
                d, header = m.groups()
                if d == own:
                    continue
                pure_tests = rel.startswith(("tests" + os.sep + "unit" + os.sep, "tests" + os.sep + "fuzz" + os.sep))
                if header != "api.h" and not (own is None and pure_tests):
                    problems.append(f"{rel}: includes {inc}: outside {d}/ only services/{d}/api.h may be included")
                elif own and d not in declared.get(own, set()):
                    problems.append(f"{rel}: includes {inc} but server/services/{own}/CMakeLists.txt does not "
                                    f"declare SERVICES {d}")

for dirpath, dirnames, filenames in os.walk(src):
    dirnames[:] = [n for n in dirnames if not n.startswith((".", "build")) and n != "node_modules"]
    if "CMakeLists.txt" not in filenames:
        continue
    rel = os.path.relpath(os.path.join(dirpath, "CMakeLists.txt"), src)
    if rel == os.path.join("server", "services", "CMakeLists.txt") or rel.startswith(os.path.join("tests", "shape")):
        continue
    named = set(re.findall(r"hub_svc_(\w+)", re.sub(r"#[^\n]*", "", open(os.path.join(dirpath, "CMakeLists.txt")).read())))
    parts = rel.split(os.sep)
    if len(parts) == 4 and parts[:2] == ["tests", "integration"] and named <= {parts[2]}:
        continue  # a service's own integration tests, calling its api.h
    if named:
        problems.append(f"{rel}: names a hub_svc_ library; a service is linked through SERVICES on its "
                        "hub_service() line (hubd links them all from the HUB_SERVICE_LIBRARIES property)")


def symbols(archive, kinds):
    out = subprocess.run([os.environ.get("HUB_NM") or "nm", "-g", "--defined-only" if kinds == "defined" else "--undefined-only", archive],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line and not line.endswith(":") and line.split()}


if archives:
    defined = {d: symbols(p, "defined") for d, p in archives.items()}
    for d, p in sorted(archives.items()):
        for sym in sorted(symbols(p, "undefined")):
            for e, syms in defined.items():
                if e != d and sym in syms and e not in declared.get(d, set()):
                    problems.append(f"hub_svc_{d} uses {sym} of hub_svc_{e} without declaring SERVICES {e}")

for p in problems:
    print("shape:", p)
print(f"shape: {len(declared)} services, {len(problems)} problems")
sys.exit(1 if problems else 0)
