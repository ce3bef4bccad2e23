#!/usr/bin/env bash
# What `embed sync` costs against what it saves: a 1M-row output of short texts (the lookup model, so that the model
# is nearly free and the DuckDB side shows; with a real model the embedding of the changed rows dominates even more),
# then the input changed — 0 %, 1 % and 10 % of its texts edited (the rows by a hash of the id) — and, REPEATS times,
# alternating:
#   sync     `embed sync` of the 1M-row output (a copy of the one made at the start) with the changed input;
#   plain    a plain run of the changed rows alone, into a new output (what embedding them costs, start-up included);
#   scan     DuckDB alone finding the changed rows: the output joined with the input on the id, texts compared.
# The issue asks: sync ≤ 2 × plain + scan. Prints every run, then the medians.
#   ROWS=1000000 BATCH=256 REPEATS=3 bench/sync.sh
set -euo pipefail
rows=${ROWS:-1000000}
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-sync.XXXXXX)}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

echo "The $rows-row output every sync starts from ..." >&2
if [[ -f "$work/base-output.duckdb" ]]; then
  base_seconds="(made before)"
else
  read -r base_seconds _ < <(lookup_run short "$rows")
  mv "$work/short-$rows-output.duckdb" "$work/base-output.duckdb"
fi
echo "  made in ${base_seconds} s" >&2
input="$work/short-$rows-input.duckdb"

config() { # NAME INPUT OUTPUT
  cat >"$work/$1-config.json" <<JSON
{"input_db_path": "$2", "output_db_path": "$3", "input_table": "texts", "id_column": "id", "text_column": "text",
 "output_table": "texts_embedded", "device": "cpu", "model_path": "lookup-model"}
JSON
}
timed() { # NAME ARGS... -> seconds of `embed ARGS --config NAME-config.json`
  local start end
  start=$(date +%s.%N)
  BATCH_SIZE=$batch dotnet "$work/embed/embed.dll" "${@:2}" --config "$work/$1-config.json" >"$work/$1.log" 2>&1
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}

percents=(0 1 10)
for p in "${percents[@]}"; do
  cp "$input" "$work/input-$p.duckdb"
  bench sql "$work/input-$p.duckdb" "UPDATE texts SET text = text || ' (edited)' WHERE hash(id) % 100 < $p" >/dev/null
  rm -f "$work/changed-$p.duckdb"
  bench sql "$work/changed-$p.duckdb" "ATTACH '$work/input-$p.duckdb' AS i (READ_ONLY)" \
    "CREATE TABLE texts AS SELECT * FROM i.texts WHERE hash(id) % 100 < $p" >/dev/null
  config "sync-$p" "input-$p.duckdb" "sync-$p-output.duckdb"
  config "plain-$p" "changed-$p.duckdb" "plain-$p-output.duckdb"
done

results="$work/sync.txt"
: >"$results"
for rep in $(seq "${REPEATS:-3}"); do
  for p in "${percents[@]}"; do
    cp "$work/base-output.duckdb" "$work/sync-$p-output.duckdb"
    # The copy's 1 GB of dirty pages written out first, or their write-back is timed as the sync's.
    sync
    sync_seconds=$(timed "sync-$p" sync)
    changed=$(sed -n 's/^ *changed *\([0-9,]*\).*/\1/p' "$work/sync-$p.log" | tr -d ,)
    scan_seconds=$(bench sql "$work/sync-$p-output.duckdb" "ATTACH '$work/input-$p.duckdb' AS i (READ_ONLY)" \
      "CREATE TEMP TABLE found AS SELECT count(*) FROM texts_embedded AS o JOIN i.texts AS t ON o.id = t.id WHERE o.text IS DISTINCT FROM t.text" | sed 's/.*seconds=//')
    rm -f "$work/sync-$p-output.duckdb" "$work/sync-$p-output.duckdb.wal"
    plain_seconds=0
    if [[ "$p" != 0 ]]; then
      rm -f "$work/plain-$p-output.duckdb" "$work/plain-$p-output.duckdb.wal"
      plain_seconds=$(timed "plain-$p")
    fi
    echo "rep=$rep percent=$p changed=$changed sync_seconds=$sync_seconds plain_seconds=$plain_seconds scan_seconds=$scan_seconds" | tee -a "$results"
  done
done
PYTHONPATH="$root/bench" python3 - "$results" <<'PY'
import sys
from runs import grouped, median
for percent, runs in grouped(sys.argv[1], lambda f: f["percent"]).items():
    m = lambda name: median(runs, name)
    bound = 2 * m("plain_seconds") + m("scan_seconds")
    ratio = f" sync_over_bound={m('sync_seconds') / bound:.2f} (bound = 2 × plain + scan)" if percent != "0" else " (nothing changed: the scan and start-up alone)"
    print(f"median percent={percent} changed={runs[0]['changed']} sync_seconds={m('sync_seconds'):.2f} plain_seconds={m('plain_seconds'):.2f} "
          f"scan_seconds={m('scan_seconds'):.2f}{ratio} n={len(runs)}")
PY
echo "Raw lines: $results" >&2
