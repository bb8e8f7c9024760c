# Worker image for production: the main worker (workflows, LLM calls, CPU sandboxes) and the GPU
# worker run the same code with a different entry point. Sandboxes are sibling containers on the
# host's Docker engine (mount /var/run/docker.sock); the sandbox image itself is
# sandbox/images/gpu/Dockerfile (GPU hosts) or the debootstrap image (CPU hosts).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm install --no-save tsx@4.23.15
COPY lib ./lib
COPY activities ./activities
COPY workflows ./workflows
COPY workers ./workers
COPY sandbox ./sandbox
COPY templates ./templates
COPY tsconfig.json ./
ENV NODE_ENV=production
# Secrets (S3 keys, LLM API keys) come from the orchestrator's environment, never from the image.
CMD ["node_modules/.bin/tsx", "workers/main.ts"]
