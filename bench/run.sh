#!/usr/bin/env bash
# The Symbolon benchmark, in one run: the bare tonic echo server, the customers service
# on SQLite and on PostgreSQL, the supply-chain service's AssessCoverage on SQLite, and
# pgbench with the equivalent SQL, all driven with the same load on the same machine; then a table of throughput, latency and the ratios
# against the targets. See bench/README.md.
#
#   bench/run.sh                      # everything, 10 s per step
#   BENCH_SECS=5 bench/run.sh         # shorter steps
#
# Environment (all optional):
#   BENCH_SECS=10          measured seconds per step
#   BENCH_WARMUP=2         warm-up seconds per step (not counted)
#   BENCH_CONNECTIONS=2    HTTP/2 connections the load tool spreads its calls over
#   BENCH_SQLITE_WORKERS=$(nproc)  runtime worker threads (SYMBOLON_WORKER_THREADS) of the
#                          servers in the SQLite steps: as `symbolon dev` runs them here
#   BENCH_PG_WORKERS=1     the same for the PostgreSQL steps: as Kubernetes runs them (a CPU
#                          limit of 1 gives one). Echo runs with each setting, and each
#                          ratio to echo takes the echo with the service's setting.
#   BENCH_TOOL_THREADS=1   the load tool's runtime threads (1: current-thread runtime)
#   BENCH_ROWS=1000        customers in the table GetCustomer reads (and pgbench's copy)
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   the PostgreSQL server (trust auth)
#   BENCH_SKIP_BUILD=1     use the release binaries already in target/release
#   BENCH_SKIP_PG=1        leave PostgreSQL and pgbench out
#   BENCH_OUT=target/bench where the results are kept (JSON lines and the table)
#   BENCH_KEEP=1           keep the work directory (keys, SQLite files, logs)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOG_TAG=bench
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SECS=${BENCH_SECS:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-2}
SQLITE_WORKERS=${BENCH_SQLITE_WORKERS:-$(nproc)}
PG_WORKERS=${BENCH_PG_WORKERS:-1}
TOOL_THREADS=${BENCH_TOOL_THREADS:-1}
ROWS=${BENCH_ROWS:-1000}

DB_CREATED=
PIDS=()
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=$OUT/results-$STAMP.jsonl
TABLE=$OUT/results-$STAMP.txt
: >"$RESULTS"

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n $DB_CREATED ]]; then
        drop_db "$DB" 2>/dev/null || true
    fi
    if [[ -n ${BENCH_KEEP:-} ]]; then
        log "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started here and forgets it.
stop() {
    local pid=$1 rest=() p
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do
        [[ $p == "$pid" ]] || rest+=("$p")
    done
    PIDS=("${rest[@]}")
}

# A number field of the flat JSON a run printed: jnum JSON FIELD.
jnum() {
    sed -n "s/.*\"$2\":\\(-\\{0,1\\}[0-9][0-9.eE+-]*\\).*/\\1/p" <<<"$1" | head -1
}

# Figures per step, by label: rps, p50 and p99 in µs, CPU of the tool, the server and
# the whole machine (as % of all cores), notes.
declare -A RPS P50 P99 TOOLCPU SRVCPU MACHCPU NOTE
ORDER=()

record() { # label rps p50 p99 toolcpu srvcpu machinecpu note
    ORDER+=("$1")
    RPS[$1]=$2 P50[$1]=$3 P99[$1]=$4 TOOLCPU[$1]=$5 SRVCPU[$1]=$6 MACHCPU[$1]=$7 NOTE[$1]=$8
}

