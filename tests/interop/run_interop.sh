#!/usr/bin/env bash
# Runs every interop case of hub-interop-client against a fresh hub-interop-server, then
# stops the server with SIGTERM and requires a clean exit from both.
# With --tls both sides speak TLS, with a self-signed certificate made here for localhost.
# usage: run_interop.sh SERVER_BIN CLIENT_BIN [--tls] [--test_case NAME]
set -euo pipefail

server_bin=${1:?usage: run_interop.sh SERVER_BIN CLIENT_BIN [--test_case NAME]}
client_bin=${2:?usage: run_interop.sh SERVER_BIN CLIENT_BIN [--test_case NAME]}
shift 2
test_case=all
tls=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --tls) tls=1; shift ;;
    --test_case) test_case=${2:?--test_case needs a value}; shift 2 ;;
    *) echo "interop: unknown argument $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill -KILL "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

server_tls=() client_tls=()
if [[ $tls == 1 ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  server_tls=(--use_tls=true --tls_cert_file "$work/cert.pem" --tls_key_file "$work/key.pem")
  client_tls=(--use_tls=true --ca_file "$work/cert.pem" --server_host_override localhost)
fi

mkfifo "$work/out"
"$server_bin" --port 0 "${server_tls[@]}" >"$work/out" 2>"$work/server.log" &
server_pid=$!
exec 3<"$work/out"

# The first stdout line is {"port":N}; give the server 10 s to bind.
if ! IFS= read -r -t 10 first <&3; then
  echo "interop: the server printed no port" >&2
  cat "$work/server.log" >&2
  exit 1
fi
port=$(sed -n 's/^{"port":\([0-9][0-9]*\)}$/\1/p' <<<"$first")
if [[ -z $port ]]; then
  echo "interop: unexpected first line from the server: $first" >&2
  exit 1
fi

client_rc=0
"$client_bin" --server_host 127.0.0.1 --server_port "$port" --test_case "$test_case" "${client_tls[@]}" || client_rc=$?

kill -TERM "$server_pid"
server_rc=0
# Graceful shutdown has a 5 s grace period; allow for it before calling the server hung.
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "interop: the server did not exit within 15 s of SIGTERM" >&2
  server_rc=1
else
  wait "$server_pid" || server_rc=$?
fi
server_pid=

if [[ $client_rc -ne 0 || $server_rc -ne 0 ]]; then
  echo "interop: client exit $client_rc, server exit $server_rc; server log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit 1
fi
echo "interop: all cases passed; server shut down cleanly"
