#!/usr/bin/env bash
# Regenerates kitex_gen/ from ../../idl/*.thrift with the kitex tool of the Kitex version in go.mod.
# The tool is built from the module cache (go build), not installed, so it always matches go.mod.
set -euo pipefail
cd "$(dirname "$0")"
MODULE=$(go list -m)
KITEX_VERSION=$(go list -m -f '{{.Version}}' github.com/cloudwego/kitex)
TOOL_DIR=${TMPDIR:-/tmp}/kitex4j-kitex-tool-$KITEX_VERSION
mkdir -p "$TOOL_DIR"
[ -x "$TOOL_DIR/kitex" ] || GOFLAGS=-mod=mod go build -o "$TOOL_DIR/kitex" github.com/cloudwego/kitex/tool/cmd/kitex
rm -rf kitex_gen
for idl in ../../idl/echo.thrift ../../idl/interop.thrift; do
  "$TOOL_DIR/kitex" -module "$MODULE" "$idl"
done
GOFLAGS=-mod=mod go mod tidy
