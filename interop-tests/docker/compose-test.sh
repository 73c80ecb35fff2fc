#!/usr/bin/env bash
# Runs interop-tests/docker/docker-compose.yml as a user would (`up`), on the container engine of DOCKER_HOST
# (engine.sh's Podman, or Docker), and asserts the calls in the clients' logs:
#   - go-calls-java: the Go Kitex client's 10 TTHeader calls to the kitex4j server, each answered with the
#     transient metainfo the server received ("from=go"), and its summary {"failed":0,"ok":10};
#   - java-calls-go: the kitex4j CLI's 10 calls to the Go Kitex server, each answered "from=java".
# Both clients must exit 0. The compose tool is Debian's docker-compose (1.29), which speaks the Docker API on
# DOCKER_HOST, as Docker Compose does for a Docker user; it is installed when missing (as root).
# Builds from the binaries of this checkout: the Go peers (interop-tests/go/build-peers.sh into interop-tests/go/bin/)
# and cli/target/kitex4j-cli.jar (build it first: mvn -DskipTests -pl cli -am package).
#   eval "$(interop-tests/docker/engine.sh start)" && interop-tests/docker/compose-test.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PROJECT=kitex4j-compose-test   # engine.sh stop removes what this project leaves behind
COMPOSE_FILE="$HERE/docker-compose.yml"
OUT="$ROOT/interop-tests/target/compose-test"
mkdir -p "$OUT"

log() { printf 'compose-test: %s\n' "$*" >&2; }
die() { printf 'compose-test: FAILED: %s\n' "$*" >&2; exit 1; }

. "$ROOT/bin/lib/deps.sh"
# Without its recommends: they are Docker's own engine (docker.io, containerd), which this test does not use.
KITEX4J_APT_OPTS=--no-install-recommends kitex4j_need_debian_packages docker-compose:docker-compose || die "docker-compose is missing (remedy: apt-get install -y docker-compose)"
[ -n "${DOCKER_HOST:-}" ] || die "DOCKER_HOST is not set (remedy: eval \"\$(interop-tests/docker/engine.sh start)\")"
[ -f "$ROOT/cli/target/kitex4j-cli.jar" ] || die "cli/target/kitex4j-cli.jar is missing (remedy: mvn -DskipTests -pl cli -am package)"

t0=$(date +%s)
log "building the Go peers (static) into interop-tests/go/bin/"
"$ROOT/interop-tests/go/build-peers.sh" "$ROOT/interop-tests/go/bin" >"$OUT/go-build.log" 2>&1 || { cat "$OUT/go-build.log" >&2; die "go build"; }

export KITEX4J_GO_BINARIES=host KITEX4J_CLI_JAR=host
compose() { docker-compose -p "$PROJECT" -f "$COMPOSE_FILE" "$@"; }
cleanup() { compose down -v --remove-orphans >"$OUT/down.log" 2>&1 || true; }
trap cleanup EXIT
cleanup

log "docker-compose up --build (project $PROJECT)"
compose up --build -d >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log" >&2; die "docker-compose up"; }

# Wait for both clients to have exited 0 (a client restarted by on-failure counts only once it succeeds).
exited_ok() {
  local id
  id=$(compose ps -q "$1")
  [ -n "$id" ] || return 1
  [ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>/dev/null)" = "exited 0" ]
}
deadline=$(($(date +%s) + 120))
until exited_ok go-calls-java && exited_ok java-calls-go; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    compose ps >&2 || true
    compose logs --no-color >&2 || true
    die "the clients did not both exit 0 within 120 s"
  fi
  sleep 0.5
done

compose logs --no-color --no-log-prefix go-calls-java >"$OUT/go-calls-java.log" 2>/dev/null
compose logs --no-color --no-log-prefix java-calls-go >"$OUT/java-calls-go.log" 2>/dev/null
compose logs --no-color >"$OUT/all.log" 2>&1

# The Go client's last run: 10 JSON call lines answered "from=go", and its summary.
go_ok=$(grep -c '"event":"call".*"ok":true.*"msg":"from=go"' "$OUT/go-calls-java.log" || true)
grep -q '"event":"summary".*"failed":0.*"ok":10' "$OUT/go-calls-java.log" ||
  { cat "$OUT/go-calls-java.log" >&2; die "go-calls-java: no summary with failed 0, ok 10"; }
[ "$go_ok" -ge 10 ] || { cat "$OUT/go-calls-java.log" >&2; die "go-calls-java: $go_ok calls answered from=go (expected: 10)"; }
java_ok=$(grep -c '^Echo action=metainfo msg=from=java ' "$OUT/java-calls-go.log" || true)
[ "$java_ok" -ge 10 ] || { cat "$OUT/java-calls-go.log" >&2; die "java-calls-go: $java_ok calls answered from=java (expected: 10)"; }

log "passed in $(($(date +%s) - t0)) s: go-calls-java 10/10 answered from=go (summary failed 0), java-calls-go 10/10 answered from=java; logs in ${OUT#$ROOT/}"
