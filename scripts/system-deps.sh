#!/usr/bin/env bash
# System packages the test suite uses: Chromium (pages are checked in a real browser), npm
# (axe-core, the accessibility checker the browser tests inject, comes from npm), the
# PostgreSQL server (the whole suite runs a second time on PostgreSQL; scripts/postgres.sh
# starts a throwaway cluster of it) and nginx (the export and the nginx site files are served
# and checked by a real nginx; Debian's package is enough, its service is never started by the
# tests). Installs only what is missing; needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
# Debian's server package puts pg_ctl under /usr/lib/postgresql/<version>/bin, not on PATH.
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1
then
  need+=(postgresql)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
