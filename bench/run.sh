#!/usr/bin/env bash
# Runs every throughput benchmark of BENCHMARKS.md in one go, on the same texts, and prints one table.
#   bench/run.sh                 sizes 600 and 3000 texts, batch 32, 2 threads
#   SIZES="600 3000" BATCH=32 THREADS=2 PROCESSOR_ROWS="100000 1000000" bench/run.sh
# Needs: .NET 10 SDK, Node.js + npm (transformers.js), ../shared beside the repository (corpus, reference, model files).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
sizes=${SIZES:-600 3000}
batch=${BATCH:-32}
threads=${THREADS:-2}
processor_rows=${PROCESSOR_ROWS:-100000 1000000}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-bench-run.XXXXXX)}
mkdir -p "$work"
largest=$(tr ' ' '\n' <<<"$sizes" | sort -n | tail -1)

echo "Building (Release) ..." >&2
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
dotnet build "$root/bench/SentenceTransformersPeer" -c Release --nologo -v quiet >&2
"$root/scripts/publish.sh" "$work/embed" >&2
(cd "$root/bench/transformers-js" && npm install --no-audit --no-fund --silent >&2)
bench() { dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" "$@"; }
peer() { dotnet "$root/bench/SentenceTransformersPeer/bin/Release/net10.0/SentenceTransformersPeer.dll" "$@"; }
tjs() { node "$root/bench/transformers-js/embed.mjs" "$@"; }

# The same texts for everyone: the first $largest corpus descriptions; the reference texts for the accuracy checks.
# (head closes the pipe early, so xz ends with SIGPIPE: check the count instead of the status)
xz -dc "$shared/corpus/debian-descriptions.jsonl.xz" | head -n "$largest" >"$work/texts.jsonl" || true
[[ $(wc -l <"$work/texts.jsonl") -eq $largest ]] || { echo "cannot read $largest texts from $shared/corpus" >&2; exit 1; }
reference="$shared/reference/reference.jsonl"
# A Hugging Face style model folder for transformers.js: the bundled ONNX file and the model's tokenizer files.
model="$work/models/all-MiniLM-L6-v2"
mkdir -p "$model/onnx"
bench export-model "$model/onnx/model.onnx"
cp "$shared/models/all-MiniLM-L6-v2/"{config.json,tokenizer.json,tokenizer_config.json} "$model/"

# DuckEmbed end to end through the real CLI: input DuckDB -> output DuckDB, wall time of the whole process.
embed_run() { # TEXTS_JSONL N NAME [PRECISION] -> prints seconds
  local texts=$1 n=$2 name=$3 precision=${4:-fp32}
  bench make-input "$texts" "$n" "$work/$name-input.duckdb"
  rm -f "$work/$name-output.duckdb"
  cat >"$work/$name-config.json" <<JSON
{"input_db_path": "$name-input.duckdb", "output_db_path": "$name-output.duckdb", "input_table": "texts",
 "id_column": "id", "text_column": "text", "output_table": "texts_embedded", "threads": $threads, "device": "cpu",
 "precision": "$precision"}
JSON
  local start end
  start=$(date +%s.%N)
  BATCH_SIZE=$batch dotnet "$work/embed/embed.dll" --config "$work/$name-config.json" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}

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

echo "== processor alone, zero-cost generator ==" >&2
for rows in $processor_rows; do
  bench processor "$rows" 256 | tee -a "$results"
  bench duckdb-floor "$rows" | tee -a "$results"
done

python3 "$root/bench/summarize.py" "$results" "$sizes"
echo "Raw lines: $results" >&2
