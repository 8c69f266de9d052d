# The remote executor: `product-os serve --role executor`, for Cloud Run (see cloudbuild.yaml).
#
# The build context is dist/executor, staged by `node scripts/build-executor-image.mjs
# --stage-only` after `npm run build`: the CLI bundle, the registry and the few packages the
# bundle leaves external. The base is Google's distroless Node (no shell, no package manager,
# user nonroot); scripts/build-executor-image.mjs --local-base builds a base of the same shape
# from this host's Node where nothing can be pulled (the tests do).
ARG BASE_IMAGE=gcr.io/distroless/nodejs22-debian12:nonroot
FROM ${BASE_IMAGE}

COPY app/ /app/
WORKDIR /app

# Cloud Run sends traffic to $PORT (8080) on every interface; the data folder is the in-memory
# /tmp (runs and logs belong in Cloud SQL: set DATABASE_URL). ID tokens are checked against
# PRODUCT_OS_EXECUTOR_AUDIENCE, which the deploy sets to the service's own URL.
ENV NODE_ENV=production \
    PRODUCT_OS_HOST=0.0.0.0 \
    PRODUCT_OS_PORT=8080 \
    PRODUCT_OS_DATA=/tmp/product-os \
    PRODUCT_OS_REGISTRY=/app/tool-registry.yaml \
    HOME=/tmp

USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/cli.js", "serve", "--role", "executor"]
