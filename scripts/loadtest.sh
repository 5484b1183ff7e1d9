#!/usr/bin/env bash
# Load test: starts the release server on a temporary SQLite store (WAL, synchronous=FULL)
# and drives, in the same run, an empty route (/healthz) and the answer route
# (POST /v1/messages, a new conversation per request) with wrk. Prints throughput and
# p50/p99 latency for both.
#
#   scripts/loadtest.sh [duration-seconds] [connections]
#
# LOAD_STORE_URL=postgres://… runs it on PostgreSQL instead (give it an empty schema: every
# request adds a conversation).
# Needs wrk (Debian: apt-get install wrk). Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-64}"
port="${LOAD_PORT:-18080}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet
store="$(mktemp -d)"
export LOAD_KEY="load-test-key-1"
FIRSTLINE_LISTEN="127.0.0.1:${port}" \
FIRSTLINE_STORE_URL="${LOAD_STORE_URL:-sqlite://${store}/firstline.db}" \
FIRSTLINE_API_KEYS="web:${LOAD_KEY}" \
FIRSTLINE_LOG=warn \
  ./target/release/firstline serve > "${store}/server.log" 2>&1 &
server=$!
trap 'kill ${server} 2>/dev/null; wait ${server} 2>/dev/null; rm -rf "${store}"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

run() {
  local name="$1"; shift
  local output
  output="$(wrk -t1 -c"${connections}" -d"${duration}s" --latency "$@")"
  local rps p50 p99 errors
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"${output}")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"${output}")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"${output}")"
  errors="$(awk '/non-2xx or socket errors/ {print $NF} /Non-2xx or 3xx responses/ {print $NF}' <<<"${output}" | head -1)"
  printf "%-28s %12s %10s %10s %8s\n" "${name}" "${rps}" "${p50}" "${p99}" "${errors:-0}"
}

echo "wrk, 1 thread, ${connections} connections, ${duration}s each, release build, $(nproc) cores"
printf "%-28s %12s %10s %10s %8s\n" "route" "requests/s" "p50" "p99" "errors"
run "GET /healthz (empty)" "http://127.0.0.1:${port}/healthz"
run "POST /v1/messages" -s scripts/messages.lua "http://127.0.0.1:${port}/v1/messages"
count="$(curl -fs "http://127.0.0.1:${port}/metrics" | awk '/^firstline_http_requests_total\{route="\/v1\/messages",method="POST",status="200"\}/ {print $2}')"
echo "answered and stored: ${count:-0} messages"
