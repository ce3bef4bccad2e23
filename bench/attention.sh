#!/usr/bin/env bash
# Attention fused into MultiHeadAttention or left as the export wrote it: raw ONNX Runtime (tokenizer + session,
# sorted batches) on the same corpus texts, fp32 and int8, the four alternating, REPEATS times; medians at the end.
#   REPEATS=3 TEXTS=1000 bench/attention.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${DUCKEMBED_SHARED:-$root/../shared}
texts=${TEXTS:-1000}
work=$(mktemp -d /tmp/duckembed-attention.XXXXXX)
dotnet build "$root/bench/DuckEmbed.Bench" -c Release --nologo -v quiet >&2
# (head closes the pipe early, so xz ends with SIGPIPE: check the count instead of the status)
xz -dc "$shared/corpus/debian-descriptions.jsonl.xz" | head -n "$texts" >"$work/texts.jsonl" || true
[[ $(wc -l <"$work/texts.jsonl") -eq $texts ]] || { echo "cannot read $texts texts from $shared/corpus" >&2; exit 1; }
for rep in $(seq "${REPEATS:-3}"); do
  for precision in fp32 int8; do
    for fusion in 0 1; do
      ATTENTION_FUSION=$fusion PRECISION=$precision dotnet "$root/bench/DuckEmbed.Bench/bin/Release/net10.0/DuckEmbed.Bench.dll" \
        raw-ort "$work/texts.jsonl" "$texts" "${BATCH:-32}" sorted "${THREADS:-2}" 2>/dev/null | sed "s/^raw-ort /attention rep=$rep fusion=$fusion /"
    done
  done
done | tee "$work/results.txt"
echo
echo "median texts/s over ${REPEATS:-3} repeats:"
for precision in fp32 int8; do
  for fusion in 0 1; do
    grep "fusion=$fusion precision=$precision " "$work/results.txt" | sed 's/.*texts_per_s=\([0-9.]*\).*/\1/' | sort -n |
      awk -v p="$precision" -v f="$fusion" '{ v[NR] = $1 } END { printf "%s fusion=%s %.1f\n", p, f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  done
done
