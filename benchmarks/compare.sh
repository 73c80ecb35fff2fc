#!/usr/bin/env bash
# End-to-end load comparison on loopback: Go Kitex and kitex4j clients against Go Kitex and kitex4j
# servers, over Framed and TTHeader, plus the bare Go TCP and bare Netty length-prefixed echo ceilings.
# Prints a markdown table (medians over RUNS runs per case).
#
#   benchmarks/compare.sh                                   # defaults: DURATION=8s WARMUP=12s RUNS=3
#   DURATION=5s WARMUP=5s RUNS=1 benchmarks/compare.sh      # quick check
#
# Every run starts a new client process, which warms up for WARMUP before it measures. A JVM pinned to
# one CPU needs that long: with 3 s, its JIT compiler was still taking a quarter of the client's CPU
# while measuring (benchmarks/README.md).
#
# Env: DURATION, WARMUP, RUNS, CONC (100), PAYLOAD (1024), SKIP_BUILD=1 (reuse benchmarks.jar and Go
# binaries in GO_BIN), JAVA_OPTS (extra JVM flags for the Java processes), KEEP_TMP=1.
#
# Before/after: JAR_BEFORE=/path/to/old/benchmarks.jar runs only the cases with kitex4j in them, each run
# once with the old jar and once with the new one, alternating (old, new, old, new, ...), each with a new
# server and a new client process, so that drift on a shared machine hits both alike. The table then has
# a "before" and an "after" row per case.
#
#   JAR_BEFORE=/tmp/old.jar benchmarks/compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/peers.sh
. "$ROOT/benchmarks/lib/peers.sh"
DURATION="${DURATION:-8s}"
WARMUP="${WARMUP:-12s}"
RUNS="${RUNS:-3}"
CONC="${CONC:-100}"
PAYLOAD="${PAYLOAD:-1024}"
JAVA_OPTS="${JAVA_OPTS:-}"
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-300}"  # seconds; a client that hangs is killed and its run counted as failed
JAR="${JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
JAR_AFTER="$JAR"
JAR_BEFORE="${JAR_BEFORE:-}"
TMP="$(mktemp -d /tmp/kitex4j-compare.XXXXXX)"
GO_BIN="${GO_BIN:-$TMP/bin}"
RES="$TMP/results"
mkdir -p "$GO_BIN" "$RES"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; fi
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "compare: building benchmarks.jar (mvn package) and the Go peers..." >&2
  # Only the benchmark jar is needed; the tests are bin/test's job.
  (cd "$ROOT" && mvn -B -q -ntp -DskipTests -pl benchmarks -am package) >&2
  (cd "$ROOT/interop-tests/go" && go build -o "$GO_BIN/" ./cmd/client ./cmd/server ./cmd/tcpecho) >&2
fi

SRV_PIN=(); CLI_PIN=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  SRV_PIN=(taskset -c 0); CLI_PIN=(taskset -c 1)
  echo "compare: server pinned to CPU 0, client to CPU 1" >&2
else
  echo "compare: taskset unavailable or 1 CPU: no pinning" >&2
fi

PORT=9400
wait_port() {  # host port pid
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "compare: server died" >&2; return 1; }
    sleep 0.1
  done
  echo "compare: server did not listen on $1:$2" >&2; return 1
}

start_server() {  # kind addr -> SERVER_PID
  local kind="$1" addr="$2"
  server_argv "$kind" "$addr"
  "${SRV_PIN[@]}" "${SERVER_ARGV[@]}" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  wait_port 127.0.0.1 "${addr##*:}" "$SERVER_PID"
}

stop_server() {  # sets STATS to "VmHWM-in-kB<TAB>server-bytes-allocated-per-call" (-1: not measured)
  # Not to be called in $(...): wait only works in the shell that started the server.
  local hwm alloc
  hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  # A kitex4j server prints what it allocated per call (after its first 100,000 calls) when stopped.
  alloc="$(grep -o '"allocBytesPerCall":-\?[0-9]*' "$TMP/server.log" 2>/dev/null | tail -1 | cut -d: -f2 || true)"
  STATS="$(printf '%s\t%s' "${hwm:-0}" "${alloc:--1}")"
}

