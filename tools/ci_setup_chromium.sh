#!/usr/bin/env bash
# Install Debian's chromium for tests/test_report_browser.py (headless; about a minute). Soft:
# never fails the CI run; when it cannot install, it says why and the browser test skips.
#   JETTAG_SKIP_CHROMIUM_SETUP=1 ...   do nothing
set -u
say() { echo "ci_setup(chromium): $*" >&2; }
if [ "${JETTAG_SKIP_CHROMIUM_SETUP:-0}" = 1 ]; then say "skipped (JETTAG_SKIP_CHROMIUM_SETUP=1)"; exit 0; fi
if command -v chromium >/dev/null 2>&1; then say "chromium already installed"; exit 0; fi
if [ "$(id -u)" != 0 ]; then say "not root: cannot install chromium; the browser test will skip"; exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then say "no apt-get; the browser test will skip"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
install() { timeout 400 apt-get install -y -q --no-install-recommends chromium >/tmp/jettag-chromium-apt.log 2>&1; }
if ! install; then
    timeout 180 apt-get update -q >>/tmp/jettag-chromium-apt.log 2>&1 || true
    if ! install; then
        say "could not install chromium (see /tmp/jettag-chromium-apt.log); the browser test will skip"
        tail -5 /tmp/jettag-chromium-apt.log >&2
        exit 0
    fi
fi
say "installed $(chromium --version 2>/dev/null)"
