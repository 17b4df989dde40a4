#!/usr/bin/env bash
# Sign and Verify over loopback through `trent serve` (SigV4 verified per
# request), driven by wrk replaying one signed request, for RSA_2048,
# RSA_4096 and ECC_NIST_P256 keys. The RSA and ECC request quotas are raised
# out of the way (AWS's defaults, 1,000/s, would cap the ECC numbers).
# usage: bench/sign-throughput.sh [duration=5s] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-5s}
CONNS=${2:-16}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
scripts/setup-python.sh >/dev/null
cargo build --release -q -p trent
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
cat > "$TMP/trent.toml" <<'TOML'
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-2AC98190"
value = 1000000

[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-DC14942D"
value = 1000000
TOML
./target/release/trent serve --listen 127.0.0.1:4620 --data-dir "$TMP/data" --config "$TMP/trent.toml" > "$TMP/serve.log" &
for _ in $(seq 50); do grep -q listening "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4620 AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 \
  AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only AWS_DEFAULT_REGION=us-east-1
MSG=$(printf 'benchmark message: 32 bytes long' | base64 -w0)
printf '| key spec | operation | requests/s | p50 latency | p99 latency |\n|---|---|---:|---:|---:|\n' > "$TMP/table.md"
for SPEC_ALG in RSA_2048:RSASSA_PSS_SHA_256 RSA_4096:RSASSA_PSS_SHA_256 ECC_NIST_P256:ECDSA_SHA_256; do
  SPEC=${SPEC_ALG%%:*}; ALG=${SPEC_ALG##*:}
  read -r KEY SIG < <(.venv/bin/python - "$SPEC" "$ALG" "$MSG" <<'PY'
import base64, sys, boto3
spec, alg, msg = sys.argv[1:4]
kms = boto3.client("kms")
key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
sig = kms.sign(KeyId=key, Message=base64.b64decode(msg), SigningAlgorithm=alg)["Signature"]
print(key, base64.b64encode(sig).decode())
PY
)
  .venv/bin/python bench/presign.py http://127.0.0.1:4620 Sign \
    "$(printf '{"KeyId":"%s","Message":"%s","SigningAlgorithm":"%s"}' "$KEY" "$MSG" "$ALG")" "$TMP/sign.lua"
  .venv/bin/python bench/presign.py http://127.0.0.1:4620 Verify \
    "$(printf '{"KeyId":"%s","Message":"%s","Signature":"%s","SigningAlgorithm":"%s"}' "$KEY" "$MSG" "$SIG" "$ALG")" "$TMP/verify.lua"
  for OP in sign verify; do
    echo "== $SPEC $OP: wrk -t1 -c$CONNS -d$DUR"
    wrk -t1 -c"$CONNS" -d"$DUR" --latency -s "$TMP/$OP.lua" http://127.0.0.1:4620/ > "$TMP/$OP.txt"
    grep -E 'Non-2xx' "$TMP/$OP.txt" && { echo "Trent answered errors: the benchmark is invalid" >&2; cat "$TMP/$OP.txt"; exit 1; } || true
    rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/$OP.txt")
    p50=$(awk '$1=="50%" {print $2}' "$TMP/$OP.txt"); p99=$(awk '$1=="99%" {print $2}' "$TMP/$OP.txt")
    printf '| %s | %s (%s) | %.0f | %s | %s |\n' "$SPEC" "${OP^}" "$ALG" "$rps" "$p50" "$p99" >> "$TMP/table.md"
  done
done
cat "$TMP/table.md"
