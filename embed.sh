#!/usr/bin/env bash
# Embeds the texts named in config.json (see README). With Docker and the NVIDIA container runtime it runs the
# GPU image with this folder mounted at /data; otherwise (or with DUCKEMBED_LOCAL=1) a local build.
# Arguments go to the embed CLI (e.g. --config other.json, --verbose); the exit code is the job's. The script's own
# lines go to stderr, so that stdout is the CLI's alone (./embed.sh search --json "…" | jq).
set -euo pipefail
# shellcheck source=scripts/dispatch.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/dispatch.sh"

# One default, chosen by the embed CLI once it knows the device (32 on the CPU, 256 on a GPU): passed on only if set.
if [[ -n "${BATCH_SIZE:-}" ]]; then
  echo "BATCH_SIZE=$BATCH_SIZE (./check_benchmark.sh finds a good one for this machine)" >&2
else
  echo "BATCH_SIZE not set: the default follows the device, 32 on the CPU and 256 on a GPU (./check_benchmark.sh finds a good one for this machine)" >&2
fi
run_embed_cli "$@"
