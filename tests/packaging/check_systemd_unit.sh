#!/usr/bin/env bash
# packaging/hubd.service as systemd reads it: `systemd-analyze verify` must accept it without a
# word (an unknown or misspelt option is only a warning there, so any output fails), and
# `systemd-analyze security` must rate it no more exposed than the hardening it has now (1.4 of
# 10): dropping an option fails here. The unit runs /usr/local/bin/hubd; the check points it at
# the built one, since verify refuses a command that does not exist.
# Skipped (exit 77) where systemd-analyze is missing.
# usage: check_systemd_unit.sh UNIT HUBD
set -euo pipefail
unit=${1:?unit file}
hubd=${2:?hubd binary}
max_exposure=14 # tenths, as --threshold takes it

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found: skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/local/bin/hubd#$hubd#g" "$unit" >"$dir/hubd.service"
grep -q "^ExecStart=$hubd\$" "$dir/hubd.service" || { echo "hubd.service: no ExecStart=/usr/local/bin/hubd"; exit 1; }

out=$(cd "$dir" && systemd-analyze verify --man=no ./hubd.service 2>&1) || { echo "systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [[ -n $out ]]; then
  echo "systemd-analyze verify warns:"
  echo "$out"
  exit 1
fi
if ! out=$(cd "$dir" && systemd-analyze security --offline=yes --threshold=$max_exposure ./hubd.service 2>&1); then
  echo "hubd.service is more exposed than $max_exposure/100 (a hardening option went missing?):"
  grep -E '✗|Overall' <<<"$out" || echo "$out"
  exit 1
fi
echo "hubd.service: verified; $(grep -o 'Overall exposure level.*' <<<"$out")"
