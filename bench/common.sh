# shellcheck shell=bash
# Shared by bench/run.sh and bench/ratio.sh (sourced): settings, Release builds, the texts, and the helpers that
# run each contender. Settings: SIZES, BATCH, THREADS, BENCH_WORK; DUCKEMBED_SHARED (default ../shared).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
sizes=${SIZES:-600 3000}
batch=${BATCH:-32}
threads=${THREADS:-2}
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
# shellcheck disable=SC2034 # used by run.sh
reference="$shared/reference/reference.jsonl"
# A Hugging Face style model folder for transformers.js: the bundled ONNX file and the model's tokenizer files.
model="$work/models/all-MiniLM-L6-v2"
mkdir -p "$model/onnx"
bench export-model "$model/onnx/model.onnx"
cp "$shared/models/all-MiniLM-L6-v2/"{config.json,tokenizer.json,tokenizer_config.json} "$model/"

# DuckEmbed end to end through the real CLI: input DuckDB -> output DuckDB, wall time of the whole process.
# EXTRA_JSON (e.g. `, "equal_length_batches": false`) is added to its config.
embed_run() { # TEXTS_JSONL N NAME [PRECISION] -> prints seconds
  local texts=$1 n=$2 name=$3 precision=${4:-fp32}
  bench make-input "$texts" "$n" "$work/$name-input.duckdb"
  rm -f "$work/$name-output.duckdb"
  cat >"$work/$name-config.json" <<JSON
{"input_db_path": "$name-input.duckdb", "output_db_path": "$name-output.duckdb", "input_table": "texts",
 "id_column": "id", "text_column": "text", "output_table": "texts_embedded", "threads": $threads, "device": "cpu",
 "precision": "$precision"${EXTRA_JSON:-}}
JSON
  local start end
  start=$(date +%s.%N)
  BATCH_SIZE=$batch dotnet "$work/embed/embed.dll" --config "$work/$name-config.json" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f\n", e - s }'
}


# The headline ratio, DuckEmbed end to end against the raw ceiling, measured REPEATS times interleaved: shared
# machines drift by 10 % within minutes, so one pair can mislead.
headline_pairs() { # RESULTS_FILE REPEATS
  local results=$1 repeats=$2 smallest rep small large
  smallest=$(tr ' ' '\n' <<<"$sizes" | sort -n | head -1)
  for rep in $(seq "$repeats"); do
    bench raw-ort "$work/texts.jsonl" "$largest" "$batch" sorted "$threads" | sed "s/^raw-ort /pair-raw rep=$rep /" | tee -a "$results"
    small=$(embed_run "$work/texts.jsonl" "$smallest" "pair-$smallest")
    large=$(embed_run "$work/texts.jsonl" "$largest" "pair-$largest")
    echo "pair-duckembed rep=$rep small=$smallest small_seconds=$small texts=$largest seconds=$large" | tee -a "$results"
  done
}
