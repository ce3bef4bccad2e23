#!/usr/bin/env bash
# fp32 against int8 on the CPU: raw ONNX Runtime (sorted batches) and DuckEmbed end to end (steady, from two
# sizes), REPEATS times interleaved, then both precisions' accuracy on the 400 reference texts.
#   REPEATS=3 SIZES="600 3000" bench/precision.sh
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
results="$work/results.txt"
: >"$results"
smallest=$(tr ' ' '\n' <<<"$sizes" | sort -n | head -1)
# int8's first run converts the model and caches it beside the output (in $work, shared by every run): do that
# here, so that no timed run pays it and the steady rate compares like with like.
embed_run "$work/texts.jsonl" 32 warm-cache int8 >/dev/null
for rep in $(seq "${REPEATS:-3}"); do
  for precision in fp32 int8; do
    PRECISION=$precision bench raw-ort "$work/texts.jsonl" "$largest" "$batch" sorted "$threads" | sed "s/^raw-ort /precision-raw rep=$rep /" | tee -a "$results"
    small=$(embed_run "$work/texts.jsonl" "$smallest" "$precision-$smallest" "$precision")
    large=$(embed_run "$work/texts.jsonl" "$largest" "$precision-$largest" "$precision")
    echo "precision-duckembed rep=$rep precision=$precision small=$smallest small_seconds=$small texts=$largest seconds=$large" | tee -a "$results"
  done
done
for precision in fp32 int8; do
  embed_run "$reference" 400 "reference-$precision" "$precision" >/dev/null
  bench check "duckembed-$precision" "$reference" "$work/reference-$precision-output.duckdb" | tee -a "$results"
done
python3 "$root/bench/summarize.py" "$results" "$sizes"
echo "Raw lines: $results" >&2
