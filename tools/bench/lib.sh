# Shared by tools/bench/run and tools/bench/identity: sourced, not run. Sets the build dir,
# pinning, the load generator, and the measure/start/stop/report helpers; each point reports
# hub-loadgen's RPS and latency and the server's CPU time per completed call, read from
# /proc/<pid>/stat (user + system, all threads) over the measured window only.
build=$(cd "${1:-$(dirname "$0")/../../build}" && pwd)
secs=${BENCH_SECONDS:-10}
repeat=${BENCH_REPEAT:-3}
pin_server=() pin_load=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then pin_server=(taskset -c 0); pin_load=(taskset -c 1); fi
warm=${BENCH_WARMUP:-2}
levels=${BENCH_CONCURRENCY:-1 16 64}
loadgen=$build/tools/loadgen/hub-loadgen
tick=$(getconf CLK_TCK)
port=$((40000 + RANDOM % 10000))
server_pid=
trap '[[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
rows=() raw=() failed=0
declare -A bare_cpu

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

# one_run METHOD DATA C: prints "cpu_us_per_call json" for one loadgen run (each call's deadline
# the load generator's default, or $bench_timeout_ms).
one_run() {
  local out=$(mktemp)
  "${pin_load[@]}" "$loadgen" --target "127.0.0.1:$port" --method "$1" --data "$2" --connections 1 \
    --concurrency "$3" --duration "$secs" --warmup "$warm" ${bench_token:+--token "$bench_token"} \
    ${bench_timeout_ms:+--timeout-ms "$bench_timeout_ms"} >"$out" &
  local lg=$!
  sleep "$warm"
  local t0=$(cpu_ticks "$server_pid")
  sleep "$secs"
  local t1=$(cpu_ticks "$server_pid")
  wait "$lg" || failed=1
  local json=$(cat "$out")
  rm -f "$out"
  local calls=$(sed -n 's/.*"calls":\([0-9]*\).*/\1/p' <<<"$json")
  awk -v d=$((t1 - t0)) -v hz="$tick" -v n="${calls:-0}" 'BEGIN{ if (n>0) printf "%.1f ", d/hz*1e6/n; else printf "999999 " }'
  echo "$json"
}

# The server's log lines from line FROM on: the mean db_round_trips (hubd's count of waits for
# PostgreSQL per call) of the successful calls of METHOD, or "—" when none says.
round_trips() {
  awk -v from="$2" -v m="\"method\":\"/$1\"" 'NR > from && index($0, m) && index($0, "\"code\":\"OK\"") {
      if (match($0, /"db_round_trips":[0-9]+/)) { s += substr($0, RSTART + 17, RLENGTH - 17); n++ } }
    END { if (n) printf "%.2f", s / n; else printf "—" }' "$build/bench-server.log"
}

log_lines() { wc -l <"$build/bench-server.log"; }

