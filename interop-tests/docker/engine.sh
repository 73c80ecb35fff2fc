#!/usr/bin/env bash
# A container engine for the Dockerised Go–Java tests, on a machine without Docker: Debian's Podman (with runc)
# serving the Docker API on a socket this script owns, plus local base images made with debootstrap (no image
# registry is needed, or reached).
#
#   eval "$(interop-tests/docker/engine.sh start)"   # the environment to use (also written to $STATE/env)
#   interop-tests/docker/engine.sh stop     # removes the test containers and networks, stops the API service
#   interop-tests/docker/engine.sh status
#
# With a Docker engine already answering (DOCKER_HOST, or /var/run/docker.sock), `start` uses it and starts
# nothing: the tests then build on the public base images (eclipse-temurin, the official etcd image), which that
# engine pulls. KITEX4J_ENGINE=podman forces Podman; KITEX4J_ENGINE=docker forces the existing engine.
#
# What `start` does with Podman, each step named in its error message when it fails:
#   1. install podman, runc and debootstrap with apt-get when missing (as root);
#   2. write $STATE/containers.conf (runc, cgroupfs, file events, ulimits at or below this shell's) and point
#      CONTAINERS_CONF at it: Podman's defaults fail here (crun rejects the hybrid cgroup layout, and raising
#      RLIMIT_NOFILE/NPROC is not permitted);
#   3. start `podman system service` on $STATE/podman.sock as a process of its own, and wait for /_ping;
#   4. build, or reuse, the local base images: a Debian bookworm minbase with openjdk-17-jre-headless (the Java
#      peer's base) and one with etcd-server (the etcd image), imported with `podman import` and tagged with the
#      hash of their recipe, so a second run reuses them in seconds.
# Testcontainers is pointed at the socket with DOCKER_HOST, and its Ryuk reaper is disabled
# (TESTCONTAINERS_RYUK_DISABLED=true): Ryuk's image can't be pulled here. Without Ryuk nothing removes the
# containers of a test JVM that dies; `stop` therefore removes every container and network labelled
# org.testcontainers=true or made by the compose test (project kitex4j-compose-test), and the tests remove theirs
# themselves when they end normally. TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1: the engine runs on this host, so
# mapped ports are on loopback (Testcontainers would otherwise guess a bridge gateway on machines it takes for a
# container, which answers only while Podman's default network exists).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${KITEX4J_ENGINE_STATE:-/tmp/kitex4j-engine}"
STARTED=false
SOCK="$STATE/podman.sock"
SUITE=bookworm
COMPOSE_PROJECT=kitex4j-compose-test

log() { printf 'engine.sh: %s\n' "$*" >&2; }
fail() {
  # $1: the step, $2: the remedy
  printf 'engine.sh: FAILED at step "%s".\n  remedy: %s\n  (details above; state in %s)\n' "$1" "$2" "$STATE" >&2
  mkdir -p "$STATE"
  printf 'container engine: step "%s" failed; remedy: %s\n' "$1" "$2" >"$STATE/error"
  exit 1
}

docker_engine_answers() {
  # An engine that is not ours: DOCKER_HOST as set, or Docker's default socket.
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix://$SOCK" ]; then
    case "$DOCKER_HOST" in
      unix://*) curl -sf --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://d/_ping >/dev/null 2>&1 ;;
      tcp://*) curl -sf --max-time 3 "http://${DOCKER_HOST#tcp://}/_ping" >/dev/null 2>&1 ;;
      *) return 1 ;;
    esac
    return
  fi
  [ -S /var/run/docker.sock ] && curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://d/_ping >/dev/null 2>&1
}

write_env() {
  # $@: lines NAME=VALUE
  mkdir -p "$STATE"
  rm -f "$STATE/error"
  : >"$STATE/env"
  local kv
  for kv in "$@"; do
    printf 'export %s\n' "$kv" >>"$STATE/env"
  done
  cat "$STATE/env"
}