# One load step: load LABEL PID SCENARIO TARGET CONCURRENCY [extra args...]
load() {
    local label=$1 pid=$2 scenario=$3 target=$4 conc=$5
    shift 5
    log "$label: $scenario, $conc in flight, ${SECS} s"
    local json
    if ! json=$("$BIN/symbolon-load" --json --label "$label" --scenario "$scenario" \
        --target "$target" --concurrency "$conc" --connections "$CONNS" --threads "$TOOL_THREADS" \
        --duration "$SECS" --warmup "$WARMUP" \
        --watch-pid "$pid" "$@" 2>>"$WORK/load.log"); then
        log "$label failed; see below"
        tail -5 "$WORK/load.log" >&2
        record "$label" "" "" "" "" "" "" "failed"
        return 0
    fi
    echo "$json" >>"$RESULTS"
    local errors note=""
    errors=$(jnum "$json" error_count)
    [[ ${errors:-0} == 0 ]] || note="$errors errors"
    if [[ $(sed -n 's/.*"generator_saturated":\(true\).*/\1/p' <<<"$json") == true ]]; then
        note="$note generator saturated"
    fi
    record "$label" "$(jnum "$json" rps)" "$(jnum "$json" p50_us)" "$(jnum "$json" p99_us)" \
        "$(jnum "$json" tool_cpu_percent)" "$(jnum "$json" percent_of_machine)" \
        "$(jnum "$json" machine_busy_percent)" "$note"
    LAST_JSON=$json
}

# ---------------------------------------------------------------------------------
if [[ -z ${BENCH_SKIP_BUILD:-} ]]; then
    log "building release binaries"
    cargo build --release -p symbolon-bench -p symbolon-customers -p symbolon-supplychain -p symbolon >&2
fi
for b in symbolon-echo symbolon-load symbolon-customers symbolon-supplychain symbolon; do
    [[ -x $BIN/$b ]] || { log "missing $BIN/$b (build it, or unset BENCH_SKIP_BUILD)"; exit 1; }
done

log "work directory $WORK"
"$BIN/symbolon" keygen --out-dir "$WORK" >/dev/null
TOKEN=$("$BIN/symbolon" token --key "$WORK/jwt-private.pem" --org vendor --role admin --sub bench)
export SYMBOLON_TOKEN=$TOKEN # read by symbolon-load; kept off its command line

# ---- echo ------------------------------------------------------------------------
# start_echo WORKERS: the echo server with that many runtime workers; sets ECHO_PID, ECHO_URL.
start_echo() {
    local port
    port=$(free_port)
    SYMBOLON_WORKER_THREADS=$1 "$BIN/symbolon-echo" --addr "127.0.0.1:$port" 2>>"$WORK/echo.log" &
    ECHO_PID=$!
    PIDS+=("$ECHO_PID")
    ECHO_URL=http://127.0.0.1:$port
    "$BIN/symbolon-load" --target "$ECHO_URL" --scenario echo --wait 30 --wait-only
}
# echo_steps WORKERS: echo at 1, 32 and 50 in flight, labelled "echo wWORKERS c=N".
echo_steps() {
    local c
    for c in 1 32 50; do
        load "echo w$1 c=$c" "$ECHO_PID" echo "$ECHO_URL" "$c"
    done
}
ESQ="echo w$SQLITE_WORKERS"
EPG="echo w$PG_WORKERS"
if [[ -z ${BENCH_SKIP_PG:-} && $PG_WORKERS != "$SQLITE_WORKERS" ]]; then
    start_echo "$PG_WORKERS"
    echo_steps "$PG_WORKERS"
    stop "$ECHO_PID"
fi
start_echo "$SQLITE_WORKERS"
echo_steps "$SQLITE_WORKERS"

