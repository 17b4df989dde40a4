#!/usr/bin/env bash
# What each limiter algorithm admits: a release `trent serve` per algorithm
# (window, token-bucket) with the symmetric pool set to QUOTA/s, loaded by
# `trent load` at 1x, 2x and 10x the quota, evenly spaced and in bursts at the
# start of every second, no retries. Prints admitted per second over the run
# and the most admitted in any 1 s (from the answer times of admitted requests).
# usage: bench/quota-window.sh [quota=1000] [duration=10s]
set -euo pipefail
cd "$(dirname "$0")/.."
QUOTA=${1:-1000}
DUR=${2:-10s}
cargo build --release -q -p trent
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
port=4620
for algo in window token-bucket; do
  cat > "$TMP/$algo.toml" <<TOML
[quotas]
algorithm = "$algo"

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = $QUOTA
TOML
  ./target/release/trent serve --listen 127.0.0.1:$port --data-dir "$TMP/data-$algo" --config "$TMP/$algo.toml" > "$TMP/serve-$algo.log" &
  eval "port_$(echo $algo | tr - _)=$port"
  port=$((port + 1))
done
for log in "$TMP"/serve-*.log; do
  for _ in $(seq 100); do grep -q listening "$log" 2>/dev/null && break; sleep 0.1; done
done
export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only AWS_REGION=us-east-1
printf '| algorithm | offered | arrivals | admitted/s | max in any 1 s | max / quota |\n|---|---:|---|---:|---:|---:|\n'
for algo in window token-bucket; do
  p=$(eval echo "\$port_$(echo $algo | tr - _)")
  for mult in 1 2 10; do
    for arrivals in constant bursts; do
      rate=$((QUOTA * mult))
      # Idle for two seconds first, so every run starts from a full bucket / empty window.
      sleep 2
      ./target/release/trent load --endpoint "http://127.0.0.1:$p" --rate "$rate" --arrivals "$arrivals" \
        --duration "$DUR" --retry none --progress never --output json > "$TMP/run.json"
      python3 - "$TMP/run.json" "$algo" "$rate" "$arrivals" "$QUOTA" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
algo, rate, arrivals, quota = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
m = r["max_admitted_in_any_second"]
print(f"| {algo} | {rate:,}/s | {arrivals} | {r['admitted_per_second']:,.1f} | {m:,} | {m / quota:.3f} |")
PY
    done
  done
done
