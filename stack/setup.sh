#!/usr/bin/env bash
# `npm run setup`: everything a fresh clone on Debian/Ubuntu needs before the
# pipeline runs: system packages that are missing (faiss and OpenBLAS for the
# KNN binding, a JDK and Maven for Kafka and the registry, PostgreSQL when the
# machine has none, parasail for the alignment binding), a running PostgreSQL,
# then `npm ci`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
dpkg -s libfaiss-dev >/dev/null 2>&1 || need+=(libfaiss-dev)
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s libparasail-dev >/dev/null 2>&1 || need+=(libparasail-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++ make python3)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v pg_ctlcluster >/dev/null 2>&1 || command -v psql >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "PROTEA_ERR_USAGE: missing system packages: ${need[*]}" >&2
    echo "  → run: sudo apt-get install -y ${need[*]}   (then npm run setup again)" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The machine's PostgreSQL: start it when it is installed locally but down.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q && [ -d /etc/postgresql ]; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi

start=$(date +%s)
npm ci --no-audit --no-fund
echo "setup: npm ci took $(( $(date +%s) - start )) s"
