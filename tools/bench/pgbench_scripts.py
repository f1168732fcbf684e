#!/usr/bin/python3
"""Writes pgbench scripts that run exactly the SQL hubd runs for one GetTicket, one
CreateTicket and one PostEntry, statement for statement: the statements are read out of the C
sources (every `hub_pg_stmt` declaration under server/), so the scripts cannot drift from the
server.

usage: pgbench_scripts.py SOURCE_DIR OUT_DIR
Writes OUT_DIR/get_ticket.sql, create_ticket.sql and post_entry.sql for `pgbench -M prepared`,
with variables :tenant, :user and :count (the number of tickets) given by -D.
"""
import pathlib
import re
import sys

src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

STRING = r'"(?:[^"\\]|\\.)*"'
# SQL fragments: upper-case macros made of string literals only (TICKET_COLUMNS), in a header
# or beside the statements that use them.
MACRO = r'[A-Z][A-Z0-9_]+'
macros = {}
for path in sorted((src / "server").rglob("*.[ch]")):
    text = path.read_text()
    for m in re.finditer(r'#define (' + MACRO + r')\s+((?:\s*\\\n|\s*' + STRING + r')+)', text):
        macros[m.group(1)] = "".join(re.findall(STRING, m.group(2)))

def literal(parts):
    return "".join(bytes(p[1:-1], "utf-8").decode("unicode_escape") for p in parts)

stmts = {}
decl = re.compile(r'(?:static )?const hub_pg_stmt \w+ = \{\s*("\w+"),\s*((?:' + STRING + r'|\s|' + MACRO + r')+?),\s*(\d+)\s*\}', re.S)
for c in (src / "server").rglob("*.c"):
    for m in decl.finditer(c.read_text()):
        body = re.sub(MACRO, lambda x: macros.get(x.group(0), x.group(0)), m.group(2))
        stmts[m.group(1).strip('"')] = literal(re.findall(STRING, body))


def run(name, *args, gset=None):
    """One statement with $n replaced by the given pgbench variables or SQL literals."""
    sql = stmts[name]
    for i in range(len(args), 0, -1):
        sql = sql.replace(f"${i}", args[i - 1])
    sql = " ".join(sql.split())
    return sql + (f"\n\\gset {gset}" if gset else ";")


settings = run("hub_tx_settings", "'5000'", ":tenant", "''")
get = [r"\set n random(1, :count)", "BEGIN;", settings,
       run("ticket_load_by_number", ":n"), "COMMIT;"]
# CreateTicket as hubd pipelines it for a ticket without team or request id: the policies and
# the number, then the insert (its id minted by hubd; here by the one extra SELECT), the event
# and the outbox row.
create = ["BEGIN;", settings,
          run("ticket_sla_policies"),
          run("ticket_next_number", gset="c_"),
          "SELECT gen_random_uuid() AS id\n\\gset c_",
          run("ticket_insert", ":c_id", ":c__number", "'smb_hub'", "'Bench ticket'", "''", ":user", "''",
              "'normal'", "'{}'", "'{}'", "'api'", "NULL", "NULL", "NULL", ":user", "NULL"),
          run("ticket_event", ":c_id", ":user", "'created'", "NULL", "NULL", ":c__number"),
          run("hub_outbox_tenant", "'ticket.created'", ":c_id", "NULL"), "COMMIT;"]
# PostEntry as hubd pipelines it: the posting of one two-line entry whose id the server fixed
# beforehand (here a random one per transaction), then the read of the entry and its lines, in
# one pipeline like hubd's.
entry_id = "('0190e000-0000-7000-8000-' || lpad(to_hex(:a::bigint), 12, '0'))"
# (Built with jsonb_build_object: pgbench would read the colons of a JSON literal as variables.)
line = ("jsonb_build_object('account_id', NULL, 'account_code', '{code}', 'side', '{side}', 'amount', 1250, "
        "'currency', 'USD', 'base_amount', NULL, 'description', '', 'brand', '', 'department', '', 'project', '')")
entry_json = ("jsonb_build_array(jsonb_build_object('i', 0, 'id', " + entry_id + ", 'date', '2026-11-16', "
              "'description', 'Bench entry', 'reference', '', 'pending', false, 'adjusting', false, 'lines', "
              "jsonb_build_array(" + line.format(code="1020", side="debit") + ", " +
              line.format(code="4010", side="credit") + ")))")
post = [r"\set a random(1, 281474976710655)", r"\startpipeline", "BEGIN;", settings,
        run("accounting_post", entry_json, "'false'"),
        run("accounting_get_entry", f"{entry_id}::uuid"),
        run("accounting_get_lines", f"{entry_id}::uuid"), "COMMIT;", r"\endpipeline"]
out.mkdir(parents=True, exist_ok=True)
(out / "post_entry.sql").write_text("\n".join(post) + "\n")
(out / "get_ticket.sql").write_text("\n".join(get) + "\n")
(out / "create_ticket.sql").write_text("\n".join(create) + "\n")
print(f"{len(stmts)} statements read; wrote {out}/get_ticket.sql, create_ticket.sql and post_entry.sql")