need_packages() {
  # bin/lib/deps.sh is the one place that installs Debian packages; it says what it could not do.
  # shellcheck source=../../bin/lib/deps.sh
  . "$HERE/../../bin/lib/deps.sh"
  kitex4j_need_debian_packages podman:podman runc:runc debootstrap:debootstrap ||
    fail "1/4 install podman, runc and debootstrap" "run as root, or 'sudo apt-get install -y podman runc debootstrap' first; or run a Docker engine and set DOCKER_HOST"
}

write_conf() {
  # Podman may not raise a limit above this shell's: cap the container defaults at the current soft limits.
  local nofile nproc
  nofile=$(ulimit -Sn); nproc=$(ulimit -Su)
  [ "$nofile" = unlimited ] && nofile=10000
  [ "$nproc" = unlimited ] && nproc=10000
  [ "$nofile" -gt 10000 ] && nofile=10000
  [ "$nproc" -gt 10000 ] && nproc=10000
  cat >"$STATE/containers.conf" <<EOF
# Written by interop-tests/docker/engine.sh; used through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  export CONTAINERS_CONF="$STATE/containers.conf"
}

start_service() {
  if [ -f "$STATE/podman.pid" ] && kill -0 "$(cat "$STATE/podman.pid")" 2>/dev/null &&
      curl -sf --max-time 3 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
    log "3/4 the API service is already running (pid $(cat "$STATE/podman.pid"))"
    STARTED=false
    return
  fi
  rm -f "$SOCK"
  # setsid: the service is a process group of its own, which `stop` ends; it outlives this script on purpose.
  setsid podman system service --time=0 "unix://$SOCK" >"$STATE/podman-service.log" 2>&1 </dev/null &
  echo $! >"$STATE/podman.pid"
  STARTED=true
  local i
  for i in $(seq 1 100); do
    if curl -sf --max-time 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
      log "3/4 the Docker API answers on $SOCK (pid $(cat "$STATE/podman.pid"))"
      return
    fi
    kill -0 "$(cat "$STATE/podman.pid")" 2>/dev/null || break
    sleep 0.1
  done
  cat "$STATE/podman-service.log" >&2 || true
  if [ "$(id -u)" != 0 ]; then
    fail "3/4 start 'podman system service'" "run as root: this script sets up rootful Podman (rootless Podman needs subuids, a home and slirp4netns, not set up here); or run a Docker engine and set DOCKER_HOST"
  fi
  fail "3/4 start 'podman system service'" "see $STATE/podman-service.log; 'CONTAINERS_CONF=$STATE/containers.conf podman info' tells what Podman can't do on this machine"
}

debian_mirror() {
  # The mirror apt uses, so that debootstrap reaches only what apt already reaches.
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Builds (or reuses) a base image: $1 the image name, $2 the packages to include, $3 the image's CMD (JSON).
base_image() {
  local name=$1 packages=$2 cmd=$3 mirror recipe hash image rootfs start
  mirror=$(debian_mirror)
  recipe="debootstrap --variant=minbase --include=$packages $SUITE $mirror; cmd=$cmd; v1"
  hash=$(printf '%s' "$recipe" | sha256sum | cut -c1-12)
  image="localhost/kitex4j/$name:$hash"
  if podman image exists "$image"; then
    log "4/4 reusing $image"
    echo "$image"
    return
  fi
  start=$(date +%s)
  rootfs="$STATE/rootfs-$name"
  rm -rf "$rootfs"
  log "4/4 building $image: debootstrap $SUITE minbase + $packages from $mirror"
  debootstrap --variant=minbase --include="$packages" "$SUITE" "$rootfs" "$mirror" >"$STATE/debootstrap-$name.log" 2>&1 ||
    { tail -20 "$STATE/debootstrap-$name.log" >&2; fail "4/4 debootstrap $name" "see $STATE/debootstrap-$name.log; debootstrap needs root and the Debian mirror apt uses ($mirror)"; }
  chroot "$rootfs" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" -c . | podman import --change "CMD $cmd" - "$image" >"$STATE/import-$name.log" 2>&1 ||
    fail "4/4 podman import $name" "see the message above; 'podman info' tells whether Podman's storage works here"
  rm -rf "$rootfs"
  log "4/4 built $image in $(($(date +%s) - start)) s"
  echo "$image"
}

cleanup_containers() {
  local ids
  ids=$( { podman ps -aq --filter label=org.testcontainers=true
           podman ps -aq --filter label=com.docker.compose.project=$COMPOSE_PROJECT; } 2>/dev/null | sort -u)
  if [ -n "$ids" ]; then
    log "removing $(echo "$ids" | wc -l) test container(s)"
    # shellcheck disable=SC2086
    podman rm -f -t 2 $ids >/dev/null 2>&1 || true
  fi
  # `podman exec` leaves a conmon per exec session for 5 minutes (its --exit-delay 300); for a container that is gone
  # it only holds the container's mounts: end those, and no other.
  local pid cid
  for pid in $(pgrep -x conmon 2>/dev/null); do
    cid=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | awk 'prev == "-c" {print; exit} {prev = $0}')
    if [ -n "$cid" ] && ! podman container exists "$cid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
    fi
  done
  ids=$( { podman network ls -q --filter label=org.testcontainers=true
           podman network ls -q --filter label=com.docker.compose.project=$COMPOSE_PROJECT; } 2>/dev/null | sort -u)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    podman network rm -f $ids >/dev/null 2>&1 || true
  fi
}

