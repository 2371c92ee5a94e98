# OptiBid production image: the official Deno image (Debian), dependencies cached
# in their own layer, client assets built at image build time, run as `deno`.
#
#   docker build -t optibid .
#   docker run -p 8000:8000 optibid                     # PGlite + Deno KV in /app/data
#   docker compose up --build                           # with every optional service
#
# Keep the tag equal to the Deno version in README.md and .ci/run
# (tests/unit/compose_test.ts checks it).
FROM denoland/deno:2.9.6

# The image ships the user `deno` (uid 1993) and DENO_DIR=/deno-dir owned by it.
# Everything below is built as that user so that node_modules/, _fresh/ and data/
# belong to the user the server runs as.
WORKDIR /app
RUN chown deno:deno /app
USER deno

# Dependencies first: this layer is rebuilt only when deno.json or deno.lock change.
# --frozen fails the build if deno.lock is out of date instead of silently updating it.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

# Sources, then the client build (route manifest, island bundles, Tailwind CSS,
# hashed assets in _fresh/). The server finds a build whose source hash matches
# and does not rebuild at start.
COPY --chown=deno:deno . .
RUN deno task build && mkdir -p /app/data

ENV APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data

# PGlite (when DATABASE_URL is unset) and Deno KV keep their files here: mount a volume.
EXPOSE 8000

# The image has no curl: Deno's own fetch probes the liveness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["deno", "eval", "--no-config", "const r = await fetch(`http://127.0.0.1:${Deno.env.get('PORT') || '8000'}/health/live`, { signal: AbortSignal.timeout(4000) }); await r.body?.cancel(); Deno.exit(r.ok ? 0 : 1);"]

# The base image's entrypoint (tini + docker-entrypoint.sh) prefixes `deno`.
# node_modules/ was installed above: --node-modules-dir=manual uses it as it is, where the default
# ("auto", from deno.json) would check it against deno.lock at every start (~0.6 s of each start).
CMD ["run", "-A", "--unstable-kv", "--unstable-net", "--frozen", "--node-modules-dir=manual", "main.ts"]
