#!/usr/bin/env bash
# Runs every throughput benchmark of BENCHMARKS.md in one go, on the same texts, and prints one table.
#   bench/run.sh                 sizes 600 and 3000 texts, batch 32, 2 threads
#   SIZES="600 3000" BATCH=32 THREADS=2 PROCESSOR_ROWS="100000 1000000" REPEATS=3 bench/run.sh
# bench/ratio.sh runs only the repeated headline pair (DuckEmbed against raw ONNX Runtime).
# Needs: .NET 10 SDK, Node.js + npm (transformers.js), ../shared beside the repository (corpus, reference, model files).
set -euo pipefail
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
processor_rows=${PROCESSOR_ROWS:-100000 1000000}

results="$work/results.txt"
: >"$results"
for n in $sizes; do
  echo "== $n texts ==" >&2
  bench raw-ort "$work/texts.jsonl" "$n" "$batch" sorted "$threads" | tee -a "$results"
  bench raw-ort "$work/texts.jsonl" "$n" "$batch" input "$threads" | tee -a "$results"
  seconds=$(embed_run "$work/texts.jsonl" "$n" "duckembed-$n")
  echo "duckembed texts=$n batch=$batch seconds=$seconds" | tee -a "$results"
  tjs "$model" "$work/texts.jsonl" "$n" "$batch" sorted "$threads" | tee -a "$results"
  tjs "$model" "$work/texts.jsonl" "$n" "$batch" input "$threads" | tee -a "$results"
  peer "$work/texts.jsonl" "$n" "$batch" | tee -a "$results"
done

echo "== int8 on the CPU ==" >&2
for n in $sizes; do
  PRECISION=int8 bench raw-ort "$work/texts.jsonl" "$n" "$batch" sorted "$threads" | tee -a "$results"
  seconds=$(embed_run "$work/texts.jsonl" "$n" "duckembed-int8-$n" int8)
  echo "duckembed-int8 texts=$n batch=$batch seconds=$seconds" | tee -a "$results"
done

echo "== accuracy on the 400 reference texts ==" >&2
embed_run "$reference" 400 reference >/dev/null
bench check duckembed "$reference" "$work/reference-output.duckdb" | tee -a "$results"
embed_run "$reference" 400 reference-int8 int8 >/dev/null
bench check duckembed-int8 "$reference" "$work/reference-int8-output.duckdb" | tee -a "$results"
tjs "$model" "$reference" 400 "$batch" sorted "$threads" "$work/tjs-reference.jsonl" >/dev/null
bench check transformers-js "$reference" "$work/tjs-reference.jsonl" | tee -a "$results"
peer "$reference" 400 "$batch" "$work/nuget-reference.jsonl" >/dev/null
bench check sentence-transformers-nuget "$reference" "$work/nuget-reference.jsonl" | tee -a "$results"

echo "== DuckEmbed against the raw ceiling, repeated ==" >&2
headline_pairs "$results" "${REPEATS:-3}"

echo "== processor alone, zero-cost generator handing out the reference set's real embeddings ==" >&2
for rows in $processor_rows; do
  bench processor "$rows" 256 "$reference" | tee -a "$results"
  bench duckdb-floor "$rows" "$reference" | tee -a "$results"
done

python3 "$root/bench/summarize.py" "$results" "$sizes"
echo "Raw lines: $results" >&2
