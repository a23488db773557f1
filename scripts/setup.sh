#!/usr/bin/env bash
# One-time (and idempotent) setup for a fresh machine: dependencies, Prisma client, database, migrations, demo seed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
npx --no-install tsx scripts/check-services.ts
npx --no-install tsx scripts/migrate.ts
npx --no-install tsx src/cli/bin.ts seed
