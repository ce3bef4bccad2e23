#!/usr/bin/env bash
# vector_precision (#30): what int8 and binary outputs cost and keep.
#  1. Storage and write rate: SMALL and ROWS short corpus texts (the first lines, repeated) through the real CLI with the lookup
#     model (the model made nearly free, so that the write shows), float32 / int8 / binary / binary+int8 alternating, REPEATS times:
#     bytes on disk per row, the steady rows/s (start-up removed: the rows between the two sizes over the time
#     between them) and the rows/s of the whole process at ROWS (model load and int8's calibration included).
#  2. Search quality: the 63,905 corpus first lines embedded by the bundled model (all-MiniLM-L6-v2, fp32, CPU) into a
#     float32, an int8, a binary and a binary+int8 output through the CLI, then QUERIES queries from the corpus searched in each
#     with embed search's own path (DuckEmbed.Bench search-quality): top-10 overlap with float32, median search time.
#  3. (PARTS=processor) the write alone: the processor with no model at all, per precision, alternating.
#  4. (PARTS=free) as 1., with the model off the CPU: the processor, generator and tokenizer around a device that costs
#     no CPU (DuckEmbed.Bench simulated-device, random unit vectors), since the lookup model's own work caps short
#     texts on 2 cores: steady rows/s per precision.
# Usage: SMALL=200000 ROWS=1000000 REPEATS=3 QUERIES=200 BATCH=256 bench/vector-precision.sh   (PARTS="write processor quality" by default; free on demand)
set -euo pipefail
work=${WORK:-/tmp/duckembed-vector-precision}
rows=${ROWS:-1000000}
small=${SMALL:-200000}
repeats=${REPEATS:-3}
queries=${QUERIES:-200}
batch=${BATCH:-256}
parts=${PARTS:-write processor quality}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

# One run of PRECISION at SIZE short texts: with the lookup model through the real CLI (MODE write), or around the
# device that costs no CPU (MODE free; seconds of the processor's run, start-up excluded). Prints "seconds bytes peak_kb".
precision_run() { # MODE PRECISION SIZE
  local mode=$1 precision=$2 size=$3 seconds peak out
  if [[ $mode == write ]]; then
    read -r seconds _ peak < <(lookup_run short "$size" ", \"vector_precision\": \"$precision\"")
    echo "$seconds $(stat -c %s "$work/short-$size-output.duckdb") $peak"
    return
  fi
  out="$work/short-$size-free-output.duckdb"
  read -r seconds _ peak < <(VECTOR_PRECISION=$precision free_run short "$size")
  echo "$seconds $(stat -c %s "$out") $peak"
  rm -rf "$out" "$out.wal"
}

for mode in write free; do
  [[ " $parts " == *" $mode "* ]] || continue
  results="$work/$mode.txt"
  : >"$results"
  for repeat in $(seq 1 "$repeats"); do
    for precision in float32 int8 binary binary+int8; do
      for size in $small "$rows"; do
        read -r seconds bytes peak < <(precision_run "$mode" "$precision" "$size")
        echo "$repeat $precision $size $seconds $bytes $peak" | tee -a "$results" >&2
      done
    done
  done
  python3 - "$results" "$small" "$rows" "$mode" <<'PY'
import statistics, sys
small, rows = int(sys.argv[2]), int(sys.argv[3])
runs = {}
for line in open(sys.argv[1]):
    repeat, precision, size, seconds, size_bytes, peak = line.split()
    runs.setdefault(precision, {}).setdefault(int(repeat), {})[int(size)] = (float(seconds), int(size_bytes), int(peak))
def steady(r):  # rows/s once started: the rows between the two sizes over the time between them
    return (rows - small) / (r[rows][0] - r[small][0])
base = statistics.median(steady(r) for r in runs["float32"].values())
base_whole = statistics.median(rows / r[rows][0] for r in runs["float32"].values())
model = "lookup model" if sys.argv[4] == "write" else "the model off the CPU (simulated device; whole = the processor's run)"
print(f"{rows:,} short texts, {model}, {len(runs['float32'])} alternating repeats; steady = ({rows:,} - {small:,}) rows / the time between the two runs")
print("| vector_precision | bytes on disk per row | steady rows/s (each repeat) | median | × float32 | each repeat's own × float32 | whole, 1M rows | × float32 | peak RSS at 1M |")
print("|---|---:|---|---:|---:|---|---:|---:|---:|")
for precision, repeats in runs.items():
    rates = [steady(r) for r in repeats.values()]
    own = [steady(r) / steady(runs["float32"][k]) for k, r in repeats.items()]
    whole = statistics.median(rows / r[rows][0] for r in repeats.values())
    print(f"| {precision} | {statistics.median(r[rows][1] for r in repeats.values()) / rows:,.0f} | {' / '.join(f'{x:,.0f}' for x in rates)} | "
          f"{statistics.median(rates):,.0f} | {statistics.median(rates) / base:.2f} | {' / '.join(f'{x:.2f}' for x in own)} | "
          f"{whole:,.0f} rows/s | {whole / base_whole:.2f} | {statistics.median(r[rows][2] for r in repeats.values()) / 1024:,.0f} MB |")
PY
done

if [[ " $parts " == *" processor "* ]]; then
  # The write alone: the processor with a generator that hands out the reference set's real embeddings (no model, no
  # tokenizer), ROWS rows per run, alternating.
  results="$work/processor.txt"
  : >"$results"
  for repeat in $(seq 1 "$repeats"); do
    for precision in float32 int8 binary binary+int8; do
      bench processor "$rows" "$batch" "$shared/reference/reference.jsonl" array "$precision" | tee -a "$results" >&2
    done
  done
  PYTHONPATH="$root/bench" python3 - "$results" <<'PY'
import sys
from runs import grouped, median
runs = grouped(sys.argv[1], lambda f: f["precision"])
base = median(runs["float32"], "rows_per_s")
print("The processor alone (the write, no model), medians of alternating runs")
print("| vector_precision | rows/s (each run) | median | × float32 | output MB |")
print("|---|---|---:|---:|---:|")
for precision, r in runs.items():
    rate = median(r, "rows_per_s")
    each = " / ".join(f"{float(x['rows_per_s']):,.0f}" for x in r)
    print(f"| {precision} | {each} | {rate:,.0f} | {rate / base:.2f} | {median(r, 'output_mb'):,.0f} |")
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
