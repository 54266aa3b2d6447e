#!/usr/bin/env bash
# Installs the system packages the tests use beyond the JDK and npm, once: Debian's chromium and its driver, for the
# page's headless-browser test (veil-service PageBrowserTest). Idempotent; needs root (CI runs as root). Without
# them that one test is skipped, with one line saying so.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "veil: chromium and chromium-driver are missing; as root: apt-get install chromium chromium-driver" >&2
  exit 0
fi
echo "veil: installing chromium and chromium-driver (apt-get) for the page's browser test" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends chromium chromium-driver; } >&2; then
  echo "veil: could not install chromium (no package mirror?); the page's browser test will be skipped" >&2
fi
