#!/usr/bin/env bash
# End-to-end load comparison on loopback: Go Kitex and kitex4j clients against Go Kitex and kitex4j
# servers, over Framed and TTHeader, plus the bare Go TCP and bare Netty length-prefixed echo ceilings.
# Prints a markdown table (medians over RUNS runs per case).
#
#   benchmarks/compare.sh                                   # defaults: DURATION=8s WARMUP=12s RUNS=3 CASES=all
#   DURATION=6s WARMUP=10s RUNS=3 benchmarks/compare.sh     # the full table in ~26 minutes
#   CASES=core DURATION=5s WARMUP=5s RUNS=1 benchmarks/compare.sh      # quick check
#
# CASES (space or comma separated groups; default all):
#   core        per transport (Framed, TTHeader): Go -> Go (control), Go -> kitex4j (default handler lanes),
#               Go -> kitex4j (directExecutor), kitex4j blocking / async -> Go, kitex4j async -> kitex4j;
#               and the Go TCP and Netty echo ceilings
#   virtual     kitex4j blocking stub on CONC virtual threads (JAVA25, a JDK 21+ java) -> Go, per transport
#   payload16k  PAYLOAD=16384: Go -> Go (control), Go -> kitex4j (default), kitex4j blocking / async -> Go
#   conc1000    CONC=1000 callers sharing one client, POOL=1000 (both clients keep every connection idle
#               between calls; see lib/peers.sh), the same four cases
#   container   Go -> kitex4j server with the flags of benchmarks/container.jvmopts (default lanes and direct)
#   executors   Go -> kitex4j server with the other handler executions, per transport: issue 10's default (a
#               ThreadPoolExecutor task per call) and a virtual thread per call (JAVA25)
#   observability  over TTHeader: Go -> Go Kitex server without (control) and with obs-opentelemetry's server
#               suite (always-on sampler, spans batched to a no-op exporter); Go -> kitex4j server without and with
#               KitexTracing (the same sampler and exporter) and KitexMetrics (a SimpleMeterRegistry); kitex4j client
#               without and with both -> Go server. OBS_TRACING_ONLY=1 adds the tracing-only kitex4j cases.
#   governance  over TTHeader. Backup-request tail latency: 3 Go servers, one stalling every GOV_STALL_CALLS-th call
#               (%20) for GOV_STALL (100ms), GOV_CONC (10) callers at GOV_QPS (1000) calls/s in total, without and
#               with backup requests after GOV_BACKUP_MS (10) ms, for the Go client and for kitex4j
#               (GovernanceLoadRunner); and the cost of retry + circuit breaker when nothing fails: closed loop,
#               CONC callers, one Go server, Go client without / with failure retry + service breaker, kitex4j
#               without / with ClientGovernance (the same policies). GOV_GO_ONLY=1: only the Go cases;
#               GOV_SPLIT=1: also the Go client with only the retry and only the breaker.
#   all         all of the above
# payload16k and conc1000 run over EXTRA_TRANSPORTS (default "ttheader"; "framed ttheader" for both).
# The estimated duration is printed first: RUNS x cases x (WARMUP + DURATION + ~2.5 s of process start-up).
#
# Runs alternate between cases: run 1 of every case, then run 2 of every case, and so on, each with a new server
# and a new client process, so that drift on a shared machine hits every case alike. The 1-minute load average
# is taken before each run and its median printed per case.
#
# Every run starts a new client process, which warms up for WARMUP before it measures. A JVM pinned to
# one CPU needs that long: with 3 s, its JIT compiler was still taking a quarter of the client's CPU
# while measuring (benchmarks/README.md).
#
# Env: DURATION, WARMUP, RUNS, CONC (100), PAYLOAD (1024), CASES, EXTRA_TRANSPORTS, OBS_TRACING_ONLY=1,
# GOV_QPS, GOV_CONC, GOV_STALL, GOV_STALL_CALLS, GOV_BACKUP_MS, GOV_GO_ONLY=1, GOV_SPLIT=1 (governance group),
# SKIP_BUILD=1 (reuse benchmarks.jar and Go binaries in GO_BIN), JAVA_OPTS (extra JVM flags for the Java
# processes), JAVA25, KEEP_TMP=1.
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
CASES="${CASES:-all}"
EXTRA_TRANSPORTS="${EXTRA_TRANSPORTS:-ttheader}"
CLIENT_TIMEOUT="${CLIENT_TIMEOUT:-300}"  # seconds; a client that hangs is killed and its run counted as failed
JAR="${JAR:-$ROOT/benchmarks/target/benchmarks.jar}"
JAR_AFTER="$JAR"
JAR_BEFORE="${JAR_BEFORE:-}"
TMP="$(mktemp -d /tmp/kitex4j-compare.XXXXXX)"
GO_BIN="${GO_BIN:-$TMP/bin}"
RES="$TMP/results"
mkdir -p "$GO_BIN" "$RES"
SERVER_PID=""
EXTRA_PIDS=()  # the other servers of a multi-server case (go3slow)
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; fi
  local p
  for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
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

