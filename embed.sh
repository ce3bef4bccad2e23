#!/usr/bin/env bash
# Embeds the texts named in config.json (see README). With Docker and the NVIDIA container runtime it runs the
# GPU image with this folder mounted at /data; otherwise (or with DUCKEMBED_LOCAL=1) a local build.
# Arguments go to the embed CLI (e.g. --config other.json, --verbose); the exit code is the job's.
set -euo pipefail
# shellcheck source=scripts/dispatch.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/dispatch.sh"

export BATCH_SIZE=${BATCH_SIZE:-32}
echo "BATCH_SIZE=$BATCH_SIZE (set BATCH_SIZE to change it; ./check_benchmark.sh finds a good one for this machine)"
run_embed_cli "$@"
