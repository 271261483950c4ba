# Shell functions bench/run.sh and bench/scale.sh both use; sourced, not run.
# The caller sets ROOT (the repository) and LOG_TAG (the prefix of its log lines, and
# the name in its work directory and database) first.

PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${BENCH_OUT:-$ROOT/target/bench}
BIN=$ROOT/target/release
WORK=$(mktemp -d "${TMPDIR:-/tmp}/symbolon-$LOG_TAG.XXXXXX")
DB=symbolon_${LOG_TAG}_$$
mkdir -p "$OUT"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }

# A free TCP port on 127.0.0.1 (nothing answers a connect there).
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Drops database $1 on the server at $PG_URL, ending its sessions; quiet.
drop_db() {
    psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
}