cmd_start() {
  mkdir -p "$STATE"
  local engine="${KITEX4J_ENGINE:-auto}"
  if [ "$engine" = docker ] || { [ "$engine" = auto ] && docker_engine_answers; }; then
    docker_engine_answers || fail "0/4 reach the Docker engine" "KITEX4J_ENGINE=docker, but no engine answers at \${DOCKER_HOST:-/var/run/docker.sock}; start Docker or unset KITEX4J_ENGINE"
    log "a Docker engine answers (${DOCKER_HOST:-unix:///var/run/docker.sock}): using it; the tests build on public base images"
    write_env "DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}" "KITEX4J_ENGINE_KIND=docker" \
      "KITEX4J_ENGINE_STARTED=false"
    return
  fi
  local t0 jre etcd
  t0=$(date +%s)
  need_packages
  write_conf
  start_service
  jre=$(base_image debian-jre17 openjdk-17-jre-headless '["java", "-version"]')
  etcd=$(base_image debian-etcd etcd-server '["etcd"]')
  write_env "DOCKER_HOST=unix://$SOCK" "CONTAINERS_CONF=$STATE/containers.conf" \
    "TESTCONTAINERS_RYUK_DISABLED=true" "TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1" "KITEX4J_ENGINE_KIND=podman" \
    "KITEX4J_JRE_IMAGE=$jre" "KITEX4J_ETCD_IMAGE=$etcd" "KITEX4J_STATIC_IMAGE=scratch" \
    "KITEX4J_ENGINE_STARTED=$STARTED"
  log "ready in $(($(date +%s) - t0)) s; 'interop-tests/docker/engine.sh stop' ends it"
}

cmd_stop() {
  if [ ! -f "$STATE/containers.conf" ]; then
    log "nothing to stop (no Podman engine was started with state in $STATE)"
    return
  fi
  export CONTAINERS_CONF="$STATE/containers.conf"
  cleanup_containers
  if [ -f "$STATE/podman.pid" ]; then
    local pid
    pid=$(cat "$STATE/podman.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      log "stopped the API service (pid $pid)"
    fi
    rm -f "$STATE/podman.pid" "$SOCK"
  fi
}

cmd_status() {
  if [ -f "$STATE/podman.pid" ] && kill -0 "$(cat "$STATE/podman.pid")" 2>/dev/null; then
    echo "podman API service: running (pid $(cat "$STATE/podman.pid")) on $SOCK"
  else
    echo "podman API service: not running"
  fi
  [ -f "$STATE/env" ] && cat "$STATE/env"
  [ -f "$STATE/error" ] && cat "$STATE/error"
  return 0
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
