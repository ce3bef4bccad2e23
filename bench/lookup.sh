# shellcheck shell=bash
# shellcheck disable=SC2154 # work and batch are set by the script that sources this
# Shared by the benchmarks that run the real CLI with the lookup model (cpu-side.sh, generator-calls.sh,
# write-path.sh), sourced once they have set `work` and `batch`: the Release builds, the corpus, the lookup model
# (`DuckEmbed.Bench lookup-model`: the model made nearly free), lookup_run, and free_run (the model off the CPU).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
echo "Building (Release) ..." >&2
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
"$root/scripts/publish.sh" "$work/embed" >&2
bench() { dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" "$@"; }
[[ -f "$work/corpus.jsonl" ]] || xz -dc "$shared/corpus/debian-descriptions.jsonl.xz" >"$work/corpus.jsonl"
[[ -d "$work/lookup-model" ]] || bench lookup-model "$work/lookup-model"

# The CLI on ROWS rows of KIND (full: corpus descriptions; short: their first lines), the input made once, with
# EXTRA_JSON (e.g. `, "writers": 2`) added to the config. Prints "seconds tokens peak_kb" (wall time of the whole
# process, tokens from its summary, peak RSS); the output stays in $work/KIND-ROWS-output.duckdb.
lookup_run() { # KIND ROWS [EXTRA_JSON]
  local kind=$1 rows=$2 extra=${3:-} name="$1-$2"
  [[ -f "$work/$name-input.duckdb" ]] || bench make-cpu-input "$work/corpus.jsonl" "$rows" "$kind" "$work/$name-input.duckdb"
  rm -rf "$work/$name-output.duckdb" "$work/$name-output.duckdb.wal"
  cat >"$work/$name-config.json" <<JSON
{"input_db_path": "$name-input.duckdb", "output_db_path": "$name-output.duckdb", "input_table": "texts",
 "id_column": "id", "text_column": "text", "output_table": "texts_embedded", "device": "cpu", "model_path": "lookup-model"$extra}
JSON
  local start end
  start=$(date +%s.%N)
  BATCH_SIZE=$batch /usr/bin/time -f "peak_kb=%M" -o "$work/$name.time" dotnet "${embed_dll:-$work/embed/embed.dll}" --config "$work/$name-config.json" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  python3 - "$work/$name.log" "$work/$name.time" "$start" "$end" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
tokens = int(re.search(r"tokens\s+([\d,]+)", log).group(1).replace(",", ""))
peak = re.search(r"peak_kb=(\d+)", open(sys.argv[2]).read()).group(1)
print(f"{float(sys.argv[4]) - float(sys.argv[3]):.2f} {tokens} {peak}")
PY
}

# The processor, generator and tokenizer on ROWS rows of KIND around a simulated device that costs no CPU
# (`DuckEmbed.Bench simulated-device`: random unit vectors, as a GPU would hand back), WRITERS and VECTOR_PRECISION
# taken from the environment. Prints "seconds tokens peak_kb" (seconds of the processor's run, start-up excluded);
# the output stays in $work/KIND-ROWS-free-output.duckdb.
free_run() { # KIND ROWS
  local name="$1-$2" out line
  [[ -f "$work/$name-input.duckdb" ]] || bench make-cpu-input "$work/corpus.jsonl" "$2" "$1" "$work/$name-input.duckdb"
  out="$work/$name-free-output.duckdb"
  rm -rf "$out" "$out.wal"
  line=$(/usr/bin/time -f "peak_kb=%M" -o "$work/$name-free.time" \
    dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" simulated-device "$work/$name-input.duckdb" 1e12 2 "$batch" "$out")
  echo "$(sed -E 's/.* seconds=([0-9.]+) .* tokens=([0-9]+) .*/\1 \2/' <<<"$line") $(sed 's/peak_kb=//' "$work/$name-free.time")"
}
