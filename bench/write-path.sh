#!/usr/bin/env bash
# The write path against DuckDB's own bulk write of the same rows: after every run, DuckDB copies the run's output
# table with one CREATE TABLE … AS SELECT into a new file (both cores, the output's settings), and the run's rate
# is quoted as a ratio to that copy's, which holds on a noisy machine. REPEATS times, alternating:
#   1. the processor alone (real vectors recycled, no tokenizer, no model) at the larger size, 1 and 2 writers;
#   2. the real CLI with the lookup model (the model made nearly free) on short texts (the corpus' first lines,
#      distinct) and on full descriptions, at both sizes: the steady rate from the two (start-up removed), tokens/s
#      and peak RSS;
#   3. full descriptions with the model off the CPU, as on a GPU box ("full-free"): the processor, the generator and
#      the tokenizer around a simulated device that costs no CPU (`DuckEmbed.Bench simulated-device`: the ids and mask
#      written as for a real device, random unit vectors copied out), at both sizes. The lookup model's Gather of
#      1.5 KB a token and its pooling are CPU work a GPU box's CPU never does (~0.4 µs a token, BENCHMARKS "Write path").
# Prints every run, then the medians.
#   SIZES="200000 1000000" BATCH=256 WRITERS=2 REPEATS=3 [KINDS="short full full-free"] bench/write-path.sh
set -euo pipefail
read -r small large <<<"${SIZES:-200000 1000000}"
batch=${BATCH:-256}
writers=${WRITERS:-2}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-write-path.XXXXXX)}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

cli() { # KIND ROWS -> prints "seconds tokens peak_kb ctas_seconds": lookup_run, then DuckDB's CTAS of its output
  local name="$1-$2" run ctas
  run=$(lookup_run "$1" "$2" ", \"writers\": $writers")
  ctas=$(bench ctas "$work/$name-output.duckdb" texts_embedded | sed 's/.*seconds=//')
  rm -rf "$work/$name-output.duckdb" "$work/$name-output.duckdb.wal"
  echo "$run $ctas"
}

free() { # ROWS -> prints "seconds tokens peak_kb ctas_seconds" for full descriptions around the free device
  local out="$work/full-$1-free-output.duckdb" run ctas
  run=$(WRITERS=$writers free_run full "$1")
  ctas=$(bench ctas "$out" embedded | sed 's/.*seconds=//')
  rm -rf "$out" "$out.wal"
  echo "$run $ctas"
}

measure() { # KIND ROWS
  if [[ $1 == full-free ]]; then free "$2"; else cli "$1" "$2"; fi
}

results="$work/write-path.txt"
: >"$results"
for rep in $(seq "${REPEATS:-3}"); do
  for w in 1 2; do
    WRITERS=$w bench processor "$large" "$batch" | sed "s/^/rep=$rep /" | tee -a "$results"
  done
  for kind in ${KINDS:-short full full-free}; do
    read -r t_small k_small rss_small _ < <(measure "$kind" "$small")
    read -r t_large k_large rss_large c_large < <(measure "$kind" "$large")
    python3 - "$rep" "$kind" "$small" "$large" "$t_small" "$t_large" "$k_small" "$k_large" "$rss_small" "$rss_large" "$c_large" "$writers" <<'PY' | tee -a "$results"
import sys
rep, kind = sys.argv[1:3]
small, large, ts, tl, ks, kl, rs, rl, cl = (float(v) for v in sys.argv[3:12])
rows, tokens = (large - small) / (tl - ts), (kl - ks) / (tl - ts)
print(f"rep={rep} end-to-end texts={kind} writers={sys.argv[12]} small_seconds={ts:.2f} large_seconds={tl:.2f} "
      f"steady_rows_per_s={rows:.0f} steady_tokens_per_s={tokens:.0f} ctas_rows_per_s={large / cl:.0f} "
      f"ratio_to_ctas={rows / (large / cl):.2f} peak_rss_mb_small={rs / 1024:.0f} peak_rss_mb_large={rl / 1024:.0f} rss_ratio={rl / rs:.2f}")
PY
  done
done
PYTHONPATH="$root/bench" python3 - "$results" <<'PY'
import sys
from runs import grouped, median as median_of
key = lambda f: f"processor-alone writers={f['writers']}" if "texts" not in f else f"end-to-end texts={f['texts']}"
for key, runs in grouped(sys.argv[1], key).items():
    median = lambda name: median_of(runs, name)
    if key.startswith("processor"):
        print(f"median {key}: rows_per_s={median('rows_per_s'):.0f} ratio_to_ctas={median('ratio_to_ctas'):.2f} peak_rss_mb={median('peak_rss_mb'):.0f} (n={len(runs)})")
    else:
        print(f"median {key}: steady_rows_per_s={median('steady_rows_per_s'):.0f} steady_tokens_per_s={median('steady_tokens_per_s'):.0f} "
              f"ratio_to_ctas={median('ratio_to_ctas'):.2f} peak_rss_mb_large={median('peak_rss_mb_large'):.0f} rss_ratio={median('rss_ratio'):.2f} (n={len(runs)})")
PY
echo "Raw lines: $results" >&2
