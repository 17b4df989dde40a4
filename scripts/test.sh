#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test
# (unit, conformance, and the integration tests that drive the real server
# with aws-sdk-kms, the AWS CLI, boto3, the AWS Encryption SDK CLI and openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-system.sh
scripts/setup-python.sh
export TRENT_VENV="$PWD/.venv"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
