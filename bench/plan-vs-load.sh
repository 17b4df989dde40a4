#!/usr/bin/env bash
# The capacity planner against measurement: for each workload in
# bench/workloads/ (pool-bound, management-op-bound, S3-heavy), `trent plan`
# forecasts the throttle ratio under bench/workloads/quotas.toml (symmetric pool
# 100/s, DescribeKey 20/s) and `trent load` measures it against a release
# `trent serve` enforcing that config, no retries, with evenly spaced and with
# Poisson arrivals (the forecast is for a steady rate). Prints a Markdown table.
# usage: bench/plan-vs-load.sh [duration=10s]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10s}
cargo build --release -q -p trent
TRENT=./target/release/trent
W=bench/workloads
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
# Port 0: the server picks a free loopback port and prints it.
$TRENT serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --config $W/quotas.toml > "$TMP/serve.log" &
for _ in $(seq 100); do grep -q listening "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
ENDPOINT=$(grep -o 'http://[0-9.:]*' "$TMP/serve.log" | head -1)
export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only AWS_REGION=us-east-1

ratio() { # throttled / sent over one report or a scenario's reports
  python3 -c 'import json,sys; v=json.load(sys.stdin); v=v if isinstance(v,list) else [v]; s=sum(r["sent"] for r in v); t=sum(r["throttled"] for r in v); print(f"{t/s:.4f} {s} {t}")'
}
planned() {
  $TRENT plan "$W/$1" --config $W/quotas.toml --output json | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["throttle_ratio"])' || true
}
measure() {
  $TRENT load --endpoint "$ENDPOINT" --output json --progress never --duration "$DUR" --retry none --settle 1500ms "$@" 2>>"$TMP/load.log" | ratio
}

printf '| Workload | Bound by | Arrivals | Forecast throttle ratio | Measured | Difference | Requests sent | Throttled |\n|---|---|---|---:|---:|---:|---:|---:|\n'
row() {
  local file=$1 bound=$2; shift 2
  local p m sent thr arrivals
  p=$(planned "$file")
  for arrivals in constant poisson; do
    read -r m sent thr < <(measure --arrivals $arrivals "$@")
    python3 -c "p=$p; m=$m; print(f'| $file | $bound | $arrivals | {p*100:.1f}% | {m*100:.1f}% | {(m-p)*100:+.1f} pp | $sent | $thr |')"
  done
}
row pool-bound.toml "symmetric pool" --operation Encrypt=200,Decrypt=100 --rate 300
row management-bound.toml "DescribeKey" --operation Encrypt=50,DescribeKey=50 --rate 100
row s3-heavy.toml "symmetric pool (S3)" --scenario s3-sse-kms --s3-bucket-key false --s3-put-rate 150 --s3-get-rate 100 \
  --s3-multipart-rate 5 --s3-parts 4 --chart "$TMP/s3.svg"
