#!/usr/bin/env bash
# How busy a GPU would be kept by the host's side (processor, DuckDB, tokenizer), on a machine without a GPU: a
# simulated device that takes a fixed time per padded token cell and no CPU, fed ROWS corpus descriptions, with one
# window at a time with the generator (GENERATOR_CALLS=1) and with the next window tokenized while the device runs
# (2, the default), REPEATS times alternating; prints each run and the medians.
#   ROWS=200000 DEVICE_CELLS=2000000 REPEATS=3 bench/device-share.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
rows=${ROWS:-200000}
cells=${DEVICE_CELLS:-2000000}
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-device-share.XXXXXX)}
mkdir -p "$work"
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
bench() { dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" "$@"; }
input="$work/full-$rows-input.duckdb"
if [[ ! -f "$input" ]]; then
  xz -dc "$shared/corpus/debian-descriptions.jsonl.xz" >"$work/corpus.jsonl"
  bench make-cpu-input "$work/corpus.jsonl" "$rows" full "$input"
fi
results="$work/device-share.txt"
: >"$results"
for rep in $(seq "${REPEATS:-3}"); do
  for calls in 1 2; do
    bench simulated-device "$input" "$cells" "$calls" "$batch" | sed "s/^/rep=$rep /" | tee -a "$results"
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    calls = re.search(r"generator_calls=(\d+)", line).group(1)
    runs.setdefault(calls, []).append((float(re.search(r"device_busy_share=([\d.]+)", line).group(1)),
                                       float(re.search(r"rows_per_s=(\d+)", line).group(1))))
for calls, values in sorted(runs.items()):
    print(f"generator_calls={calls}: median device busy share {statistics.median(v[0] for v in values):.3f}, "
          f"median {statistics.median(v[1] for v in values):.0f} rows/s")
PY
echo "Raw lines: $results" >&2
