# The `protea` command in a container (docker-compose.yml builds it as
# protea-stream:local). Two stages: the build stage compiles the faiss-node
# binding against Debian's libfaiss (static in bookworm), the parasail
# alignment binding against Debian's libparasail, and the TypeScript; the
# runtime stage keeps only the shared libraries the bindings load.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libfaiss-dev libopenblas-dev libparasail-dev python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts at all, whatever the npm version: faiss-node's and
# onnxruntime-node's download from the internet (package.json allowScripts
# denies them on npm 11; node:20 ships npm 10). The root postinstall and
# prepare steps run explicitly below instead.
RUN npm ci --ignore-scripts
COPY stack/build-faiss.mjs stack/node-gyp.mjs stack/
# The node image carries its headers under /usr/local/include/node: use them
# rather than letting node-gyp download them.
RUN if [ -f /usr/local/include/node/common.gypi ]; then export npm_config_nodedir=/usr/local; fi \
 && node stack/build-faiss.mjs
COPY . .
RUN if [ -f /usr/local/include/node/common.gypi ]; then export npm_config_nodedir=/usr/local; fi \
 && node stack/build-parasail.mjs \
 && npx tsc -p tsconfig.json && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
# faiss-node.node links libopenblas.so.0 (+ libgfortran5) and libgomp.so.1;
# protea_parasail.node links libparasail.so.8.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread libgomp1 libparasail8 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# PROTEA_STATE_DIR defaults to .protea under the project: writable by the runtime user.
RUN mkdir -p /app/.protea && chown node:node /app/.protea
USER node
ENTRYPOINT ["node", "bin/protea.js"]
CMD ["--help"]
