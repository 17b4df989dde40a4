#!/usr/bin/env bash
# Creates .venv with the real AWS clients the tests drive Trent with:
# the AWS CLI, boto3 and the AWS Encryption SDK CLI, plus independent
# implementations of what Python's cryptography lacks (Ed25519ph from
# pycryptodome, ML-KEM-512 from kyber-py) to check Trent's crypto. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.trent-deps-v2
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/pip install --quiet --disable-pip-version-check \
    'awscli>=1.40' 'boto3>=1.40' 'aws-encryption-sdk-cli==4.3.0' \
    'cryptography>=51' 'pycryptodome>=3.20' 'kyber-py==1.2.0'
  touch "$stamp"
fi
echo "python clients ready in $(pwd)/.venv"
