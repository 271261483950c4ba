#!/usr/bin/env bash
# Lints the protobuf contracts with buf (the STANDARD rules, exceptions in
# proto/buf.yaml). Installs buf from the npm registry into target/tools when it is not
# on the PATH.
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
