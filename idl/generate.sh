#!/usr/bin/env bash
# Regenerates the committed Java code under src/main/java from echo.thrift and interop.thrift.
# Deterministic: deletes the old output first; no dates in the output (generated_annotations=suppress).
#   idl/generate.sh            -> writes idl/src/main/java
#   idl/generate.sh OUT_DIR    -> writes OUT_DIR instead (used by GeneratedCodeUpToDateTest)
# Needs the Apache Thrift compiler 0.17.0 (Debian/Ubuntu: apt-get install thrift-compiler); THRIFT=... overrides.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/src/main/java}"
thrift="${THRIFT:-thrift}"
expected_version="0.17.0"
java_options="private_members,generated_annotations=suppress"

if ! command -v "$thrift" >/dev/null 2>&1; then
  echo "generate.sh: thrift compiler '$thrift' not found (apt-get install thrift-compiler)" >&2
  exit 2
fi
version="$("$thrift" --version | awk '{print $3}')"
if [[ "$version" != "$expected_version" ]]; then
  echo "generate.sh: thrift $version found, the committed code is from $expected_version" >&2
  exit 3
fi

# Everything under io/kitex4j/idl in the output directory is generated: remove it all, so code of a
# renamed or deleted type does not linger.
rm -rf "$out/io/kitex4j/idl"
mkdir -p "$out"
for idl in echo.thrift interop.thrift; do
  "$thrift" --gen "java:$java_options" -out "$out" "$here/$idl"
done
