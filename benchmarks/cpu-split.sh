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
# Kinds as in lib/peers.sh: clients go, kitex4j (blocking), kitex4j-async, kitex4j-virtual (JAVA25); servers go,
# kitex4j (handler pool), kitex4j-direct, kitex4j-container, kitex4j-direct-container (benchmarks/container.jvmopts).
# Needs benchmarks/target/benchmarks.jar and GO_BIN (default /tmp/kitex4j-bin) with cmd/client and cmd/server;
# compare.sh's build step, or: (cd interop-tests/go && go build -o "$GO_BIN/" ./cmd/client ./cmd/server)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/peers.sh
. "$ROOT/benchmarks/lib/peers.sh"
JAR="${JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
GO_BIN="${GO_BIN:-/tmp/kitex4j-bin}"
if [ $# -ne 3 ]; then
  echo "usage: $0 CLIENT SERVER TRANSPORT   (e.g. go kitex4j-direct framed; see the comment at the top)" >&2
  exit 2
fi
CLIENT="$1"; SERVER="$2"; TP="$3"
PORT="${PORT:-9300}"
ADDR="127.0.0.1:$PORT"
TMP="$(mktemp -d /tmp/kitex4j-cpu.XXXXXX)"
SP=""; CP=""
trap 'kill $SP $CP 2>/dev/null || true; rm -rf "$TMP"' EXIT
server_argv "$SERVER" "$ADDR"
taskset -c 0 "${SERVER_ARGV[@]}" >"$TMP/server.log" 2>&1 &
SP=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
client_argv "$CLIENT" "$ADDR" "$TP" 100 1024 8s 12s
taskset -c 1 "${CLIENT_ARGV[@]}" >"$TMP/client.out" 2>/dev/null &
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
