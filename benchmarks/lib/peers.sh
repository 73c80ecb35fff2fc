# The load-test peers, shared by compare.sh and cpu-split.sh: the command line of each kind of server
# and client. Source it; it needs JAR (benchmarks.jar), GO_BIN (the Go binaries) and optionally
# JAVA_OPTS (extra JVM flags, split on spaces), JAVA25 (the JDK 21+ `java` for kitex4j-virtual; default
# /usr/lib/jvm/temurin-25-jdk-amd64/bin/java when it exists) and POOL (idle connections the clients keep:
# Go's -max-idle and LoadRunner's -pool; unset: each client's default, see below).
#
#   server_argv KIND ADDR                                   -> SERVER_ARGV
#       go, kitex4j (the default handler lanes), kitex4j-direct (directExecutor), tcpecho, netty,
#       kitex4j-threadpool (issue 10's default: a ThreadPoolExecutor task per call), kitex4j-vthreads (a virtual
#       thread per call, JDK 25 from JAVA25),
#       kitex4j-container, kitex4j-direct-container (the same with the flags of benchmarks/container.jvmopts),
#       kitex4j-tracing (default lanes with KitexTracing: always-on sampler, spans batched to a no-op exporter),
#       kitex4j-observed (kitex4j-tracing plus KitexMetrics on a SimpleMeterRegistry: -tracing -metrics),
#       go-otel (the Go server with obs-opentelemetry's server suite: always-on sampler, batched to a no-op exporter)
#       go-slow (the Go server stalling -stall-calls GOV_STALL_CALLS (default %20: every 20th call) for GOV_STALL
#       (default 100ms): the slow instance of compare.sh's governance cases)
#   client_argv KIND ADDR TRANSPORT CONC PAYLOAD DURATION WARMUP   -> CLIENT_ARGV
#       go, kitex4j (blocking stub), kitex4j-async, kitex4j-virtual (blocking stub on CONC virtual threads,
#       run by JAVA25), kitex4j-tracing (blocking stub with KitexTracing, as kitex4j-tracing above),
#       kitex4j-observed (blocking stub with KitexTracing and KitexMetrics, as kitex4j-observed above), tcpecho, netty
#       governance (compare.sh's governance group): go-backup (the Go client with -retry backup -backup-ms
#       GOV_BACKUP_MS, default 10), go-retry-cb (-retry failure -cb: Kitex's failure retry and service circuit
#       breaker with their defaults; go-retry, go-cb: one of the two), kitex4j-gov, kitex4j-gov-backup, kitex4j-gov-retry-cb (GovernanceLoadRunner,
#       blocking calls on CONC threads, -governance none / backup / retry-cb)
#   QPS=N (optional, like POOL): a total call rate over all callers (Go -qps; LoadRunner and GovernanceLoadRunner
#       -qps); unset: closed loop
#
# Connections: neither client multiplexes; each call holds one connection, so CONC callers use up to CONC
# connections. What happens to a connection after its call is the pool's choice: Go Kitex's default long pool
# keeps 10 idle per address and 100 in all and closes the rest, so with more than ~10 callers some calls dial
# anew; LoadRunner keeps max(CONC, 100). POOL=N sets both to N (Go: WithLongConnection MaxIdlePerAddress =
# MaxIdleGlobal = N), so that every caller's connection is reused.
JAVA25="${JAVA25:-}"
if [ -z "$JAVA25" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then
  JAVA25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
fi
PEERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The container profile: benchmarks/container.jvmopts without its comments.
container_opts() {
  CONTAINER_OPTS=()
  local line
  while read -r line; do
    line="${line%%#*}"
    # shellcheck disable=SC2206
    [ -z "${line// /}" ] || CONTAINER_OPTS+=($line)
  done <"$PEERS_DIR/container.jvmopts"
}

server_argv() {
  local kind="$1" addr="$2" jopts=()
  read -r -a jopts <<<"${JAVA_OPTS:-}"
  case "$kind" in
    go)             SERVER_ARGV=("$GO_BIN/server" -addr "$addr") ;;
    go-otel)        SERVER_ARGV=("$GO_BIN/server" -addr "$addr" -otel -otel-spans discard) ;;
    go-slow)        SERVER_ARGV=("$GO_BIN/server" -addr "$addr" -stall-calls "${GOV_STALL_CALLS:-%20}"
                      -stall "${GOV_STALL:-100ms}") ;;
    kitex4j)        SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr") ;;
    kitex4j-direct) SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr"
                      -handlers direct) ;;
    kitex4j-container | kitex4j-direct-container)
                    container_opts
                    SERVER_ARGV=(java "${CONTAINER_OPTS[@]}" "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner
                      -server "$addr")
                    [ "$kind" = kitex4j-container ] || SERVER_ARGV+=(-handlers direct) ;;
    kitex4j-tracing) SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr"
                      -tracing) ;;
    kitex4j-observed) SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr"
                      -tracing -metrics) ;;
    kitex4j-threadpool) SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr"
                      -handlers threadpool) ;;
    kitex4j-vthreads) SERVER_ARGV=("${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}" "${jopts[@]}" -cp "$JAR"
                      io.kitex4j.benchmarks.load.LoadRunner -server "$addr" -handlers virtual) ;;
    tcpecho)        SERVER_ARGV=("$GO_BIN/tcpecho" -mode server -addr "$addr") ;;
    netty)          SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.NettyEcho -server "$addr") ;;
    *) echo "unknown server kind: $kind" >&2; return 2 ;;
  esac
}

