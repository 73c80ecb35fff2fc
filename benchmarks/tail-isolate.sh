#!/usr/bin/env bash
# Isolating the client's p99 on the bare Netty echo (benchmarks/README.md, "Tail latency"): the NettyEcho client
# (CPU 1) against the Go TCP echo server (CPU 0), in several variants, with the Go TCP echo client as the
# reference; ROUNDS rounds, variants alternating within each round. One line per run: label, 1-minute load
# average before it, QPS, p50, p99, p999 (µs). With GC/safepoint logging the log goes to $OUT/gc-<round>.log.
#
#   benchmarks/tail-isolate.sh                      # ROUNDS=3 DURATION=6s WARMUP=10s CONC=100 PAYLOAD=1024
#
# Needs benchmarks/target/benchmarks.jar and GO_BIN (default /tmp/kitex4j-bin) with cmd/tcpecho.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
GO_BIN="${GO_BIN:-/tmp/kitex4j-bin}"
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-6s}"; WARMUP="${WARMUP:-10s}"; CONC="${CONC:-100}"; PAYLOAD="${PAYLOAD:-1024}"
PORT="${PORT:-9790}"
OUT="${OUT:-$(mktemp -d /tmp/kitex4j-tail.XXXXXX)}"
taskset -c 0 "$GO_BIN/tcpecho" -mode server -addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
GS=$!
trap 'kill $GS 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
N=(taskset -c 1 java)
ECHO=(-cp "$JAR" io.kitex4j.benchmarks.load.NettyEcho -addr "127.0.0.1:$PORT" -c "$CONC" -b "$PAYLOAD" -d "$DURATION" -w "$WARMUP")
run() {  # label command...
  local label="$1"; shift
  local la out; la="$(cut -d' ' -f1 /proc/loadavg)"
  out="$("$@" 2>/dev/null | grep '"event":"bench"' | tail -1 || true)"
  python3 - "$label" "$out" "$la" <<'PY'
import json, sys
label, out, load = sys.argv[1:]
d = json.loads(out) if out else {}
print(f"| {label} | {load} | {d.get('qps', 0):,.0f} | {d.get('p50Us', 0):,} | {d.get('p99Us', 0):,} | {d.get('p999Us', 0):,} |")
PY
}
echo "| variant | load | QPS | p50 (µs) | p99 (µs) | p999 (µs) |"
echo "|---|---:|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  run "Go tcpecho client (reference)" taskset -c 1 "$GO_BIN/tcpecho" -mode client -addr "127.0.0.1:$PORT" \
      -concurrency "$CONC" -payload "$PAYLOAD" -duration "$DURATION" -warmup "$WARMUP"
  run "NettyEcho default (NIO, 2 event loops on 1 CPU, writeAndFlush each)" "${N[@]}" "${ECHO[@]}"
  run "NettyEcho -io 1" "${N[@]}" "${ECHO[@]}" -io 1
  run "NettyEcho -native epoll -io 1" "${N[@]}" "${ECHO[@]}" -native epoll -io 1
  run "NettyEcho -flush consolidate" "${N[@]}" "${ECHO[@]}" -flush consolidate
  run "NettyEcho -XX:+UseG1GC" "${N[@]}" -XX:+UseG1GC "${ECHO[@]}"
  run "NettyEcho -Xms512m -Xmx512m -Xmn256m" "${N[@]}" -Xms512m -Xmx512m -Xmn256m "${ECHO[@]}"
  run "NettyEcho -XX:TieredStopAtLevel=1" "${N[@]}" -XX:TieredStopAtLevel=1 "${ECHO[@]}"
  run "NettyEcho -Xlog:gc,safepoint" "${N[@]}" "-Xlog:gc,safepoint:file=$OUT/gc-$round.log" "${ECHO[@]}"
done
echo "GC pauses and safepoints per logged run: $(for f in "$OUT"/gc-*.log; do
  printf '%s: %s GC pauses, %s safepoints; ' "$(basename "$f")" "$(grep -c 'Pause' "$f" || true)" "$(grep -c 'Safepoint' "$f" || true)"; done)"