# go3slow: three Go servers on ports P, P+1, P+2 of addr, the last one go-slow; SERVER_PID is the first (its
# RSS and threads are the ones reported), the others go to EXTRA_PIDS. Sets GO3_ADDRS (the comma list).
start_go3slow() {  # addr
  local host="${1%:*}" port="${1##*:}" i kind
  start_server go "$1" || return 1
  for i in 1 2; do
    kind=go; [ "$i" = 2 ] && kind=go-slow
    server_argv "$kind" "$host:$((port + i))"
    "${SRV_PIN[@]}" "${SERVER_ARGV[@]}" >>"$TMP/server.log" 2>&1 &
    EXTRA_PIDS+=($!)
    wait_port "$host" "$((port + i))" "$!" || return 1
  done
  GO3_ADDRS="$1,$host:$((port + 1)),$host:$((port + 2))"
}

stop_server() {  # sets STATS to "VmHWM-kB<TAB>bytes-allocated-per-call<TAB>threads" (-1: not measured)
  # Not to be called in $(...): wait only works in the shell that started the server.
  local hwm alloc threads
  hwm="$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
  threads="$(awk '/^Threads/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo -1)"
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  local p
  for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  EXTRA_PIDS=()
  # A kitex4j server prints what it allocated per call (after its first 100,000 calls) when stopped.
  alloc="$(grep -o '"allocBytesPerCall":-\?[0-9]*' "$TMP/server.log" 2>/dev/null | tail -1 | cut -d: -f2 || true)"
  STATS="$(printf '%s\t%s\t%s' "${hwm:-0}" "${alloc:--1}" "${threads:--1}")"
}

run_client() {  # kind addr transport conc payload pool [qps] -> one JSON line
  local kind="$1" addr="$2" tp="$3" conc="$4" payload="$5"
  local pin=("${CLI_PIN[@]}")
  if command -v timeout >/dev/null 2>&1; then pin=(timeout "$CLIENT_TIMEOUT" "${CLI_PIN[@]}"); fi
  POOL="$6" QPS="${7:-}" client_argv "$kind" "$addr" "$tp" "$conc" "$payload" "$DURATION" "$WARMUP"
  "${pin[@]}" "${CLIENT_ARGV[@]}" 2>>"$TMP/client.err" | grep '"event":"bench"\|"event": *"bench"' | tail -1
}

# One line per case: key, group, name, client, server, transport, concurrency, payload, pool ("-" = defaults),
# qps ("-" = closed loop). "-", not "": read with IFS=tab would merge two tabs around an empty field.
CASE_LIST="$TMP/cases.list"
: >"$CASE_LIST"
NCASES=0
add_case() {  # group name client server transport [conc payload pool qps]
  NCASES=$((NCASES + 1))
  printf '%03d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$NCASES" "$1" "$2" "$3" "$4" "$5" "${6:-$CONC}" "${7:-$PAYLOAD}" \
    "${8:--}" "${9:--}" >>"$CASE_LIST"
}
want() {  # group
  case " ${CASES//,/ } " in *" all "* | *" $1 "*) return 0 ;; *) return 1 ;; esac
}
for g in ${CASES//,/ }; do
  case "$g" in core | virtual | payload16k | conc1000 | container | executors | observability | governance | all) ;;
    *) echo "compare: unknown case group '$g' (expected: core virtual payload16k conc1000 container executors observability governance all)" >&2; exit 2 ;;
  esac
