# syntax=docker/dockerfile:1

# ---- build: compile TypeScript to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --include=dev --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsconfig has rootDir ".", so src/cli/main.ts compiles to dist/src/cli/main.js.
RUN npm run build

# ---- runtime: production dependencies + compiled code only ----
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    KLAXON_RULES_DIR=/app/rules
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY rules ./rules
COPY templates ./templates
# Numeric uid/gid so that Kubernetes' runAsNonRoot can verify it; the app's files stay root-owned (read-only to it).
RUN groupadd --system --gid 10001 klaxon \
    && useradd --system --uid 10001 --gid klaxon --home-dir /app --no-create-home --shell /usr/sbin/nologin klaxon
USER 10001:10001
EXPOSE 8080
# Node flags: src/app/node-flags.ts says why (test/app/node-flags.test.ts holds this line to it).
ENTRYPOINT ["node", "--max-semi-space-size=4", "dist/src/cli/main.js"]
CMD ["run"]