run_client() {  # kind addr transport -> one JSON line
  local kind="$1" addr="$2" tp="$3"
  local pin=("${CLI_PIN[@]}")
  if command -v timeout >/dev/null 2>&1; then pin=(timeout "$CLIENT_TIMEOUT" "${CLI_PIN[@]}"); fi
  client_argv "$kind" "$addr" "$tp" "$CONC" "$PAYLOAD" "$DURATION" "$WARMUP"
  "${pin[@]}" "${CLIENT_ARGV[@]}" 2>>"$TMP/client.err" | grep '"event":"bench"\|"event": *"bench"' | tail -1
}

run_case() {  # name client server transport
  local name="$1" cli="$2" srv="$3" tp="$4"
  PORT=$((PORT + 1))
  local addr="127.0.0.1:$PORT"
  echo "compare: $name over $tp ($cli client -> $srv server, $addr), $RUNS run(s) of $WARMUP warm-up + $DURATION" >&2
  start_server "$srv" "$addr"
  for r in $(seq 1 "$RUNS"); do
    local line
    line="$(run_client "$cli" "$addr" "$tp" || true)"
    [ -n "$line" ] || line='{"failed":true}'
    echo "$line" >"$RES/$(printf '%02d' "$PORT").run$r.json"
    echo "  run $r: $line" >&2
  done
  stop_server
  printf '%s\t%s\t%s\t%s\n' "$name" "$tp" "$STATS" "$(printf '%02d' "$PORT")" >>"$RES/cases.tsv"
}

run_case_ab() {  # name client server transport: RUNS alternating before/after pairs, one server per run
  local name="$1" cli="$2" srv="$3" tp="$4" r which key line
  echo "compare: $name over $tp, $RUNS before/after pair(s) of $WARMUP warm-up + $DURATION" >&2
  PORT=$((PORT + 1)); local kb; kb="$(printf '%02d' "$PORT")"
  PORT=$((PORT + 1)); local ka; ka="$(printf '%02d' "$PORT")"
  local hwm_b=0 hwm_a=0 alloc_b=-1 alloc_a=-1
  for r in $(seq 1 "$RUNS"); do
    for which in before after; do
      if [ "$which" = before ]; then JAR="$JAR_BEFORE"; key="$kb"; else JAR="$JAR_AFTER"; key="$ka"; fi
      local addr="127.0.0.1:$((PORT + 100))"
      start_server "$srv" "$addr"
      line="$(run_client "$cli" "$addr" "$tp" || true)"
      [ -n "$line" ] || line='{"failed":true}'
      echo "$line" >"$RES/$key.run$r.json"
      echo "  run $r ($which): $line" >&2
      stop_server
      if [ "$which" = before ]; then hwm_b="${STATS%%$'\t'*}"; alloc_b="${STATS##*$'\t'}"
      else hwm_a="${STATS%%$'\t'*}"; alloc_a="${STATS##*$'\t'}"; fi
    done
  done
  JAR="$JAR_AFTER"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name (before)" "$tp" "$hwm_b" "$alloc_b" "$kb" >>"$RES/cases.tsv"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name (after)" "$tp" "$hwm_a" "$alloc_a" "$ka" >>"$RES/cases.tsv"
}

if [ -n "$JAR_BEFORE" ]; then
  [ -f "$JAR_BEFORE" ] || { echo "compare: JAR_BEFORE=$JAR_BEFORE does not exist" >&2; exit 2; }
  # The Go-Go control, once, so that the ratio column means the same as in the full table.
  for tp in framed ttheader; do
    run_case "Go client → Go Kitex server (control)" go go "$tp"
  done
  for tp in framed ttheader; do
    run_case_ab "Go client → kitex4j server (default handler pool)" go kitex4j "$tp"
    run_case_ab "kitex4j client, blocking stub × $CONC threads → Go Kitex server" kitex4j go "$tp"
    run_case_ab "kitex4j client, async stub ($CONC in flight) → Go Kitex server" kitex4j-async go "$tp"
  done
  run_case_ab "kitex4j client, async → kitex4j server (directExecutor)" kitex4j-async kitex4j-direct ttheader
fi

