# The load-test peers, shared by compare.sh and cpu-split.sh: the command line of each kind of server
# and client. Source it; it needs JAR (benchmarks.jar), GO_BIN (the Go binaries) and optionally
# JAVA_OPTS (extra JVM flags, split on spaces).
#
#   server_argv KIND ADDR                                   -> SERVER_ARGV
#       go, kitex4j (handler pool), kitex4j-direct (directExecutor), tcpecho, netty
#   client_argv KIND ADDR TRANSPORT CONC PAYLOAD DURATION WARMUP   -> CLIENT_ARGV
#       go, kitex4j (blocking stub), kitex4j-async, tcpecho, netty

server_argv() {
  local kind="$1" addr="$2" jopts=()
  read -r -a jopts <<<"${JAVA_OPTS:-}"
  case "$kind" in
    go)             SERVER_ARGV=("$GO_BIN/server" -addr "$addr") ;;
    kitex4j)        SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr") ;;
    kitex4j-direct) SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -server "$addr"
                      -handlers direct) ;;
    tcpecho)        SERVER_ARGV=("$GO_BIN/tcpecho" -mode server -addr "$addr") ;;
    netty)          SERVER_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.NettyEcho -server "$addr") ;;
    *) echo "unknown server kind: $kind" >&2; return 2 ;;
  esac
}

client_argv() {
  local kind="$1" addr="$2" tp="$3" conc="$4" payload="$5" duration="$6" warmup="$7" jopts=()
  read -r -a jopts <<<"${JAVA_OPTS:-}"
  local runner=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.LoadRunner -addr "$addr" -transport "$tp"
                -c "$conc" -b "$payload" -d "$duration" -w "$warmup")
  case "$kind" in
    go)            CLIENT_ARGV=("$GO_BIN/client" -scenario bench -addr "$addr" -transport "$tp" -concurrency "$conc"
                     -payload "$payload" -duration "$duration" -warmup "$warmup") ;;
    kitex4j)       CLIENT_ARGV=("${runner[@]}" -mode blocking) ;;
    kitex4j-async) CLIENT_ARGV=("${runner[@]}" -mode async) ;;
    tcpecho)       CLIENT_ARGV=("$GO_BIN/tcpecho" -mode client -addr "$addr" -concurrency "$conc" -payload "$payload"
                     -duration "$duration" -warmup "$warmup") ;;
    netty)         CLIENT_ARGV=(java "${jopts[@]}" -cp "$JAR" io.kitex4j.benchmarks.load.NettyEcho -addr "$addr"
                     -c "$conc" -b "$payload" -d "$duration" -w "$warmup") ;;
    *) echo "unknown client kind: $kind" >&2; return 2 ;;
  esac
}
