#!/usr/bin/env bash
# Lints the protobuf contracts with buf (the STANDARD rules, exceptions in
# proto/buf.yaml), then checks that nothing published broke: the contracts are compared
# with proto/published.binpb, the image of the published ones (buf's FILE rules: no
# field, message, enum value or service removed, renumbered or retyped). Installs buf
# from the npm registry into target/tools when it is not on the PATH.
#
#   scripts/lint-proto.sh             lint + breaking check
#   scripts/lint-proto.sh --publish   after adding to a contract: refresh the image
set -euo pipefail
cd "$(dirname "$0")/.."

BUF_VERSION=1.75.0
if command -v buf >/dev/null 2>&1; then
  BUF=$(command -v buf)
else
  BUF=$PWD/target/tools/buf/node_modules/.bin/buf
  if [ ! -x "$BUF" ] || [ "$("$BUF" --version)" != "$BUF_VERSION" ]; then
    npm install --silent --no-audit --no-fund --prefix target/tools/buf "@bufbuild/buf@$BUF_VERSION" >&2
  fi
fi
(cd proto && "$BUF" lint)
echo "proto: buf lint clean"
if [ "${1:-}" = --publish ]; then
  (cd proto && "$BUF" build --exclude-source-info -o published.binpb)
  echo "proto: published.binpb refreshed"
fi
(cd proto && "$BUF" breaking --against published.binpb)
echo "proto: nothing published broke (buf breaking against proto/published.binpb)"