for tp in framed ttheader; do
  [ -z "$JAR_BEFORE" ] || break
  run_case "Go client → Go Kitex server (control)" go go "$tp"
  run_case "Go client → kitex4j server (default handler pool)" go kitex4j "$tp"
  run_case "Go client → kitex4j server (directExecutor)" go kitex4j-direct "$tp"
  run_case "kitex4j client, blocking stub × $CONC threads → Go Kitex server" kitex4j go "$tp"
  run_case "kitex4j client, async stub ($CONC in flight) → Go Kitex server" kitex4j-async go "$tp"
  run_case "kitex4j client, async → kitex4j server (directExecutor)" kitex4j-async kitex4j-direct "$tp"
done
if [ -z "$JAR_BEFORE" ]; then
  run_case "ceiling: Go TCP echo (length-prefixed)" tcpecho tcpecho raw
  run_case "ceiling: Netty echo (length-prefixed)" netty netty raw
fi

# What the table was measured on, printed with it.
echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'): DURATION=$DURATION WARMUP=$WARMUP RUNS=$RUNS CONC=$CONC PAYLOAD=$PAYLOAD" \
     "JAVA_OPTS='${JAVA_OPTS}' ${SRV_PIN[*]:+server on CPU 0, client on CPU 1 (taskset)}" \
     ${JAR_BEFORE:+"before: $JAR_BEFORE ($(stat -c %y "$JAR_BEFORE" | cut -d. -f1)), after: $JAR_AFTER"}
echo "Machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)," \
     "load average before the table: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Java: $(java -version 2>&1 | sed -n 2p); Go: $(go version 2>/dev/null | cut -d' ' -f3);" \
     "Kitex $(grep -m1 'github.com/cloudwego/kitex ' "$ROOT/interop-tests/go/go.mod" | awk '{print $2}');" \
     "kitex4j $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (Netty $(grep -m1 '<netty.version>' "$ROOT/bom/pom.xml" | sed 's/.*>\(.*\)<.*/\1/'))"
echo
python3 - "$RES" "$RUNS" <<'PY'
import json, os, statistics, sys
res, runs = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(res, "cases.tsv"))]
# name, transport, server VmHWM kB, server bytes allocated per call, result key
def load(key):
    out = []
    for r in range(1, runs + 1):
        try:
            d = json.load(open(os.path.join(res, f"{key}.run{r}.json")))
        except Exception:
            d = {}
        if "qps" in d:
            out.append(d)
    return out
def med(ds, k):
    return statistics.median(d[k] for d in ds) if ds else float("nan")
data = {}
for name, tp, hwm, salloc, key in rows:
    data[(name, tp)] = (load(key), int(hwm or 0))
control = {tp: med(data[(n, tp)][0], "qps") for (n, tp) in data if "(control)" in n}
def alloc(v):
    return "–" if v is None or v < 0 else f"{v:,.0f}"
print("| case | transport | QPS | p50 (µs) | p99 (µs) | p999 (µs) | errors | QPS / Go–Go | server peak RSS (MiB) "
      "| client B/call | server B/call | runs |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, tp, hwm, salloc, key in rows:
    ds, hwm = data[(name, tp)]
    base = control.get(tp, control.get("framed"))
    q = med(ds, "qps")
    ratio = q / base if ds and base else float("nan")
    label = {"framed": "Framed", "ttheader": "TTHeader (Framed)", "raw": "u32 length + bytes"}.get(tp, tp)
    errs = sum(d["errors"] for d in ds) if ds else "n/a"
    calloc = med([d for d in ds if "allocBytesPerCall" in d], "allocBytesPerCall") if any(
        "allocBytesPerCall" in d for d in ds) else None
    print(f"| {name} | {label} | {q:,.0f} | {med(ds,'p50Us'):,.0f} | {med(ds,'p99Us'):,.0f} | {med(ds,'p999Us'):,.0f} "
          f"| {errs} | {ratio:.2f} | {hwm/1024:.0f} | {alloc(calloc)} | {alloc(int(salloc))} | {len(ds)}/{runs} |")
print()
print("Medians of each column over the runs; errors summed over the runs; ceilings' ratio is against Go–Go Framed.")
print("B/call: bytes the JVM allocated per call (HotSpot per-thread allocation counters): the client's over its")
print("measured phase, the server's over its life after its first 100,000 calls; – where not measured (Go).")
PY
