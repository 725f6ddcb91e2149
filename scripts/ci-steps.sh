#!/usr/bin/env bash
# The CI steps, defined once. Two callers prepare a machine and then run this:
#   .ci/run                        a fresh clone with nothing but Node (installs the rest)
#   .github/workflows/ci-cd.yml    the checks job (service containers, .github/actions/setup)
# Expects: the pinned pnpm with the workspace installed, PostgreSQL and Redis on 127.0.0.1,
# nginx, Debian's chromium (/usr/bin/chromium, for the browser tests), docker-compose (v1)
# or `docker compose` (v2) to validate the compose files, and Debian's Django
# (python3-django, -argon2, -bcrypt, -psycopg2) for the import-django suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"

step() { printf '\n==> %s\n' "$*"; }

# Debian's docker-compose (v1) here; the GitHub runners have the v2 plugin instead.
compose() {
  if command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  else
    docker compose "$@"
  fi
}

step "lint"
pnpm lint

step "build"
pnpm build

step "typecheck"
pnpm typecheck

step "OpenAPI: both documents lint clean under Redocly, and a client typed from them compiles"
node scripts/openapi.mjs --no-build

# @authpair/jwt-verify promises Node 20.11+ to the teams that install it (docs/decisions.md);
# the repository runs on Node 24. The callers set JWT_VERIFY_CONSUMER_NODE to a Node 20.
if [ -n "${JWT_VERIFY_CONSUMER_NODE:-}" ]; then
  step "jwt-verify's suite on $("$JWT_VERIFY_CONSUMER_NODE" --version), the oldest Node it promises"
  "$JWT_VERIFY_CONSUMER_NODE" node_modules/vitest/vitest.mjs run --project @authpair/jwt-verify
fi

step "migrations match the schema (drizzle-kit generate makes no change)"
pnpm --filter @authpair/db check:migrations

step "container and pipeline definitions"
pnpm exec action-validator .github/workflows/ci-cd.yml
pnpm exec action-validator .github/actions/setup/action.yml
compose -f docker-compose.yml config -q
# The production file refuses to render without its secrets; with placeholders it must be valid.
POSTGRES_PASSWORD=x PUBLIC_URL=https://auth.example.com KEY_ENCRYPTION_KEY=x SMTP_URL=smtp://mail \
  APP_URL=https://app.example.com ADMIN_ALLOW_IPS=10.0.0.1 TLS_CERT_DIR=/certs \
  compose -f docker-compose.prod.yml config -q
if compose -f docker-compose.prod.yml config -q 2>/dev/null; then
  echo "FAILED: docker-compose.prod.yml renders without its secrets" >&2
  exit 1
fi
echo "workflow and compose files are valid"

step "the images' build path: pnpm deploy, then start each service from its output"
node scripts/check-deploy.mjs

step "tests (the README's test command), on SQLite and PostgreSQL"
REQUIRE_POSTGRES=1 REQUIRE_REDIS=1 REQUIRE_NGINX=1 REQUIRE_BROWSER=1 REQUIRE_DJANGO=1 pnpm test

step "benchmark smoke (completes without errors; speed is not asserted here)"
pnpm bench --smoke
