#!/usr/bin/env bash
# The CPU side of this tree against another commit's, alternating: the real CLI of each with the lookup model (the
# model made nearly free, so DuckEmbed's own work shows) on short texts and on full corpus descriptions, the steady
# rate from two sizes, REPEATS times; each run printed, then the medians and after ÷ before.
#   BASE=77b117f SIZES="50000 250000" REPEATS=3 bench/before-after.sh
set -euo pipefail
base=${BASE:?set BASE to the commit to compare against}
read -r small large <<<"${SIZES:-50000 250000}"
batch=${BATCH:-256}
work=${BENCH_WORK:-$(mktemp -d /tmp/duckembed-before-after.XXXXXX)}
mkdir -p "$work"
# shellcheck source=bench/lookup.sh
source "$(dirname "${BASH_SOURCE[0]}")/lookup.sh"

echo "Building $base ..." >&2
rm -rf "$work/base-src"
git -C "$root" worktree add --force --detach "$work/base-src" "$base" >/dev/null 2>&1
trap 'git -C "$root" worktree remove --force "$work/base-src" >/dev/null 2>&1 || true' EXIT
"$work/base-src/scripts/publish.sh" "$work/base-embed" >&2

results="$work/before-after.txt"
: >"$results"
for rep in $(seq "${REPEATS:-3}"); do
  for version in before after; do
    # shellcheck disable=SC2034 # read by lookup_run
    if [[ $version == before ]]; then embed_dll="$work/base-embed/embed.dll"; else embed_dll="$work/embed/embed.dll"; fi
    for kind in short full; do
      read -r t_small k_small _ < <(lookup_run "$kind" "$small")
      read -r t_large k_large rss < <(lookup_run "$kind" "$large")
      python3 - "$rep" "$version" "$kind" "$small" "$large" "$t_small" "$t_large" "$k_small" "$k_large" "$rss" <<'PY' | tee -a "$results"
import sys
rep, version, kind, small, large, ts, tl, ks, kl, rss = sys.argv[1:]
ts, tl, ks, kl = float(ts), float(tl), float(ks), float(kl)
print(f"before-after rep={rep} version={version} texts={kind} steady_rows_per_s={(int(large) - int(small)) / (tl - ts):.0f} "
      f"steady_tokens_per_s={(kl - ks) / (tl - ts):.0f} large_seconds={tl:.2f} peak_rss_mb={int(rss) / 1024:.0f}")
PY
    done
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
runs = [dict(re.findall(r"(\w+)=(\S+)", line)) for line in open(sys.argv[1]) if line.startswith("before-after")]
for kind in ("short", "full"):
    med = {v: statistics.median(float(r["steady_rows_per_s"]) for r in runs if r["texts"] == kind and r["version"] == v) for v in ("before", "after")}
    tok = {v: statistics.median(float(r["steady_tokens_per_s"]) for r in runs if r["texts"] == kind and r["version"] == v) for v in ("before", "after")}
    print(f"median texts={kind}: before {med['before']:.0f} rows/s ({tok['before'] / 1e6:.2f} M tokens/s), "
          f"after {med['after']:.0f} rows/s ({tok['after'] / 1e6:.2f} M tokens/s): after / before {med['after'] / med['before']:.2f}")
PY
echo "Raw lines: $results" >&2
