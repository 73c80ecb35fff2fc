#!/usr/bin/env bash
# Where the CPU goes in one client/server pair: runs one load case as compare.sh does (server on CPU 0, client
# on CPU 1, 12 s warm-up, 8 s measured) and prints the CPU each process used during 5 s of the measured phase
# (utime + stime from /proc/<pid>/stat, in % of one core) and the CPU microseconds each spent per call.
# A side at ~100% is the bottleneck; the other side's figure is its real cost per call.
#
#   benchmarks/cpu-split.sh go go framed                    # Go client -> Go Kitex server
#   benchmarks/cpu-split.sh go kitex4j-direct ttheader      # Go client -> kitex4j server (directExecutor)
#   benchmarks/cpu-split.sh kitex4j-async go framed         # kitex4j async client -> Go Kitex server
#
# Clients: go, kitex4j (blocking), kitex4j-async. Servers: go, kitex4j (handler pool), kitex4j-direct.
# Needs benchmarks/target/benchmarks.jar and GO_BIN (default /tmp/kitex4j-bin) with cmd/client and cmd/server;
# compare.sh's build step, or: (cd interop-tests/go && go build -o "$GO_BIN/" ./cmd/client ./cmd/server)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/benchmarks/target/benchmarks.jar"
GO_BIN="${GO_BIN:-/tmp/kitex4j-bin}"
CLIENT="$1"; SERVER="$2"; TP="$3"
PORT="${PORT:-9300}"
ADDR="127.0.0.1:$PORT"
TMP="$(mktemp -d /tmp/kitex4j-cpu.XXXXXX)"
trap 'kill "$SP" "$CP" 2>/dev/null || true; rm -rf "$TMP"' EXIT
case "$SERVER" in
  go)             taskset -c 0 "$GO_BIN/server" -addr "$ADDR" >"$TMP/server.log" 2>&1 & ;;
  kitex4j)        taskset -c 0 java -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$ADDR" >"$TMP/server.log" 2>&1 & ;;
  kitex4j-direct) taskset -c 0 java -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$ADDR" -handlers direct \
                    >"$TMP/server.log" 2>&1 & ;;
  *) echo "unknown server $SERVER" >&2; exit 2 ;;
esac
SP=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
case "$CLIENT" in
  go)            taskset -c 1 "$GO_BIN/client" -scenario bench -addr "$ADDR" -transport "$TP" -concurrency 100 \
                   -payload 1024 -duration 8s -warmup 12s >"$TMP/client.out" 2>/dev/null & ;;
  kitex4j)       taskset -c 1 java -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -addr "$ADDR" -transport "$TP" \
                   -c 100 -b 1024 -d 8s -w 12s -mode blocking >"$TMP/client.out" 2>/dev/null & ;;
  kitex4j-async) taskset -c 1 java -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -addr "$ADDR" -transport "$TP" \
                   -c 100 -b 1024 -d 8s -w 12s -mode async >"$TMP/client.out" 2>/dev/null & ;;
  *) echo "unknown client $CLIENT" >&2; exit 2 ;;
esac
CP=$!
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ="$(getconf CLK_TCK)"
sleep 14   # 12 s warm-up, then 2 s into the measured phase
c0="$(ticks "$CP")"; s0="$(ticks "$SP")"; sleep 5; c1="$(ticks "$CP")"; s1="$(ticks "$SP")"
wait "$CP" || true
QPS="$(grep -o '"qps":[0-9.]*' "$TMP/client.out" | cut -d: -f2)"
python3 - "$CLIENT" "$SERVER" "$TP" "$HZ" "$c0" "$c1" "$s0" "$s1" "${QPS:-0}" <<'PY'
import sys
cl, sv, tp, hz, c0, c1, s0, s1, qps = sys.argv[1:]
hz, qps = int(hz), float(qps)
cpu = lambda a, b: (int(b) - int(a)) / hz / 5.0   # cores used over the 5 s window
c, s = cpu(c0, c1), cpu(s0, s1)
per = lambda x: f"{x * 1e6 / qps:.1f}" if qps else "n/a"
print(f"| {cl} → {sv} | {tp} | {qps:,.0f} | {c*100:.0f}% | {s*100:.0f}% | {per(c)} | {per(s)} |")
PY
