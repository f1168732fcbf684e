#!/usr/bin/env python3
"""The package lists of packaging/Dockerfile follow the build, so they cannot rot unseen.

- RUNTIME_LIBRARIES is exactly the Debian packages owning the shared libraries the built hubd
  names in its ELF header (readelf's NEEDED entries, located by ldd, owned per dpkg -S): a
  library hubd starts to link fails here until the image installs it, and a package hubd no
  longer links fails until the image drops it. (Libraries those libraries need come with them:
  apt installs a package's dependencies.)
- BUILD_PACKAGES is part of tools/dev's package list, which CI installs and builds with, and
  holds every -dev package of it, so the image builds with what CI built with.

    check_docker_packages.py DOCKERFILE TOOLS_DEV HUBD
"""
import os
import re
import subprocess
import sys


def arg_list(dockerfile, name):
    """The words of `ARG name="..."` (continued over lines with backslashes)."""
    m = re.search(r'^ARG %s="((?:[^"\\]|\\\n)*)"' % name, dockerfile, re.M)
    if not m:
        raise SystemExit(f"Dockerfile: no ARG {name}=\"...\"")
    return m.group(1).replace("\\\n", " ").split()


def dev_packages(tools_dev):
    """The words of tools/dev's `packages=( ... )`."""
    m = re.search(r"^packages=\((.*?)^\)", tools_dev, re.M | re.S)
    if not m:
        raise SystemExit("tools/dev: no packages=( ... ) list")
    lines = [line.split("#", 1)[0] for line in m.group(1).splitlines()]
    return " ".join(lines).split()


def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def needed(binary):
    """The sonames of the binary's NEEDED entries."""
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-d", binary))


def located(binary):
    """{soname: path} as the dynamic loader finds them (ldd); the loader itself is listed by its
    path alone."""
    out = {}
    text = run("ldd", binary)
    for m in re.finditer(r"^\s*(\S+) => (/\S+)", text, re.M):
        out[m.group(1)] = m.group(2)
    for m in re.finditer(r"^\s*(/\S+) \(0x", text, re.M):
        out.setdefault(os.path.basename(m.group(1)), m.group(1))
    return out


def owner(path):
    """The package owning a library path; tries the /usr-merged twin and the resolved file, as
    dpkg knows each file by the one path its package shipped."""
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in (path, real):
        if p.startswith("/usr/"):
            candidates.append(p[len("/usr"):])
        else:
            candidates.append("/usr" + p)
    for c in candidates:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if not line.startswith("diversion ") and ": " in line:
                return line.split(": ", 1)[0].split(":", 1)[0].split(",", 1)[0].strip()
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dockerfile_path, tools_dev_path, hubd = argv
    with open(dockerfile_path) as f:
        dockerfile = f.read()
    with open(tools_dev_path) as f:
        tools_dev = f.read()
    problems = []

    where = located(hubd)
    linked = {}
    for soname in needed(hubd):
        path = where.get(soname)
        pkg = owner(path) if path else None
        if not pkg:
            problems.append(f"hubd links {soname} ({path or 'not found by ldd'}), which no Debian package owns")
            continue
        linked.setdefault(pkg, []).append(soname)
    listed = arg_list(dockerfile, "RUNTIME_LIBRARIES")
    for pkg in sorted(set(linked) - set(listed)):
        problems.append(f"hubd links {', '.join(linked[pkg])} from {pkg}: add {pkg} to RUNTIME_LIBRARIES")
    for pkg in sorted(set(listed) - set(linked)):
        problems.append(f"RUNTIME_LIBRARIES has {pkg}, but hubd links no library of it: drop it "
                        "(or, if hubd uses it otherwise, move it to RUNTIME_TOOLS with the reason)")

    build = arg_list(dockerfile, "BUILD_PACKAGES")
    dev = dev_packages(tools_dev)
    for pkg in sorted(set(build) - set(dev)):
        problems.append(f"BUILD_PACKAGES has {pkg}, which tools/dev does not install: CI never builds with it")
    # The libFuzzer and sanitizer runtimes build the fuzz and sanitized test builds only; CMake
    # never asks for them in the Release build the image makes.
    test_only = {"libclang-rt-14-dev"}
    for pkg in sorted(p for p in set(dev) - set(build) - test_only if p.endswith("-dev")):
        problems.append(f"tools/dev installs {pkg} but BUILD_PACKAGES lacks it")

    for p in problems:
        print(f"{dockerfile_path}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"Dockerfile: the runtime list is the {len(linked)} packages of hubd's {sum(map(len, linked.values()))} "
          f"libraries; the build list is within tools/dev's")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
