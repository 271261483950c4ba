#!/usr/bin/env bash
# The scale step: the methods a quarterly review runs, measured at growing data sizes
# (customers × 100 touchpoints, a hot customer with 1% of all touchpoints, 4 incidents
# each, two years of history), on PostgreSQL and SQLite, with the growth from one size
# to the next. See bench/README.md ("Cost as the data grows").
#
#   bench/scale.sh                                  # PostgreSQL 1k and 10k, SQLite 1k
#   SCALE_PG_SIZES="1000 10000 100000" bench/scale.sh
#
# Environment (all optional):
#   SCALE_PG_SIZES="1000 10000"   customer counts on PostgreSQL ("" to skip)
#   SCALE_SQLITE_SIZES="1000"     customer counts on SQLite ("" to skip)
#   SCALE_SECS=3                  measured seconds per method, at 1 and at 16 in flight
#   SCALE_WORKERS=1               the service's runtime workers
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   the PostgreSQL server (trust auth)
#   BENCH_SKIP_BUILD=1            use the release binaries already in target/release
#   BENCH_OUT=target/bench        where the results are kept
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOG_TAG=scale
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
PG_SIZES=${SCALE_PG_SIZES-1000 10000}
SQLITE_SIZES=${SCALE_SQLITE_SIZES-1000}
SECS=${SCALE_SECS:-3}
WORKERS=${SCALE_WORKERS:-1}
SVC_PID=
export SCALE_RESULTS=$OUT/scale-$(date +%Y%m%d-%H%M%S).jsonl

cleanup() {
    if [[ -n $SVC_PID ]]; then
        kill "$SVC_PID" 2>/dev/null || true
        wait "$SVC_PID" 2>/dev/null || true
    fi
    drop_db "$DB" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
    log "building release binaries"
    cargo build --release -p symbolon-bench -p symbolon-customers >&2
fi
export SYMBOLON_TOKEN
SYMBOLON_TOKEN=$("$BIN/symbolon-scale" --keygen "$WORK")

# size BACKEND URL CUSTOMERS: a fresh service on a fresh database, loaded and measured.
size() {
    local backend=$1 url=$2 n=$3 port
    port=$(free_port)
    SYMBOLON_WORKER_THREADS=$WORKERS SYMBOLON_LISTEN_ADDR=127.0.0.1:$port DATABASE_URL=$url \
        SYMBOLON_JWT_PUBLIC_KEY_FILE=$WORK/jwt-public.pem SYMBOLON_LOG=warn \
        "$BIN/symbolon-customers" >>"$WORK/customers.log" 2>&1 &
    SVC_PID=$!
    "$BIN/symbolon-load" --target "http://127.0.0.1:$port" --scenario get-customer --wait 60 --wait-only
    "$BIN/symbolon-scale" --db "$url" --target "http://127.0.0.1:$port" --customers "$n" \
        --secs "$SECS" --watch-pid "$SVC_PID" --label "$backend $n"
    kill "$SVC_PID"
    wait "$SVC_PID" 2>/dev/null || true
    SVC_PID=
}

for n in $PG_SIZES; do
    drop_db "$DB"
    psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $DB" >/dev/null
    size postgres "$PG_URL/$DB" "$n"
    drop_db "$DB"
done
for n in $SQLITE_SIZES; do
    rm -f "$WORK"/scale.db*
    size sqlite "sqlite://$WORK/scale.db?mode=rwc" "$n"
done
"$BIN/symbolon-scale" --report "$SCALE_RESULTS"
log "results in $SCALE_RESULTS"
