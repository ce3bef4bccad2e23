#!/usr/bin/env bash
# Batches of one token count (equal_length_batches, the CPU's default) against padded length-sorted batches, both
# DuckEmbed end to end (steady, from two sizes), beside raw ONNX Runtime on padded sorted batches (the ceiling
# bench/ratio.sh quotes), REPEATS times interleaved, with the medians and ratios. Raw ONNX Runtime on padded sorted
# batches of 4 is run too: it tells whether a gain comes from dropping the padding or from smaller batches.
#   REPEATS=3 SIZES="600 3000" [PRECISION=fp32] bench/batch-lengths.sh
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
precision=${PRECISION:-fp32}
results="$work/batch-lengths.txt"
: >"$results"
smallest=$(tr ' ' '\n' <<<"$sizes" | sort -n | head -1)
[[ $precision == fp32 ]] || embed_run "$work/texts.jsonl" 32 warm-cache "$precision" >/dev/null
for rep in $(seq "${REPEATS:-3}"); do
  for raw_batch in "$batch" 4; do
    PRECISION=$precision bench raw-ort "$work/texts.jsonl" "$largest" "$raw_batch" sorted "$threads" | sed "s/^raw-ort /rep=$rep kind=raw-batch-$raw_batch /" | tee -a "$results"
  done
  for equal in true false; do
    small=$(EXTRA_JSON=", \"equal_length_batches\": $equal" embed_run "$work/texts.jsonl" "$smallest" "lengths-$smallest" "$precision")
    large=$(EXTRA_JSON=", \"equal_length_batches\": $equal" embed_run "$work/texts.jsonl" "$largest" "lengths-$largest" "$precision")
    echo "rep=$rep kind=duckembed-equal-$equal small=$smallest small_seconds=$small texts=$largest seconds=$large" | tee -a "$results"
  done
done
PYTHONPATH="$root/bench" python3 - "$results" "$precision" <<'PY'
import statistics, sys
from runs import grouped
runs = grouped(sys.argv[1], lambda f: f["kind"])
def rate(run):
    if "texts_per_s" in run:
        return float(run["texts_per_s"])
    return (float(run["texts"]) - float(run["small"])) / (float(run["seconds"]) - float(run["small_seconds"]))
rates = {kind: [rate(r) for r in rs] for kind, rs in runs.items()}
ceiling = rates[next(k for k in rates if k.startswith("raw-batch-") and not k.endswith("-4"))]
print(f"precision {sys.argv[2]}, texts/s (steady for DuckEmbed), {len(ceiling)} alternating repeats; ratio to the raw ceiling (padded sorted batches) of the same repeat")
print("| run | texts/s (each repeat) | median | × raw ceiling (each repeat) | × raw ceiling, median |")
print("|---|---|---:|---|---:|")
for kind, values in rates.items():
    ratios = [v / c for v, c in zip(values, ceiling)]
    print(f"| {kind} | {' / '.join(f'{v:.1f}' for v in values)} | {statistics.median(values):.1f} | "
          f"{' / '.join(f'{r:.2f}' for r in ratios)} | {statistics.median(ratios):.2f} |")
PY
echo "Raw lines: $results" >&2