done

run_one() {  # key client server transport conc payload pool run [qps]
  local key="$1" cli="$2" srv="$3" tp="$4" conc="$5" payload="$6" pool="$7" r="$8" qps="${9:-}" line load started
  PORT=$((PORT + 1))
  local addr="127.0.0.1:$PORT"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  if [ "$srv" = go3slow ]; then
    PORT=$((PORT + 2))
    if start_go3slow "$addr"; then started=1; addr="$GO3_ADDRS"; else started=0; fi
  else
    if start_server "$srv" "$addr"; then started=1; else started=0; fi
  fi
  if [ "$started" = 0 ]; then
    [ -z "$SERVER_PID" ] || stop_server
    echo '{"failed":true}' >"$RES/$key.run$r.json"
    printf '0\t-1\t-1\t%s\n' "$load" >"$RES/$key.run$r.stats"
    return 0
  fi
  line="$(run_client "$cli" "$addr" "$tp" "$conc" "$payload" "$pool" "$qps" || true)"
  [ -n "$line" ] || line='{"failed":true}'
  stop_server
  echo "$line" >"$RES/$key.run$r.json"
  printf '%s\t%s\n' "$STATS" "$load" >"$RES/$key.run$r.stats"
  echo "  run $r, load $load: $line" >&2
}

