#!/usr/bin/env bash
# CI: Debian's PostgreSQL server binaries for the tests (tests/pg_server.py starts its own
# server in a temp dir; the package's default cluster is not used). Root on a fresh Debian 12.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