# h2load, an independent HTTP/2 client, posting the same gRPC frame: a cross-check of
# the load tool's echo figures (apt-get install nghttp2-client).
if command -v h2load >/dev/null; then
    "$BIN/symbolon-load" --write-echo-frame "$WORK/echo.frame"
    per=$(((50 + CONNS - 1) / CONNS))
    log "h2load c=50: $CONNS connections × $per streams, ${SECS} s"
    if h2load -D "$SECS" --warm-up-time "$WARMUP" -c "$CONNS" -m "$per" -t 1 \
        -H 'content-type: application/grpc' -H 'te: trailers' -d "$WORK/echo.frame" \
        "$ECHO_URL/symbolon.bench.v1.EchoService/Echo" >"$WORK/h2load.txt" 2>&1; then
        h2rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/h2load.txt")
        h2mean=$(sed -n 's/^time for request: *[^ ]* *[^ ]* *\([^ ]*\).*/\1/p' "$WORK/h2load.txt")
        h2fail=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' "$WORK/h2load.txt")
        record "h2load echo c=50" "$h2rps" "" "" "" "" "" "mean latency $h2mean, ${h2fail:-?} failed"
    else
        record "h2load echo c=50" "" "" "" "" "" "" "failed (see $WORK/h2load.txt)"
    fi
else
    log "h2load not installed: no cross-check (apt-get install nghttp2-client)"
fi
stop "$ECHO_PID"

# ---- the customers service -------------------------------------------------------
# start_customers DATABASE_URL WORKERS: starts it on a free port, sets SVC_PID and SVC_URL.
start_customers() {
    local port
    port=$(free_port)
    SYMBOLON_WORKER_THREADS=$2 SYMBOLON_LISTEN_ADDR=127.0.0.1:$port DATABASE_URL=$1 \
        SYMBOLON_JWT_PUBLIC_KEY_FILE=$WORK/jwt-public.pem SYMBOLON_LOG=warn \
        "$BIN/symbolon-customers" >>"$WORK/customers.log" 2>&1 &
    SVC_PID=$!
    PIDS+=("$SVC_PID")
    SVC_URL=http://127.0.0.1:$port
    if ! "$BIN/symbolon-load" --target "$SVC_URL" --scenario get-customer --wait 60 --wait-only; then
        log "the customers service did not become healthy:"
        tail -20 "$WORK/customers.log" >&2
        return 1
    fi
}

# get_customer_steps BACKEND CONCURRENCY...: GetCustomer at each concurrency on $ROWS
# customers (the first step creates the missing ones).
get_customer_steps() {
    local backend=$1 c
    shift
    for c in "$@"; do
        load "get-customer $backend c=$c" "$SVC_PID" get-customer "$SVC_URL" "$c" --fixtures "$ROWS"
    done
}

log "customers service on SQLite"
if start_customers "sqlite://$WORK/customers.db?mode=rwc" "$SQLITE_WORKERS"; then
    get_customer_steps sqlite 1 32 50
    # OpenIncident + CallForFire: one iteration is the pair (two durable writes).
    load "open-incident sqlite c=32" "$SVC_PID" open-incident "$SVC_URL" 32
    stop "$SVC_PID"
fi

# ---- the supply-chain service ----------------------------------------------------
# AssessCoverage of a Frankfurt site for RRU-5258 within 4 h, on the supply-chain demo
# data (country profiles, 13 depots with stock) that the load tool loads through the API.
log "supply-chain service on SQLite"
SC_PORT=$(free_port)
SYMBOLON_WORKER_THREADS=$SQLITE_WORKERS SYMBOLON_LISTEN_ADDR=127.0.0.1:$SC_PORT DATABASE_URL="sqlite://$WORK/supplychain.db?mode=rwc" \
    SYMBOLON_JWT_PUBLIC_KEY_FILE=$WORK/jwt-public.pem SYMBOLON_LOG=warn \
    "$BIN/symbolon-supplychain" >>"$WORK/supplychain.log" 2>&1 &
SC_PID=$!
PIDS+=("$SC_PID")
SC_URL=http://127.0.0.1:$SC_PORT
if "$BIN/symbolon-load" --target "$SC_URL" --scenario assess-coverage --wait 60 --wait-only; then
    for c in 1 50; do
        load "assess-coverage sqlite c=$c" "$SC_PID" assess-coverage "$SC_URL" "$c"
    done
