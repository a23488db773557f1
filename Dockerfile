# syntax=docker/dockerfile:1
# The Chimera API image. Built by docker-compose.yml (`docker compose up --build`); runs the SQL migrations on start,
# then the API. The same image will run the workers once they exist (different command, same code).
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first: this layer stays cached until package.json or the lockfile changes.
# NODE_ENV is left unset here so npm ci installs devDependencies too (prisma generators, tsx's peers, test tools).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .

# The Prisma client (src/generated/prisma). db:generate points PRISMA_SCHEMA_ENGINE_BINARY at the node binary: generate
# needs no schema engine, and Chimera applies migrations with its own migrator (npm run db:migrate).
RUN npm run db:generate

ENV HOST=0.0.0.0 \
    PORT=4000
EXPOSE 4000

# Unprivileged at run time; the app writes nothing under /app (tsx caches in /tmp). /data is where the sandbox and the
# anvil service keep their state: owned by node here, so a named volume mounted there starts out writable by it.
RUN mkdir -p /data && chown node:node /data
USER node

# Migrations run under Prisma's migration lock, so several replicas starting at once are safe.
# The server is started as ./node_modules/.bin/tsx (what `npx tsx` resolves to) rather than through npx: npm exec does
# not pass SIGTERM on, so `docker stop` would end in SIGKILL with no graceful shutdown; tsx relays it to the app.
CMD ["sh", "-c", "npm run db:migrate && exec ./node_modules/.bin/tsx src/main.ts"]
