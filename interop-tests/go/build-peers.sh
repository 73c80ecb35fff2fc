#!/bin/sh
# Builds the Go Kitex peers (cmd/server, cmd/client) into DIR, the one way every user of them builds them:
# GoPeers (the process tests), Dockerfile.go-peer's source stage, compose-test.sh. Static (CGO_ENABLED=0), so the
# same files run on the host and on a scratch image; -s -w drop the symbol tables the tests never need (Go's
# panics still name functions and lines).
#   interop-tests/go/build-peers.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
cd "$(dirname "$0")"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
# First vets every package of the module, examples/ included (examples/observability is the Go snippet of the
# README's Observability section): code shown to users compiles, or no peer gets built. Same environment as the
# build, so the build reuses what vet compiled.
go vet ./...
exec go build -ldflags="-s -w" -o "$1/" ./cmd/server ./cmd/client
