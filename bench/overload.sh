#!/usr/bin/env bash
# Overload: a release `trent serve` whose symmetric pool is 1/s, flooded with
# Encrypt by wrk over many connections (every answer a ThrottlingException,
# the server saturated), while a probe calls DescribeKey (its own quota, served)
# every 20 ms. Prints the flood's rate and client-side latency, the server-side
# p99 of the throttled answers (from /metrics), the probe's latency and
# failures during the flood, the peak and settled memory, and the probe right
# after the flood stops (recovery).
# usage: bench/overload.sh [duration=20s] [connections=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-20s}
CONNS=${2:-2000}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
scripts/setup-python.sh >/dev/null
cargo build --release -q -p trent
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
cat > "$TMP/trent.toml" <<'TOML'
max_connections = 4000

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = 1
TOML
ulimit -n 20000 2>/dev/null || true
./target/release/trent serve --listen 127.0.0.1:4640 --data-dir "$TMP/data" --config "$TMP/trent.toml" > "$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q listening "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4640 AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 \
  AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
KEY=$(.venv/bin/python -c 'import boto3;print(boto3.client("kms").create_key()["KeyMetadata"]["KeyId"])')
BODY=$(printf '{"KeyId":"%s","Plaintext":"%s"}' "$KEY" "$(head -c 32 /dev/urandom | base64 -w0)")
.venv/bin/python bench/presign.py http://127.0.0.1:4640 Encrypt "$BODY" "$TMP/flood.lua"
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$PID/status"; }
IDLE_KB=$(rss VmRSS)

# The probe: DescribeKey every 20 ms for as long as the flood, one client.
cat > "$TMP/probe.py" <<'PY'
import boto3, botocore, json, sys, time
kms = boto3.client("kms", config=botocore.config.Config(retries={"max_attempts": 1}, read_timeout=10, connect_timeout=10))
key, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
lat, failed, end = [], 0, time.monotonic() + seconds
while time.monotonic() < end:
    t = time.monotonic()
    try:
        kms.describe_key(KeyId=key)
        lat.append(time.monotonic() - t)
    except Exception:
        failed += 1
    time.sleep(max(0.0, 0.02 - (time.monotonic() - t)))
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
json.dump({"ok": len(lat), "failed": failed, "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1.0)}, open(out, "w"))
PY
.venv/bin/python "$TMP/probe.py" "$KEY" "${DUR%s}" "$TMP/during.json" &
PROBE=$!
wrk -t2 -c"$CONNS" -d"$DUR" --latency -s "$TMP/flood.lua" http://127.0.0.1:4640/ > "$TMP/wrk.txt" 2>&1 || true
wait $PROBE
PEAK_KB=$(rss VmHWM)
# Right after: is the server back at once?
.venv/bin/python "$TMP/probe.py" "$KEY" 2 "$TMP/after.json"
sleep 1
SETTLED_KB=$(rss VmRSS)
curl -s http://127.0.0.1:4640/metrics > "$TMP/metrics.txt"
.venv/bin/python - "$TMP" "$IDLE_KB" "$PEAK_KB" "$SETTLED_KB" "$CONNS" "$DUR" <<'PY'
import json, re, sys
tmp, idle, peak, settled, conns, dur = sys.argv[1:7]
wrk = open(f"{tmp}/wrk.txt").read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
p99 = re.search(r"99%\s+(\S+)", wrk).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
total = re.search(r"(\d+) requests in", wrk).group(1)
# Server-side p99 of Encrypt (all throttled): the bucket holding the 99th percentile.
buckets = []
for line in open(f"{tmp}/metrics.txt"):
    m = re.match(r'trent_request_duration_seconds_bucket\{.*le="([^"]+)".*operation="Encrypt".*\} (\d+)', line) or \
        re.match(r'trent_request_duration_seconds_bucket\{.*operation="Encrypt".*le="([^"]+)".*\} (\d+)', line)
    if m:
        buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), int(m.group(2))))
buckets.sort()
count = buckets[-1][1] if buckets else 0
server_p99 = next((le for le, c in buckets if c >= 0.99 * count), float("nan"))
during, after = json.load(open(f"{tmp}/during.json")), json.load(open(f"{tmp}/after.json"))
print(f"| flood | {conns} connections, {dur} | {float(rps):,.0f} answers/s, {int(total):,} in all, "
      f"{non2xx.group(1) if non2xx else 0} throttled |")
print(f"| throttled answers, client-side p99 (wrk, includes queueing) | {p99} |")
print(f"| throttled answers, server-side p99 (/metrics, verified request to answer) | <= {server_p99 * 1000:.2f} ms ({count:,} observed) |")
print(f"| probe DescribeKey during the flood | {during['ok']} ok, {during['failed']} failed, p50 {during['p50_ms']:.1f} ms, p99 {during['p99_ms']:.1f} ms, max {during['max_ms']:.1f} ms |")
print(f"| probe right after the flood | {after['ok']} ok, {after['failed']} failed, p50 {after['p50_ms']:.1f} ms, p99 {after['p99_ms']:.1f} ms |")
print(f"| memory: idle / peak / 1 s after | {int(idle) / 1024:.0f} / {int(peak) / 1024:.0f} / {int(settled) / 1024:.0f} MiB |")
PY