if [ -z "$JAR_BEFORE" ]; then
  if want core; then
    for tp in framed ttheader; do
      add_case core "Go client → Go Kitex server (control)" go go "$tp"
      add_case core "Go client → kitex4j server (default handler lanes)" go kitex4j "$tp"
      add_case core "Go client → kitex4j server (directExecutor)" go kitex4j-direct "$tp"
      add_case core "kitex4j client, blocking stub × $CONC threads → Go Kitex server" kitex4j go "$tp"
      add_case core "kitex4j client, async stub ($CONC in flight) → Go Kitex server" kitex4j-async go "$tp"
      add_case core "kitex4j client, async → kitex4j server (directExecutor)" kitex4j-async kitex4j-direct "$tp"
    done
    add_case core "ceiling: Go TCP echo (length-prefixed)" tcpecho tcpecho raw
    add_case core "ceiling: Netty echo (length-prefixed)" netty netty raw
  fi
  if want virtual; then
    if [ -n "$JAVA25" ]; then
      for tp in framed ttheader; do
        add_case virtual "kitex4j client, blocking stub × $CONC virtual threads (JDK $("$JAVA25" -version 2>&1 |
          sed -n '1s/.*version "\([0-9]*\).*/\1/p')) → Go Kitex server" kitex4j-virtual go "$tp"
      done
    else
      echo "compare: no JAVA25 (a JDK 21+ java): skipping the virtual-thread cases" >&2
    fi
  fi
  for group in payload16k conc1000; do
    want "$group" || continue
    if [ "$group" = payload16k ]; then c="$CONC"; p=16384; pool=""; what="16 KiB"
    else c=1000; p="$PAYLOAD"; pool=1000; what="1,000 callers, pool 1,000"; fi
    for tp in $EXTRA_TRANSPORTS; do
      add_case "$group" "[$what] Go client → Go Kitex server (control)" go go "$tp" "$c" "$p" "$pool"
      add_case "$group" "[$what] Go client → kitex4j server (default handler lanes)" go kitex4j "$tp" "$c" "$p" "$pool"
      add_case "$group" "[$what] kitex4j client, blocking stub × $c threads → Go Kitex server" kitex4j go "$tp" "$c" "$p" "$pool"
      add_case "$group" "[$what] kitex4j client, async stub ($c in flight) → Go Kitex server" kitex4j-async go "$tp" "$c" "$p" "$pool"
    done
  done
  if want executors; then
    for tp in framed ttheader; do
      add_case executors "Go client → kitex4j server (issue 10's ThreadPoolExecutor, a task per call)" go kitex4j-threadpool "$tp"
      [ -z "$JAVA25" ] || add_case executors "Go client → kitex4j server (a virtual thread per call, JDK 25)" go kitex4j-vthreads "$tp"
    done
  fi
  if want observability; then
    # TTHeader: what a traced mesh speaks (metainfo, so trace context, crosses only with a TTHeader).
    add_case observability "Go client → Go Kitex server (control)" go go ttheader
    add_case observability "Go client → Go Kitex server with obs-opentelemetry (always-on, no-op exporter)" go go-otel ttheader
    add_case observability "Go client → kitex4j server (default)" go kitex4j ttheader
    [ "${OBS_TRACING_ONLY:-0}" != 1 ] ||
      add_case observability "Go client → kitex4j server with tracing (always-on, no-op exporter)" go kitex4j-tracing ttheader
    add_case observability "Go client → kitex4j server with tracing and metrics" go kitex4j-observed ttheader
    add_case observability "kitex4j client, blocking stub × $CONC threads → Go Kitex server" kitex4j go ttheader
    [ "${OBS_TRACING_ONLY:-0}" != 1 ] ||
      add_case observability "kitex4j client with tracing, blocking stub × $CONC threads → Go Kitex server" kitex4j-tracing go ttheader
    add_case observability "kitex4j client with tracing and metrics, blocking stub × $CONC threads → Go Kitex server" \
      kitex4j-observed go ttheader
  fi
  if want governance; then
    # TTHeader: Kitex sends RetryReq (and so chain stop) only over TTHeader.
    gq="${GOV_QPS:-1000}"; gc="${GOV_CONC:-10}"; gb="${GOV_BACKUP_MS:-10}"
    what="3 servers, one stalls calls ${GOV_STALL_CALLS:-%20} for ${GOV_STALL:-100ms}; $gc callers, $gq calls/s"
    add_case governance "[$what] Go client, no retry" go go3slow ttheader "$gc" "$PAYLOAD" "" "$gq"
    add_case governance "[$what] Go client, backup request after $gb ms" go-backup go3slow ttheader "$gc" "$PAYLOAD" "" "$gq"
    if [ "${GOV_GO_ONLY:-0}" != 1 ]; then
      add_case governance "[$what] kitex4j client, no governance" kitex4j-gov go3slow ttheader "$gc" "$PAYLOAD" "" "$gq"
      add_case governance "[$what] kitex4j client, ClientGovernance backup after $gb ms" kitex4j-gov-backup go3slow \
        ttheader "$gc" "$PAYLOAD" "" "$gq"
    fi
    add_case governance "Go client → Go Kitex server (control)" go go ttheader
    add_case governance "Go client with failure retry + service circuit breaker → Go Kitex server" go-retry-cb go ttheader
    if [ "${GOV_SPLIT:-0}" = 1 ]; then
      add_case governance "Go client with failure retry → Go Kitex server" go-retry go ttheader
      add_case governance "Go client with service circuit breaker → Go Kitex server" go-cb go ttheader
    fi
    if [ "${GOV_GO_ONLY:-0}" != 1 ]; then
      add_case governance "kitex4j client (GovernanceLoadRunner, no governance) → Go Kitex server" kitex4j-gov go ttheader
      add_case governance "kitex4j client with ClientGovernance (failure retry + breaker) → Go Kitex server" \
        kitex4j-gov-retry-cb go ttheader
    fi
  fi
  if want container; then
    for tp in framed ttheader; do
      add_case container "Go client → kitex4j server, container profile (default handler lanes)" go kitex4j-container "$tp"
      add_case container "Go client → kitex4j server, container profile (directExecutor)" go kitex4j-direct-container "$tp"
    done
  fi
  secs() {
    case "$1" in *ms) echo "${1%ms} / 1000" | bc -l ;; *s) echo "${1%s}" ;; *m) echo "${1%m} * 60" | bc -l ;; *) echo "$1" ;; esac
  }
  EST="$(echo "$RUNS * $NCASES * ($(secs "$WARMUP") + $(secs "$DURATION") + 2.5) / 60" | bc -l)"
  printf 'Estimated duration: %.0f min (%d cases x %d runs x (%s warm-up + %s + ~2.5 s start-up)); CASES=%s; load average now: %s\n' \
    "$EST" "$NCASES" "$RUNS" "$WARMUP" "$DURATION" "$CASES" "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "compare: estimated $(printf '%.0f' "$EST") min for $NCASES cases x $RUNS runs" >&2
  for r in $(seq 1 "$RUNS"); do
    while IFS=$'\t' read -r key group name cli srv tp c p pool qps; do
      [ "$pool" != - ] || pool=""
      [ "$qps" != - ] || qps=""
      echo "compare: run $r/$RUNS, case $key/$NCASES: $name over $tp (c=$c b=$p${pool:+ pool=$pool}${qps:+ qps=$qps})" >&2
      run_one "$key" "$cli" "$srv" "$tp" "$c" "$p" "$pool" "$r" "$qps"
    done <"$CASE_LIST"
  done
  while IFS=$'\t' read -r key group name cli srv tp c p pool qps; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$tp" "$key" "$group" "$c" "$p" >>"$RES/cases.tsv"
  done <"$CASE_LIST"
