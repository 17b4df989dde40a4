#!/usr/bin/env bash
# Runs every fuzz target with many more cases than CI does (release build).
# usage: scripts/fuzz.sh [cases-per-target=20000]
# Prints each target's result and the wall time; a failure prints the minimal
# failing input proptest found.
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=${1:-20000}
export TRENT_FUZZ_CASES=$CASES
start=$(date +%s)
cargo test --release -q -p trent-server --test fuzz -- --test-threads=1 2>&1 | grep -E "^test |test result|minimal|panicked"
cargo test --release -q -p trent-client --test fuzz -- --test-threads=1 2>&1 | grep -E "^test |test result|minimal|panicked"
echo "$CASES cases per target, $(( $(date +%s) - start )) s"
