# The hotpod controller image: `docker build -t hotpod:0.1.0 .`
# Build stage: all dependencies (better-sqlite3 compiles here, with the toolchain node:20 has),
# the TypeScript build, then the dev dependencies pruned away.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: node and the production dependencies only, as a numeric non-root user (the
# Deployment's runAsNonRoot can check a number, not a name).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY deploy/crds ./deploy/crds
USER 65532:65532
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["controller"]