fi

run_case_ab() {  # name client server transport: RUNS alternating before/after pairs, one server per run
  local name="$1" cli="$2" srv="$3" tp="$4" r which key
  echo "compare: $name over $tp, $RUNS before/after pair(s) of $WARMUP warm-up + $DURATION" >&2
  NCASES=$((NCASES + 1)); local kb; kb="$(printf '%03d' "$NCASES")"
  NCASES=$((NCASES + 1)); local ka; ka="$(printf '%03d' "$NCASES")"
  for r in $(seq 1 "$RUNS"); do
    for which in before after; do
      if [ "$which" = before ]; then JAR="$JAR_BEFORE"; key="$kb"; else JAR="$JAR_AFTER"; key="$ka"; fi
      run_one "$key" "$cli" "$srv" "$tp" "$CONC" "$PAYLOAD" "" "$r"
    done
  done
  JAR="$JAR_AFTER"
  printf '%s\t%s\t%s\tab\t%s\t%s\n' "$name (before)" "$tp" "$kb" "$CONC" "$PAYLOAD" >>"$RES/cases.tsv"
  printf '%s\t%s\t%s\tab\t%s\t%s\n' "$name (after)" "$tp" "$ka" "$CONC" "$PAYLOAD" >>"$RES/cases.tsv"
}

run_case_control() {  # name client server transport: RUNS runs (for the ratio column of the before/after table)
  NCASES=$((NCASES + 1)); local key; key="$(printf '%03d' "$NCASES")"
  for r in $(seq 1 "$RUNS"); do run_one "$key" "$2" "$3" "$4" "$CONC" "$PAYLOAD" "" "$r"; done
  printf '%s\t%s\t%s\tab\t%s\t%s\n' "$1" "$4" "$key" "$CONC" "$PAYLOAD" >>"$RES/cases.tsv"
}

if [ -n "$JAR_BEFORE" ]; then
  [ -f "$JAR_BEFORE" ] || { echo "compare: JAR_BEFORE=$JAR_BEFORE does not exist" >&2; exit 2; }
  # The Go-Go control, once, so that the ratio column means the same as in the full table.
  for tp in framed ttheader; do
    run_case_control "Go client → Go Kitex server (control)" go go "$tp"
  done
  for tp in framed ttheader; do
    run_case_ab "Go client → kitex4j server (default handler lanes)" go kitex4j "$tp"
    run_case_ab "kitex4j client, blocking stub × $CONC threads → Go Kitex server" kitex4j go "$tp"
    run_case_ab "kitex4j client, async stub ($CONC in flight) → Go Kitex server" kitex4j-async go "$tp"
  done
  run_case_ab "kitex4j client, async → kitex4j server (directExecutor)" kitex4j-async kitex4j-direct ttheader
fi

# What the table was measured on, printed with it.
echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'): DURATION=$DURATION WARMUP=$WARMUP RUNS=$RUNS CONC=$CONC PAYLOAD=$PAYLOAD CASES=$CASES" \
     "JAVA_OPTS='${JAVA_OPTS}' ${SRV_PIN[*]:+server on CPU 0, client on CPU 1 (taskset)}" \
     ${JAR_BEFORE:+"before: $JAR_BEFORE ($(stat -c %y "$JAR_BEFORE" | cut -d. -f1)), after: $JAR_AFTER"}
