#!/usr/bin/env bash
# The real CLI with the lookup model (as bench/cpu-side.sh) on ROWS rows of full descriptions and of their first lines,
# with generator_calls 1 and 2 (one window with the model at a time, or the next one tokenized meanwhile),
# REPEATS times alternating: seconds (start-up included) and peak RSS of each run, and the medians.
#   ROWS=200000 REPEATS=3 bench/generator-calls.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
rows=${ROWS:-200000}
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-generator-calls.XXXXXX)}
mkdir -p "$work"
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
"$root/scripts/publish.sh" "$work/embed" >&2
bench() { dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" "$@"; }
[[ -f "$work/corpus.jsonl" ]] || xz -dc "$shared/corpus/debian-descriptions.jsonl.xz" >"$work/corpus.jsonl"
[[ -d "$work/lookup-model" ]] || bench lookup-model "$work/lookup-model"
results="$work/generator-calls.txt"
: >"$results"
for kind in full short; do
  name="$kind-$rows"
  [[ -f "$work/$name-input.duckdb" ]] || bench make-cpu-input "$work/corpus.jsonl" "$rows" "$kind" "$work/$name-input.duckdb"
  for rep in $(seq "${REPEATS:-3}"); do
    for calls in 1 2; do
      rm -rf "$work/$name-output.duckdb" "$work/$name-output.duckdb.wal"
      cat >"$work/$name-config.json" <<JSON
{"input_db_path": "$name-input.duckdb", "output_db_path": "$name-output.duckdb", "input_table": "texts",
 "id_column": "id", "text_column": "text", "output_table": "texts_embedded", "device": "cpu", "model_path": "lookup-model",
 "generator_calls": $calls}
JSON
      BATCH_SIZE=$batch /usr/bin/time -f "%e %M" -o "$work/time" dotnet "$work/embed/embed.dll" --config "$work/$name-config.json" >"$work/log" 2>&1
      read -r seconds peak_kb <"$work/time"
      echo "generator-calls texts=$kind rows=$rows rep=$rep calls=$calls seconds=$seconds rows_per_s=$(python3 -c "print(round($rows / $seconds))") peak_rss_mb=$((peak_kb / 1024))" | tee -a "$results"
    done
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    key = re.search(r"texts=(\w+)", line).group(1), re.search(r"calls=(\d)", line).group(1)
    runs.setdefault(key, []).append((float(re.search(r"seconds=([\d.]+)", line).group(1)), int(re.search(r"peak_rss_mb=(\d+)", line).group(1))))
for (kind, calls), values in sorted(runs.items()):
    print(f"texts={kind} generator_calls={calls}: median {statistics.median(v[0] for v in values):.2f} s, median peak RSS {statistics.median(v[1] for v in values):.0f} MB")
PY
echo "Raw lines: $results" >&2