else
    log "the supply-chain service did not become healthy:"
    tail -20 "$WORK/supplychain.log" >&2
fi
stop "$SC_PID"

# ---- PostgreSQL and pgbench ------------------------------------------------------
PG_NOTE=""
if [[ -z ${BENCH_SKIP_PG:-} ]]; then
    if ! psql "$PG_URL/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1; then
        log "PostgreSQL at $PG_URL does not answer: skipping the PostgreSQL steps"
    else
        psql "$PG_URL/postgres" -qAtc "CREATE DATABASE $DB" >/dev/null
        DB_CREATED=1
        DB_URL=$PG_URL/$DB
        PG_NOTE="fsync=$(psql "$DB_URL" -qAtc 'SHOW fsync'), synchronous_commit=$(psql "$DB_URL" -qAtc 'SHOW synchronous_commit')"
        log "customers service on PostgreSQL ($DB; $PG_NOTE)"
        # prepare_pgbench: pgbench's tables and scripts, once the service has made its
        # fixtures. The tables are copies of the service's own, so the same row shape,
        # the same indexes and the same row count as the service reads and writes.
        prepare_pgbench() {
            psql "$DB_URL" -qAt -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TABLE bench_customers (LIKE customers INCLUDING ALL);
INSERT INTO bench_customers
    SELECT 'bench-' || row_number() OVER (ORDER BY id), customer_id, display_name,
           industry, home_country, description, create_time, update_time, delete_time,
           version, NULL
    FROM (SELECT * FROM customers ORDER BY id LIMIT $ROWS) c;
CREATE TABLE bench_touchpoints (LIKE touchpoints INCLUDING ALL);
ALTER TABLE bench_touchpoints ADD FOREIGN KEY (customer_id) REFERENCES customers (id);
ANALYZE;
SQL
            nrows=$(psql "$DB_URL" -qAtc 'SELECT count(*) FROM bench_customers')
            cust=$(psql "$DB_URL" -qAtc 'SELECT id FROM customers ORDER BY id LIMIT 1')
            cat >"$WORK/select.sql" <<SQL
\\set n random(1, $nrows)
SELECT id, customer_id, display_name, industry, home_country, description, create_time, update_time, delete_time, version FROM bench_customers WHERE id = 'bench-' || (:n)::text;
SQL
            cat >"$WORK/insert.sql" <<SQL
INSERT INTO bench_touchpoints (id, customer_id, kind, key_person, occur_time, summary, mood, intensity, strategic_anxiety, implicit_expectations, recorded_by, create_time, request_key) VALUES (gen_random_uuid()::text, '$cust', 4, 'customers/$cust/keyPersons/bench', 1700000000000000, 'Quarterly service review; the outage of last month came up.', 5, 3, 'Another outage before the regulator''s audit.', '["A named engineer on call during the audit."]', 'bench', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint, gen_random_uuid()::text);
SQL
            PGBENCH_READY=1
        }
        # pgbench_step LABEL SCRIPT: -c 32 -j 2, prepared statements, one transaction
        # (one durable commit) per statement; percentiles from its per-transaction log.
        pgbench_step() {
            local label=$1 script=$2 dir
            dir=$WORK/pgbench-${label//[^a-z0-9]/_}
            mkdir -p "$dir"
            log "$label: pgbench -c 32 -j 2 -T $SECS -M prepared -f $script"
            if ! (cd "$dir" && pgbench -n -c 32 -j 2 -T "$SECS" -M prepared -l \
                -f "$WORK/$script" "$DB_URL") >"$dir/out.txt" 2>&1; then
                tail -5 "$dir/out.txt" >&2
                record "$label" "" "" "" "" "" "" "failed"
                return 0
            fi
            local tps p50 p99
            tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$dir/out.txt" | head -1)
            read -r p50 p99 < <(cat "$dir"/pgbench_log.* | awk '{print $3}' | sort -n |
                awk '{v[NR]=$1} END {if (NR) print v[int(NR*0.5)+1], v[int(NR*0.99)+1]; else print "", ""}')
            record "$label" "$tps" "$p50" "$p99" "" "" "" "$nrows rows"
        }
        # best_of LABEL: the higher of "LABEL #1" and "LABEL #2" as LABEL. pgbench runs
        # once right before the service's steps and once after them; a pause of the
        # shared host during one run would otherwise flatter the service's ratio.
        best_of() {
            local a=${RPS[$1 #1]:-0} b=${RPS[$1 #2]:-0} k
            k="$1 #1"
            awk -v a="$a" -v b="$b" 'BEGIN { exit !(b > a) }' && k="$1 #2"
            [[ -n ${RPS[$k]:-} ]] || return 0
            record "$1" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" "" "" "" "higher of #1 and #2"
        }
        PGBENCH_READY=
        if start_customers "$DB_URL" "$PG_WORKERS"; then
            get_customer_steps postgres 1
            prepare_pgbench
            pgbench_step "pgbench select c=32 #1" select.sql
            pgbench_step "pgbench insert c=32 #1" insert.sql
            get_customer_steps postgres 32 50
            touch_before=$(psql "$DB_URL" -qAtc 'SELECT count(*) FROM touchpoints')
            LAST_JSON=
            load "record-touchpoint postgres c=32" "$SVC_PID" record-touchpoint "$SVC_URL" 32
            if [[ -n $LAST_JSON ]]; then
                # Every acknowledged write must be in the table (warm-up ones included).
                acked=$(($(jnum "$LAST_JSON" ok) + $(jnum "$LAST_JSON" warmup_ok)))
                rows=$(($(psql "$DB_URL" -qAtc 'SELECT count(*) FROM touchpoints') - touch_before))
                if ((rows >= acked)); then
                    NOTE["record-touchpoint postgres c=32"]+=" $acked acked, $rows rows: all durable"
                else
                    NOTE["record-touchpoint postgres c=32"]+=" LOST WRITES: $acked acked, $rows rows"
                fi
            fi
            # OpenIncident + CallForFire where it runs in production (two durable writes a pair).
            load "open-incident postgres c=32" "$SVC_PID" open-incident "$SVC_URL" 32
            stop "$SVC_PID"
        fi

        if [[ -n $PGBENCH_READY ]]; then
            pgbench_step "pgbench select c=32 #2" select.sql
            pgbench_step "pgbench insert c=32 #2" insert.sql
            best_of "pgbench select c=32"
            best_of "pgbench insert c=32"
        fi
    fi
fi

# ---- the table -------------------------------------------------------------------
ratio() { # a b -> a/b with 2 decimals, or empty
    [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
}
verdict() { # value op target
    [[ -n $1 ]] || { echo "n/a"; return; }
    awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "met" : "NOT MET" }'
}
fmt0() { if [[ -n $1 ]]; then printf '%.0f' "$1"; else echo -; fi; }
pct() { if [[ -n $1 ]]; then printf '%.0f%%' "$1"; else echo -; fi; }
target_row() { # text value op target
    printf '  %-58s %6s   %s %-4s  %s\n' "$1" "${2:-n/a}" "$3" "$4" "$(verdict "$2" "$3" "$4")"
}

{
    echo
    echo "Symbolon benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, ${SECS} s per step after ${WARMUP} s warm-up,"
    echo "runtime workers: $SQLITE_WORKERS in the SQLite and echo w$SQLITE_WORKERS steps, $PG_WORKERS in the PostgreSQL and echo w$PG_WORKERS steps;"
    echo "load tool with $TOOL_THREADS thread(s) over $CONNS connection(s);"
    echo "$ROWS customers${PG_NOTE:+; PostgreSQL $PG_NOTE}"
    echo
    printf '  %-34s %9s %8s %8s %6s %6s %6s  %s\n' step "calls/s" "p50 µs" "p99 µs" tool server "all" notes
    for k in "${ORDER[@]}"; do
        printf '  %-34s %9s %8s %8s %6s %6s %6s  %s\n' "$k" "$(fmt0 "${RPS[$k]}")" "${P50[$k]:--}" \
            "${P99[$k]:--}" "$(pct "${TOOLCPU[$k]}")" "$(pct "${SRVCPU[$k]}")" "$(pct "${MACHCPU[$k]}")" \
            "${NOTE[$k]:-}"
    done
    echo
    echo "  tool, server, all: CPU of the load tool, of the server process and of the whole"
    echo "  machine (anything else included), as % of all $(nproc) cores over the measured part."
    echo "  'all' near 100% means the machine, not the service, was the limit."
    echo
    echo "Targets (ratios within this run):"
    target_row "GetCustomer SQLite c=50 / $ESQ c=50 (calls/s)" \
        "$(ratio "${RPS[get-customer sqlite c=50]:-}" "${RPS[$ESQ c=50]:-}")" ">=" 0.50
    target_row "GetCustomer PostgreSQL c=32 / pgbench select c=32" \
        "$(ratio "${RPS[get-customer postgres c=32]:-}" "${RPS[pgbench select c=32]:-}")" ">=" 0.70
    target_row "RecordTouchpoint PostgreSQL c=32 / pgbench insert c=32" \
        "$(ratio "${RPS[record-touchpoint postgres c=32]:-}" "${RPS[pgbench insert c=32]:-}")" ">=" 0.70
    target_row "GetCustomer SQLite p50 c=1 / $ESQ p50 c=1" \
        "$(ratio "${P50[get-customer sqlite c=1]:-}" "${P50[$ESQ c=1]:-}")" "<=" 3
    target_row "GetCustomer PostgreSQL p50 c=1 / $EPG p50 c=1" \
        "$(ratio "${P50[get-customer postgres c=1]:-}" "${P50[$EPG c=1]:-}")" "<=" 3
    target_row "AssessCoverage c=50 / $ESQ c=50 (calls/s)" \
        "$(ratio "${RPS[assess-coverage sqlite c=50]:-}" "${RPS[$ESQ c=50]:-}")" ">=" 0.40
    echo
    echo "For reference (no target):"
    target_row "GetCustomer SQLite c=32 / $ESQ c=32" \
        "$(ratio "${RPS[get-customer sqlite c=32]:-}" "${RPS[$ESQ c=32]:-}")" ">=" 0
    target_row "GetCustomer PostgreSQL c=50 / $EPG c=50" \
        "$(ratio "${RPS[get-customer postgres c=50]:-}" "${RPS[$EPG c=50]:-}")" ">=" 0
    target_row "OpenIncident+CallForFire SQLite c=32 / $ESQ c=32 (pairs/s)" \
        "$(ratio "${RPS[open-incident sqlite c=32]:-}" "${RPS[$ESQ c=32]:-}")" ">=" 0
    target_row "OpenIncident+CallForFire PostgreSQL c=32 / pgbench insert c=32" \
        "$(ratio "${RPS[open-incident postgres c=32]:-}" "${RPS[pgbench insert c=32]:-}")" ">=" 0
    target_row "AssessCoverage p50 c=1 / $ESQ p50 c=1" \
        "$(ratio "${P50[assess-coverage sqlite c=1]:-}" "${P50[$ESQ c=1]:-}")" ">=" 0
    target_row "h2load / symbolon-load, $ESQ c=50 (the tool's own cost)" \
        "$(ratio "${RPS[h2load echo c=50]:-}" "${RPS[$ESQ c=50]:-}")" ">=" 0
    echo
    echo "Raw results: $RESULTS"
} | tee "$TABLE"
