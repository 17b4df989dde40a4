#!/usr/bin/env bash
# Makes docs/dashboard.png: trent serve under a trent load of three callers
# in one account (twice what the symmetric pool admits, plus DescribeKey),
# a pending and an approved quota increase, the dashboard followed from the
# start so it has history, then a headless Chromium screenshot under load.
# usage: scripts/dashboard-screenshot.sh [output=docs/dashboard.png] [seconds of load before the shot=40]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/dashboard.png}
WAIT=${2:-40}
cargo build -q -p trent
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$TMP"' EXIT
cat > "$TMP/trent.toml" <<'TOML'
[[principals]]
access_key_id = "AKIAORDERSSERVICE000"
secret_access_key = "orders-secret"
account_id = "111122223333"
arn = "arn:aws:iam::111122223333:role/orders-service"
[[principals]]
access_key_id = "AKIABILLINGBATCH0000"
secret_access_key = "billing-secret"
account_id = "111122223333"
arn = "arn:aws:iam::111122223333:role/billing-batch"
[[principals]]
access_key_id = "AKIAREPORTS000000000"
secret_access_key = "reports-secret"
account_id = "111122223333"
arn = "arn:aws:iam::111122223333:user/reports"
[quotas]
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-6E3AF000"
value = 100.0
[[quotas.overrides]]
account_id = "*"
region = "*"
quota_code = "L-FAE8F084"
value = 40.0
[service_quotas]
approval = "manual"
TOML
./target/debug/trent serve --listen 127.0.0.1:0 --data-dir "$TMP/data" --config "$TMP/trent.toml" > "$TMP/serve.log" &
for _ in $(seq 100); do grep -q listening "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
EP=$(grep -o 'http://[0-9.:]*' "$TMP/serve.log" | head -1)
# Follow the dashboard from the start, so the page has minutes of history.
curl -sN "$EP/_trent/ui/events" > /dev/null &
./target/debug/trent load --endpoint "$EP" --trent-config "$TMP/trent.toml" --rate 150 --arrivals poisson \
  --duration "$((WAIT + 20))s" -o Encrypt=3,GenerateDataKey=1,DescribeKey=1 > "$TMP/load.txt" 2>&1 &
sleep 2
export AWS_ENDPOINT_URL=$EP AWS_ACCESS_KEY_ID=AKIAORDERSSERVICE000 AWS_SECRET_ACCESS_KEY=orders-secret AWS_DEFAULT_REGION=us-east-1
scripts/setup-python.sh > /dev/null
.venv/bin/aws service-quotas request-service-quota-increase --service-code kms --quota-code L-6E3AF000 --desired-value 250 > /dev/null
.venv/bin/aws service-quotas request-service-quota-increase --service-code kms --quota-code L-FAE8F084 --desired-value 60 --output json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["RequestedQuota"]["Id"])' > "$TMP/id"
./target/debug/trent quotas --endpoint "$EP" approve "$(cat "$TMP/id")" > /dev/null || true
sleep "$WAIT"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
  --user-data-dir="$TMP/profile" --virtual-time-budget=5000 --screenshot="$OUT" "$EP/_trent/ui?events=1" 2>/dev/null
echo "wrote $OUT"
