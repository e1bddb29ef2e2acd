# One image for every ttc service: ttc-scheduler, ttc-worker, ttc-verifier and the ttc CLI.
# Build: docker build -t ttc:0.1.0 .   (or buildah bud; the published image uses node:22-bookworm-slim)
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first: the dependency layer is reused until the lock file changes.
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY proto/ proto/
COPY packages/ packages/
COPY services/ services/
COPY loadtest/package.json loadtest/
COPY test/package.json test/
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx turbo run build --filter=@ttc/cli... --output-logs=errors-only

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /src/packages/ packages/
COPY --from=build /src/services/ services/
COPY loadtest/package.json loadtest/
COPY test/package.json test/
# Production dependencies of the services and the CLI only (not the test or load-test workspaces), from
# the lock file. node-llama-cpp (the llama backend) is optional and ships prebuilt binaries.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace=@ttc/cli --workspace=@ttc/scheduler --workspace=@ttc/worker --workspace=@ttc/verifier \
 && npm cache clean --force \
 && rm -rf packages/*/src services/*/src packages/*/test services/*/test \
 && ln -s /app/services/scheduler/dist/main.js /usr/local/bin/ttc-scheduler \
 && ln -s /app/services/worker/dist/main.js /usr/local/bin/ttc-worker \
 && ln -s /app/services/verifier/dist/main.js /usr/local/bin/ttc-verifier \
 && ln -s /app/packages/cli/dist/main.js /usr/local/bin/ttc
# A numeric non-root user, so Kubernetes can check runAsNonRoot; the chart runs it with a read-only root.
USER 10001:10001
EXPOSE 50051 9101 9102 9103
CMD ["ttc", "--help"]
