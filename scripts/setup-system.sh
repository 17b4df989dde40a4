#!/usr/bin/env bash
# Installs the system programs the tests drive, only those missing, from
# Debian's packages: openssl, curl (the README's reset command) and python3-venv, chromium (the dashboard's
# browser test, crates/trent/tests/dashboard_browser.rs), and the PostgreSQL and Redis
# server programs the tests start themselves (trent-testkit: own temp dirs,
# free loopback ports), not services they expect running. Idempotent; on a
# machine that has them all, it touches nothing.
set -euo pipefail
missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql-15)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "the tests need: ${missing[*]} (apt-get install them as root)" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi
