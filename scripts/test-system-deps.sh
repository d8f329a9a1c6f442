#!/usr/bin/env bash
# The suite runs real Chromium and a real PostgreSQL server. Install them when missing and we
# may (root, Debian); otherwise say exactly what is needed.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/nonexistent}" ] || missing+=(chromium)
if [ -z "${TRUTHSET_TEST_POSTGRES_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (needed by the test suite)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The test suite needs: ${missing[*]}." >&2
echo "Install them (Debian: sudo apt-get install ${missing[*]}), or set CHROMIUM_PATH /" >&2
echo "TRUTHSET_TEST_POSTGRES_URL to ones you have." >&2
exit 1
