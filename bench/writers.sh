#!/usr/bin/env bash
# The processor alone (no model) at ROWS rows with 1 and 2 writers, and DuckDB's own bulk insert of the same rows
# (the floor), REPEATS times alternating; prints each run and the medians.
#   ROWS=1000000 REPEATS=3 bench/writers.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${ROWS:-1000000}
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
bench() { dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" "$@"; }
results=$(mktemp /tmp/duckembed-writers.XXXXXX)
for rep in $(seq "${REPEATS:-3}"); do
  for writers in 1 2; do
    WRITERS=$writers bench processor "$rows" 256 | sed "s/^/rep=$rep /" | tee -a "$results"
  done
  bench duckdb-floor "$rows" | sed "s/^/rep=$rep /" | tee -a "$results"
done
python3 - "$results" <<'PY'
import re, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    rate = float(re.search(r"rows_per_s=(\d+)", line).group(1))
    key = "floor" if "duckdb-floor" in line else "writers=" + re.search(r"writers=(\d+)", line).group(1)
    rates.setdefault(key, []).append(rate)
median = {k: statistics.median(v) for k, v in rates.items()}
print("medians (rows/s): " + ", ".join(f"{k} {v:.0f}" for k, v in median.items()))
print(f"writers=1 / floor {median['writers=1'] / median['floor']:.2f}, writers=2 / floor {median['writers=2'] / median['floor']:.2f}, "
      f"2 writers / 1 writer {median['writers=2'] / median['writers=1']:.2f}")
PY
