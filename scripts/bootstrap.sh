#!/usr/bin/env bash
# Makes the checkout runnable: installs dependencies when package-lock.json changed since the last install, and
# generates the Prisma client (offline: `prisma generate` needs no schema engine) when schema.prisma changed.
# Cheap when there is nothing to do; run by `npm test` (pretest) and by scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies (npm ci)…"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The edge tests need Varnish with xkey (Debian's varnish, varnish-modules): installed here when we can (root and apt).
if [ ! -x /usr/sbin/varnishd ] && ! command -v varnishd >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Varnish for the edge tests (apt-get install varnish varnish-modules)…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends varnish varnish-modules >/dev/null \
      || echo "Could not install Varnish: the edge tests will fail until varnish and varnish-modules are installed."
  else
    echo "Varnish is not installed: the edge tests need it (apt-get install varnish varnish-modules)."
  fi
fi

stamp=src/generated/prisma/.schema.sha256
want=$(sha256sum prisma/schema.prisma | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Generating the Prisma client…"
  # Offline, generate only needs the variable to name some executable (it does not run it).
  PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(command -v node)}" npx --no-install prisma generate >/dev/null
  echo "$want" > "$stamp"
fi
