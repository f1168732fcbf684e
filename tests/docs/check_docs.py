#!/usr/bin/env python3
"""Each service's doc page carries its RPC table as generated from the contract.

protoc-gen-hub writes <gen>/hub/<domain>/v1/<file>.rpcs.md for every hub service (the RPC, who
may call it, its kind, the first sentence of its comment in the .proto). docs/<domain>.md holds
a copy between the lines BEGIN and END below. This check fails when a copy differs from what
the contract says now (or a service has no page or no table); with --write (what `tools/dev
docs` runs) it rewrites the copies instead.

    check_docs.py GEN_DIR DOCS_DIR [--write]
"""
import pathlib
import sys

BEGIN = "<!-- rpc table: begin -->"
END = "<!-- rpc table: end -->"


def tables(gen):
    """{domain: generated table text} from every hub/<domain>/v1/*.rpcs.md, in file order."""
    out = {}
    for f in sorted(pathlib.Path(gen, "hub").glob("*/v1/*.rpcs.md")):
        domain = f.parent.parent.name
        out[domain] = out.get(domain, "") + f.read_text()
    return out


def main(argv):
    write = "--write" in argv
    args = [a for a in argv if a != "--write"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    gen, docs = args
    found = tables(gen)
    if not found:
        print(f"no generated RPC tables under {gen}/hub (is the build done?)", file=sys.stderr)
        return 2
    problems = []
    for domain, table in found.items():
        page = pathlib.Path(docs, f"{domain}.md")
        if not page.exists():
            problems.append(f"{page}: missing; every service has a doc page with its RPC table")
            continue
        text = page.read_text()
        start, end = text.find(BEGIN), text.find(END)
        if start < 0 or end < start:
            problems.append(f"{page}: no RPC table; put the lines '{BEGIN}' and '{END}' "
                            "under its RPCs heading and run `tools/dev docs`")
            continue
        head = text[: start + len(BEGIN)] + "\n"
        current = text[len(head):end]
        if current == table:
            continue
        if write:
            page.write_text(head + table + text[end:])
            print(f"rewrote the RPC table of {page}")
        else:
            problems.append(f"{page}: its RPC table differs from the contract (proto/hub/{domain}/); "
                            "run `tools/dev docs` and commit the page")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
