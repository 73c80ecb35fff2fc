#!/usr/bin/env bash
# Server footprint under load: starts `LoadRunner -server` with the given JVM flags pinned on CPU 0, drives it
# with the Go Kitex client (100 callers, 1 KiB, on CPU 1) over Framed and then TTHeader, and prints one line per
# transport: peak RSS (VmHWM), RSS at the end, thread count (/proc/PID/status Threads:), QPS, p99 and the load
# average. With NMT=1 it also prints `jcmd PID VM.native_memory summary` (the JVM is started with
# -XX:NativeMemoryTracking=summary, which itself costs a few MB and some QPS: compare like with like).
#
#   benchmarks/footprint.sh                                         # default flags, default handler pool
#   HANDLERS=direct benchmarks/footprint.sh -Xmx48m -XX:+UseSerialGC
#   benchmarks/footprint.sh @benchmarks/container.jvmopts           # the container profile (java @argfiles)
#
# Env: HANDLERS pool|direct (default pool), CONC (100), PAYLOAD (1024), WARMUP (5s), DURATION (10s),
# TRANSPORTS ("framed ttheader"), JAVA (java), GO_BIN (/tmp/kitex4j-bin, with cmd/client), NMT=1, PORT (9350).
# Needs benchmarks/target/benchmarks.jar (mvn -B -o -q -pl benchmarks -am package -DskipTests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="${JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
GO_BIN="${GO_BIN:-/tmp/kitex4j-bin}"
JAVA="${JAVA:-java}"
HANDLERS="${HANDLERS:-pool}"
CONC="${CONC:-100}"
PAYLOAD="${PAYLOAD:-1024}"
WARMUP="${WARMUP:-5s}"
DURATION="${DURATION:-10s}"
TRANSPORTS="${TRANSPORTS:-framed ttheader}"
PORT="${PORT:-9350}"
FLAGS=("$@")
if [ "${NMT:-0}" = 1 ]; then FLAGS+=(-XX:NativeMemoryTracking=summary); fi
SP=""
trap '[ -z "$SP" ] || kill "$SP" 2>/dev/null || true' EXIT
for tp in $TRANSPORTS; do
  PORT=$((PORT + 1))
  LOG="$(mktemp /tmp/kitex4j-footprint.XXXXXX)"
  taskset -c 0 "$JAVA" "${FLAGS[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "127.0.0.1:$PORT" \
      -handlers "$HANDLERS" >"$LOG" 2>&1 &
  SP=$!
  for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  startRss="$(awk '/^VmRSS/ {print $2}' "/proc/$SP/status")"
  out="$(taskset -c 1 "$GO_BIN/client" -scenario bench -addr "127.0.0.1:$PORT" -transport "$tp" -concurrency "$CONC" \
      -payload "$PAYLOAD" -duration "$DURATION" -warmup "$WARMUP" 2>/dev/null | grep '"event":"bench"' | tail -1 || true)"
  hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$SP/status")"
  rss="$(awk '/^VmRSS/ {print $2}' "/proc/$SP/status")"
  threads="$(awk '/^Threads/ {print $2}' "/proc/$SP/status")"
  if [ "${NMT:-0}" = 1 ]; then
    jcmd "$SP" VM.native_memory summary | grep -E '^ *(Total|-)|committed=' | grep -E 'Total|^-' |
      sed -E 's/^ *//; s/\(reserved=[0-9]+KB, //; s/\)$//' | head -30 >"$LOG.nmt" || true
  fi
  kill "$SP" 2>/dev/null || true; wait "$SP" 2>/dev/null || true; SP=""
  qps="$(grep -o '"qps":[0-9.]*' <<<"$out" | cut -d: -f2)"; p99="$(grep -o '"p99Us":[0-9]*' <<<"$out" | cut -d: -f2)"
  errs="$(grep -o '"errors":[0-9]*' <<<"$out" | cut -d: -f2)"
  printf '%s handlers=%s %-8s VmHWM %6.1f MiB  VmRSS start %5.1f end %6.1f MiB  threads %3s  QPS %7.0f  p99 %6s us  errors %s  load %s  flags: %s\n' \
    "$(date -u +%H:%M:%S)" "$HANDLERS" "$tp" "$(echo "${hwm:-0}/1024" | bc -l)" "$(echo "${startRss:-0}/1024" | bc -l)" \
    "$(echo "${rss:-0}/1024" | bc -l)" "${threads:-?}" "${qps:-0}" "${p99:-?}" "${errs:-?}" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "${*:-(defaults)}"
  if [ -s "$LOG.nmt" ]; then sed 's/^/    NMT /' "$LOG.nmt"; fi
  rm -f "$LOG" "$LOG.nmt"
done
