#!/usr/bin/env bash
# Envelope encryption throughput: trent vs aws-encryption-cli vs `openssl speed`, 1 GiB file.
# Usage: crates/trent-client/bench/envelope-bench.sh [runs]   (from the workspace root)
# Env: BENCH_DIR (default /dev/shm, so page-cache writeback does not dominate), TRENT_VENV.
set -euo pipefail
RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
T=$ROOT/target/release/trent
PY=${TRENT_VENV:-$ROOT/.venv}/bin/aws-encryption-cli
AWS=${TRENT_VENV:-$ROOT/.venv}/bin/aws
DIR=${BENCH_DIR:-/dev/shm}/trent-envelope-bench
mkdir -p "$DIR"
cd "$DIR"
[ -x "$T" ] || (cd "$ROOT" && cargo build --release -p trent)
[ -f plain.bin ] && [ "$(stat -c %s plain.bin)" = 1073741824 ] || head -c 1073741824 /dev/urandom > plain.bin

"$T" serve --listen 127.0.0.1:0 --data-dir "$DIR/data" > server.out 2> server.err &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q http:// server.out 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_KMS=$(grep -o 'http://[0-9.:]*' server.out | head -1)
export AWS_ACCESS_KEY_ID=AKIATRENTDEV00000000 AWS_SECRET_ACCESS_KEY=trent-development-secret-key-loopback-only
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ARN=$("$AWS" kms create-key --query KeyMetadata.Arn --output text)

# best-of-N wall time, least CPU time (user+sys, all threads) and peak RSS of a command.
# `openssl speed` reports bytes per user-CPU-second, so MB per CPU-second is the comparison
# that survives a loaded machine; wall-clock throughput is shown too.
measure() {
  local label=$1; shift
  local best="" cpu="" rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o time.out "$@" > /dev/null
    read -r secs user sys kb < time.out
    c=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    if [ -z "$cpu" ] || awk "BEGIN{exit !($c < $cpu)}"; then cpu=$c; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  awk -v l="$label" -v s="$best" -v c="$cpu" -v k="$rss" 'BEGIN{printf "| %s | %.2f s | %.0f MB/s | %.2f s | %.0f MB/s | %.1f MiB |\n", l, s, 1073.741824/s, c, 1073.741824/c, k/1024}'
}

echo "| operation (1 GiB, best of $RUNS) | wall | MB/s (wall) | CPU (user+sys) | MB per CPU-s | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"
measure "dd copy (I/O floor)" dd if=plain.bin of=copy.bin bs=1M status=none
rm -f copy.bin
for suite in AES_256_GCM_HKDF_SHA512_COMMIT_KEY AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384; do
  id=$([ $suite = AES_256_GCM_HKDF_SHA512_COMMIT_KEY ] && echo 0x0478 || echo 0x0578)
  measure "trent encrypt $id file→file" "$T" encrypt -i plain.bin -o t.enc -w key="$ARN" --algorithm $suite --progress never
  measure "trent decrypt $id file→file" "$T" decrypt -i t.enc -o t.dec -w key="$ARN" --progress never
  cmp -s plain.bin t.dec || { echo "round trip mismatch" >&2; exit 1; }
  measure "trent encrypt $id file→/dev/null" "$T" encrypt -i plain.bin -o /dev/null -w key="$ARN" --algorithm $suite --progress never
  if [ $id = 0x0478 ]; then
    measure "trent decrypt $id file→/dev/null" "$T" decrypt -i t.enc -o /dev/null -w key="$ARN" --progress never
    measure "trent encrypt $id file→file, --frame-length 65536" "$T" encrypt -i plain.bin -o t64.enc -w key="$ARN" --algorithm $suite --frame-length 65536 --progress never
    measure "trent encrypt $id file→file, --sequential-io" "$T" encrypt -i plain.bin -o t.enc -w key="$ARN" --algorithm $suite --progress never --sequential-io
    measure "trent decrypt $id file→file, --sequential-io" "$T" decrypt -i t.enc -o t.dec -w key="$ARN" --progress never --sequential-io
  fi
  if [ -x "$PY" ]; then
    RUNS_SAVE=$RUNS; RUNS=1
    measure "aws-encryption-cli encrypt $id" "$PY" -e -i plain.bin -o py.enc -w key="$ARN" -S --algorithm $suite
    measure "aws-encryption-cli decrypt $id" "$PY" -d -i py.enc -o py.dec -w key="$ARN" -S
    cmp -s plain.bin py.dec || { echo "python round trip mismatch" >&2; exit 1; }
    RUNS=$RUNS_SAVE
    rm -f py.enc py.dec
  fi
  rm -f t.enc t.dec t64.enc
done
echo
echo '`openssl speed -evp aes-256-gcm` and `sha384` (single core, 1000s of bytes per user-CPU-second):'
openssl speed -evp aes-256-gcm -seconds 3 2>/dev/null | tail -2
openssl speed -evp sha384 -seconds 3 2>/dev/null | tail -1
echo
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
