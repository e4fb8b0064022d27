#!/usr/bin/env bash
# Chromium for the run report's browser test (tests/test_run_report.py), from Debian's own
# packages: no tool downloads a browser of its own. Does nothing when it is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"  # CI runs as root; a developer's machine may not
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium >/dev/null
chromium --version