# measure NAME METHOD DATA: BENCH_REPEAT runs per concurrency; the run with the median CPU
# per call is reported, with the round trips per call counted over all the runs. A token from
# bench_login is renewed when 10 minutes old (access tokens live 15), so a long suite never
# measures UNAUTHENTICATED answers.
measure() {
  local name=$1 method=$2 data=$3
  for c in $levels; do
    local runs=() from=$(log_lines)
    for _ in $(seq "$repeat"); do
      if [[ -n ${bench_login_at:-} ]] && (($(date +%s) - bench_login_at > 600)); then bench_login; fi
      runs+=("$(one_run "$method" "$data" "$c")")
    done
    sleep 0.2 # hubd writes its batched log lines once a worker idles
    local trips=$(round_trips "$method" "$from")
    local median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")
    local cpu=${median%% *} json=${median#* }
    for r in "${runs[@]}"; do
      raw+=("$name c=$c cpu_us_per_call=${r%% *}: ${r#* }")
      # A point whose calls failed measures the failure: say so, and fail the suite.
      if [[ $r == *'"errors":{"'* ]]; then echo "bench: $name c=$c had errors: ${r#*\"errors\":}" >&2; failed=1; fi
    done
    local rps=$(sed -n 's/.*"rps":\([0-9]*\).*/\1/p' <<<"$json")
    local p50=$(sed -n 's/.*"p50_us":\([0-9]*\).*/\1/p' <<<"$json")
    local p99=$(sed -n 's/.*"p99_us":\([0-9]*\).*/\1/p' <<<"$json")
    local ratio=—
    if [[ $name == bare ]]; then bare_cpu[$c]=$cpu; ratio=1.00
    elif [[ ($method == */UnaryCall || $method == */Check) && -n ${bare_cpu[$c]:-} ]]; then
      ratio=$(awk -v a="$cpu" -v b="${bare_cpu[$c]}" 'BEGIN{printf "%.2f", a/b}')
    fi
    rows+=("| $name | ${method#*/} | $c | $rps | $p50 | $p99 | $cpu | $ratio | $trips |")
  done
}

# h2load (nghttp2-client): an outside HTTP/2 load generator that knows nothing of gRPC but the
# framing. h2load_run PATH FILE C prints "cpu_us_per_call rps p50 p99" for one run: 1
# connection, C streams in flight, the gRPC-framed request body in FILE; latency percentiles
# come from its per-request log over the measured window only.
h2load_run() {
  local log=$(mktemp) out=$(mktemp)
  "${pin_load[@]}" h2load -D "$secs" --warm-up-time="$warm" -c 1 -m "$3" -H 'content-type: application/grpc' \
    -H 'te: trailers' -d "$2" --log-file="$log" "http://127.0.0.1:$port$1" >"$out" 2>&1 &
  local lg=$!
  sleep "$warm"
  local t0=$(cpu_ticks "$server_pid")
  sleep "$secs"
  local t1=$(cpu_ticks "$server_pid")
  wait "$lg" || failed=1
  local done=$(sed -n 's/^requests: .* \([0-9]*\) done.*/\1/p' "$out")
  local rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$out")
  local failed_n=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$out")
  [[ ${failed_n:-1} == 0 ]] || failed=1
  # The log has every request, warm-up included: keep those that started in the last $secs s.
  local end=$(sort -n "$log" | tail -1 | cut -f1)
  local pct=$(awk -v e="${end:-0}" -v s="$secs" '$1 >= e - s * 1e6 {print $3}' "$log" | sort -n |
    awk '{v[NR]=$1} END{ if (NR == 0) print "0 0"; else printf "%d %d", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }')
  rm -f "$log" "$out"
  awk -v d=$((t1 - t0)) -v hz="$tick" -v n="${done:-0}" 'BEGIN{ if (n>0) printf "%.1f ", d/hz*1e6/n; else printf "999999 " }'
  printf '%.0f %s\n' "${rps:-0}" "$pct"
}

# measure_h2load NAME PATH FILE: like measure, with h2load as the load generator.
declare -A bare_h2_cpu
measure_h2load() {
  local name=$1 path=$2 file=$3
  command -v h2load >/dev/null || { echo "bench: h2load missing (nghttp2-client); skipped" >&2; failed=1; return; }
  for c in $levels; do
    local runs=()
    for _ in $(seq "$repeat"); do runs+=("$(h2load_run "$path" "$file" "$c")"); done
    local median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")
    read -r cpu rps p50 p99 <<<"$median"
    for r in "${runs[@]}"; do raw+=("$name h2load ${path#/} c=$c: cpu_us_per_call rps p50_us p99_us = $r"); done
    local ratio=—
    if [[ $name == bare ]]; then bare_h2_cpu[$c]=$cpu; ratio=1.00
    elif [[ ($path == */UnaryCall || $path == */Check) && -n ${bare_h2_cpu[$c]:-} ]]; then
      ratio=$(awk -v a="$cpu" -v b="${bare_h2_cpu[$c]}" 'BEGIN{printf "%.2f", a/b}')
    fi
    rows+=("| $name (h2load) | ${path##*/} | $c | $rps | $p50 | $p99 | $cpu | $ratio | — |")
  done
}

start() { # start BINARY ARGS... with $server_pid its own pid
  "${pin_server[@]}" "$@" >/dev/null 2>"$build/bench-server.log" &
  server_pid=$!
  wait_port "$port" || { echo "bench: $1 did not start; see $build/bench-server.log" >&2; exit 1; }
}

stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; port=$((port + 1)); }


# one_run and measure take an optional bearer token in $bench_token.
report() {
  echo "| server | method | concurrency | rps | p50 µs | p99 µs | server CPU µs/call | CPU vs bare | PG round trips/call |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Machine: $(nproc) cores, $(uname -r); ${secs}s per run after ${warm}s warm-up, 1 connection, median of $repeat runs;"
  echo "server pinned with '${pin_server[*]:-none}', load generator with '${pin_load[*]:-none}'."
  echo "Raw loadgen output:"
  printf '  %s\n' "${raw[@]}"
}

