#!/usr/bin/env bash
# System packages the test suite uses: Chromium (pages are checked in a real browser).
# Installs only what is missing; needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
