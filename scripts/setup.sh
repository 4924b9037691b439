#!/usr/bin/env bash
# One-step set-up for the test suite on Debian: installs the system packages the tests need when
# they are missing (as root, or through sudo), then the npm dependencies (which build the native
# engine). The quickstart needs none of the system packages; the test suite runs every test and
# skips none, so it needs them all:
#   libopenblas-dev, g++   the native engine (its tests do not skip)
#   redis-server, openssl  the distributed tests (the TLS test makes a certificate)
#   dataset-fashion-mnist  the Fashion-MNIST tests
#   chromium               the report's browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/chromium ] || need+=(chromium)

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup: these Debian packages are missing and this user is not root and has no sudo: ${need[*]}" >&2
    echo "setup: install them (apt-get install ${need[*]}), then run this again" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "setup: system packages present"
fi

npm ci --no-audit --no-fund
