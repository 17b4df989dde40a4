#!/usr/bin/env bash
# What metrics and the audit log cost: Encrypt throughput of one release build
# with both on (metrics, --audit-log with the default fsync policy) and with
# both off (--no-metrics, no audit log), the two servers side by side and the
# wrk runs alternated (A B A B ...) so a noisy shared machine drifts on both.
# usage: bench/observe-cost.sh [rounds=4] [duration=8s] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-4}
DUR=${2:-8s}
CONNS=${3:-64}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
scripts/setup-python.sh >/dev/null
cargo build --release -q -p trent
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
# The unrotated audit log takes about 0.45 GB per round (~55,000 records/s of
# ~900 bytes for 8 s); a full disk would end the run with store errors.
need_kb=$(( ROUNDS * 600 * 1024 ))
avail_kb=$(df --output=avail -k "$TMP" | tail -1)
if [ "$avail_kb" -lt "$need_kb" ]; then
  echo "bench/observe-cost.sh: $((avail_kb / 1024)) MB free in $TMP, $((need_kb / 1024)) MB wanted for $ROUNDS rounds" >&2
  exit 1
fi
# No rotation during the run: converting rotated files would compete for the CPU.
./target/release/trent serve --listen 127.0.0.1:4620 --data-dir "$TMP/on" \
  --audit-log "$TMP/audit/kms.log" --audit-log-max-bytes 100000000000 > "$TMP/on.log" &
./target/release/trent serve --listen 127.0.0.1:4621 --data-dir "$TMP/off" --no-metrics > "$TMP/off.log" &
for _ in $(seq 50); do grep -q listening "$TMP/on.log" 2>/dev/null && grep -q listening "$TMP/off.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only \
  AWS_DEFAULT_REGION=us-east-1
for side in on:4620 off:4621; do
  name=${side%%:*}; port=${side##*:}
  key=$(AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$port .venv/bin/python -c \
    'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
  body=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$key" "$(head -c 32 /dev/urandom | base64 -w0)")
  .venv/bin/python bench/presign.py "http://127.0.0.1:$port" Encrypt "$body" "$TMP/$name.lua"
done
echo "== Encrypt, wrk -t1 -c$CONNS -d$DUR, $ROUNDS rounds alternated: on = metrics + audit log, off = neither"
for r in $(seq "$ROUNDS"); do
  for side in on:4620 off:4621; do
    name=${side%%:*}; port=${side##*:}
    wrk -t1 -c"$CONNS" -d"$DUR" -s "$TMP/$name.lua" "http://127.0.0.1:$port/" > "$TMP/wrk.txt"
    grep -q 'Non-2xx' "$TMP/wrk.txt" && { cat "$TMP/wrk.txt"; echo "errors answered: invalid run" >&2; exit 1; }
    rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.txt")
    echo "round $r $name $rps"
    echo "$rps" >> "$TMP/$name.rps"
  done
done
records=$(wc -l < "$TMP/audit/kms.log")
echo "audit records written by 'on': $records"
python3 - "$TMP/on.rps" "$TMP/off.rps" <<'PY'
import sys, statistics as st
on = [float(x) for x in open(sys.argv[1])]
off = [float(x) for x in open(sys.argv[2])]
print(f"on  (metrics + audit log): mean {st.mean(on):.0f} req/s  runs {', '.join(f'{x:.0f}' for x in on)}")
print(f"off (neither):             mean {st.mean(off):.0f} req/s  runs {', '.join(f'{x:.0f}' for x in off)}")
print(f"ratio on/off: {st.mean(on) / st.mean(off) * 100:.1f}%")
PY
