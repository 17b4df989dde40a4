#!/usr/bin/env bash
# Creates .venv with the real AWS clients the tests drive Trent with:
# the AWS CLI, boto3 and the AWS Encryption SDK CLI. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.trent-deps-v1
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check \
    'awscli>=1.40' 'boto3>=1.40' 'aws-encryption-sdk-cli==4.3.0'
  touch "$stamp"
fi
echo "python clients ready in $(pwd)/.venv"