echo "Machine: $(nproc) CPUs, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), kernel $(uname -r)," \
     "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (1-min load before each run: load column)"
echo "Java: $(java -version 2>&1 | sed -n 2p)${JAVA25:+ (virtual threads: $("$JAVA25" -version 2>&1 | sed -n 2p))}; Go: $(go version 2>/dev/null | cut -d' ' -f3);" \
     "Kitex $(grep -m1 'github.com/cloudwego/kitex ' "$ROOT/interop-tests/go/go.mod" | awk '{print $2}');" \
     "kitex4j $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (Netty $(grep -m1 '<netty.version>' "$ROOT/bom/pom.xml" | sed 's/.*>\(.*\)<.*/\1/'))"
echo
python3 - "$RES" "$RUNS" <<'PY'
import json, os, statistics, sys
res, runs = sys.argv[1], int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(res, "cases.tsv"))]
# name, transport, key, group, concurrency, payload
def load(key):
    out, stats = [], []
    for r in range(1, runs + 1):
        try:
            d = json.load(open(os.path.join(res, f"{key}.run{r}.json")))
        except Exception:
            d = {}
        if "qps" in d:
            out.append(d)
        try:
            hwm, alloc, threads, la = open(os.path.join(res, f"{key}.run{r}.stats")).read().split("\t")
            stats.append((int(hwm or 0), int(alloc or -1), int(threads or -1), float(la)))
        except Exception:
            pass
    return out, stats
def med(ds, k):
    return statistics.median(d[k] for d in ds) if ds else float("nan")
def smed(stats, i, positive=True):
    v = [s[i] for s in stats if (s[i] > 0 if positive else s[i] >= 0)]
    return statistics.median(v) if v else None
data = {key: load(key) for name, tp, key, group, c, p in rows}
# The control of a row: the Go-Go case with the same transport, concurrency and payload.
control = {}
for name, tp, key, group, c, p in rows:
    if "(control)" in name:
        control[(tp, c, p)] = med(data[key][0], "qps")
def alloc(v):
    return "–" if v is None or v < 0 else f"{v:,.0f}"
print("| case | transport | c | payload | QPS | p50 (µs) | p99 (µs) | p999 (µs) | errors | QPS / Go–Go "
      "| server peak RSS (MiB) | server threads | client B/call | server B/call | load | runs |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, tp, key, group, c, p in rows:
    ds, stats = data[key]
    base = control.get((tp, c, p), control.get(("framed", c, p)))
    q = med(ds, "qps")
    ratio = f"{q / base:.2f}" if ds and base else "–"
    label = {"framed": "Framed", "ttheader": "TTHeader (Framed)", "raw": "u32 length + bytes"}.get(tp, tp)
    errs = sum(d["errors"] for d in ds) if ds else "n/a"
    calloc = med([d for d in ds if "allocBytesPerCall" in d], "allocBytesPerCall") if any(
        "allocBytesPerCall" in d for d in ds) else None
    hwm = smed(stats, 0)
    threads = smed(stats, 2)
    la = smed(stats, 3, positive=False)
    print(f"| {name} | {label} | {int(c):,} | {int(p):,} | {q:,.0f} | {med(ds,'p50Us'):,.0f} | {med(ds,'p99Us'):,.0f} "
          f"| {med(ds,'p999Us'):,.0f} | {errs} | {ratio} | {hwm/1024 if hwm else float('nan'):.0f} "
          f"| {threads if threads else '–'} | {alloc(calloc)} | {alloc(smed(stats, 1, positive=False))} "
          f"| {la if la is not None else float('nan'):.2f} | {len(ds)}/{runs} |")
print()
print("Medians of each column over the runs; errors summed over the runs; QPS / Go–Go is against the Go–Go control")
print("of the same transport, concurrency and payload (ceilings: Framed). Server peak RSS (VmHWM) and threads are")
print("read from /proc/PID/status at the end of each run. B/call: bytes the JVM allocated per call (HotSpot")
print("per-thread allocation counters): the client's over its measured phase, the server's over its life after its")
print("first 100,000 calls; – where not measured (Go). load: the 1-minute load average before each run.")
PY
