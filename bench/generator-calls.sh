#!/usr/bin/env bash
# The real CLI with the lookup model (as bench/cpu-side.sh) on ROWS rows of full descriptions and of their first lines,
# with generator_calls 1 and 2 (one window with the model at a time, or the next one tokenized meanwhile),
# REPEATS times alternating: seconds (start-up included) and peak RSS of each run, and the medians.
#   ROWS=200000 REPEATS=3 bench/generator-calls.sh
set -euo pipefail
rows=${ROWS:-200000}
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-generator-calls.XXXXXX)}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"
results="$work/generator-calls.txt"
: >"$results"
for kind in full short; do
  for rep in $(seq "${REPEATS:-3}"); do
    for calls in 1 2; do
      read -r seconds _ peak_kb < <(lookup_run "$kind" "$rows" ", \"generator_calls\": $calls")
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
