#!/usr/bin/env bash
# The CPU side alone: the real CLI with a lookup model (the model made nearly free: a Gather of token vectors), at
# two sizes for corpus texts and for short texts (their first lines), the steady rate from the two sizes (start-up
# removed), tokens/s and peak RSS; then each stage timed alone (read, tokenize, model call, pool) and the processor
# alone (read + write, no model) at the larger size.
#   SIZES="200000 1000000" BATCH=256 bench/cpu-side.sh
set -euo pipefail
read -r small large <<<"${SIZES:-200000 1000000}"
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-cpu-side.XXXXXX)}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

results="$work/cpu-side.txt"
: >"$results"
for kind in full short; do
  read -r t_small k_small rss_small < <(lookup_run "$kind" "$small")
  read -r t_large k_large rss_large < <(lookup_run "$kind" "$large")
  python3 - "$kind" "$small" "$large" "$t_small" "$t_large" "$k_small" "$k_large" "$rss_small" "$rss_large" <<'PY' | tee -a "$results"
import sys
kind, small, large, ts, tl, ks, kl, rs, rl = sys.argv[1:]
small, large, ts, tl, ks, kl, rs, rl = int(small), int(large), float(ts), float(tl), float(ks), float(kl), int(rs), int(rl)
rows = (large - small) / (tl - ts)
tokens = (kl - ks) / (tl - ts)
print(f"cpu-side texts={kind} small={small} small_seconds={ts:.2f} large={large} large_seconds={tl:.2f} "
      f"steady_rows_per_s={rows:.0f} steady_tokens_per_s={tokens:.0f} tokens_per_row={kl / large:.1f} "
      f"peak_rss_mb_small={rs / 1024:.0f} peak_rss_mb_large={rl / 1024:.0f} rss_ratio={rl / rs:.2f}")
PY
  bench cpu-stages "$work/$kind-$small-input.duckdb" "$work/lookup-model" "$batch" | sed "s/^cpu-stage /cpu-stage texts=$kind /" | tee -a "$results"
done
bench processor "$large" "$batch" | tee -a "$results"
echo "Raw lines: $results" >&2
