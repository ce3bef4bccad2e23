#!/usr/bin/env bash
# The headline ratio alone: DuckEmbed end to end (steady, from two sizes) against raw ONNX Runtime on
# length-sorted batches, REPEATS times interleaved, with the median. The same settings as bench/run.sh.
#   REPEATS=3 SIZES="600 3000" bench/ratio.sh
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
results="$work/results.txt"
: >"$results"
headline_pairs "$results" "${REPEATS:-3}"
python3 "$root/bench/summarize.py" "$results" "$sizes"
