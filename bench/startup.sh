#!/usr/bin/env bash
# Start-up of the CLI by precision: wall time of a run of ROWS texts (default 32, so that the time is nearly all
# start-up), REPEATS times (default 5) alternating fp32, int8 with its converted model in the cache (the second
# and later runs), and int8 with the cache emptied first (the first run). Prints each run and the medians.
#   REPEATS=5 ROWS=32 bench/startup.sh
set -euo pipefail
SIZES=${ROWS:-32}
export SIZES
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rows=$largest
results="$work/startup.txt"
: >"$results"
embed_run "$work/texts.jsonl" "$rows" warm-up fp32 >/dev/null
for rep in $(seq "${REPEATS:-5}"); do
  fp32=$(embed_run "$work/texts.jsonl" "$rows" "fp32-$rep" fp32)
  rm -rf "$work/.duckembed-cache"
  cold=$(embed_run "$work/texts.jsonl" "$rows" "int8-cold-$rep" int8)
  warm=$(embed_run "$work/texts.jsonl" "$rows" "int8-warm-$rep" int8)
  grep -q "Converted int8 model read from" "$work/int8-warm-$rep.log" || { echo "int8 run $rep did not read the cache" >&2; exit 1; }
  echo "startup rep=$rep rows=$rows fp32=$fp32 int8_first=$cold int8_cached=$warm" | tee -a "$results"
done
python3 - "$results" <<'PY'
import re, statistics, sys
runs = [dict(re.findall(r"(\w+)=([\d.]+)", line)) for line in open(sys.argv[1])]
median = {k: statistics.median(float(r[k]) for r in runs) for k in ("fp32", "int8_first", "int8_cached")}
print(f"median of {len(runs)}: fp32 {median['fp32']:.2f} s, int8 first run {median['int8_first']:.2f} s, "
      f"int8 from the cache {median['int8_cached']:.2f} s (cached - fp32: {median['int8_cached'] - median['fp32']:+.2f} s)")
PY
