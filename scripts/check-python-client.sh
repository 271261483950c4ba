#!/usr/bin/env bash
# Generates a Python client from proto/ with grpcio-tools (in a venv of its own under
# target/python-client) and runs clients/python/scenario.py through it against the real
# suite (`symbolon dev` on free loopback ports, SQLite in a temporary directory): the
# contracts are usable outside Rust. Needs python3 and, the first time, PyPI.
# Usage: scripts/check-python-client.sh [path/to/symbolon]
# Ends with `python client: N passed, M failed`; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

GRPCIO_VERSION=1.76.0
work=target/python-client
venv=$work/venv
symbolon=${1:-${CARGO_TARGET_DIR:-target}/debug/symbolon}
[ -x "$symbolon" ] || { echo "check-python-client: $symbolon is missing (cargo build -p symbolon)" >&2; exit 1; }

mkdir -p "$work"
if ! "$venv/bin/python" -c "import grpc_tools, grpc_status; assert grpc_tools.__name__" 2>/dev/null \
  || [ "$(cat "$venv/.versions" 2>/dev/null)" != "$GRPCIO_VERSION" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "grpcio-tools==$GRPCIO_VERSION" "grpcio-status==$GRPCIO_VERSION" >&2
  echo "$GRPCIO_VERSION" > "$venv/.versions"
fi

# The stubs, generated afresh from the contracts as a user would.
gen=$work/gen
rm -rf "$gen"
mkdir -p "$gen"
(cd proto && find symbolon -name '*.proto' ! -path '*/bench/*' -print0 |
  xargs -0 "../$venv/bin/python" -m grpc_tools.protoc -I . --python_out="../$gen" --grpc_python_out="../$gen")

# The suite on free ports.
ports=$("$venv/bin/python" - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
read -r c l s <<<"$ports"
data=$(mktemp -d)
log=$data/dev.log
"$symbolon" dev --demo --data-dir "$data/dev" --customers-addr "127.0.0.1:$c" \
  --labs-addr "127.0.0.1:$l" --supplychain-addr "127.0.0.1:$s" >"$log" 2>&1 &
dev=$!
trap 'kill "$dev" 2>/dev/null; wait "$dev" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  grep -q "Ctrl-C stops everything" "$log" && break
  kill -0 "$dev" 2>/dev/null || { cat "$log" >&2; echo "python client: 0 passed, 1 failed"; exit 1; }
  sleep 0.1
done
token=$("$symbolon" token --key "$data/dev/jwt-private.pem" --org vendor --role admin)
PYTHONPATH=$gen "$venv/bin/python" clients/python/scenario.py "127.0.0.1:$c" "127.0.0.1:$l" "$token"
