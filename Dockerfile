# The image of the service: `node dist/main.js` against an external PostgreSQL and S3.
# CI runs the test suite on this Node version too (.ci/run, the Node 24 pass); change both together.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off: nothing in the tree needs one to build (prebuilt binaries come as packages).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional leaves out the embedded PostgreSQL and S3 (about 60 MB of PostgreSQL binaries):
# a container always talks to real servers, and without them a missing DATABASE_URL or S3_ENDPOINT
# fails the boot with a message instead of quietly starting a database inside the container.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --ignore-scripts \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
# The official image's "node" user, by number: Kubernetes can only enforce runAsNonRoot on a numeric
# user. The code and node_modules stay owned by root, so the process cannot modify them.
USER 1000:1000
EXPOSE 3000
# main.ts drains files in flight on SIGTERM (within SHUTDOWN_GRACE_MS) before it exits.
STOPSIGNAL SIGTERM
# The slim image has no curl; Node's own fetch does. Liveness only: readiness also depends on the
# database and the bucket, and an unhealthy mark for their outage would not be this container's fault.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
