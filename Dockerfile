# syntax=docker/dockerfile:1
# The image of either service, one image per service (the gateway's is nginx/Dockerfile):
#   docker build --build-arg SERVICE=auth-service --build-arg PORT=3001 -t authpair/auth-service .
#   docker build --build-arg SERVICE=users-service --build-arg PORT=3002 -t authpair/users-service .
# SERVICE is the folder under services/; PORT the port it listens on (each service's default).
# It lives at the root, not in services/, where vitest's `services/*` projects glob would take it
# for a project.
# Stage 1 installs the workspace from the lockfile alone (pnpm fetch: cached until the lockfile
# changes, and shared by both services' builds), builds, and `pnpm deploy`s the service with its
# production dependencies only: the step scripts/check-deploy.mjs reads from this file, runs and
# starts from, since no Docker engine runs in .ci/run.

FROM node:24-bookworm-slim AS build
# No compiler: better-sqlite3 13 ships its N-API binaries (glibc and musl, x64 and arm64) in the
# package itself, and has no install script.
RUN npm install --global pnpm@12.21.0
WORKDIR /repo
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm applies these to dependencies at install (docs/decisions.md: the postgres.js patch).
COPY patches ./patches
RUN pnpm fetch
COPY . .
# Declared here, not above, so the layers above are the same for both services.
ARG SERVICE
ARG PORT
RUN if [ -z "$SERVICE" ] || [ ! -f "services/$SERVICE/package.json" ] || [ -z "$PORT" ]; then \
      echo "build with --build-arg SERVICE=<a folder of services/> --build-arg PORT=<its port>" >&2; \
      exit 1; \
    fi
RUN pnpm install --offline --frozen-lockfile \
    && pnpm exec turbo run build --filter="@authpair/${SERVICE}..." \
    && pnpm --filter "@authpair/${SERVICE}" deploy --prod /out

FROM node:24-bookworm-slim AS runtime
ARG SERVICE
ARG PORT
LABEL org.opencontainers.image.title="authpair ${SERVICE}"
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${PORT}
WORKDIR /app
COPY --from=build --chown=node:node /out /app
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# A 2 x 8 MiB young generation (V8: 2 x 16): ~16 MB less RSS, no measured CPU cost (bench/README.md).
CMD ["node", "--max-semi-space-size=8", "dist/server.js"]
