# syntax=docker/dockerfile:1
# The Palisade image: the CLI, the central service (palisade serve), the sensor and the admission webhook are one
# program, so one image runs every component of deploy/helm/palisade.
#
#   docker build -t ghcr.io/palisade-dev/palisade:0.1.0 .
#
# Both bases are Debian 12 (bookworm) with Node 20, so the better-sqlite3 addon compiled in the build stage links
# against the same glibc and Node ABI (NODE_MODULE_VERSION 115) as the runtime it is copied into. The CLI needs Node
# 20.16 or later (process.getBuiltinModule; package.json engines): check the version when refreshing the digests.
# Base images are pinned by digest (a tag can be re-pushed; a digest cannot). Each digest is a published digest of
# the tag written beside it, as recorded in public build files read on 2026-12-05; they were not resolved from the
# machine this file was written on. Refresh both before a release:
#   docker buildx imagetools inspect node:20-bookworm
#   docker buildx imagetools inspect gcr.io/distroless/nodejs20-debian12:nonroot

# --- build: TypeScript bundle (dist/cli) and the dashboard (dist/web) ---
FROM node:20-bookworm@sha256:8f693eaa7e0a8e71560c9a82b55fd54c2ae920a2ba5d2cde28bac7d1c01c9ba5 AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own prepare script (the build) runs below, once the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
COPY examples ./examples
RUN npm run build

# --- deps: production dependencies only, with better-sqlite3 compiled from source (its prebuilt download is not
# used: a source build is reproducible from the lockfile and needs no network beyond the npm registry) ---
FROM node:20-bookworm@sha256:8f693eaa7e0a8e71560c9a82b55fd54c2ae920a2ba5d2cde28bac7d1c01c9ba5 AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# nodedir: node-gyp compiles against the headers the node image ships in /usr/local/include/node instead of
# downloading them.
ENV npm_config_build_from_source=true npm_config_nodedir=/usr/local
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && node -e "new (require('better-sqlite3'))(':memory:').close()" \
 && npm cache clean --force

# --- runtime: distroless Node 20, no shell, no package manager, user nonroot (65532) ---
FROM gcr.io/distroless/nodejs20-debian12:nonroot@sha256:c4c595a36ad2ced3cd952fad295a6afcb4469e91927159cfb95790031fe65d95
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
COPY --from=build /src/examples ./examples
COPY docs ./docs
# Numeric, so that runAsNonRoot can verify it without a passwd lookup (deploy/helm/palisade sets the same UID).
USER 65532:65532
EXPOSE 8080 8443 9090
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/palisade.js"]
CMD ["--help"]
