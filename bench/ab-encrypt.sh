#!/usr/bin/env bash
# Encrypt throughput of two trent binaries side by side: both serve at once,
# and 5 s `wrk -t1 -c64` runs of one presigned Encrypt alternate between them
# (A B A B ...), so a noisy shared machine drifts on both. Prints each run and
# the means. Extra flags for B's `trent serve` (e.g. --no-metrics) go in B_FLAGS.
# usage: B_FLAGS="..." bench/ab-encrypt.sh BINARY_A BINARY_B [rounds=5]
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1
B=$2
ROUNDS=${3:-5}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
scripts/setup-python.sh >/dev/null
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
"$A" serve --listen 127.0.0.1:4630 --data-dir "$TMP/a" > "$TMP/a.log" &
# shellcheck disable=SC2086
"$B" serve --listen 127.0.0.1:4631 --data-dir "$TMP/b" ${B_FLAGS:-} > "$TMP/b.log" &
for _ in $(seq 100); do grep -q listening "$TMP/a.log" 2>/dev/null && grep -q listening "$TMP/b.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only \
  AWS_DEFAULT_REGION=us-east-1
for p in 4630 4631; do
  KEY=$(AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$p .venv/bin/python -c \
    'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
  BODY=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY" "$(head -c 32 /dev/urandom | base64 -w0)")
  .venv/bin/python bench/presign.py "http://127.0.0.1:$p" Encrypt "$BODY" "$TMP/$p.lua"
done
for round in $(seq "$ROUNDS"); do
  for p in 4630 4631; do
    r=$(wrk -t1 -c64 -d5s -s "$TMP/$p.lua" "http://127.0.0.1:$p/" | awk '/Requests\/sec/ {print $2}')
    echo "round $round $([ $p = 4630 ] && echo A || echo B) $r" | tee -a "$TMP/runs"
  done
done
awk '{s[$3]+=$4; n[$3]++} END {printf "A mean %.0f req/s, B mean %.0f req/s, B/A %.3f\n", s["A"]/n["A"], s["B"]/n["B"], (s["B"]/n["B"])/(s["A"]/n["A"])}' "$TMP/runs"
