#!/usr/bin/env bash
# An experiment for the write path (#26): 1M rows (BIGINT, VARCHAR, FLOAT[384]) handed to DuckDB through a C API
# table function, so that `INSERT … SELECT` runs as DuckDB's own parallel insert, a statement (a transaction) per
# group of rows; each configuration followed by DuckDB's CTAS of the same rows (the yardstick), alternating, REPEATS
# times, then the medians. CONFIGS: "GROUP_ROWS:THREADS …".
#   REPEATS=3 bench/parallel-insert.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rows=${ROWS:-1000000}
configs=${CONFIGS:-"245760:2 122880:1 491520:2"}
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
results=$(mktemp /tmp/duckembed-parallel-insert.XXXXXX)
for rep in $(seq "${REPEATS:-3}"); do
  for config in $configs; do
    (cd "$root" && dotnet bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll parallel-insert "$rows" "${config%:*}" "${config#*:}") \
      | sed "s/^/rep=$rep /" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
runs = [dict(re.findall(r"(\w+)=(\S+)", line)) for line in open(sys.argv[1]) if "parallel-insert" in line]
for key in dict.fromkeys((r["group_rows"], r["threads"]) for r in runs):
    mine = [r for r in runs if (r["group_rows"], r["threads"]) == key]
    med = lambda f: statistics.median(float(r[f]) for r in mine)
    print(f"median group_rows={key[0]} threads={key[1]}: rows_per_s={med('rows_per_s'):.0f} ratio_to_ctas={med('ratio_to_ctas'):.2f} "
          f"cpu_us_per_row={med('cpu_us_per_row'):.1f} ctas_cpu_us_per_row={med('ctas_cpu_us_per_row'):.1f} output_mb={med('output_mb'):.0f} (n={len(mine)})")
PY
