#!/usr/bin/env bash
# Runs every test of the suite: unit, integration (real services on loopback, on SQLite
# and PostgreSQL), end to end with the real grpcurl, buf lint and breaking check of the
# contracts, and the Kubernetes manifest checks.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# grpcurl: the real binary, installed from the registry if missing.
if [ -z "${GRPCURL:-}" ]; then
  if command -v grpcurl >/dev/null 2>&1; then
    GRPCURL=$(command -v grpcurl)
  else
    GRPCURL=$(bash scripts/install-grpcurl.sh "${HOME}/.local/bin" | tail -n 1)
  fi
fi
export GRPCURL
"$GRPCURL" -version

# jq: the grpcurl walk-through (docs/grpcurl.md, run by tests/tests/docs.rs) uses it.
if ! command -v jq >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq jq) >&2
  else
    echo "jq is required by the docs test: install it (e.g. apt-get install jq)" >&2
    exit 1
  fi
fi

# PostgreSQL is required: its tests fail loudly rather than skip.
export SYMBOLON_TEST_POSTGRES_URL=${SYMBOLON_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if command -v pg_isready >/dev/null 2>&1; then
  pg_isready -d "$SYMBOLON_TEST_POSTGRES_URL" || {
    echo "PostgreSQL is not reachable at $SYMBOLON_TEST_POSTGRES_URL; the PostgreSQL tests need it." >&2
    exit 1
  }
fi

# Nothing tracked reaches outside the repository (a user's clone has nothing beside it).
bash scripts/check-self-contained.sh

# The contracts follow buf's style guide and break nothing published (before the build:
# it fails in seconds).
bash scripts/lint-proto.sh

cargo test --workspace --locked "$@"

# The contracts from another language: a Python client generated from proto/.
bash scripts/check-python-client.sh

if [ -f scripts/check-k8s.sh ]; then
  bash scripts/check-k8s.sh
fi
