# attestd's container image: `npm run image:build` (docker, podman or buildah), see docs/operations.md.
# Stage 1 compiles with the dev dependencies; stage 2 holds only the production dependencies, the compiled
# JavaScript, the .proto files and the console — no tests, bench, TypeScript compiler or .git.

FROM docker.io/library/node:24.22.3-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.production.json ./
COPY src src
COPY migrations migrations
COPY scripts/build-console.ts scripts/build-console.ts
COPY console console
RUN npm run build:production \
 && rm -rf dist/scripts \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM docker.io/library/node:24.22.3-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE_URL=
LABEL org.opencontainers.image.title="attestd" \
      org.opencontainers.image.description="Self-hosted, Grafeas-compatible attestation metadata service with a Kubernetes admission adapter" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.licenses="Apache-2.0"
# A numeric user (runAsNonRoot can check it) with a passwd entry (the embedded PostgreSQL's initdb needs one).
RUN groupadd --gid 10001 attestd \
 && useradd --uid 10001 --gid 10001 --home-dir /var/lib/attestd --no-create-home --shell /usr/sbin/nologin attestd \
 && mkdir -p /var/lib/attestd \
 && chown 10001:10001 /var/lib/attestd \
 && chmod 0700 /var/lib/attestd
WORKDIR /app
COPY --from=build /src/package.json package.json
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist dist
COPY bin bin
COPY proto proto
RUN ln -s /app/bin/attestd.js /usr/local/bin/attestd
# NODE_OPTIONS: the server's V8 flags (src/app/server-node-flags.ts; a test keeps the two equal).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=32" \
    DATA_DIR=/var/lib/attestd \
    HOST=0.0.0.0
USER 10001:10001
EXPOSE 8080 9090 8443
# node runs as PID 1 (no shell in between): attestd handles SIGTERM itself and drains before exiting.
ENTRYPOINT ["attestd"]
CMD ["serve"]