# bench_stack LABEL: what a suite needs of its own: a fresh database (dropped at exit), a Redis
# of its own on CPU 1, a signing key, the schema; then admin_db (psql as the superuser on that
# database), call (buf curl against hubd), and $root, $buf, $work, $rport, $redis_pid, $db.
# Extra hubd settings are exported by the caller before `start`.
bench_stack() {
  : "${HUB_TEST_PG_ADMIN_URL:?run through tools/dev bench}" "${HUB_DATABASE_URL:?}" "${HUB_MIGRATE_DATABASE_URL:?}"
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  buf=$root/tools/node_modules/.bin/buf
  db=hub_bench_$1_$$
  work=$(mktemp -d)
  rport=$((port + 500))
  redis_pid=
  trap bench_cleanup EXIT
  psql -X -q -v ON_ERROR_STOP=1 "$HUB_TEST_PG_ADMIN_URL" -c "CREATE DATABASE $db OWNER hub_owner"
  export HUB_DATABASE_URL=${HUB_DATABASE_URL%/*}/$db HUB_MIGRATE_DATABASE_URL=${HUB_MIGRATE_DATABASE_URL%/*}/$db
  "${pin_load[@]}" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
  redis_pid=$!
  wait_port "$rport"
  export HUB_REDIS_URL=redis://127.0.0.1:$rport/0
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/bench-k1.pem" 2>/dev/null
  export HUB_JWT_KEY_FILES=$work/bench-k1.pem
  "$build/server/hubd/hubd" migrate >/dev/null 2>&1
}

bench_cleanup() {
  [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null
  [[ -n ${redis_pid:-} ]] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null || true
  psql -X -q "$HUB_TEST_PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}

admin_db() { psql -X -q -v ON_ERROR_STOP=1 "${HUB_TEST_PG_ADMIN_URL%/*}/$db" "$@"; }
call() { "$buf" curl --protocol grpc --http2-prior-knowledge -d "$2" ${3:+-H "authorization: Bearer $3"} "http://127.0.0.1:$port/$1"; }

# bench_login: signs up bench@bench.test with a tenant "Bench Co" (unless it exists) and logs in:
# $bench_token, $tenant and $user.
bench_login() {
  call hub.auth.v1.Auth/SignUp '{"email":"bench@bench.test","password":"bench-passphrase-2026","tenantName":"Bench Co"}' \
    >/dev/null 2>&1 || true # signed up already (a renewal)
  bench_token=$(call hub.auth.v1.Auth/Login '{"email":"bench@bench.test","password":"bench-passphrase-2026"}' |
    sed -n 's/.*"accessToken": *"\([^"]*\)".*/\1/p')
  [[ -n $bench_token ]] || { echo "bench: login failed" >&2; exit 1; }
  bench_login_at=$(date +%s)
  tenant=$(admin_db -tAc "SELECT id FROM tenants WHERE name = 'Bench Co'")
  user=$(admin_db -tAc "SELECT id FROM users WHERE email_norm = 'bench@bench.test'")
}

# pgbench_point NAME SCRIPT C [-D k=v]...: pgbench -M prepared with C clients for $secs s as the
# server's role (row-level security applies); appends a row to pg_rows.
pgbench_point() {
  local name=$1 script=$2 c=$3
  shift 3
  rm -f "$work"/pgbench_log.*
  (cd "$work" && "${pin_load[@]}" pgbench -n -M prepared -c "$c" -j 1 -T "$secs" "$@" -f "$work/$script.sql" \
    --log --log-prefix=pgbench_log "$HUB_DATABASE_URL" >"$work/pgb.out" 2>&1) ||
    { cat "$work/pgb.out" >&2; failed=1; return; }
  local tps p50 p99
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgb.out" | head -1)
  read -r p50 p99 < <(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n |
    awk '{a[NR]=$1} END {printf "%d %d\n", a[int(NR*0.5)], a[int(NR*0.99)]}')
  pg_rows+=("| pgbench | $name (same SQL) | $c | ${tps%.*} | $p50 | $p99 | — | — | — |")
}
pg_rows=()
