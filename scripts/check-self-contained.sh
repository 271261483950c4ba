#!/usr/bin/env bash
# Fails when a tracked file reaches outside the repository: a user's clone has nothing
# beside it, so every script, test, benchmark and document must stand on what is here
# (data is committed as an extract with its attribution; tools are installed from the
# package registries by scripts/). Prints `self-contained: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

# The pattern is spelled so that this file does not match itself.
outside=$(git grep -nE '\.\./+shar[e]d\b' -- . ':!Cargo.lock' 2>/dev/null)
if [ -n "$outside" ]; then
  echo "FAIL tracked files refer to a folder beside the repository:"
  echo "$outside"
  echo "self-contained: 0 passed, 1 failed"
  exit 1
fi
echo "PASS no tracked file refers to a folder beside the repository"
echo "self-contained: 1 passed, 0 failed"
