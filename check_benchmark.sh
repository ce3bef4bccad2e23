#!/usr/bin/env bash
# Finds a good BATCH_SIZE for this machine: embeds a sample of your input (from ./config.json, or --config PATH;
# the bundled example when there is none) with several batch sizes, through the same path as embed.sh
# (container or local), and prints rows/s, tokens/s and peak memory per size with a recommendation.
# Your output database is never touched: each size writes to a scratch database that is deleted afterwards.
# Options: --sizes 16 32 64 ...   --rows N (default 1024)   --config PATH
set -euo pipefail
# shellcheck source=scripts/dispatch.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/dispatch.sh"

run_embed_cli benchmark "$@"