client_argv() {
  local kind="$1" addr="$2" tp="$3" conc="$4" payload="$5" duration="$6" warmup="$7" jopts=()
  read -r -a jopts <<<"${JAVA_OPTS:-}"
  local args=(-cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -addr "$addr" -transport "$tp"
              -c "$conc" -b "$payload" -d "$duration" -w "$warmup" ${POOL:+-pool "$POOL"} ${QPS:+-qps "$QPS"})
  local runner=(java "${jopts[@]}" "${args[@]}")
  local gov=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.GovernanceLoadRunner -addr "$addr"
             -transport "$tp" -c "$conc" -b "$payload" -d "$duration" -w "$warmup" ${QPS:+-qps "$QPS"})
  local goc=("$GO_BIN/client" -scenario bench -addr "$addr" -transport "$tp" -concurrency "$conc"
             -payload "$payload" -duration "$duration" -warmup "$warmup" ${POOL:+-max-idle "$POOL"} ${QPS:+-qps "$QPS"})
  case "$kind" in
    go)            CLIENT_ARGV=("${goc[@]}") ;;
    go-backup)     CLIENT_ARGV=("${goc[@]}" -retry backup -backup-ms "${GOV_BACKUP_MS:-10}") ;;
    go-retry-cb)   CLIENT_ARGV=("${goc[@]}" -retry failure -cb) ;;
    go-retry)      CLIENT_ARGV=("${goc[@]}" -retry failure) ;;
    go-cb)         CLIENT_ARGV=("${goc[@]}" -cb) ;;
    kitex4j-gov)   CLIENT_ARGV=("${gov[@]}" -governance none) ;;
    kitex4j-gov-backup) CLIENT_ARGV=("${gov[@]}" -governance backup -backup-ms "${GOV_BACKUP_MS:-10}") ;;
    kitex4j-gov-retry-cb) CLIENT_ARGV=("${gov[@]}" -governance retry-cb) ;;
    kitex4j)       CLIENT_ARGV=("${runner[@]}" -mode blocking) ;;
    kitex4j-async) CLIENT_ARGV=("${runner[@]}" -mode async) ;;
    kitex4j-tracing) CLIENT_ARGV=("${runner[@]}" -mode blocking -tracing) ;;
    kitex4j-observed) CLIENT_ARGV=("${runner[@]}" -mode blocking -tracing -metrics) ;;
    kitex4j-virtual)
                   [ -n "$JAVA25" ] || { echo "kitex4j-virtual needs JAVA25=<a JDK 21+ java>" >&2; return 2; }
                   CLIENT_ARGV=("$JAVA25" "${jopts[@]}" "${args[@]}" -mode virtual) ;;
    tcpecho)       CLIENT_ARGV=("$GO_BIN/tcpecho" -mode client -addr "$addr" -concurrency "$conc" -payload "$payload"
                     -duration "$duration" -warmup "$warmup") ;;
    netty)         CLIENT_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.NettyEcho -addr "$addr"
                     -c "$conc" -b "$payload" -d "$duration" -w "$warmup") ;;
    *) echo "unknown client kind: $kind" >&2; return 2 ;;
  esac
}
