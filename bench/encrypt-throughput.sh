#!/usr/bin/env bash
# Encrypt throughput over loopback with every request SigV4-verified, next to
# a bare hyper server answering a fixed body, both driven by wrk the same way.
# usage: bench/encrypt-throughput.sh [duration=10s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10s}
CONNS=${2:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
scripts/setup-python.sh >/dev/null
cargo build --release -q -p trent
cargo build --release -q -p trent-server --example bare_hyper
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
./target/release/trent serve --listen 127.0.0.1:4610 --data-dir "$TMP/data" > "$TMP/serve.log" &
./target/release/examples/bare_hyper 127.0.0.1:4611 > /dev/null &
# A third server whose symmetric quota is 1/s: nearly every request is throttled.
cat > "$TMP/throttle.toml" <<'TOML'
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = 1
TOML
./target/release/trent serve --listen 127.0.0.1:4612 --data-dir "$TMP/data2" --config "$TMP/throttle.toml" > "$TMP/serve2.log" &
for _ in $(seq 50); do grep -q listening "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4610 AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 \
  AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only AWS_DEFAULT_REGION=us-east-1
KEY=$(.venv/bin/python -c 'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
BODY=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY" "$(head -c 32 /dev/urandom | base64 -w0)")
.venv/bin/python bench/presign.py http://127.0.0.1:4610 Encrypt "$BODY" "$TMP/encrypt.lua"
echo "== Trent Encrypt (32-byte plaintext, SigV4 verified per request): wrk -t1 -c$CONNS -d$DUR"
wrk -t1 -c"$CONNS" -d"$DUR" --latency -s "$TMP/encrypt.lua" http://127.0.0.1:4610/ | tee "$TMP/trent.txt"
echo "== bare hyper, fixed body, same request: wrk -t1 -c$CONNS -d$DUR"
wrk -t1 -c"$CONNS" -d"$DUR" --latency -s "$TMP/encrypt.lua" http://127.0.0.1:4611/ | tee "$TMP/hyper.txt"
echo "== Trent Encrypt over quota (1/s): the throttled answer, same request shape: wrk -t1 -c$CONNS -d$DUR"
KEY2=$(AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4612 .venv/bin/python -c 'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
BODY2=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY2" "$(head -c 32 /dev/urandom | base64 -w0)")
.venv/bin/python bench/presign.py http://127.0.0.1:4612 Encrypt "$BODY2" "$TMP/throttled.lua"
wrk -t1 -c"$CONNS" -d"$DUR" --latency -s "$TMP/throttled.lua" http://127.0.0.1:4612/ | tee "$TMP/throttled.txt"
t=$(awk '/Requests\/sec/ {print $2}' "$TMP/trent.txt"); h=$(awk '/Requests\/sec/ {print $2}' "$TMP/hyper.txt")
th=$(awk '/Requests\/sec/ {print $2}' "$TMP/throttled.txt")
echo "Trent throttled answers: $th req/s"
echo "Trent: $t req/s; bare hyper: $h req/s; ratio: $(python3 -c "print(f'{$t/$h*100:.1f}%')")"
grep -E 'Non-2xx' "$TMP/trent.txt" && { echo "Trent answered errors: the benchmark is invalid" >&2; exit 1; } || true
