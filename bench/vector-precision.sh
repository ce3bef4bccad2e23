#!/usr/bin/env bash
# vector_precision (#30): what int8 and binary outputs cost and keep.
#  1. Storage and write rate: ROWS short corpus texts (the first lines, repeated) through the real CLI with the lookup
#     model (the model made nearly free, so that the write shows), float32 / int8 / binary / binary+int8 alternating, REPEATS times:
#     bytes on disk per row and rows/s of the whole process (model load and int8's calibration included).
#  2. Search quality: the 63,905 corpus first lines embedded by the bundled model (all-MiniLM-L6-v2, fp32, CPU) into a
#     float32, an int8, a binary and a binary+int8 output through the CLI, then QUERIES queries from the corpus searched in each
#     with embed search's own path (DuckEmbed.Bench search-quality): top-10 overlap with float32, median search time.
# Usage: ROWS=1000000 REPEATS=3 QUERIES=200 BATCH=256 bench/vector-precision.sh   (PARTS="write quality" by default)
set -euo pipefail
work=${WORK:-/tmp/duckembed-vector-precision}
rows=${ROWS:-1000000}
repeats=${REPEATS:-3}
queries=${QUERIES:-200}
batch=${BATCH:-256}
parts=${PARTS:-write quality}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

if [[ " $parts " == *" write "* ]]; then
  results="$work/write.txt"
  : >"$results"
  for repeat in $(seq 1 "$repeats"); do
    for precision in float32 int8 binary binary+int8; do
      read -r seconds _ peak < <(lookup_run short "$rows" ", \"vector_precision\": \"$precision\"")
      size=$(stat -c %s "$work/short-$rows-output.duckdb")
      echo "$repeat $precision $seconds $size $peak" | tee -a "$results" >&2
    done
  done
  python3 - "$results" "$rows" <<'PY'
import statistics, sys
rows = int(sys.argv[2])
runs = {}
for line in open(sys.argv[1]):
    _, precision, seconds, size, peak = line.split()
    runs.setdefault(precision, []).append((float(seconds), int(size), int(peak)))
base = statistics.median(rows / s for s, _, _ in runs["float32"])
print(f"{rows:,} short texts, lookup model, medians of {len(runs['float32'])} alternating runs (whole process)")
print("| vector_precision | bytes on disk per row | rows/s (each run) | median rows/s | × float32 | peak RSS |")
print("|---|---:|---|---:|---:|---:|")
for precision, r in runs.items():
    rates = [rows / s for s, _, _ in r]
    median = statistics.median(rates)
    print(f"| {precision} | {statistics.median(size for _, size, _ in r) / rows:,.0f} | {' / '.join(f'{x:,.0f}' for x in rates)} | {median:,.0f} | "
          f"{median / base:.2f} | {statistics.median(p for _, _, p in r) / 1024:,.0f} MB |")
PY
fi

if [[ " $parts " == *" quality "* ]]; then
  [[ -f "$work/short-63905-input.duckdb" ]] || bench make-cpu-input "$work/corpus.jsonl" 63905 short "$work/short-63905-input.duckdb"
  for precision in float32 int8 binary binary+int8; do
    if [[ ! -f "$work/quality-$precision.duckdb" ]]; then
      cat >"$work/quality-$precision.json" <<JSON
{"input_db_path": "short-63905-input.duckdb", "output_db_path": "quality-$precision.duckdb", "input_table": "texts",
 "id_column": "id", "text_column": "text", "output_table": "texts_embedded", "device": "cpu", "vector_precision": "$precision"}
JSON
      echo "Embedding the corpus into a $precision output (bundled model) ..." >&2
      DUCKEMBED_PLAIN=1 dotnet "$work/embed/embed.dll" --config "$work/quality-$precision.json" >"$work/quality-$precision.log" 2>&1
      grep -E "throughput" "$work/quality-$precision.log" >&2
    fi
  done
  bench search-quality "$work/corpus.jsonl" "$queries" "$work"
fi
