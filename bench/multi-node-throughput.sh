#!/usr/bin/env bash
# Encrypt throughput of one Trent node as a multi-node deployment runs it
# (keys in PostgreSQL, request quotas in Redis) next to the embedded default
# (SQLite, in-memory limiter), the PostgreSQL store alone (in-memory limiter),
# and a bare hyper server answering a fixed body; all driven by wrk the same
# way, from one machine state, one after another.
#
# Starts its own throwaway PostgreSQL and Redis on loopback (Debian's
# packages: postgresql, redis-server) and removes them on exit. The symmetric
# pool is raised to 1,000,000/s so every request is admitted: what is measured
# is the cost of deciding (one Redis round trip per request), not throttling.
#
# usage: bench/multi-node-throughput.sh [duration=10s] [connections=64]
# TRENT_VENV: a venv with boto3 (default .venv, made by scripts/setup-python.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10s}
CONNS=${2:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server" >&2; exit 1; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is needed: apt-get install postgresql" >&2; exit 1; }
VENV=${TRENT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || { scripts/setup-python.sh >/dev/null; VENV=.venv; }
PY="$VENV/bin/python"
cargo build --release -q -p trent
cargo build --release -q -p trent-server --example bare_hyper

# Free loopback ports, so the run collides with no other server on the machine.
read -r P_EMB P_HYPER P_PGR P_PGM P_PG P_REDIS < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(6)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
TMP=$(mktemp -d)
chmod 755 "$TMP"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run it as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir "$TMP/pg"
[ "$(id -u)" = 0 ] && chown postgres "$TMP/pg"
as_pg "$PGBIN/initdb" -D "$TMP/pg/data" -U postgres -A trust --no-sync --no-instructions > "$TMP/initdb.log"
as_pg "$PGBIN/postgres" -D "$TMP/pg/data" -p $P_PG -k "$TMP/pg" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c max_connections=200 > "$TMP/pg.log" 2>&1 &
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p $P_PG && break; sleep 0.1; done
"$PGBIN/createdb" -h 127.0.0.1 -p $P_PG -U postgres trent
redis-server --port $P_REDIS --bind 127.0.0.1 --save '' --appendonly no --loglevel warning > "$TMP/redis.log" 2>&1 &
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$P_REDIS) 2>/dev/null && break; sleep 0.1; done

PG=postgres://postgres@127.0.0.1:$P_PG/trent
REDIS=redis://127.0.0.1:$P_REDIS
cat > "$TMP/trent.toml" <<'TOML'
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = 1000000
TOML
export TRENT_ROOT_KEY=4242424242424242424242424242424242424242424242424242424242424242
serve() { # NAME PORT ARGS...
  local name=$1 port=$2; shift 2
  ./target/release/trent serve --listen 127.0.0.1:"$port" --data-dir "$TMP/$name" --config "$TMP/trent.toml" "$@" \
    > "$TMP/$name.log" 2>&1 &
  for _ in $(seq 100); do grep -q listening "$TMP/$name.log" 2>/dev/null && return; sleep 0.1; done
  echo "$name did not start:" >&2; cat "$TMP/$name.log" >&2; exit 1
}
serve embedded $P_EMB
serve pg-redis $P_PGR --store "$PG" --limiter "$REDIS"
serve pg-memory $P_PGM --store "$PG"
./target/release/examples/bare_hyper 127.0.0.1:$P_HYPER > /dev/null &
sleep 0.3

export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only \
  AWS_DEFAULT_REGION=us-east-1
presign() { # PORT OUT
  local key body
  key=$(AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$1 "$PY" -c 'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
  body=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$key" "$(head -c 32 /dev/urandom | base64 -w0)")
  "$PY" bench/presign.py "http://127.0.0.1:$1" Encrypt "$body" "$2"
}
presign $P_EMB "$TMP/embedded.lua"
presign $P_PGR "$TMP/pg-redis.lua"
presign $P_PGM "$TMP/pg-memory.lua"
run() { # LABEL PORT SCRIPT
  echo "== $1: wrk -t1 -c$CONNS -d$DUR"
  wrk -t1 -c"$CONNS" -d"$DUR" --latency -s "$3" "http://127.0.0.1:$2/" | tee "$TMP/$2.txt"
  if grep -q 'Non-2xx' "$TMP/$2.txt"; then echo "$1 answered errors: the benchmark is invalid" >&2; exit 1; fi
}
run "Trent embedded default (SQLite, in-memory limiter)" $P_EMB "$TMP/embedded.lua"
run "Trent PostgreSQL store + Redis limiter" $P_PGR "$TMP/pg-redis.lua"
run "Trent PostgreSQL store + in-memory limiter" $P_PGM "$TMP/pg-memory.lua"
run "bare hyper, fixed body, same request" $P_HYPER "$TMP/embedded.lua"
rps() { awk '/Requests\/sec/ {print $2}' "$TMP/$1.txt"; }
e=$(rps $P_EMB); r=$(rps $P_PGR); m=$(rps $P_PGM); h=$(rps $P_HYPER)
pct() { python3 -c "print(f'{$1/$2*100:.1f}%')"; }
echo
echo "embedded default:        $e req/s"
echo "PostgreSQL + Redis:      $r req/s  ($(pct "$r" "$e") of embedded; target >= 70%)"
echo "PostgreSQL + in-memory:  $m req/s  ($(pct "$m" "$e") of embedded)"
echo "bare hyper:              $h req/s  (embedded $(pct "$e" "$h"), PostgreSQL + Redis $(pct "$r" "$h") of it)"
